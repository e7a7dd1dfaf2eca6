package clinimg.rules.consent.substitute_decision_maker_test

import data.clinimg.rules.consent.substitute_decision_maker

consent(by) := {
	"status": "granted", "given_by": by, "purposes": ["clinical_care"],
	"documented_in_record": true, "written_form": false,
}

capture(capacity, by) := {
	"type": "capture",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 70, "capacity": capacity},
	"image": {"id": "img-1"},
	"purposes": ["clinical_care"],
	"consents": [consent(by)],
}

finding := {
	"rule": "consent.substitute_decision_maker",
	"message": "The patient lacks decision-making capacity, so the consent for clinical_care is not valid: it must come from their substitute decision-maker, or from the patient while they could decide.",
	"guide": "Adults with impaired capacity",
	"remedy": "Obtain consent from the patient's substitute decision-maker, and document it; if the incapacity is temporary and nothing is urgent, wait until the patient can decide.",
}

test_fail_impaired_patient_consented if {
	substitute_decision_maker.deny == {finding} with input as capture("impaired", "patient")
}

test_fail_temporarily_impaired_patient_consented_while_impaired if {
	substitute_decision_maker.deny == {finding} with input as object.union(capture("impaired_temporary", "patient"), {"consents": [object.union(consent("patient"), {"capacity_at_consent": "impaired_temporary"})]})
}

test_fail_parent_is_not_the_decision_maker if {
	substitute_decision_maker.deny == {finding} with input as capture("impaired", "parent_guardian")
}

test_fail_disclosure_relying_on_it if {
	substitute_decision_maker.deny == {finding} with input as object.union(capture("impaired", "patient"), {
		"type": "disclosure", "purpose": "clinical_care", "legal_basis": "none",
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
	})
}

test_success_consent_given_while_competent if {
	# Consent the patient gave while they had capacity stays valid while they lack it later.
	substitute_decision_maker.deny == set() with input as object.union(capture("impaired", "patient"), {"consents": [object.union(consent("patient"), {"capacity_at_consent": "full"})]})
}

test_success_own_consent_before_temporary_incapacity if {
	# Anaesthetised now: their own consent was given before (Case Study Three).
	substitute_decision_maker.deny == set() with input as capture("impaired_temporary", "patient")
}

test_success_decision_maker_and_patient_both_consented if {
	substitute_decision_maker.deny == set() with input as object.union(capture("impaired", "patient"), {"consents": [consent("patient"), consent("substitute_decision_maker")]})
}

test_success_disclosure_on_a_legal_basis if {
	substitute_decision_maker.deny == set() with input as object.union(capture("impaired", "patient"), {
		"type": "disclosure", "purpose": "legal_proceedings", "legal_basis": "subpoena",
		"recipient": {"id": "court-1", "kind": "court"},
	})
}

test_success_substitute_consented if {
	substitute_decision_maker.deny == set() with input as capture("impaired", "substitute_decision_maker")
}

test_success_full_capacity if {
	substitute_decision_maker.deny == set() with input as capture("full", "patient")
}

test_success_unknown_capacity_is_not_lacking if {
	substitute_decision_maker.deny == set() with input as capture("unknown", "patient")
}

test_success_child_left_to_children_rules if {
	substitute_decision_maker.deny == set() with input as object.union(capture("impaired", "patient"), {"patient": {"age_years": 12}})
}
