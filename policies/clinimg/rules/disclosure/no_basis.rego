# METADATA
# title: Disclose only for the primary purpose, a related purpose, with consent or by law
# description: |
#   Not a primary purpose (a purpose the image was taken for, with the patient's consent), not
#   clinical care by the people caring for the patient, no consent at all on file, and no legal
#   basis: nothing allows the disclosure. The message says when the image was taken for this
#   purpose without consent to it (that does not make it a primary purpose).
# custom:
#   id: disclosure.no_basis
#   effect: deny
#   guide_section: Use and disclosure of clinical images
#   passage: >-
#     In general, this means that clinical images should only be used and/or disclosed:
#     • for the direct or primary purpose for which they were collected;
#     • for a secondary purpose closely related to the direct or primary purpose;
#     • in accordance with the patient’s consent (if the use and disclosure is different from
#     the direct or secondary purpose); or
#     • where permitted by law – that is, the use and disclosure falls within an exemption
#     under the relevant privacy legislation.
#   remedy: >-
#     Do not send the image; obtain and document the patient's consent for this purpose, or
#     seek advice from hospital management if you believe the law permits the disclosure.
package clinimg.rules.disclosure.no_basis

import data.clinimg.lib

# Why the purpose the image was taken for does not carry it.
why_not_primary := "the image was taken for this purpose, but the patient never consented to it" if {
	input.purpose in lib.primary_purposes
} else := "it is not what the image was taken for"

why_not_care := "it is not clinical care by the people caring for the patient" if {
	input.purpose == "clinical_care"
} else := "it is not clinical care the patient would expect"

deny contains finding if {
	input.type == "disclosure"
	lib.basis == null
	not lib.non_professional
	not lib.negated_for_disclosure
	not lib.any_consent_granted
	finding := {
		"rule": "disclosure.no_basis",
		"message": concat("", ["Nothing allows this disclosure: ", why_not_primary, ", ", why_not_care, ", the patient has not consented, and no law requires it."]),
		"guide": "Use and disclosure of clinical images",
		"remedy": "Do not send the image; obtain and document the patient's consent for this purpose, or seek advice from hospital management if you believe the law permits the disclosure.",
	}
}
