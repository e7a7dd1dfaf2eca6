# The local-rule contract (decide.rego, contract_violations), checked on every decision: a
# hospital rule is mocked under data.clinimg.rules.local.
package clinimg.decide_test

import data.clinimg.decide

finding := {"rule": "local.x", "message": "m", "guide": "g", "remedy": "r"}

capture := {"type": "capture", "event_id": "e-1", "occurred_at": "2026-11-20T09:00:00+11:00", "actor": {"id": "a-1", "role": "intern"}}

without(key) := object.remove(finding, [key])

test_fail_finding_lacks_rule if {
	decide.contract_violations == {"clinimg.rules.local.x: a deny finding lacks rule (as text)"} with data.clinimg.rules.local as {"x": {"deny": {without("rule")}}}
		with input as capture
}

test_fail_finding_lacks_message if {
	decide.contract_violations == {"clinimg.rules.local.x: a deny finding lacks message (as text)"} with data.clinimg.rules.local as {"x": {"deny": {without("message")}}}
		with input as capture
}

test_fail_finding_lacks_guide if {
	decide.contract_violations == {"clinimg.rules.local.x: a escalate finding lacks guide (as text)"} with data.clinimg.rules.local as {"x": {"escalate": {without("guide")}}}
		with input as capture
}

test_fail_finding_lacks_remedy if {
	decide.contract_violations == {"clinimg.rules.local.x: a warn finding lacks remedy (as text)"} with data.clinimg.rules.local as {"x": {"warn": {without("remedy")}}}
		with input as capture
}

test_fail_finding_lacks_two if {
	decide.contract_violations == {"clinimg.rules.local.x: a deny finding lacks message, remedy (as text)"} with data.clinimg.rules.local as {"x": {"deny": {object.remove(finding, ["message", "remedy"])}}}
		with input as capture
}

test_fail_finding_not_an_object if {
	decide.contract_violations == {"clinimg.rules.local.x: a deny finding is not an object"} with data.clinimg.rules.local as {"x": {"deny": {"no"}}}
		with input as capture
}

test_fail_each_set_must_be_a_set if {
	decide.contract_violations == {
		"clinimg.rules.local.a: deny is not a set",
		"clinimg.rules.local.b: escalate is not a set",
		"clinimg.rules.local.c: warn is not a set",
		"clinimg.rules.local.d: obligation is not a set",
		"clinimg.rules.local.d: an obligation is not an object",
	} with data.clinimg.rules.local as {"a": {"deny": true}, "b": {"escalate": "x"}, "c": {"warn": 1}, "d": {"obligation": {"id": "x"}}}
		with input as capture
}

test_fail_obligation_lacks_id if {
	decide.contract_violations == {"clinimg.rules.local.x: an obligation lacks id (as text)"} with data.clinimg.rules.local as {"x": {"obligation": {{"text": "t"}}}}
		with input as capture
}

test_fail_obligation_lacks_text if {
	decide.contract_violations == {"clinimg.rules.local.x: an obligation lacks text (as text)"} with data.clinimg.rules.local as {"x": {"obligation": {{"id": "local.x"}}}}
		with input as capture
}

test_fail_one_breach_answers_no_ordinary_decision if {
	d := data.clinimg.decision with data.clinimg.rules.local as {"x": {"deny": {without("message")}}}
		with input as capture
	d.outcome == "deny"
	[f.rule | some f in d.findings] == ["policy.contract"]
	d.contract_violations == ["clinimg.rules.local.x: a deny finding lacks message (as text)"]
}

test_success_a_string_finding_never_reaches_the_findings if {
	# It is a breach, not a finding: decide.findings stays computable.
	count([f | some f in decide.findings; f.rule == "local.x"]) == 0 with data.clinimg.rules.local as {"x": {"deny": {"no"}}}
		with input as capture
}

test_success_good_local_rule_joins_the_decision if {
	d := data.clinimg.decision with data.clinimg.rules.local as {"x": {"deny": {finding}, "escalate": {object.union(finding, {"message": "e"})}, "warn": set(), "obligation": {{"id": "local.x", "text": "t"}}}}
		with input as capture
	# A helper set or value of the hospital's own package is no finding and no breach.
	decide.contract_violations == set() with data.clinimg.rules.local as {"x": {"deny": {finding}, "labels": {"a", "b"}, "threshold": 3}}
		with input as capture
	"local.x" in {f.rule | some f in d.findings}
	not d.contract_violations
}

test_success_local_findings_take_their_effect if {
	effects := {[f.rule, f.effect] | some f in decide.findings} with data.clinimg.rules.local as {
		"x": {"deny": {finding}},
		"y": {"escalate": {object.union(finding, {"rule": "local.y"})}},
		"z": {"warn": {object.union(finding, {"rule": "local.z"})}},
	}
		with input as capture
	{["local.x", "deny"], ["local.y", "escalate"], ["local.z", "warn"]} == {e | some e in effects; startswith(e[0], "local.")}
}

test_success_local_obligation_is_owed if {
	obligations := decide.obligations with data.clinimg.rules.local as {"x": {"obligation": {{"id": "local.x", "text": "t"}}}}
		with input as object.union(capture, {"purposes": ["clinical_care"], "capture_record": {"who": "a-1", "when": "2026-11-20T09:00:00+11:00", "mode": "m"}, "consents": [{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "documented_in_record": true, "informed_of": ["purpose", "use", "access", "sharing", "deidentification", "storage", "withdrawal_limits"]}]})
	# (beside the shipped obligations of a capture for clinical care: storage.transfer_to_record, …)
	[o | some o in obligations; startswith(o.id, "local.")] == [{"id": "local.x", "text": "t"}]
}
