# METADATA
# title: Withdrawn consent does not delete an image from the record
# description: |
#   A patient may withdraw consent to further use of an image, but an image that forms part of
#   the health record is not normally deleted from it because of that.
# custom:
#   id: retention.withdrawal_no_delete
#   effect: deny
#   guide_section: Withdrawing consent
#   passage: >-
#     While patients have the right to withdraw their consent for an image to be used, they should
#     be informed when obtaining consent that, once an image has been taken and forms part of the
#     health record, it cannot normally be deleted from the record.
#   remedy: >-
#     Keep the image in the record and record the withdrawal so the image is not used or
#     disclosed further; explain this to the patient.
package clinimg.rules.retention.withdrawal_no_delete

deny contains finding if {
	input.type == "record_deletion"
	input.reason == "consent_withdrawn"
	finding := {
		"rule": "retention.withdrawal_no_delete",
		"message": "An image in the health record is being deleted because the patient withdrew consent; withdrawal stops further use, not retention.",
		"guide": "Withdrawing consent",
		"remedy": "Keep the image in the record and record the withdrawal so the image is not used or disclosed further; explain this to the patient.",
	}
}
