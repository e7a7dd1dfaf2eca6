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

# An access request on a legal basis by a requester not otherwise entitled to the record.
access_request := {
	"type": "access_request",
	"event_id": "e-ar-1",
	"patient": {"id": "pt-1", "age_years": 29, "capacity": "full"},
	"requester": {"id": "court-1", "kind": "court"},
	"legal_basis": "subpoena",
	"produced": true,
	"images_produced": ["img-1"],
	"consents": [{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"]}],
}

access_finding(basis) := object.union(finding, {"message": concat("", ["The record is requested on a legal basis (", basis, ") by a requester the patient has not consented to: seek advice on what must be produced."])})

test_fail_record_subpoenaed if {
	legal_advice.escalate == {access_finding("subpoena")} with input as access_request
}

test_fail_police_with_a_warrant_not_yet_answered if {
	legal_advice.escalate == {access_finding("court_order")} with input as object.union(access_request, {
		"requester": {"id": "police-1", "kind": "law_enforcement"},
		"legal_basis": "court_order",
		"produced": false,
	})
}

test_success_access_request_without_legal_basis if {
	legal_advice.escalate == set() with input as object.union(access_request, {"legal_basis": "none"})
}

test_success_patient_requests_their_own_record if {
	legal_advice.escalate == set() with input as object.union(access_request, {"requester": {"id": "pt-1", "kind": "patient"}})
}

test_success_consent_names_the_court if {
	legal_advice.escalate == set() with input as object.union(access_request, {"consents": [{"status": "granted", "given_by": "patient", "purposes": ["legal_proceedings"]}]})
}

# qa10: no law allows or requires a disclosure to teach, train or publish: a legal basis stated on
# one is not one (the disclosure rests on consent alone: disclosure.no_basis, consent_scope,
# consent_refused decide it). Research keeps its escalation (privacy law has research exemptions).
to_students(basis) := object.union(disclosure, {
	"purpose": "teaching",
	"recipient": {"id": "students-1", "kind": "student", "relationship": "none", "within_facility": true},
	"channel": "in_person_display",
	"legal_basis": basis,
})

test_success_a_court_order_does_not_reach_teaching if {
	legal_advice.escalate == set() with input as to_students("court_order")
}

test_success_required_by_law_does_not_reach_publication if {
	legal_advice.escalate == set() with input as object.union(to_students("required_by_law"), {
		"purpose": "publication",
		"recipient": {"id": "journal-1", "kind": "publisher", "relationship": "none", "within_facility": false},
	})
}

test_fail_research_on_a_legal_basis_still_seeks_advice if {
	legal_advice.escalate == {finding_for("required_by_law", "")} with input as object.union(to_students("required_by_law"), {
		"purpose": "research",
		"recipient": {"id": "res-1", "kind": "researcher", "relationship": "none", "within_facility": true},
	})
}

test_success_a_subpoena_does_not_reach_training if {
	legal_advice.escalate == set() with input as object.union(to_students("subpoena"), {"purpose": "training"})
}
