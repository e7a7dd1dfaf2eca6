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
	"message": "The patient lacks decision-making capacity, so the consent for clinical_care, given by the patient, is not valid.",
	"guide": "Adults with impaired capacity",
	"remedy": "Obtain consent from the patient's substitute decision-maker, and document it; if the incapacity is temporary and nothing is urgent, wait until the patient can decide.",
}

test_fail_impaired_patient_consented if {
	substitute_decision_maker.deny == {finding} with input as capture("impaired", "patient")
}

test_fail_temporarily_impaired_patient_consented if {
	substitute_decision_maker.deny == {finding} with input as capture("impaired_temporary", "patient")
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
