# METADATA
# title: Take particular care with intimate images
# description: |
#   An image of an intimate area that leaves the treating team (or the health record), or that is
#   sent electronically rather than shown in person, printed or uploaded to the record, needs
#   advice first.
# custom:
#   id: disclosure.intimate
#   effect: escalate
#   guide_section: Intimate areas of the body
#   passage: >-
#     Remember that particular care should be taken where images may be considered pornographic
#     or obscene, if taken out of context. An image risks being considered pornographic or
#     obscene if it includes unnecessarily sensitive content that is not relevant to the clinical
#     purpose. It should be remembered that it is a serious criminal offence to disseminate
#     pornographic images electronically.
#   remedy: >-
#     Seek advice from hospital administration or your medical defence organisation before
#     sharing; keep intimate images within the treating team and out of electronic messages.
package clinimg.rules.disclosure.intimate

non_electronic_channels := {"in_person_display", "print", "health_record_upload"}

treating_team if input.recipient.kind == "health_record"

treating_team if {
	input.recipient.kind == "clinician"
	input.recipient.relationship == "treating_team"
}

leaves_team if not treating_team

electronic if not object.get(input, "channel", null) in non_electronic_channels

message := "This intimate image is leaving the treating team and is being sent electronically: seek advice first." if {
	leaves_team
	electronic
} else := "This intimate image is leaving the treating team: seek advice first." if {
	leaves_team
} else := "This intimate image is being sent electronically: seek advice first." if {
	electronic
}

escalate contains finding if {
	input.type == "disclosure"
	input.image.intimate == true
	finding := {
		"rule": "disclosure.intimate",
		"message": message,
		"guide": "Intimate areas of the body",
		"remedy": "Seek advice from hospital administration or your medical defence organisation before sharing; keep intimate images within the treating team and out of electronic messages.",
	}
}
