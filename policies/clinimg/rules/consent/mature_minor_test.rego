package clinimg.rules.consent.mature_minor_test

import data.clinimg.rules.consent.mature_minor

consent(by) := {
	"status": "granted", "given_by": by, "purposes": ["clinical_care"],
	"documented_in_record": true, "written_form": false,
}

capture(patient, consents) := {
	"type": "capture",
	"event_id": "e-1",
	"patient": patient,
	"image": {"id": "img-1"},
	"purposes": ["clinical_care"],
	"consents": consents,
}

mature := {"id": "pt-3", "age_years": 16, "capacity": "full", "mature_minor_assessed": true}

test_fail_parent_only if {
	mature_minor.deny == {{
		"rule": "consent.mature_minor",
		"message": "The patient has been assessed as mature enough to consent, but the consent for clinical_care came from someone else, not from the young person.",
		"guide": "Children",
		"remedy": "Obtain consent from the young person themselves, document it, and encourage input from their parents.",
	}} with input as capture(mature, [consent("parent_guardian")])
}

test_success_young_person_consented if {
	mature_minor.deny == set() with input as capture(mature, [consent("patient")])
}

test_success_both_consented if {
	mature_minor.deny == set() with input as capture(mature, [consent("patient"), consent("parent_guardian")])
}

test_success_not_assessed_mature if {
	mature_minor.deny == set() with input as capture(object.remove(mature, ["mature_minor_assessed"]), [consent("parent_guardian")])
}

test_success_no_consent_relied_on if {
	mature_minor.deny == set() with input as capture(mature, [])
}

# Given at 15 before the assessment: not the young person's to give then.
test_fail_own_consent_given_before_the_assessment if {
	mature_minor.deny == {{
		"rule": "consent.mature_minor",
		"message": "The patient has been assessed as mature enough to consent, but the consent for clinical_care was given before the young person was assessed as mature enough to consent.",
		"guide": "Children",
		"remedy": "Obtain consent from the young person themselves, document it, and encourage input from their parents.",
	}} with input as capture(mature, [object.union(consent("patient"), {"age_at_consent": 15, "maturity_at_consent": "not_assessed"})])
}

test_success_own_consent_given_once_assessed if {
	mature_minor.deny == set() with input as capture(mature, [object.union(consent("patient"), {"age_at_consent": 16, "maturity_at_consent": "mature"})])
}
