# METADATA
# title: Save an image taken for clinical care to the health record
# description: |
#   (audit) An image taken for clinical care is part of the patient's health record: it must be
#   saved there within the hospital's deadline, not kept on the device (Case Study Four).
#   Fires on the audit's image_review input; blames the capture.
# custom:
#   id: storage.transfer_to_record
#   effect: deny
#   guide_section: Storage in the health record
#   passage: >-
#     Clinical images taken by doctors on their personal mobile device in the course of providing
#     clinical care are part of, and should be stored securely in, patient’s health record.
#   remedy: >-
#     Save the image to the patient's health record now (secure upload, or a hard copy where
#     there is no secure system), then delete it from the device.
package clinimg.rules.storage.transfer_to_record

import data.clinimg.lib

capture_event_id := id if {
	id := lib.lifecycle.capture_event_id
} else := input.event_id

deny contains finding if {
	input.type == "image_review"
	"clinical_care" in lib.primary_purposes
	object.get(lib.lifecycle, "in_record", false) != true
	hours := lib.lifecycle.hours_since_capture
	is_number(hours)
	deadline := lib.deadline_hours("record_transfer_hours")
	hours > deadline
	finding := {
		"rule": "storage.transfer_to_record",
		"message": sprintf("An image taken for clinical care is still not in the patient's health record more than %v hours after it was taken.", [deadline]),
		"guide": "Storage in the health record",
		"remedy": "Save the image to the patient's health record now (secure upload, or a hard copy where there is no secure system), then delete it from the device.",
		"event_id": capture_event_id,
	}
}
