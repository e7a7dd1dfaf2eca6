# METADATA
# title: Delete the image from the personal device once it is in the record
# description: |
#   (audit) Once an image taken for clinical care is saved to the health record it should be
#   deleted from the personal device that took it (Case Study Two). Fires on the audit's
#   image_review input when the hours from the save to the record until that device deleted the
#   image (or until as_of, if it still holds it) exceed the deadline: late or still overdue alike.
#   Blames the record transfer that started the deletion deadline.
#   At capture (`check` of a capture for clinical care on a personal device that may go ahead) it
#   is an obligation instead: what the clinician must still do (SPEC §2's own example).
# custom:
#   id: storage.delete_after_transfer
#   effect: deny
#   guide_section: Deleting clinical images from your mobile device
#   passage: >-
#     Once images taken for the purpose of providing clinical care are securely stored in the
#     patient’s health record, they should be immediately deleted from the mobile device.
#   remedy: >-
#     Delete the image from your personal device now if it is still there (and from any back-up
#     or recently-deleted folder), and delete future images as soon as they are saved in the
#     health record.
package clinimg.rules.storage.delete_after_transfer

import data.clinimg.lib

transfer_event_id := id if {
	id := lib.lifecycle.record_transfer_event_id
} else := input.event_id

deny contains finding if {
	input.type == "image_review"
	lib.lifecycle.capture_device.owner == "personal"
	hours := lib.lifecycle.hours_on_capture_device_after_record
	is_number(hours)
	deadline := lib.deadline_hours("device_deletion_hours")
	hours > deadline
	finding := {
		"rule": "storage.delete_after_transfer",
		"message": sprintf("The image was not deleted from the personal device that took it within %v hours of being saved to the health record.", [deadline]),
		"guide": "Deleting clinical images from your mobile device",
		"remedy": "Delete the image from your personal device now if it is still there (and from any back-up or recently-deleted folder), and delete future images as soon as they are saved in the health record.",
		"event_id": transfer_event_id,
	}
}

obligation contains {"id": "storage.delete_after_transfer", "text": text} if {
	input.type == "capture"
	"clinical_care" in lib.capture_purposes
	lib.personal_device
	deadline := lib.deadline_hours("device_deletion_hours")
	text := sprintf("Delete the image from the device once it is saved to the health record (within %v hours of saving it), and from any back-up or recently-deleted folder.", [deadline])
}
