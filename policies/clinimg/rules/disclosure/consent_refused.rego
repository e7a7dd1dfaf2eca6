# METADATA
# title: A refusal binds every use and disclosure it covers
# description: |
#   A refusal on file (from the patient or their decision-maker) that covers this image and the
#   purpose of a use or disclosure stops it — also when the purpose is the one the image was
#   taken for, or clinical care the patient would otherwise be expected to accept. Only a legal
#   basis can override it, and then disclosure.legal_advice escalates.
# custom:
#   id: disclosure.consent_refused
#   effect: deny
#   guide_section: Right to refuse consent
#   passage: >-
#     Patients have the right to consent to (or refuse) the collection, use, and disclosure of
#     clinical images.
#   remedy: >-
#     Do not use or disclose the image for this purpose; if you believe the law requires the
#     disclosure, seek advice from hospital management or your medical defence organisation
#     first.
package clinimg.rules.disclosure.consent_refused

import data.clinimg.lib

deny contains finding if {
	lib.consent_refused_for_disclosure
	not lib.has_legal_basis
	finding := {
		"rule": "disclosure.consent_refused",
		"message": concat("", ["The patient refused consent to the use of this image for ", input.purpose, ": it may not be used or disclosed for that purpose."]),
		"guide": "Right to refuse consent",
		"remedy": "Do not use or disclose the image for this purpose; if you believe the law requires the disclosure, seek advice from hospital management or your medical defence organisation first.",
	}
}
