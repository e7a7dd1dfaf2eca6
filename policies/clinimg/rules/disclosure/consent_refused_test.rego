package clinimg.rules.disclosure.consent_refused_test

import data.clinimg.rules.disclosure.consent_refused

grant := {"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "documented_in_record": true}

refusal(purposes) := {"status": "refused", "given_by": "patient", "purposes": purposes, "documented_in_record": true}

disclosure(consents) := {
	"type": "disclosure",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 50, "capacity": "full"},
	"image": {"id": "img-1", "purposes": ["clinical_care"]},
	"purpose": "clinical_care",
	"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
	"channel": "hospital_secure_app",
	"legal_basis": "none",
	"consents": consents,
}

finding(purpose) := {
	"rule": "disclosure.consent_refused",
	"message": concat("", ["The patient refused consent to the use of this image for ", purpose, ": it may not be used or disclosed for that purpose."]),
	"guide": "Right to refuse consent",
	"remedy": "Do not use or disclose the image for this purpose; if you believe the law requires the disclosure, seek advice from hospital management or your medical defence organisation first.",
}

test_fail_refusal_binds_the_primary_purpose if {
	consent_refused.deny == {finding("clinical_care")} with input as disclosure([grant, refusal(["clinical_care"])])
}

test_fail_refusal_binds_care_the_patient_would_otherwise_expect if {
	consent_refused.deny == {finding("clinical_care")} with input as disclosure([refusal([])])
}

test_fail_refusal_for_this_image if {
	consent_refused.deny == {finding("clinical_care")} with input as disclosure([object.union(refusal([]), {"image_ids": ["img-1"]})])
}

test_success_refusal_for_another_image if {
	consent_refused.deny == set() with input as disclosure([object.union(refusal([]), {"image_ids": ["img-2"]})])
}

test_success_refusal_for_another_purpose if {
	consent_refused.deny == set() with input as disclosure([grant, refusal(["teaching"])])
}

test_success_legal_basis_escalates_instead if {
	consent_refused.deny == set() with input as object.union(disclosure([refusal([])]), {"legal_basis": "court_order"})
}

test_success_not_a_disclosure if {
	consent_refused.deny == set() with input as object.union(disclosure([refusal([])]), {"type": "capture"})
}

test_success_blanket_refusal_leaves_the_patients_own_access if {
	consent_refused.deny == set() with input as object.union(disclosure([refusal([])]), {
		"purpose": "patient_access",
		"recipient": {"id": "pt-1", "kind": "patient"},
	})
}

test_fail_refusal_naming_patient_access if {
	consent_refused.deny == {finding("patient_access")} with input as object.union(disclosure([refusal(["patient_access"])]), {
		"purpose": "patient_access",
		"recipient": {"id": "pt-1", "kind": "patient"},
	})
}

test_success_decision_makers_refusal_for_a_competent_adult if {
	consent_refused.deny == set() with input as disclosure([grant, object.union(refusal(["clinical_care"]), {"given_by": "substitute_decision_maker"})])
}
