# METADATA
# title: Delete the image from the personal device once it is in the record
# description: |
#   (audit) Once an image taken for clinical care is saved to the health record it should be
#   deleted from the personal device that took it (Case Study Two). Fires on the audit's
#   image_review input; blames the record transfer that started the deletion deadline.
# custom:
#   id: storage.delete_after_transfer
#   effect: deny
#   guide_section: Deleting clinical images from your mobile device
#   passage: >-
#     Once images taken for the purpose of providing clinical care are securely stored in the
#     patient’s health record, they should be immediately deleted from the mobile device.
#   remedy: >-
#     Delete the image from your personal device (and from any back-up or recently-deleted
#     folder) now that it is saved in the health record.
package clinimg.rules.storage.delete_after_transfer

import data.clinimg.lib

transfer_event_id := id if {
	id := lib.lifecycle.record_transfer_event_id
} else := input.event_id

deny contains finding if {
	input.type == "image_review"
	lib.lifecycle.in_record == true
	lib.lifecycle.on_capture_device == true
	lib.lifecycle.capture_device.owner == "personal"
	hours := lib.lifecycle.hours_since_record_transfer
	is_number(hours)
	deadline := lib.deadline_hours("device_deletion_hours")
	hours > deadline
	finding := {
		"rule": "storage.delete_after_transfer",
		"message": sprintf("The image is still on the personal device that took it, more than %v hours after it was saved to the health record.", [deadline]),
		"guide": "Deleting clinical images from your mobile device",
		"remedy": "Delete the image from your personal device (and from any back-up or recently-deleted folder) now that it is saved in the health record.",
		"event_id": transfer_event_id,
	}
}
