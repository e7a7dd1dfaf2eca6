# METADATA
# title: Save an image taken for clinical care to the health record
# description: |
#   (audit) An image taken for clinical care is part of the patient's health record: it must be
#   saved there within the hospital's deadline, not kept on the device (Case Study Four).
#   Fires on the audit's image_review input when the hours from the capture until the first save
#   to the record (or until as_of, if it is still not saved) exceed the deadline: late or still
#   overdue alike, so an audit run night by night finds what one run over both nights finds.
#   Blames the capture.
#   At capture (`check` of a capture for clinical care that may go ahead) it is an obligation
#   instead: what the clinician must still do (SPEC §2), with the hospital's deadline, and a hard
#   copy where the hospital has no secure transfer system.
# custom:
#   id: storage.transfer_to_record
#   effect: deny
#   guide_section: Storage in the health record
#   passage: >-
#     Clinical images taken by doctors on their personal mobile device in the course of providing
#     clinical care are part of, and should be stored securely in, patient’s health record.
#   remedy: >-
#     Save the image to the patient's health record now if it is not there yet (secure upload, or
#     a hard copy where there is no secure system), delete it from the device, and save future
#     images within the deadline.
package clinimg.rules.storage.transfer_to_record

import data.clinimg.lib

capture_event_id := id if {
	id := lib.lifecycle.capture_event_id
} else := input.event_id

deny contains finding if {
	input.type == "image_review"
	"clinical_care" in lib.primary_purposes
	hours := lib.lifecycle.hours_to_record_transfer
	is_number(hours)
	deadline := lib.deadline_hours("record_transfer_hours")
	hours > deadline
	finding := {
		"rule": "storage.transfer_to_record",
		"message": sprintf("An image taken for clinical care was not saved to the patient's health record within %v hours of being taken.", [deadline]),
		"guide": "Storage in the health record",
		"remedy": "Save the image to the patient's health record now if it is not there yet (secure upload, or a hard copy where there is no secure system), delete it from the device, and save future images within the deadline.",
		"event_id": capture_event_id,
	}
}

obligation contains {"id": "storage.transfer_to_record", "text": text} if {
	input.type == "capture"
	"clinical_care" in lib.capture_purposes
	deadline := lib.deadline_hours("record_transfer_hours")
	text := sprintf("Save the image to the patient's health record within %v hours of taking it (%s), linked to the patient's details.", [deadline, transfer_means])
}

transfer_means := "a hard copy placed in the record: the hospital has no secure transfer system" if {
	lib.config_value("secure_transfer_system") == false
} else := "through the hospital's secure transfer system"
