package clinimg.rules.disclosure.notify_patient_test

import data.clinimg.rules.disclosure.notify_patient

# Taken for teaching; later sent to a consulted colleague for advice on the patient's care.
disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"image": {"id": "img-1", "purposes": ["teaching"]},
	"purpose": "clinical_care",
	"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted", "within_facility": true},
	"channel": "hospital_secure_app",
	"legal_basis": "none",
	"consents": [{"status": "granted", "purposes": ["teaching"]}],
}

obligation := {
	"id": "disclosure.notify_patient",
	"text": "The image is shared for the patient's care without specific consent: tell the patient it may be shared this way, and note it in the health record.",
}

test_fail_secondary_purpose if {
	notify_patient.obligation == {obligation} with input as disclosure
}

test_fail_patient_access if {
	notify_patient.obligation == {obligation} with input as object.union(disclosure, {
		"purpose": "patient_access",
		"recipient": {"id": "pt-1", "kind": "patient"},
	})
}

test_success_primary_purpose if {
	notify_patient.obligation == set() with input as object.union(disclosure, {"image": {"id": "img-1", "purposes": ["clinical_care"]}})
}

test_success_consent if {
	notify_patient.obligation == set() with input as object.union(disclosure, {"purpose": "teaching", "recipient": {"id": "st-1", "kind": "student"}})
}
