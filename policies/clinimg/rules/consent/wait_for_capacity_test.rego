package clinimg.rules.consent.wait_for_capacity_test

import data.clinimg.rules.consent.wait_for_capacity

capture(capacity, circumstances) := {
	"type": "capture",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 40, "capacity": capacity},
	"purposes": ["clinical_care"],
	"circumstances": circumstances,
}

finding := {
	"rule": "consent.wait_for_capacity",
	"message": "The patient's lack of capacity is temporary and the image is not urgent: it may be better to wait until they can decide for themselves.",
	"guide": "Adults with impaired capacity",
	"remedy": "Wait until the patient regains capacity and can make their own informed decision, unless the image is needed urgently.",
}

test_fail_temporary_not_urgent if {
	wait_for_capacity.escalate == {finding} with input as capture("impaired_temporary", {"urgent": false})
}

test_fail_urgency_not_stated if {
	wait_for_capacity.escalate == {finding} with input as capture("impaired_temporary", {})
}

test_success_urgent if {
	wait_for_capacity.escalate == set() with input as capture("impaired_temporary", {"urgent": true})
}

test_success_permanent_impairment if {
	wait_for_capacity.escalate == set() with input as capture("impaired", {"urgent": false})
}

test_success_full_capacity if {
	wait_for_capacity.escalate == set() with input as capture("full", {"urgent": false})
}
