package clinimg.rules.storage.transfer_to_record_test

import data.clinimg.rules.storage.transfer_to_record

# Still not in the record, 500 hours after the capture (Case Study Four).
lifecycle := {"capture_event_id": "e-cap-7", "in_record": false, "hours_to_record_transfer": 500}

review := {
	"type": "image_review",
	"event_id": "e-cap-1",
	"image": {"id": "img-1", "purposes": ["clinical_care"]},
	"lifecycle": lifecycle,
}

with_lifecycle(patch) := object.union(review, {"lifecycle": object.union(lifecycle, patch)})

finding(deadline, event_id) := {
	"rule": "storage.transfer_to_record",
	"message": sprintf("An image taken for clinical care was not saved to the patient's health record within %v hours of being taken.", [deadline]),
	"guide": "Storage in the health record",
	"remedy": "Save the image to the patient's health record now if it is not there yet (secure upload, or a hard copy where there is no secure system), delete it from the device, and save future images within the deadline.",
	"event_id": event_id,
}

test_fail_still_not_in_record if {
	transfer_to_record.deny == {finding(24, "e-cap-7")} with input as review
}

test_fail_saved_late if {
	transfer_to_record.deny == {finding(24, "e-cap-7")} with input as with_lifecycle({"in_record": true, "record_transfer_event_id": "e-rt-1", "hours_to_record_transfer": 30})
}

test_fail_just_past_deadline if {
	transfer_to_record.deny == {finding(24, "e-cap-7")} with input as with_lifecycle({"hours_to_record_transfer": 24.01})
}

test_fail_in_record_unknown if {
	transfer_to_record.deny == {finding(24, "e-cap-7")} with input as object.union(object.remove(review, ["lifecycle"]), {"lifecycle": object.remove(lifecycle, ["in_record"])})
}

test_fail_capture_event_unknown_blames_input_event if {
	transfer_to_record.deny == {finding(24, "e-cap-1")} with input as object.union(object.remove(review, ["lifecycle"]), {"lifecycle": {"hours_to_record_transfer": 25}})
}

test_fail_hospital_deadline if {
	transfer_to_record.deny == {finding(12, "e-cap-7")} with input as with_lifecycle({"hours_to_record_transfer": 13})
		with data.clinimg.config as {"deadlines": {"record_transfer_hours": 12}}
}

test_success_saved_at_deadline if {
	transfer_to_record.deny == set() with input as with_lifecycle({"in_record": true, "hours_to_record_transfer": 24})
}

test_success_not_yet_saved_at_deadline if {
	transfer_to_record.deny == set() with input as with_lifecycle({"in_record": false, "hours_to_record_transfer": 24})
}

test_success_saved_within_deadline if {
	transfer_to_record.deny == set() with input as with_lifecycle({"in_record": true, "hours_to_record_transfer": 2})
}

test_success_longer_hospital_deadline if {
	transfer_to_record.deny == set() with input as review
		with data.clinimg.config as {"deadlines": {"record_transfer_hours": 720}}
}

test_success_not_clinical_care if {
	transfer_to_record.deny == set() with input as object.union(review, {"image": {"id": "img-1", "purposes": ["teaching"]}})
}

test_success_hours_unknown if {
	transfer_to_record.deny == set() with input as object.union(object.remove(review, ["lifecycle"]), {"lifecycle": {"in_record": false}})
}

test_success_old_key_ignored if {
	transfer_to_record.deny == set() with input as object.union(object.remove(review, ["lifecycle"]), {"lifecycle": {"in_record": false, "hours_since_capture": 500}})
}

test_success_not_a_review if {
	transfer_to_record.deny == set() with input as object.union(review, {"type": "capture"})
}

# At capture: the obligation to save it to the record (SPEC §2), with the hospital's deadline.
capture := {
	"type": "capture",
	"event_id": "e-cap-1",
	"purposes": ["clinical_care"],
	"actor": {"id": "dr-1", "role": "registrar", "device": {"id": "ph-1", "owner": "personal"}},
}

transfer_text(hours, means) := sprintf("Save the image to the patient's health record within %v hours of taking it (%s), linked to the patient's details.", [hours, means])

test_obligation_at_capture_for_clinical_care if {
	transfer_to_record.obligation == {{"id": "storage.transfer_to_record", "text": transfer_text(24, "through the hospital's secure transfer system")}} with input as capture
}

test_obligation_hard_copy_and_hospital_deadline if {
	transfer_to_record.obligation == {{"id": "storage.transfer_to_record", "text": transfer_text(12, "a hard copy placed in the record: the hospital has no secure transfer system")}} with input as capture
		with data.clinimg.config as {"secure_transfer_system": false, "deadlines": {"record_transfer_hours": 12}}
}

test_obligation_also_on_a_hospital_device if {
	count(transfer_to_record.obligation) == 1 with input as object.union(capture, {"actor": {"device": {"owner": "hospital"}}})
}

test_no_obligation_without_clinical_care if {
	count(transfer_to_record.obligation) == 0 with input as object.union(capture, {"purposes": ["teaching"]})
}

test_no_obligation_for_other_types if {
	count(transfer_to_record.obligation) == 0 with input as object.union(capture, {"type": "disclosure"})
	count(transfer_to_record.obligation) == 0 with input as review
}
