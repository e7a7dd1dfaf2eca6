# METADATA
# title: No video in theatre without the clinical photographer
# description: |
#   Example Public Hospital's own rule, added without touching the shipped policies: video in the
#   operating theatre is taken by the clinical photography service, not on a personal phone.
# custom:
#   id: local.no_video_in_theatre
#   effect: escalate
#   guide_section: Hospital policies and contracts
#   passage: >-
#     Where a hospital does have a policy on clinical images and the use of personal mobile
#     devices, doctors should follow this in the first instance and use this guide as further
#     information.
#   remedy: Ask the clinical photography service to record the procedure.
package clinimg.rules.local.no_video_in_theatre

escalate contains finding if {
	input.type == "capture"
	input.image.modality == "video"
	input.circumstances.in_theatre == true
	input.actor.role != "clinical_photographer"
	finding := {
		"rule": "local.no_video_in_theatre",
		"message": "Video in the operating theatre is taken by clinical photography under this hospital's policy.",
		"guide": "Hospital policies and contracts",
		"remedy": "Ask the clinical photography service to record the procedure.",
	}
}
