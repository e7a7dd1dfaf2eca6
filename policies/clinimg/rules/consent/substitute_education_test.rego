package clinimg.rules.consent.substitute_education_test

import data.clinimg.rules.consent.substitute_education

sdm(purposes) := {"status": "granted", "given_by": "substitute_decision_maker", "purposes": purposes, "documented_in_record": true}

capture := {
	"type": "capture",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 80, "capacity": "impaired"},
	"image": {"id": "img-1"},
	"purposes": ["clinical_care", "teaching"],
	"consents": [sdm(["clinical_care", "teaching"])],
}

finding(purpose) := {
	"rule": "consent.substitute_education",
	"message": concat("", ["This use for ", purpose, " of an adult who lacks capacity rests on a substitute decision-maker's consent, not the patient's own: seek advice first."]),
	"guide": "Adults with impaired capacity",
	"remedy": "Seek advice from hospital administration or your medical defence organisation on whether the decision-maker may consent to this use, and follow any research or ethics approval it needs; de-identify the image where possible.",
}

test_fail_capture_for_teaching if {
	substitute_education.escalate == {finding("teaching")} with input as capture
}

test_fail_disclosure_for_research if {
	substitute_education.escalate == {finding("research")} with input as {
		"type": "disclosure",
		"patient": capture.patient,
		"image": {"id": "img-1", "purposes": ["clinical_care"]},
		"purpose": "research",
		"recipient": {"id": "r-1", "kind": "researcher", "relationship": "none"},
		"legal_basis": "none",
		"consents": [sdm(["clinical_care", "research"])],
	}
}

test_success_clinical_care_only if {
	substitute_education.escalate == set() with input as object.union(capture, {"purposes": ["clinical_care"]})
}

test_success_the_patients_own_consent_given_while_competent if {
	substitute_education.escalate == set() with input as object.union(capture, {"consents": [{"status": "granted", "given_by": "patient", "capacity_at_consent": "full", "purposes": ["clinical_care", "teaching"]}]})
}

test_success_temporary_incapacity_is_wait_for_capacity if {
	substitute_education.escalate == set() with input as object.union(capture, {"patient": {"capacity": "impaired_temporary"}})
}

test_success_a_child_whose_parents_consent if {
	substitute_education.escalate == set() with input as object.union(capture, {
		"patient": {"age_years": 9, "capacity": "impaired"},
		"consents": [object.union(sdm(["clinical_care", "teaching"]), {"given_by": "parent_guardian"})],
	})
}

test_success_no_consent_is_for_other_rules if {
	substitute_education.escalate == set() with input as object.union(capture, {"consents": []})
}
