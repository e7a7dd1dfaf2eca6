package clinimg.rules.collection.capture_details_test

import data.clinimg.rules.collection.capture_details

capture := {
	"type": "capture",
	"event_id": "e-1",
	"purposes": ["clinical_care"],
	"capture_record": {"who": "dr-1", "when": "2026-11-20T09:00:00+11:00", "mode": "personal_phone_camera"},
}

finding(what) := {
	"rule": "collection.capture_details",
	"message": sprintf("The capture record is missing: %s. Who took the image, when, and the mode of capture must all be recorded.", [what]),
	"guide": "Storage in the health record",
	"remedy": "Record who took the image, when it was taken, and the mode of capture (for example the personal phone camera) with the image.",
}

test_fail_no_capture_record if {
	capture_details.deny == {finding("who, when, mode")} with input as object.remove(capture, ["capture_record"])
}

test_fail_capture_record_null if {
	capture_details.deny == {finding("who, when, mode")} with input as object.union(capture, {"capture_record": null})
}

test_fail_mode_missing if {
	capture_details.deny == {finding("mode")} with input as object.remove(capture, ["capture_record"]) with input.capture_record as {"who": "dr-1", "when": "2026-11-20T09:00:00+11:00"}
}

test_fail_who_empty_when_blank if {
	capture_details.deny == {finding("who, when")} with input as object.union(capture, {"capture_record": {"who": "", "when": "  ", "mode": "personal_phone_camera"}})
}

test_success_all_recorded if {
	capture_details.deny == set() with input as capture
}

test_success_not_a_capture if {
	capture_details.deny == set() with input as {"type": "disclosure", "event_id": "e-2"}
}
