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
		"message": "The patient is a child not assessed as mature enough to consent, so the consent for clinical_care must come from a parent or guardian.",
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
