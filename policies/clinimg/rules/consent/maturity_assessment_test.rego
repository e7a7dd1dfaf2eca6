package clinimg.rules.consent.maturity_assessment_test

import data.clinimg.rules.consent.maturity_assessment

parent(purposes) := {"status": "granted", "given_by": "parent_guardian", "purposes": purposes, "documented_in_record": true}

capture := {
	"type": "capture",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 16, "capacity": "full"},
	"image": {"id": "img-1", "identifiable": false, "identifying_features": []},
	"purposes": ["clinical_care"],
	"circumstances": {"urgent": false},
	"consents": [parent(["clinical_care"])],
}

finding(purpose) := {
	"rule": "consent.maturity_assessment",
	"message": concat("", ["The image for ", purpose, " rests on a parent's, guardian's or decision-maker's consent, but this young person's maturity to consent for themselves has not been assessed."]),
	"guide": "Children",
	"remedy": "Assess whether the young person is mature enough to understand fully the purpose of the image and record the assessment; if they are, obtain and document their own consent (and encourage their parents' input); if unsure, seek advice from hospital administration.",
}

teaching := {
	"type": "disclosure",
	"event_id": "e-2",
	"patient": {"id": "pt-1", "age_years": 17, "capacity": "full"},
	"image": {"id": "img-1", "identifiable": false, "identifying_features": [], "purposes": ["clinical_care", "teaching"]},
	"purpose": "teaching",
	"recipient": {"id": "st-1", "kind": "student", "relationship": "none", "within_facility": true},
	"channel": "in_person_display",
	"legal_basis": "none",
	"consents": [parent(["clinical_care", "teaching"])],
}

test_fail_capture_on_a_parents_consent_at_16 if {
	maturity_assessment.escalate == {finding("clinical_care")} with input as capture
}

test_fail_mature_minor_assessed_false_is_no_assessment if {
	maturity_assessment.escalate == {finding("clinical_care")} with input as object.union(capture, {"patient": {"mature_minor_assessed": false}})
}

test_fail_teaching_at_17 if {
	maturity_assessment.escalate == {finding("teaching")} with input as teaching
}

test_fail_the_hospitals_age if {
	maturity_assessment.escalate == {finding("clinical_care")} with input as object.union(capture, {"patient": {"age_years": 14}})
		with data.clinimg.config as {"maturity_assessment_age": 14}
}

test_success_under_the_age if {
	maturity_assessment.escalate == set() with input as object.union(capture, {"patient": {"age_years": 15}})
}

test_success_assessed_not_mature if {
	maturity_assessment.escalate == set() with input as object.union(capture, {"patient": {"maturity_assessment": "not_mature"}})
}

test_success_assessed_mature_is_another_rules if {
	maturity_assessment.escalate == set() with input as object.union(capture, {"patient": {"mature_minor_assessed": true}})
}

test_success_lacking_capacity if {
	maturity_assessment.escalate == set() with input as object.union(capture, {"patient": {"capacity": "impaired"}})
}

test_success_urgent if {
	maturity_assessment.escalate == set() with input as object.union(capture, {"circumstances": {"urgent": true}})
}

test_success_an_adult if {
	maturity_assessment.escalate == set() with input as object.union(capture, {"patient": {"age_years": 18}})
}

test_success_sharing_for_care_needs_no_consent if {
	# (A stray capture-style `purposes` on the disclosure changes nothing.)
	maturity_assessment.escalate == set() with input as object.union(teaching, {
		"purposes": ["clinical_care"],
		"purpose": "clinical_care",
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted", "within_facility": true},
	})
}

test_success_legal_basis if {
	maturity_assessment.escalate == set() with input as object.union(teaching, {
		"purpose": "legal_proceedings",
		"recipient": {"id": "c-1", "kind": "court", "relationship": "none", "within_facility": false},
		"legal_basis": "subpoena",
	})
}

to_parent := {
	"rule": "consent.maturity_assessment",
	"message": "The image or record goes to the young person's parent or representative, but whether the young person is mature enough to decide who sees it has not been assessed.",
	"guide": "Children",
	"remedy": "Assess whether the young person is mature enough to understand fully the purpose of the image and record the assessment; if they are, obtain and document their own consent (and encourage their parents' input); if unsure, seek advice from hospital administration.",
}

test_fail_shown_to_the_parent_as_care if {
	maturity_assessment.escalate == {to_parent} with input as object.union(teaching, {
		"purpose": "clinical_care",
		"recipient": {"id": "mum-1", "kind": "patient_representative", "relationship": "none", "within_facility": false},
		"consents": [],
	})
}

test_fail_record_produced_to_the_parent if {
	maturity_assessment.escalate == {to_parent} with input as {
		"type": "access_request",
		"patient": {"id": "pt-1", "age_years": 16, "capacity": "full"},
		"requester": {"id": "mum-1", "kind": "patient_representative"},
		"legal_basis": "none",
		"produced": true,
	}
}

test_success_record_produced_to_the_parent_of_a_younger_child if {
	maturity_assessment.escalate == set() with input as {
		"type": "access_request",
		"patient": {"id": "pt-1", "age_years": 12, "capacity": "full"},
		"requester": {"id": "mum-1", "kind": "patient_representative"},
		"legal_basis": "none",
		"produced": true,
	}
}

test_success_record_produced_to_the_young_person if {
	maturity_assessment.escalate == set() with input as {
		"type": "access_request",
		"patient": {"id": "pt-1", "age_years": 16, "capacity": "full"},
		"requester": {"id": "pt-1", "kind": "patient"},
		"legal_basis": "none",
		"produced": true,
	}
}

test_fail_no_circumstances_stated if {
	maturity_assessment.escalate == {finding("clinical_care")} with input as object.remove(capture, ["circumstances"])
}

test_fail_teaching_on_consent_alone if {
	# Not what the image was taken for: the basis is the consent, not the primary purpose.
	maturity_assessment.escalate == {finding("teaching")} with input as object.union(teaching, {"image": {"purposes": ["clinical_care"]}})
}

test_success_an_urgent_capture_with_a_stray_purpose if {
	maturity_assessment.escalate == set() with input as object.union(capture, {"circumstances": {"urgent": true}, "purpose": "clinical_care"})
}

test_success_a_use_nothing_allows_is_other_rules if {
	maturity_assessment.escalate == set() with input as object.union(teaching, {"recipient": {"id": "f-1", "kind": "family", "relationship": "none", "within_facility": false}})
}

test_success_care_shared_with_a_consulted_clinician_without_consent if {
	maturity_assessment.escalate == set() with input as object.union(teaching, {
		"purpose": "clinical_care",
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted", "within_facility": true},
		"consents": [],
	})
}

test_success_shown_to_the_parent_over_a_refusal_is_other_rules if {
	maturity_assessment.escalate == set() with input as object.union(teaching, {
		"purpose": "clinical_care",
		"recipient": {"id": "mum-1", "kind": "patient_representative", "relationship": "none", "within_facility": false},
		"consents": [{"status": "refused", "given_by": "parent_guardian", "purposes": ["clinical_care"], "documented_in_record": true}],
	})
}

test_success_shown_to_the_parent_of_a_young_person_lacking_capacity if {
	maturity_assessment.escalate == set() with input as object.union(teaching, {
		"patient": {"capacity": "impaired"},
		"purpose": "clinical_care",
		"recipient": {"id": "mum-1", "kind": "patient_representative", "relationship": "none", "within_facility": false},
		"consents": [],
	})
}

test_success_record_produced_to_the_parent_on_a_court_order if {
	maturity_assessment.escalate == set() with input as {
		"type": "access_request",
		"patient": {"id": "pt-1", "age_years": 16, "capacity": "full"},
		"requester": {"id": "mum-1", "kind": "patient_representative"},
		"legal_basis": "court_order",
		"produced": true,
	}
}

test_success_a_requester_on_another_event_type if {
	maturity_assessment.escalate == set() with input as object.union(teaching, {
		"purpose": "clinical_care",
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted", "within_facility": true},
		"requester": {"id": "mum-1", "kind": "patient_representative"},
		"consents": [],
	})
}
