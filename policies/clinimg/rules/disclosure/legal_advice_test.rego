package clinimg.rules.disclosure.legal_advice_test

import data.clinimg.rules.disclosure.legal_advice

disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"image": {"id": "img-1", "purposes": ["clinical_care"]},
	"purpose": "legal_proceedings",
	"recipient": {"id": "court-1", "kind": "court", "relationship": "none", "within_facility": false},
	"channel": "print",
	"legal_basis": "subpoena",
	"consents": [{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"]}],
}

finding := finding_for("subpoena", "")

finding_for(basis, over) := {
	"rule": "disclosure.legal_advice",
	"message": concat("", ["This disclosure relies on a legal basis (", basis, ") instead of the patient's consent", over, ": seek advice before disclosing."]),
	"guide": "Other circumstances where you may be able to use or disclose",
	"remedy": "Clarify the scope of the requirement with hospital administration or your medical defence organisation before disclosing, and disclose only what the law requires.",
}

test_fail_subpoena if {
	legal_advice.escalate == {finding} with input as disclosure
}

test_fail_serious_threat_after_withdrawal if {
	legal_advice.escalate == {finding_for("serious_threat", " over the patient's withdrawal of consent")} with input as object.union(disclosure, {
		"legal_basis": "serious_threat",
		"consents": [{"status": "withdrawn"}],
	})
}

test_success_consent_covers if {
	legal_advice.escalate == set() with input as object.union(disclosure, {"consents": [{"status": "granted", "given_by": "patient", "purposes": ["legal_proceedings"]}]})
}

test_success_no_legal_basis if {
	legal_advice.escalate == set() with input as object.union(disclosure, {"legal_basis": "none"})
}

test_success_court_ordered_capture if {
	legal_advice.escalate == set() with input as {"type": "capture", "purposes": ["legal_proceedings"], "legal_basis": "court_order", "consents": []}
}

test_fail_court_order_over_refusal if {
	legal_advice.escalate == {finding_for("court_order", " over the patient's refusal")} with input as object.union(disclosure, {
		"legal_basis": "court_order",
		"consents": [{"status": "refused", "given_by": "patient", "purposes": []}],
	})
}

test_success_secondary_purpose_needs_no_law if {
	legal_advice.escalate == set() with input as object.union(disclosure, {
		"purpose": "clinical_care",
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "treating_team"},
	})
}
