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

# A capture with no purpose: collection.purpose_required (deny) on event e-1.
no_purpose := {
	"type": "capture", "event_id": "e-1", "occurred_at": "2026-11-20T09:00:00+11:00",
	"actor": {"id": "a-1", "role": "intern"}, "purposes": [],
	"capture_record": {"who": "a-1", "when": "2026-11-20T09:00:00+11:00", "mode": "camera"},
}

waiver(rule, event_id) := {"rule": rule, "event_id": event_id, "reason": "r", "approved_by": "po-1", "expires": "2027-01-01"}

test_success_waiver_for_the_rule_on_this_event_applies if {
	d := data.clinimg.decision with input as no_purpose
		with data.clinimg.config as {"waivers": [waiver("collection.purpose_required", "e-1")]}
	d.outcome == "permit"
	d.waivers == [{"rule": "collection.purpose_required", "event_id": "e-1", "approved_by": "po-1", "status": "applied"}]
}

test_fail_waiver_for_another_rule_is_not_reported if {
	d := data.clinimg.decision with input as no_purpose
		with data.clinimg.config as {"waivers": [waiver("storage.passcode", "e-1")]}
	d.outcome == "deny"
	d.waivers == []
}

test_fail_waiver_for_another_event_is_not_reported if {
	d := data.clinimg.decision with input as no_purpose
		with data.clinimg.config as {"waivers": [waiver("collection.purpose_required", "e-2")]}
	d.outcome == "deny"
	d.waivers == []
}

# Fail closed: a decision whose time cannot be read lets no waiver apply (it used to apply every
# waiver: the expiry compared with an undefined time was never reached).
test_fail_waiver_with_an_unreadable_time_does_not_apply if {
	d := data.clinimg.decision with input as object.union(no_purpose, {"occurred_at": "not a time"})
		with data.clinimg.config as {"waivers": [waiver("collection.purpose_required", "e-1")]}
	d.outcome == "deny"
	d.waivers == [{"rule": "collection.purpose_required", "event_id": "e-1", "approved_by": "po-1", "status": "expired"}]
}

test_fail_waiver_with_an_unreadable_expiry_does_not_apply if {
	d := data.clinimg.decision with input as no_purpose
		with data.clinimg.config as {"waivers": [object.union(waiver("collection.purpose_required", "e-1"), {"expires": "soon"})]}
	d.outcome == "deny"
	d.waivers[0].status == "expired"
}

# A UTC time written with "Z" is read like "+00:00" (regopy reads no "Z"): a waiver past its
# expiry by such a time is expired on both engines.
test_fail_waiver_expired_by_a_utc_time if {
	d := data.clinimg.decision with input as object.union(no_purpose, {"occurred_at": "2027-02-01T00:00:00Z"})
		with data.clinimg.config as {"waivers": [waiver("collection.purpose_required", "e-1")]}
	d.outcome == "deny"
	d.waivers[0].status == "expired"
}

# With the hospital's `timezone`, checker/policy.py gives each waiver `expires_ns`, the instant its
# date begins there: that instant decides, not UTC midnight (2027-01-01 in Sydney begins at
# 2026-12-31T13:00:00Z).
test_fail_waiver_expired_at_the_hospitals_midnight if {
	d := data.clinimg.decision with input as object.union(no_purpose, {"occurred_at": "2027-01-01T09:00:00+11:00"})
		with data.clinimg.config as {"waivers": [object.union(waiver("collection.purpose_required", "e-1"), {"expires_ns": 1798722000000000000})]}
	d.outcome == "deny"
	d.waivers[0].status == "expired"
}

test_success_waiver_in_force_before_the_hospitals_midnight if {
	d := data.clinimg.decision with input as object.union(no_purpose, {"occurred_at": "2026-12-31T23:59:00+11:00"})
		with data.clinimg.config as {"waivers": [object.union(waiver("collection.purpose_required", "e-1"), {"expires_ns": 1798722000000000000})]}
	d.outcome == "permit"
	d.waivers[0].status == "applied"
}

test_success_waiver_in_force_at_a_utc_time if {
	d := data.clinimg.decision with input as object.union(no_purpose, {"occurred_at": "2026-11-20T00:00:00Z"})
		with data.clinimg.config as {"waivers": [waiver("collection.purpose_required", "e-1")]}
	d.outcome == "permit"
	d.waivers[0].status == "applied"
}
