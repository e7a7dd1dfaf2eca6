package clinimg.rules.quality.diagnostic_test

import data.clinimg.rules.quality.diagnostic

capture := {
	"type": "capture",
	"event_id": "e-1",
	"image": {"id": "img-1", "subject": "pathology_report", "resolution_mp": 1.2},
	"purposes": ["clinical_care"],
}

finding := {
	"rule": "quality.diagnostic",
	"message": "This image of a diagnostic image or pathology report is below the hospital's minimum resolution: it may not be reliable for diagnosis or treatment.",
	"guide": "Image quality",
	"remedy": "Use a device or method that gives enough resolution and accurate colour, or obtain the original diagnostic image or report.",
}

test_fail_low_resolution_report if {
	diagnostic.warn == {finding} with input as capture
}

test_fail_low_resolution_diagnostic_image_disclosed if {
	diagnostic.warn == {finding} with input as object.union(capture, {
		"type": "disclosure",
		"image": {"id": "img-1", "subject": "diagnostic_image", "resolution_mp": 1},
	})
}

test_fail_hospital_threshold if {
	diagnostic.warn == {finding} with input as object.union(capture, {"image": {"id": "img-1", "subject": "diagnostic_image", "resolution_mp": 4}})
		with data.clinimg.config as {"quality": {"min_resolution_mp": 8}}
}

test_success_enough_resolution if {
	diagnostic.warn == set() with input as object.union(capture, {"image": {"id": "img-1", "subject": "pathology_report", "resolution_mp": 2}})
}

test_success_hospital_threshold_lower if {
	diagnostic.warn == set() with input as capture
		with data.clinimg.config as {"quality": {"min_resolution_mp": 1}}
}

test_success_resolution_unknown if {
	diagnostic.warn == set() with input as object.union(object.remove(capture, ["image"]), {"image": {"id": "img-1", "subject": "pathology_report"}})
}

test_success_not_diagnostic if {
	diagnostic.warn == set() with input as object.union(capture, {"image": {"id": "img-1", "subject": "wound", "resolution_mp": 0.5}})
}

test_success_not_capture_or_disclosure if {
	diagnostic.warn == set() with input as object.union(capture, {"type": "record_transfer"})
}
