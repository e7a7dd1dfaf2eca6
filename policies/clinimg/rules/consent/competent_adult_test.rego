package clinimg.rules.consent.competent_adult_test

import data.clinimg.rules.consent.competent_adult

consent(by) := {
	"status": "granted", "given_by": by, "purposes": ["clinical_care"],
	"documented_in_record": true, "written_form": false,
}

capture(capacity, consents) := {
	"type": "capture",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 45, "capacity": capacity},
	"image": {"id": "img-1"},
	"purposes": ["clinical_care"],
	"consents": consents,
}

finding := {
	"rule": "consent.competent_adult",
	"message": "The patient can decide for themselves, so the consent for clinical_care, not given by the patient while able to decide, is not valid.",
	"guide": "Obtaining consent to collect a clinical image",
	"remedy": "Ask the patient for their own consent, explaining the purpose, use, who will see the image and how it is stored, and document it; a substitute decision-maker decides only while the patient lacks capacity.",
}

test_fail_decision_maker_for_a_competent_adult if {
	competent_adult.deny == {finding} with input as capture("full", [consent("substitute_decision_maker")])
}

test_fail_parent_for_an_adult if {
	competent_adult.deny == {finding} with input as capture("unknown", [consent("parent_guardian")])
}

test_fail_given_while_impaired_now_competent if {
	competent_adult.deny == {finding} with input as capture("full", [object.union(consent("patient"), {"capacity_at_consent": "impaired"})])
}

test_fail_disclosure_relying_on_it if {
	competent_adult.deny == {finding} with input as object.union(capture("full", [consent("substitute_decision_maker")]), {
		"type": "disclosure", "purpose": "clinical_care", "legal_basis": "none",
		"image": {"id": "img-1", "purposes": ["clinical_care"]},
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
	})
}

test_success_own_consent if {
	competent_adult.deny == set() with input as capture("full", [consent("patient")])
}

test_success_own_consent_beside_a_decision_maker if {
	competent_adult.deny == set() with input as capture("full", [consent("substitute_decision_maker"), consent("patient")])
}

test_success_patient_lacks_capacity if {
	competent_adult.deny == set() with input as capture("impaired", [consent("substitute_decision_maker")])
}

test_success_child if {
	competent_adult.deny == set() with input as object.union(capture("full", [consent("parent_guardian")]), {"patient": {"age_years": 9}})
}

test_success_legal_basis_disclosure if {
	competent_adult.deny == set() with input as object.union(capture("full", [object.union(consent("substitute_decision_maker"), {"purposes": ["legal_proceedings"]})]), {
		"type": "disclosure", "purpose": "legal_proceedings", "legal_basis": "court_order",
		"recipient": {"id": "court-1", "kind": "court"},
	})
}

# A consent the patient gave at 15, never assessed as mature, was never valid: turning 18 since
# does not make it so (the audit states the age and maturity at consent).
test_fail_given_as_unassessed_child_now_adult if {
	competent_adult.deny == {finding} with input as capture("full", [object.union(consent("patient"), {"age_at_consent": 15, "capacity_at_consent": "full"})])
}

test_fail_given_as_child_assessed_not_mature_now_adult if {
	competent_adult.deny == {finding} with input as capture("full", [object.union(consent("patient"), {"age_at_consent": 17, "maturity_at_consent": "not_mature"})])
}

test_success_given_as_mature_minor_now_adult if {
	competent_adult.deny == set() with input as capture("full", [object.union(consent("patient"), {"age_at_consent": 16, "maturity_at_consent": "mature", "capacity_at_consent": "full"})])
}

test_success_given_at_18 if {
	competent_adult.deny == set() with input as capture("full", [object.union(consent("patient"), {"age_at_consent": 18})])
}

# qa8: a consent that was valid when given (a decision-maker's while the patient lacked capacity,
# a parent's while they were a child) lapses once the patient can decide: later uses that need
# consent need the patient's own, but clinical care by those caring for them needs none.
care_to_consulted(consents) := object.union(capture("full", consents), {
	"type": "disclosure", "purpose": "clinical_care", "legal_basis": "none",
	"image": {"id": "img-1", "purposes": ["clinical_care"]},
	"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
})

lapsed_decision_maker := object.union(consent("substitute_decision_maker"), {"capacity_at_consent": "impaired_temporary"})

test_success_lapsed_decision_maker_consent_and_care_sharing if {
	competent_adult.deny == set() with input as care_to_consulted([lapsed_decision_maker])
}

test_success_lapsed_parent_consent_and_care_sharing if {
	competent_adult.deny == set() with input as care_to_consulted([object.union(consent("parent_guardian"), {"age_at_consent": 12})])
}

test_fail_lapsed_decision_maker_consent_for_a_new_capture if {
	competent_adult.deny == {finding} with input as capture("full", [lapsed_decision_maker])
}

test_fail_lapsed_decision_maker_consent_for_teaching if {
	competent_adult.deny == {object.union(finding, {"message": "The patient can decide for themselves, so the consent for clinical_care, teaching, not given by the patient while able to decide, is not valid."})} with input as object.union(care_to_consulted([object.union(lapsed_decision_maker, {"purposes": ["clinical_care", "teaching"]})]), {
		"purpose": "teaching", "recipient": {"id": "st-1", "kind": "student", "relationship": "none"},
	})
}

test_fail_parent_consent_given_to_an_adult_and_care_sharing if {
	# Given when the patient was already an adult: never valid, so it still counts against the disclosure.
	competent_adult.deny == {finding} with input as care_to_consulted([object.union(consent("parent_guardian"), {"age_at_consent": 30})])
}

test_fail_decision_maker_consent_given_while_competent_and_care_sharing if {
	competent_adult.deny == {finding} with input as care_to_consulted([object.union(consent("substitute_decision_maker"), {"capacity_at_consent": "full"})])
}

test_fail_own_consent_given_while_impaired_and_care_sharing if {
	# Never valid (the patient could not consent then): not a lapsed consent.
	competent_adult.deny == {finding} with input as care_to_consulted([object.union(consent("patient"), {"capacity_at_consent": "impaired"})])
}

test_success_lapsed_consent_of_a_decision_maker_for_lasting_incapacity if {
	competent_adult.deny == set() with input as care_to_consulted([object.union(consent("substitute_decision_maker"), {"capacity_at_consent": "impaired"})])
}

test_fail_own_consent_given_unassessed_at_15_and_care_sharing_at_18 if {
	competent_adult.deny == {finding} with input as care_to_consulted([object.union(consent("patient"), {"age_at_consent": 15, "maturity_at_consent": "not_assessed"})])
}
