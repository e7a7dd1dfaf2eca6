package clinimg.rules.collection.legal_requirement_test

import data.clinimg.rules.collection.legal_requirement

grant := {"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "documented_in_record": true}

refusal := {"status": "refused", "given_by": "patient", "purposes": [], "documented_in_record": true}

capture(basis, consents) := {
	"type": "capture",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 40, "capacity": "full"},
	"image": {"id": "img-1"},
	"purposes": ["clinical_care"],
	"legal_basis": basis,
	"consents": consents,
}

finding(situation, basis) := {
	"rule": "collection.legal_requirement",
	"message": concat("", ["This image would be taken ", situation, ", on a legal basis (", basis, "): clarify the scope of the requirement with hospital administration or your medical defence organisation first."]),
	"guide": "Right to refuse consent",
	"remedy": "Before taking the image, clarify the scope of the requirement with hospital administration or your medical defence organisation; take only what it requires, and document the requirement and the advice in the health record.",
}

test_fail_court_order_over_refusal if {
	legal_requirement.escalate == {finding("over the patient's refusal", "court_order")} with input as capture("court_order", [refusal])
}

test_fail_court_order_without_consent if {
	legal_requirement.escalate == {finding("without the patient's consent", "court_order")} with input as capture("court_order", [])
}

test_fail_required_by_law_without_consent if {
	legal_requirement.escalate == {finding("without the patient's consent", "required_by_law")} with input as capture("required_by_law", [])
}

test_fail_subpoena_over_withdrawal if {
	withdrawal := object.union(refusal, {"status": "withdrawn"})
	legal_requirement.escalate == {finding("without the patient's consent", "subpoena")} with input as capture("subpoena", [grant, withdrawal])
}

test_fail_consent_given_by_someone_who_cannot_give_it if {
	legal_requirement.escalate == {finding("without the patient's consent", "court_order")} with input as capture("court_order", [object.union(grant, {"given_by": "parent_guardian"})])
}

test_success_consent_covers_the_capture if {
	legal_requirement.escalate == set() with input as capture("court_order", [grant])
}

test_success_no_legal_basis if {
	legal_requirement.escalate == set() with input as capture("none", [refusal])
}

test_success_not_a_capture if {
	legal_requirement.escalate == set() with input as object.union(capture("court_order", [refusal]), {"type": "disclosure"})
}

# qa10: a legal basis fails on a *disclosure* for teaching; a capture that also states a teaching
# `purpose` (as a disclosure would) is still judged by its `purposes`, on its legal basis.
test_fail_court_ordered_capture_stating_a_teaching_purpose if {
	legal_requirement.escalate == {finding("without the patient's consent", "court_order")} with input as object.union(capture("court_order", []), {"purpose": "teaching"})
}
