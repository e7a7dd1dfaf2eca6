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

test_success_young_child if {
	wait_for_capacity.escalate == set() with input as object.union(capture("impaired_temporary", {"urgent": false}), {
		"patient": {"id": "pt-1", "age_years": 6, "capacity": "impaired_temporary"},
		"consents": [{"status": "granted", "given_by": "parent_guardian", "purposes": ["clinical_care"]}],
	})
}

test_fail_mature_minor if {
	wait_for_capacity.escalate == {finding} with input as object.union(capture("impaired_temporary", {"urgent": false}), {
		"patient": {"id": "pt-1", "age_years": 16, "capacity": "impaired_temporary", "maturity_assessment": "mature"},
		"consents": [{"status": "granted", "given_by": "parent_guardian", "purposes": ["clinical_care"]}],
	})
}

teaching := {
	"type": "disclosure",
	"event_id": "e-2",
	"patient": {"id": "pt-1", "age_years": 40, "capacity": "impaired_temporary"},
	"image": {"id": "img-1", "purposes": ["clinical_care"]},
	"purpose": "teaching",
	"recipient": {"id": "st-1", "kind": "student", "relationship": "none"},
	"legal_basis": "none",
	"consents": [{"status": "granted", "given_by": "substitute_decision_maker", "purposes": ["teaching"]}],
}

test_fail_teaching_on_a_decision_makers_consent if {
	wait_for_capacity.escalate == {{
		"rule": "consent.wait_for_capacity",
		"message": "The patient's lack of capacity is temporary and this use for teaching rests on someone else's consent: it may be better to wait until they can decide for themselves.",
		"guide": "Adults with impaired capacity",
		"remedy": "Wait until the patient regains capacity and can make their own informed decision, unless the image is needed urgently.",
	}} with input as teaching
}

test_success_teaching_on_own_consent_given_before if {
	wait_for_capacity.escalate == set() with input as object.union(teaching, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "capacity_at_consent": "full"},
	]})
}

test_success_clinical_care_to_the_treating_team if {
	wait_for_capacity.escalate == set() with input as object.union(teaching, {
		"purpose": "clinical_care",
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "treating_team"},
		"consents": [{"status": "granted", "given_by": "substitute_decision_maker", "purposes": ["clinical_care"]}],
	})
}

test_success_permanent_incapacity_disclosure if {
	wait_for_capacity.escalate == set() with input as object.union(teaching, {"patient": {"id": "pt-1", "age_years": 40, "capacity": "impaired"}})
}

test_success_disclosure_without_basis if {
	wait_for_capacity.escalate == set() with input as object.union(teaching, {"consents": []})
}

test_success_young_child_taught_on_the_parents_consent if {
	wait_for_capacity.escalate == set() with input as object.union(teaching, {
		"patient": {"id": "pt-1", "age_years": 6, "capacity": "impaired_temporary"},
		"consents": [{"status": "granted", "given_by": "parent_guardian", "purposes": ["teaching"]}],
	})
}

# Taken for teaching with the decision-maker's consent: the primary purpose rests on it too.
test_fail_primary_purpose_on_a_decision_makers_consent if {
	wait_for_capacity.escalate == {{
		"rule": "consent.wait_for_capacity",
		"message": "The patient's lack of capacity is temporary and this use for teaching rests on someone else's consent: it may be better to wait until they can decide for themselves.",
		"guide": "Adults with impaired capacity",
		"remedy": "Wait until the patient regains capacity and can make their own informed decision, unless the image is needed urgently.",
	}} with input as object.union(teaching, {"image": {"id": "img-1", "purposes": ["clinical_care", "teaching"]}})
}

# An urgent capture stating a `purpose` as a disclosure would is still judged as a capture (by its
# `purposes`: urgent care alone; qa10: urgency never excused its teaching, see below).
test_success_urgent_capture_stating_a_purpose if {
	wait_for_capacity.escalate == set() with input as object.union(capture("impaired_temporary", {"urgent": true}), {
		"purpose": "teaching",
		"purposes": ["clinical_care"],
		"consents": [{"status": "granted", "given_by": "substitute_decision_maker", "purposes": ["clinical_care", "teaching"]}],
	})
}

# qa10: urgency excuses the patient's care, never the capture's other purposes: an urgent capture
# for care and teaching on a decision-maker's consent still waits for the patient's word on teaching.
urgent_finding := object.union(finding, {"message": "The patient's lack of capacity is temporary and only their care is urgent, not the image's other purposes: it may be better to wait until they can decide on those for themselves."})

urgent_care_and_teaching(given_by) := object.union(capture("impaired_temporary", {"urgent": true}), {
	"purposes": ["clinical_care", "teaching"],
	"consents": [own_consent({"given_by": given_by, "purposes": ["clinical_care", "teaching"]})],
})

test_fail_urgent_care_does_not_make_teaching_urgent if {
	wait_for_capacity.escalate == {urgent_finding} with input as urgent_care_and_teaching("substitute_decision_maker")
}

test_success_urgent_care_and_teaching_on_the_patients_own_earlier_consent if {
	wait_for_capacity.escalate == set() with input as urgent_care_and_teaching("patient")
}

test_success_urgent_care_alone_on_a_decision_makers_consent if {
	wait_for_capacity.escalate == set() with input as object.union(capture("impaired_temporary", {"urgent": true}), {"consents": [own_consent({"given_by": "substitute_decision_maker"})]})
}
