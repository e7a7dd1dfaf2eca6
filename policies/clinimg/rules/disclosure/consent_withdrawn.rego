# METADATA
# title: Do not use an image the patient has withdrawn consent for
# description: |
#   A withdrawal on file for this purpose (or a withdrawal naming no purpose) ends the consent;
#   only a legal basis could still allow the disclosure.
# custom:
#   id: disclosure.consent_withdrawn
#   effect: deny
#   guide_section: Withdrawing consent
#   passage: >-
#     While patients have the right to withdraw their consent for an image to be used, they
#     should be informed when obtaining consent that, once an image has been taken and forms
#     part of the health record, it cannot normally be deleted from the record.
#   remedy: >-
#     Do not use or disclose the image for this purpose; if you believe the law requires the
#     disclosure, seek advice from hospital management first.
package clinimg.rules.disclosure.consent_withdrawn

import data.clinimg.lib

deny contains finding if {
	input.type == "disclosure"
	lib.consent_withdrawn_for_disclosure
	not lib.has_legal_basis
	finding := {
		"rule": "disclosure.consent_withdrawn",
		"message": "The patient has withdrawn consent for this use of the image: it may no longer be used or disclosed for this purpose.",
		"guide": "Withdrawing consent",
		"remedy": "Do not use or disclose the image for this purpose; if you believe the law requires the disclosure, seek advice from hospital management first.",
	}
}
