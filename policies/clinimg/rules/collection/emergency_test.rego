package clinimg.rules.collection.emergency_test

import data.clinimg.rules.collection.emergency

capture := {
	"type": "capture",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 54, "capacity": "impaired"},
	"image": {"id": "img-1"},
	"purposes": ["clinical_care"],
	"circumstances": {"urgent": true, "substitute_available": false},
	"consents": [],
}

test_fail_emergency_capture if {
	emergency.escalate == {{
		"rule": "collection.emergency",
		"message": "This image is being taken for clinical care without consent under emergency treatment law: it will be reviewed.",
		"guide": "Adults with impaired capacity",
		"remedy": "Take only what clinical care needs, follow the emergency treatment law, document why consent could not be obtained, and seek consent from the patient or their substitute decision-maker as soon as possible.",
	}} with input as capture
}

test_success_not_urgent if {
	emergency.escalate == set() with input as object.union(capture, {"circumstances": {"urgent": false}})
}

test_success_substitute_available if {
	emergency.escalate == set() with input as object.union(capture, {"circumstances": {"urgent": true, "substitute_available": true}})
}

test_success_full_capacity if {
	emergency.escalate == set() with input as object.union(capture, {"patient": {"id": "pt-1", "age_years": 54, "capacity": "full"}})
}

test_success_consent_in_force if {
	emergency.escalate == set() with input as object.union(capture, {"consents": [{"status": "granted", "given_by": "substitute_decision_maker", "purposes": ["clinical_care"], "documented_in_record": true}]})
}

test_success_not_for_clinical_care if {
	emergency.escalate == set() with input as object.union(capture, {"purposes": ["teaching"]})
}

# A young child whose parents cannot be reached: the same emergency law (lib.cannot_consent_alone).
child := object.union(capture, {"patient": {"id": "pt-1", "age_years": 5, "capacity": "full"}})

test_fail_young_child_no_parent_available if {
	count(emergency.escalate) == 1 with input as child
}

test_fail_child_not_yet_assessed_as_mature if {
	count(emergency.escalate) == 1 with input as object.union(child, {"patient": {"age_years": 14}})
}

test_success_young_child_parent_available if {
	emergency.escalate == set() with input as object.union(child, {"circumstances": {"substitute_available": true}})
}

test_success_mature_minor_consents_themselves if {
	emergency.escalate == set() with input as object.union(child, {"patient": {"age_years": 16, "maturity_assessment": "mature"}})
}

test_success_competent_adult if {
	emergency.escalate == set() with input as object.union(capture, {"patient": {"capacity": "full"}})
}
