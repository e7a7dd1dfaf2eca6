# METADATA
# title: Tell the patient the limits of withdrawing consent
# description: |
#   The consent for a capture must include telling the patient that an image in the health record
#   cannot normally be deleted, and a published one may not be recalled (informed_of
#   withdrawal_limits).
# custom:
#   id: consent.withdrawal_limits
#   effect: warn
#   guide_section: Withdrawing consent
#   passage: >-
#     While patients have the right to withdraw their consent for an image to be used, they should
#     be informed when obtaining consent that, once an image has been taken and forms part of the
#     health record, it cannot normally be deleted from the record.
#   remedy: >-
#     Explain that once the image is in the health record it cannot normally be deleted, and that a
#     published image may not be recalled; note it in the record.
package clinimg.rules.consent.withdrawal_limits

import data.clinimg.lib

uninformed := {c |
	some c in lib.relied_consents
	not "withdrawal_limits" in object.get(c, "informed_of", [])
}

warn contains finding if {
	input.type == "capture"
	count(uninformed) > 0
	finding := {
		"rule": "consent.withdrawal_limits",
		"message": concat("", ["The patient was not told, for ", lib.consents_label(uninformed), ", that an image in the health record cannot normally be deleted, nor a published one recalled."]),
		"guide": "Withdrawing consent",
		"remedy": "Explain that once the image is in the health record it cannot normally be deleted, and that a published image may not be recalled; note it in the record.",
	}
}
