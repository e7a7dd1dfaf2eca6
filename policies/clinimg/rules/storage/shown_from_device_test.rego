package clinimg.rules.storage.shown_from_device_test

import data.clinimg.rules.storage.shown_from_device

disclosure := {
	"type": "disclosure",
	"event_id": "e-dis-2",
	"actor": {"id": "dr-intern-1", "role": "intern", "device": {"id": "ph-1", "owner": "personal"}},
	"purpose": "clinical_care",
	"channel": "in_person_display",
	"lifecycle": {"in_record": true, "hours_since_record_transfer": 2160},
}

finding := {
	"rule": "storage.shown_from_device",
	"message": "The image is being shared from a personal device although it was saved to the health record long enough ago that it should have been deleted from the device.",
	"guide": "Case Study Two",
	"remedy": "Show the image from the health record, not your phone, and delete it from your personal device.",
}

test_fail_case_study_two if {
	shown_from_device.deny == {finding} with input as disclosure
}

test_fail_hospital_deadline if {
	shown_from_device.deny == {finding} with input as object.union(disclosure, {"lifecycle": {"in_record": true, "hours_since_record_transfer": 3}})
		with data.clinimg.config as {"deadlines": {"device_deletion_hours": 2}}
}

test_success_within_deadline if {
	shown_from_device.deny == set() with input as object.union(disclosure, {"lifecycle": {"in_record": true, "hours_since_record_transfer": 10}})
}

test_success_hospital_device if {
	shown_from_device.deny == set() with input as object.union(disclosure, {"actor": {"id": "dr-intern-1", "device": {"id": "hp-1", "owner": "hospital"}}})
}

test_success_not_in_record if {
	shown_from_device.deny == set() with input as object.union(disclosure, {"lifecycle": {"in_record": false, "hours_since_capture": 2160}})
}

test_success_no_lifecycle if {
	shown_from_device.deny == set() with input as object.remove(disclosure, ["lifecycle"])
}

test_success_not_a_disclosure if {
	shown_from_device.deny == set() with input as object.union(disclosure, {"type": "capture"})
}

test_success_device_copy_deleted if {
	# The audit knows the phone's copy was deleted: whatever was shown did not come from it.
	shown_from_device.deny == set() with input as object.union(disclosure, {"lifecycle": {"in_record": true, "hours_since_record_transfer": 2160, "on_actor_device": false}})
}

test_success_shown_from_the_record if {
	shown_from_device.deny == set() with input as object.union(disclosure, {"shown_from": "health_record"})
}

test_fail_shown_from_the_device_stated if {
	shown_from_device.deny == {finding} with input as object.union(disclosure, {"shown_from": "actor_device", "lifecycle": {"in_record": true, "hours_since_record_transfer": 2160, "on_actor_device": true}})
}
