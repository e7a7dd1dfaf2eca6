package clinimg.rules.deidentification.metadata_claim_test

import data.clinimg.rules.deidentification.metadata_claim

capture := {
	"type": "capture",
	"event_id": "e-1",
	"image": {"id": "img-1", "metadata_present": ["gps", "timestamp", "device_model"], "metadata_claimed": ["timestamp"]},
	"purposes": ["clinical_care"],
}

finding(what) := {
	"rule": "deidentification.metadata_claim",
	"message": concat("", ["The image file holds identifying metadata the request did not declare (", what, ")."]),
	"guide": "De-identification of clinical images",
	"remedy": "Check what the image file really carries (clinimg inspect) and strip it (clinimg deidentify) or declare it in the request.",
}

test_fail_gps_and_device_not_claimed if {
	metadata_claim.warn == {finding("device_model, gps")} with input as capture
}

test_fail_nothing_claimed if {
	metadata_claim.warn == {{
		"rule": "deidentification.metadata_claim",
		"message": "The image file holds identifying metadata the request did not declare (serial_number, thumbnail).",
		"guide": "De-identification of clinical images",
		"remedy": "Check what the image file really carries (clinimg inspect) and strip it (clinimg deidentify) or declare it in the request.",
	}} with input as {
		"type": "disclosure",
		"image": {"id": "img-1", "deidentified": true, "metadata_present": ["thumbnail", "serial_number"], "metadata_claimed": []},
	}
}

test_success_all_claimed if {
	metadata_claim.warn == set() with input as object.union(capture, {"image": {"id": "img-1", "metadata_present": ["gps"], "metadata_claimed": ["gps", "timestamp"]}})
}

test_success_file_clean if {
	metadata_claim.warn == set() with input as object.union(capture, {"image": {"id": "img-1", "metadata_present": [], "metadata_claimed": ["gps"]}})
}

test_success_file_not_read if {
	metadata_claim.warn == set() with input as object.union(object.remove(capture, ["image"]), {"image": {"id": "img-1", "metadata_present": ["gps"]}})
}

test_success_no_image if {
	metadata_claim.warn == set() with input as {"type": "consent", "event_id": "e-2"}
}
