package clinimg.rules.consent.parental_input_test

import data.clinimg.rules.consent.parental_input

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

test_fail_young_person_alone if {
	parental_input.warn == {{
		"rule": "consent.parental_input",
		"message": "The young person consented themselves; encourage input from their parents.",
		"guide": "Children",
		"remedy": "Encourage the young person to involve their parents in the decision, and note it in the health record.",
	}} with input as capture(mature, [consent("patient")])
}

test_success_parent_also_consented if {
	parental_input.warn == set() with input as capture(mature, [consent("patient"), consent("parent_guardian")])
}

test_success_adult if {
	parental_input.warn == set() with input as capture(object.union(mature, {"age_years": 30}), [consent("patient")])
}

test_success_not_a_capture if {
	parental_input.warn == set() with input as object.union(capture(mature, [consent("patient")]), {"type": "consent"})
}
