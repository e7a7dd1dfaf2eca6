package clinimg.rules.consent.child_guardian_test

import data.clinimg.rules.consent.child_guardian

consent(by) := {
	"status": "granted", "given_by": by, "purposes": ["clinical_care"],
	"documented_in_record": true, "written_form": false,
}

capture(patient, by) := {
	"type": "capture",
	"event_id": "e-1",
	"patient": patient,
	"image": {"id": "img-1"},
	"purposes": ["clinical_care"],
	"consents": [consent(by)],
}

child := {"id": "pt-2", "age_years": 6, "capacity": "full"}

test_fail_young_child_consented if {
	child_guardian.deny == {{
		"rule": "consent.child_guardian",
		"message": "The patient is a child who has not been assessed as mature enough to consent, so the consent for clinical_care must come from a parent or guardian.",
		"guide": "Children",
		"remedy": "Obtain consent from the child's parent or guardian and document it; if the child may be mature enough to consent, have that assessed and recorded first.",
	}} with input as capture(child, "patient")
}

test_fail_assessed_not_mature if {
	count(child_guardian.deny) == 1 with input as capture(object.union(child, {"age_years": 15, "mature_minor_assessed": false}), "patient")
}

test_success_parent_consented if {
	child_guardian.deny == set() with input as capture(child, "parent_guardian")
}

test_success_mature_minor_consented if {
	child_guardian.deny == set() with input as capture(object.union(child, {"age_years": 16, "mature_minor_assessed": true}), "patient")
}

test_success_adult if {
	child_guardian.deny == set() with input as capture(object.union(child, {"age_years": 18}), "patient")
}

not_mature_finding := {
	"rule": "consent.child_guardian",
	"message": "The patient is a child who has been assessed as not mature enough to consent, so the consent for clinical_care must come from a parent or guardian.",
	"guide": "Children",
	"remedy": "Obtain consent from the child's parent or guardian and document it; if the child may be mature enough to consent, have that assessed and recorded first.",
}

test_fail_assessed_as_not_mature if {
	child_guardian.deny == {not_mature_finding} with input as capture(object.union(child, {"age_years": 15, "maturity_assessment": "not_mature"}), "patient")
}

test_fail_not_mature_wins_over_a_stray_flag if {
	child_guardian.deny == {not_mature_finding} with input as capture(object.union(child, {"age_years": 15, "mature_minor_assessed": true, "maturity_assessment": "not_mature"}), "patient")
}

test_fail_later_disclosure_relying_on_the_childs_consent if {
	# A child's own consent without a maturity assessment covers no later use either.
	child_guardian.deny == {object.union(not_mature_finding, {"message": "The patient is a child who has not been assessed as mature enough to consent, so the consent for clinical_care must come from a parent or guardian."})} with input as object.union(capture(object.union(child, {"age_years": 15}), "patient"), {
		"type": "disclosure", "purpose": "clinical_care", "legal_basis": "none",
		"image": {"id": "img-1", "purposes": ["clinical_care"]},
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
	})
}

test_success_parent_consented_too if {
	child_guardian.deny == set() with input as object.union(capture(child, "patient"), {"consents": [consent("patient"), consent("parent_guardian")]})
}

test_success_assessed_mature_by_the_new_field if {
	child_guardian.deny == set() with input as capture(object.union(child, {"age_years": 16, "maturity_assessment": "mature"}), "patient")
}
