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

finding := {
	"rule": "disclosure.legal_advice",
	"message": "This disclosure relies on a legal basis without the patient's consent: seek advice before disclosing.",
	"guide": "Other circumstances where you may be able to use or disclose",
	"remedy": "Seek advice from hospital management (and, if necessary, your medical defence organisation) before disclosing, and disclose only what the law requires.",
}

test_fail_subpoena if {
	legal_advice.escalate == {finding} with input as disclosure
}

test_fail_serious_threat_after_withdrawal if {
	legal_advice.escalate == {finding} with input as object.union(disclosure, {
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
