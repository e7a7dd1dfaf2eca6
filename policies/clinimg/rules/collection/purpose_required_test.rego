package clinimg.rules.collection.purpose_required_test

import data.clinimg.rules.collection.purpose_required

capture := {
	"type": "capture",
	"event_id": "e-1",
	"purposes": ["clinical_care"],
}

test_fail_no_purposes if {
	purpose_required.deny == {{
		"rule": "collection.purpose_required",
		"message": "The capture states no purpose: consider why the image is needed before taking it.",
		"guide": "Key points to remember",
		"remedy": "Decide why the image is needed (clinical care, teaching, research…), tell the patient, and record the purpose with the capture.",
	}} with input as object.union(capture, {"purposes": []})
}

test_fail_purposes_missing if {
	count(purpose_required.deny) == 1 with input as object.remove(capture, ["purposes"])
}

test_success_purpose_stated if {
	purpose_required.deny == set() with input as capture
}

test_success_not_a_capture if {
	purpose_required.deny == set() with input as {"type": "disclosure", "purposes": []}
}
