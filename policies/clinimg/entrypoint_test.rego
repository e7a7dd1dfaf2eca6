# Tests of the entry point itself (outside clinimg.rules, which the decision gathers).
package clinimg.entrypoint_test

test_fail_closed_without_input if {
	data.clinimg.decision.outcome == "deny" with input as {}
}

test_fail_closed_with_an_unknown_type if {
	data.clinimg.decision.findings[0].rule == "request.event_type" with input as {"type": "teleport"}
}

test_success_outcome_precedence_deny_over_escalate if {
	# purpose_required (deny) and appropriate_person (escalate, admin may not capture) together
	data.clinimg.decision.outcome == "deny" with input as {
		"type": "capture", "event_id": "e-1", "occurred_at": "2026-11-20T09:00:00+11:00",
		"actor": {"id": "a-1", "role": "admin"}, "purposes": [],
		"capture_record": {"who": "a-1", "when": "2026-11-20T09:00:00+11:00", "mode": "camera"},
	}
}
