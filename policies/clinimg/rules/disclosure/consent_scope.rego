# METADATA
# title: Stay within the scope of the patient's consent
# description: |
#   The patient consented, but to other purposes, other images or other recipients ("to whom it
#   will be shown": a consent names its `recipients`, or covers the audience its purpose implies);
#   this use is neither a primary purpose nor clinical care by the people caring for the patient,
#   and no law requires it (Case Study Two: images taken for the surgeon's advice, later shown to
#   ward doctors). A consent that covers the use but was given by someone who could not give it
#   is left to the consent area's rules.
# custom:
#   id: disclosure.consent_scope
#   effect: deny
#   guide_section: Scope and nature of consent
#   passage: >-
#     The scope and nature of the patient’s original consent may need to be considered when
#     later deciding to what extent the clinical image can be used and disclosed. Additional
#     consent may be required to use the images for these purposes.
#   remedy: >-
#     Ask the patient for additional consent for this purpose and recipient, and document it in
#     the health record, before using or showing the image.
package clinimg.rules.disclosure.consent_scope

import data.clinimg.lib

message := concat("", [
	"The patient's consent for ", input.purpose, " does not cover showing or sending the image to this recipient (",
	input.recipient.kind, "), and nothing else allows it.",
]) if {
	lib.recipient_not_covered
} else := "The patient's consent does not cover this use: it was given for other purposes or other images, and this is not what the image was taken for."

deny contains finding if {
	input.type == "disclosure"
	lib.basis == null
	not lib.non_professional
	not lib.negated_for_disclosure
	lib.any_consent_granted
	count(lib.invalid_consents) == 0
	finding := {
		"rule": "disclosure.consent_scope",
		"message": message,
		"guide": "Scope and nature of consent",
		"remedy": "Ask the patient for additional consent for this purpose and recipient, and document it in the health record, before using or showing the image.",
	}
}
