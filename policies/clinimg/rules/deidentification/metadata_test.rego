package clinimg.rules.deidentification.metadata_test

import data.clinimg.rules.deidentification.metadata

disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"image": {"id": "img-1", "deidentified": true, "identifiable": false, "identifying_features": [], "metadata_present": ["timestamp", "gps"]},
	"purpose": "teaching",
	"recipient": {"id": "st-1", "kind": "student"},
	"channel": "in_person_display",
}

finding(what) := {
	"rule": "deidentification.metadata",
	"message": concat("", ["The image is used as de-identified but still carries metadata that can identify the patient (", what, ")."]),
	"guide": "De-identification of clinical images",
	"remedy": "Strip the image's metadata (time/date, device, GPS location) before using it as de-identified.",
}

test_fail_gps_and_timestamp if {
	metadata.deny == {finding("gps, timestamp")} with input as disclosure
}

test_fail_message_names_gps if {
	metadata.deny == {{
		"rule": "deidentification.metadata",
		"message": "The image is used as de-identified but still carries metadata that can identify the patient (gps).",
		"guide": "De-identification of clinical images",
		"remedy": "Strip the image's metadata (time/date, device, GPS location) before using it as de-identified.",
	}} with input as object.union(disclosure, {"image": {"id": "img-1", "deidentified": true, "metadata_present": ["gps"]}})
}

test_success_metadata_stripped if {
	metadata.deny == set() with input as object.union(disclosure, {"image": {"id": "img-1", "deidentified": true, "metadata_present": []}})
}

test_success_metadata_field_missing if {
	metadata.deny == set() with input as object.union(object.remove(disclosure, ["image"]), {"image": {"id": "img-1", "deidentified": true}})
}

test_fail_teaching_without_identifiable_use_consent if {
	metadata.deny == {{
		"rule": "deidentification.metadata",
		"message": "The image is to be used for teaching without consent to identifiable use, so it must be de-identified but still carries metadata that can identify the patient (gps).",
		"guide": "De-identification of clinical images",
		"remedy": "Strip the image's metadata (time/date, device, GPS location) before using it as de-identified.",
	}} with input as object.union(disclosure, {"image": {"id": "img-1", "deidentified": false, "metadata_present": ["gps"]}})
}

test_success_not_used_as_deidentified if {
	metadata.deny == set() with input as object.union(disclosure, {"purpose": "clinical_care", "image": {"id": "img-1", "deidentified": false, "metadata_present": ["gps"]}})
}

test_success_consent_to_identifiable_use if {
	consent := {
		"status": "granted", "given_by": "patient", "purposes": ["teaching"], "identifiable_use": true,
		"documented_in_record": true,
	}
	metadata.deny == set() with input as object.union(disclosure, {
		"patient": {"id": "pt-1", "age_years": 40, "capacity": "full"},
		"image": {"id": "img-1", "deidentified": false, "metadata_present": ["gps"]},
		"consents": [consent],
	})
}

test_success_not_a_disclosure if {
	metadata.deny == set() with input as object.union(disclosure, {"type": "capture"})
}
