package clinimg.rules.deidentification.rare_condition_test

import data.clinimg.rules.deidentification.rare_condition

disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"image": {"id": "img-1", "deidentified": true, "identifiable": false, "identifying_features": [], "rare_condition": true},
	"purpose": "publication",
	"recipient": {"id": "journal-1", "kind": "publisher"},
	"channel": "publication",
}

finding := {
	"rule": "deidentification.rare_condition",
	"message": "The condition shown is rare: even with identifiers removed, the patient may be recognisable from this image.",
	"guide": "De-identification of clinical images",
	"remedy": "Seek advice before using the image as de-identified, or obtain the patient's consent to identifiable use.",
}

test_fail_rare_condition if {
	rare_condition.escalate == {finding} with input as disclosure
}

test_success_common_condition if {
	rare_condition.escalate == set() with input as object.union(disclosure, {"image": {"id": "img-1", "deidentified": true, "rare_condition": false}})
}

test_success_not_used_as_deidentified if {
	rare_condition.escalate == set() with input as object.union(disclosure, {"image": {"id": "img-1", "deidentified": false, "rare_condition": true}})
}

test_success_not_a_disclosure if {
	rare_condition.escalate == set() with input as object.union(disclosure, {"type": "capture"})
}
