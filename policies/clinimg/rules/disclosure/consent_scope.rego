# METADATA
# title: Stay within the scope of the patient's consent
# description: |
#   The patient consented, but to other purposes or other images; this use is neither the purpose
#   the image was taken for nor clinical care the patient would expect, and no law requires it
#   (Case Study Two: images taken for the surgeon's advice, later shown to ward doctors).
# custom:
#   id: disclosure.consent_scope
#   effect: deny
#   guide_section: Scope and nature of consent
#   passage: >-
#     The scope and nature of the patient’s original consent may need to be considered when
#     later deciding to what extent the clinical image can be used and disclosed. Additional
#     consent may be required to use the images for these purposes.
#   remedy: >-
#     Ask the patient for additional consent for this purpose, and document it in the health
#     record, before using or showing the image.
package clinimg.rules.disclosure.consent_scope

import data.clinimg.lib

deny contains finding if {
	input.type == "disclosure"
	lib.basis == null
	not lib.non_professional
	not lib.consent_withdrawn_for_disclosure
	lib.any_consent_granted
	finding := {
		"rule": "disclosure.consent_scope",
		"message": "The patient's consent does not cover this use: it was given for other purposes or other images, and this is not what the image was taken for.",
		"guide": "Scope and nature of consent",
		"remedy": "Ask the patient for additional consent for this purpose, and document it in the health record, before using or showing the image.",
	}
}
