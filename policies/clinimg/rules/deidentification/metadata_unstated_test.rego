package clinimg.rules.deidentification.metadata_unstated_test

import data.clinimg.rules.deidentification.metadata_unstated

# Declared de-identified, features removed, nothing said about the file's metadata.
disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 40, "capacity": "full"},
	"image": {"id": "img-1", "deidentified": true, "identifiable": false, "identifying_features": []},
	"purpose": "teaching",
	"recipient": {"id": "st-1", "kind": "student"},
	"channel": "in_person_display",
}

finding(what) := {
	"rule": "deidentification.metadata_unstated",
	"message": concat("", [
		what, ", but nothing says whether its file still carries metadata that can identify the patient ",
		"(image.metadata_present is not given): removing faces and tattoos leaves the time, device and GPS location of capture in the file.",
	]),
	"guide": "De-identification of clinical images",
	"remedy": "Strip the image's metadata (time/date, device, GPS location) and say so (image.metadata_present: []), or let clinimg read the file (clinimg check --image FILE), before using it as de-identified — or obtain the patient's consent to identifiable use.",
}

test_fail_declared_deidentified_metadata_unstated if {
	metadata_unstated.escalate == {finding("The image is used as de-identified for teaching")} with input as disclosure
}

test_fail_metadata_null if {
	metadata_unstated.escalate == {finding("The image is used as de-identified for teaching")} with input as object.union(disclosure, {"image": {"metadata_present": null}})
}

# Clinical care needs no de-identification, whatever the flag says.
test_success_declared_deidentified_for_clinical_care if {
	metadata_unstated.escalate == set() with input as object.union(disclosure, {
		"purpose": "clinical_care",
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
	})
}

# Not flagged de-identified, but taught without consent to identifiable use: it must be.
test_fail_teaching_without_identifiable_use_consent if {
	metadata_unstated.escalate == {finding("The image is to be used for teaching without consent to identifiable use, so it must be de-identified")} with input as object.union(disclosure, {"image": {"deidentified": false}})
}

test_fail_research_without_any_consent if {
	metadata_unstated.escalate == {finding("The image is to be used for research without consent to identifiable use, so it must be de-identified")} with input as object.union(disclosure, {
		"purpose": "research",
		"recipient": {"id": "res-1", "kind": "researcher"},
		"image": {"deidentified": false},
	})
}

test_fail_publication_declared_deidentified if {
	metadata_unstated.escalate == {finding("The image is used as de-identified for publication")} with input as object.union(disclosure, {
		"purpose": "publication",
		"recipient": {"id": "journal-1", "kind": "publisher"},
		"channel": "publication",
		"consents": [{"status": "granted", "given_by": "patient", "purposes": ["publication"], "identifiable_use": false, "documented_in_record": true}],
	})
}

test_success_metadata_stated_empty if {
	metadata_unstated.escalate == set() with input as object.union(disclosure, {"image": {"metadata_present": []}})
}

# Known to be there: deidentification.metadata denies; this rule has nothing to add.
test_success_metadata_stated_present if {
	metadata_unstated.escalate == set() with input as object.union(disclosure, {"image": {"metadata_present": ["gps"]}})
}

test_success_consent_to_identifiable_use if {
	metadata_unstated.escalate == set() with input as object.union(disclosure, {
		"image": {"deidentified": false},
		"consents": [{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "identifiable_use": true, "documented_in_record": true}],
	})
}

test_success_clinical_care_not_deidentified if {
	metadata_unstated.escalate == set() with input as object.union(disclosure, {
		"purpose": "clinical_care",
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
		"image": {"deidentified": false},
	})
}

test_success_not_a_disclosure if {
	metadata_unstated.escalate == set() with input as object.union(disclosure, {"type": "capture", "purposes": ["teaching"]})
}
