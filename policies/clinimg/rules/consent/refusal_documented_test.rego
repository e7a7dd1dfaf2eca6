package clinimg.rules.consent.refusal_documented_test

import data.clinimg.rules.consent.refusal_documented

event(status, documented) := {
	"type": "consent",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 54, "capacity": "full"},
	"consent": {"status": status, "given_by": "patient", "purposes": ["teaching"], "documented_in_record": documented},
}

finding(noun) := {
	"rule": "consent.refusal_documented",
	"message": sprintf("The patient's %s of consent is not documented in the health record.", [noun]),
	"guide": "Documenting the consent process",
	"remedy": "Document the refusal or withdrawal of consent, and its scope, in the health record.",
}

test_fail_refusal_undocumented if {
	refusal_documented.deny == {finding("refusal")} with input as event("refused", false)
}

test_fail_withdrawal_undocumented if {
	refusal_documented.deny == {finding("withdrawal")} with input as event("withdrawn", false)
}

test_fail_flag_missing if {
	refusal_documented.deny == {finding("refusal")} with input as {"type": "consent", "event_id": "e-1", "consent": {"status": "refused"}}
}

test_success_refusal_documented if {
	refusal_documented.deny == set() with input as event("refused", true)
}

test_success_grant_is_not_judged_here if {
	refusal_documented.deny == set() with input as event("granted", false)
}

test_success_not_a_consent_event if {
	refusal_documented.deny == set() with input as object.union(event("refused", false), {"type": "capture"})
}
