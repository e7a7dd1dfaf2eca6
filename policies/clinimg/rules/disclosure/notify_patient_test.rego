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
	"consents": [{"status": "granted", "given_by": "patient", "purposes": ["teaching"]}],
}

obligation := {
	"id": "disclosure.notify_patient",
	"text": "The image is shared for the patient's care without specific consent: tell the patient it may be shared this way, and note it in the health record.",
}

test_fail_secondary_purpose if {
	notify_patient.obligation == {obligation} with input as disclosure
}

test_fail_taken_for_care_without_consent_is_not_primary if {
	# Taken for clinical care, but the patient consented to teaching only: sharing for care is a
	# secondary purpose, and the patient must be told.
	notify_patient.obligation == {obligation} with input as object.union(disclosure, {"image": {"id": "img-1", "purposes": ["clinical_care"]}})
}

test_fail_told_of_sharing_for_another_image if {
	notify_patient.obligation == {obligation} with input as object.union(disclosure, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "image_ids": ["img-9"], "informed_of": ["sharing"]},
	]})
}

test_success_patient_own_copy if {
	notify_patient.obligation == set() with input as object.union(disclosure, {
		"purpose": "patient_access",
		"recipient": {"id": "pt-1", "kind": "patient"},
	})
}

test_success_representative_copy_for_care if {
	notify_patient.obligation == set() with input as object.union(disclosure, {"recipient": {"id": "rep-1", "kind": "patient_representative"}})
}

test_success_patient_told_of_sharing if {
	notify_patient.obligation == set() with input as object.union(disclosure, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "informed_of": ["purpose", "sharing"]},
	]})
}

test_success_primary_purpose if {
	notify_patient.obligation == set() with input as object.union(disclosure, {
		"image": {"id": "img-1", "purposes": ["clinical_care"]},
		"consents": [{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"]}],
	})
}

test_success_consent if {
	notify_patient.obligation == set() with input as object.union(disclosure, {"purpose": "teaching", "recipient": {"id": "st-1", "kind": "student"}})
}
