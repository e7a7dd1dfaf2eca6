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

# Not used as de-identified: not flagged so, and published with the patient's consent to
# identifiable use. (Without that consent a publication is de-identified use whatever the flags.)
test_success_not_used_as_deidentified if {
	rare_condition.escalate == set() with input as object.union(disclosure, {
		"image": {"id": "img-1", "deidentified": false, "rare_condition": true},
		"consents": [{"status": "granted", "given_by": "patient", "publication": true, "identifiable_use": true}],
	})
}

test_fail_published_unflagged_without_identifiable_consent if {
	rare_condition.escalate == {finding} with input as object.union(disclosure, {"image": {"id": "img-1", "deidentified": false, "rare_condition": true}})
}

test_success_not_a_disclosure if {
	rare_condition.escalate == set() with input as object.union(disclosure, {"type": "capture"})
}

# Teaching without consent to identifiable use: the image is used as de-identified whatever its
# flags say, and a rare presentation may still identify the patient.
test_fail_rare_condition_taught_without_identifiable_consent if {
	rare_condition.escalate == {finding} with input as object.union(disclosure, {
		"purpose": "teaching",
		"recipient": {"id": "st-1", "kind": "student"},
		"image": {"id": "img-1", "deidentified": false, "identifiable": false, "rare_condition": true},
		"consents": [{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "identifiable_use": false}],
	})
}

test_success_rare_condition_with_identifiable_consent if {
	rare_condition.escalate == set() with input as object.union(disclosure, {
		"purpose": "teaching",
		"recipient": {"id": "st-1", "kind": "student"},
		"image": {"id": "img-1", "deidentified": false, "identifiable": false, "rare_condition": true},
		"consents": [{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "identifiable_use": true}],
	})
}

test_success_rare_condition_for_clinical_care if {
	rare_condition.escalate == set() with input as object.union(disclosure, {
		"purpose": "clinical_care",
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
		"image": {"id": "img-1", "deidentified": false, "identifiable": false, "rare_condition": true},
	})
}
