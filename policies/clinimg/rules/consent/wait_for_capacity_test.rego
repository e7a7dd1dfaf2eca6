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

own_consent(extra) := object.union({"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "documented_in_record": true}, extra)

test_fail_only_a_decision_maker_consented if {
	# Even with a substitute decision-maker's consent, better to wait for the patient's own.
	wait_for_capacity.escalate == {finding} with input as object.union(capture("impaired_temporary", {"urgent": false}), {"consents": [own_consent({"given_by": "substitute_decision_maker"})]})
}

test_fail_own_consent_covers_only_some_purposes if {
	wait_for_capacity.escalate == {finding} with input as object.union(capture("impaired_temporary", {"urgent": false}), {"purposes": ["clinical_care", "teaching"], "consents": [own_consent({})]})
}

test_success_consent_given_before_the_anaesthetic if {
	# Case Study Three: consent given pre-operatively, while the patient had capacity.
	wait_for_capacity.escalate == set() with input as object.union(capture("impaired_temporary", {"urgent": false}), {"consents": [own_consent({"capacity_at_consent": "full"})]})
}

test_success_own_consent_with_capacity_unstated if {
	wait_for_capacity.escalate == set() with input as object.union(capture("impaired_temporary", {"urgent": false}), {"consents": [own_consent({})]})
}
