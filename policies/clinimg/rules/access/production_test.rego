package clinimg.rules.access.production_test

import data.clinimg.rules.access.production

request(produced, images_produced) := {
	"type": "access_request",
	"event_id": "e-ar-1",
	"requester": {"id": "court-1", "kind": "court"},
	"legal_basis": "subpoena",
	"produced": produced,
	"images_produced": images_produced,
	"lifecycle": {"patient_image_ids": ["img-1", "img-2"]},
}

finding(message) := {
	"rule": "access.production",
	"message": message,
	"guide": "Case Study Four",
	"remedy": "Find every clinical image held for the patient (record, devices, messaging apps) and produce them with the rest of the record.",
}

test_fail_case_study_four_none_produced if {
	production.deny == {finding("The record was produced without these clinical images held for the patient: img-1, img-2.")} with input as request(true, [])
}

test_fail_one_left_out if {
	production.deny == {finding("The record was produced without these clinical images held for the patient: img-2.")} with input as request(true, ["img-1"])
}

test_fail_count_short if {
	production.deny == {finding("The record was produced with 1 of the 2 clinical images held for the patient.")} with input as request(true, 1)
}

test_fail_images_produced_missing if {
	production.deny == {finding("The record was produced without these clinical images held for the patient: img-1, img-2.")} with input as object.remove(request(true, []), ["images_produced"])
}

test_success_all_produced if {
	production.deny == set() with input as request(true, ["img-2", "img-1"])
}

test_success_count_complete if {
	production.deny == set() with input as request(true, 2)
}

test_success_not_produced if {
	production.deny == set() with input as request(false, [])
}

test_success_no_images_on_file if {
	inp := object.union(object.remove(request(true, []), ["lifecycle"]), {"lifecycle": {"patient_image_ids": []}})
	production.deny == set() with input as inp
}

test_fail_images_produced_null if {
	# null is no count and no list: a missing answer never satisfies the request.
	count(production.deny) == 1 with input as {
		"type": "access_request", "produced": true, "images_produced": null,
		"lifecycle": {"patient_image_ids": ["img-1"]},
	}
}

test_fail_images_produced_false if {
	production.deny == {finding("The record was produced without these clinical images held for the patient: img-1, img-2.")} with input as request(true, false)
}

test_success_images_produced_true if {
	production.deny == set() with input as request(true, true)
}
