# METADATA
# title: Document a refusal or withdrawal of consent
# description: |
#   A consent event recording a refusal or a withdrawal must be documented in the health record.
# custom:
#   id: consent.refusal_documented
#   effect: deny
#   guide_section: Documenting the consent process
#   passage: >-
#     A patient’s refusal, or withdrawal, of consent should also be documented in the health
#     record.
#   remedy: >-
#     Document the refusal or withdrawal of consent, and its scope, in the health record.
package clinimg.rules.consent.refusal_documented

nouns := {"refused": "refusal", "withdrawn": "withdrawal"}

deny contains finding if {
	input.type == "consent"
	noun := nouns[input.consent.status]
	object.get(input.consent, "documented_in_record", false) != true
	finding := {
		"rule": "consent.refusal_documented",
		"message": concat("", ["The patient's ", noun, " of consent is not documented in the health record."]),
		"guide": "Documenting the consent process",
		"remedy": "Document the refusal or withdrawal of consent, and its scope, in the health record.",
	}
}
