package clinimg.rules.collection.appropriate_person_test

import data.clinimg.rules.collection.appropriate_person

capture(role) := {
	"type": "capture",
	"event_id": "e-1",
	"actor": {"id": "a-1", "role": role},
	"purposes": ["clinical_care"],
}

finding := {
	"rule": "collection.appropriate_person",
	"message": "Your role is not one this hospital allows to take clinical images.",
	"guide": "Decision making process (flowchart)",
	"remedy": "Talk to an appropriate person (the treating clinician or a clinical photographer) about taking the image.",
}

test_fail_admin_by_default if {
	appropriate_person.escalate == {finding} with input as capture("admin")
}

test_fail_role_not_in_hospital_list if {
	appropriate_person.escalate == {finding} with input as capture("medical_student") with data.clinimg.config as {"capture_roles": ["registrar", "consultant", "clinical_photographer"]}
}

test_fail_role_missing if {
	appropriate_person.escalate == {finding} with input as {"type": "capture", "event_id": "e-1", "actor": {"id": "a-1"}}
}

test_success_intern_by_default if {
	appropriate_person.escalate == set() with input as capture("intern")
}

test_success_role_in_hospital_list if {
	appropriate_person.escalate == set() with input as capture("admin") with data.clinimg.config as {"capture_roles": ["admin"]}
}

test_success_not_a_capture if {
	appropriate_person.escalate == set() with input as object.union(capture("admin"), {"type": "disclosure"})
}
