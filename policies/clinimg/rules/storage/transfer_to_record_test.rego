package clinimg.rules.storage.transfer_to_record_test

import data.clinimg.rules.storage.transfer_to_record

review := {
	"type": "image_review",
	"event_id": "e-cap-1",
	"image": {"id": "img-1", "purposes": ["clinical_care"]},
	"lifecycle": {"capture_event_id": "e-cap-7", "in_record": false, "hours_since_capture": 500},
}

finding(hours, event_id) := {
	"rule": "storage.transfer_to_record",
	"message": sprintf("An image taken for clinical care is still not in the patient's health record more than %v hours after it was taken.", [hours]),
	"guide": "Storage in the health record",
	"remedy": "Save the image to the patient's health record now (secure upload, or a hard copy where there is no secure system), then delete it from the device.",
	"event_id": event_id,
}

test_fail_not_in_record_after_deadline if {
	transfer_to_record.deny == {finding(24, "e-cap-7")} with input as review
}

test_fail_in_record_unknown_blames_input_event if {
	transfer_to_record.deny == {finding(24, "e-cap-1")} with input as object.union(object.remove(review, ["lifecycle"]), {"lifecycle": {"hours_since_capture": 25}})
}

test_fail_hospital_deadline if {
	transfer_to_record.deny == {finding(12, "e-cap-7")} with input as object.union(review, {"lifecycle": {"capture_event_id": "e-cap-7", "hours_since_capture": 13}})
		with data.clinimg.config as {"deadlines": {"record_transfer_hours": 12}}
}

test_success_within_deadline if {
	transfer_to_record.deny == set() with input as object.union(review, {"lifecycle": {"in_record": false, "hours_since_capture": 24}})
}

test_success_in_record if {
	transfer_to_record.deny == set() with input as object.union(review, {"lifecycle": {"in_record": true, "hours_since_capture": 500}})
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

test_success_not_a_review if {
	transfer_to_record.deny == set() with input as object.union(review, {"type": "capture"})
}
