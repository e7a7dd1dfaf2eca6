# METADATA
# title: Respect a refusal to consent
# description: |
#   A refusal on file (from the patient or their decision-maker) that covers a purpose of the
#   capture stops it, unless a court order or another legal requirement requires the image (then
#   collection.legal_requirement escalates instead) — for a purpose a law can require: never
#   publication or a personal purpose.
# custom:
#   id: collection.consent_refused
#   effect: deny
#   guide_section: Right to refuse consent
#   passage: >-
#     Patients have the right to refuse a clinical image being taken. A patient’s refusal to
#     consent to clinical images should not compromise their care where there is a suitable
#     alternative.
#   remedy: >-
#     Do not take the image; explain how images could help their care, use a suitable alternative,
#     and document the refusal. Only a court order overrides it: clarify its scope with hospital
#     administration or your medical defence organisation.
package clinimg.rules.collection.consent_refused

import data.clinimg.lib

# A court order or another legal requirement overrides a refusal only for a purpose a law can
# require (lib.legal_capture_for): a refusal of publication or of a personal purpose still binds
# a court-ordered capture (qa10: it was only escalated).
deny contains finding if {
	input.type == "capture"
	some purpose in lib.capture_purposes
	lib.refused_for(purpose)
	not lib.legal_capture_for(purpose)
	finding := {
		"rule": "collection.consent_refused",
		"message": concat("", ["Consent to an image for ", purpose, " was refused: do not take it."]),
		"guide": "Right to refuse consent",
		"remedy": "Do not take the image; explain how images could help their care, use a suitable alternative, and document the refusal. Only a court order overrides it: clarify its scope with hospital administration or your medical defence organisation.",
	}
}
