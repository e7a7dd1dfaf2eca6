package clinimg.rules.collection.consent_required_test

import data.clinimg.rules.collection.consent_required

granted(purposes) := {
	"status": "granted", "given_by": "patient", "purposes": purposes,
	"documented_in_record": true, "written_form": false,
}

capture := {
	"type": "capture",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 54, "capacity": "full"},
	"image": {"id": "img-1"},
	"purposes": ["clinical_care"],
	"circumstances": {"urgent": false},
	"consents": [granted(["clinical_care"])],
}

finding(purpose) := {
	"rule": "collection.consent_required",
	"message": sprintf("No consent in force covers taking this image for %s: do not take it until the patient has consented to that purpose.", [purpose]),
	"guide": "Obtaining consent to collect a clinical image",
	"remedy": "Explain why the image is needed, how it will be used and who will see it, obtain the patient's consent (or their substitute decision-maker's) for that purpose, and document it before taking the image.",
}

test_fail_no_consents if {
	consent_required.deny == {finding("clinical_care")} with input as object.union(capture, {"consents": []})
}

test_fail_one_finding_per_uncovered_purpose if {
	consent_required.deny == {finding("clinical_care"), finding("publication")} with input as object.union(capture, {"purposes": ["clinical_care", "publication"], "consents": []})
}

test_fail_consent_for_other_purpose if {
	consent_required.deny == {finding("legal_proceedings")} with input as object.union(capture, {"purposes": ["clinical_care", "legal_proceedings"]})
}

test_fail_consent_withdrawn if {
	consent_required.deny == {finding("clinical_care")} with input as object.union(capture, {"consents": [
		granted(["clinical_care"]),
		{"status": "withdrawn", "given_by": "patient", "purposes": ["clinical_care"], "documented_in_record": true},
	]})
}

test_fail_personal_never_covered if {
	consent_required.deny == {finding("personal")} with input as object.union(capture, {"purposes": ["personal"], "consents": [granted(["personal"])]})
}

test_fail_consent_for_another_image if {
	consent_required.deny == {finding("clinical_care")} with input as object.union(capture, {"consents": [object.union(granted(["clinical_care"]), {"image_ids": ["img-2"]})]})
}

test_fail_emergency_does_not_excuse_other_purposes if {
	consent_required.deny == {finding("publication")} with input as object.union(capture, {
		"purposes": ["clinical_care", "publication"],
		"patient": {"id": "pt-1", "age_years": 54, "capacity": "impaired"},
		"circumstances": {"urgent": true},
		"consents": [],
	})
}

test_success_consent_in_force if {
	consent_required.deny == set() with input as capture
}

test_success_education_purposes_left_to_teaching_research_consent if {
	consent_required.deny == set() with input as object.union(capture, {"purposes": ["clinical_care", "teaching", "training", "research"]})
}

test_success_emergency_clinical_care if {
	consent_required.deny == set() with input as object.union(capture, {
		"patient": {"id": "pt-1", "age_years": 54, "capacity": "impaired"},
		"circumstances": {"urgent": true},
		"consents": [],
	})
}

test_success_court_ordered if {
	consent_required.deny == set() with input as object.union(capture, {"legal_basis": "court_order", "purposes": ["legal_proceedings"], "consents": []})
}

test_success_refusal_is_left_to_consent_refused if {
	consent_required.deny == set() with input as object.union(capture, {"consents": [{"status": "refused", "given_by": "patient", "purposes": [], "documented_in_record": true}]})
}

test_success_not_a_capture if {
	consent_required.deny == set() with input as {"type": "disclosure", "purposes": ["clinical_care"], "consents": []}
}

# qa9: a court order never makes a personal purpose legitimate.
test_fail_personal_under_a_court_order if {
	consent_required.deny == {finding("personal")} with input as object.union(capture, {"legal_basis": "court_order", "purposes": ["legal_proceedings", "personal"], "consents": []})
}

# qa10: emergency law stands in for a consent nobody can give, not for one the patient withdrew
# while able to decide (a refusal is collection.consent_refused's).
emergency_over(status) := object.union(capture, {
	"patient": {"id": "pt-1", "age_years": 54, "capacity": "impaired_temporary"},
	"circumstances": {"urgent": true, "substitute_available": false},
	"consents": [
		object.union(granted(["clinical_care"]), {"given_at": "2026-11-19T09:00:00+11:00"}),
		{"status": status, "given_by": "patient", "capacity_at_consent": "full", "purposes": ["clinical_care"], "documented_in_record": true, "given_at": "2026-11-19T10:00:00+11:00"},
	],
	"occurred_at": "2026-11-20T09:00:00+11:00",
})

test_fail_emergency_over_a_withdrawal if {
	consent_required.deny == {finding("clinical_care")} with input as emergency_over("withdrawn")
}

test_success_emergency_over_a_refusal_is_left_to_consent_refused if {
	consent_required.deny == set() with input as emergency_over("refused")
}

test_success_emergency_with_a_withdrawal_of_another_purpose if {
	consent_required.deny == set() with input as object.union(emergency_over("withdrawn"), {"consents": [
		{"status": "withdrawn", "given_by": "patient", "capacity_at_consent": "full", "purposes": ["teaching"], "documented_in_record": true},
	]})
}

# qa10: no law requires an image to be taken for publication; only the patient's consent allows it.
test_fail_publication_under_a_court_order if {
	consent_required.deny == {finding("publication")} with input as object.union(capture, {"legal_basis": "court_order", "purposes": ["legal_proceedings", "publication"], "consents": []})
}

test_success_publication_under_a_court_order_with_consent if {
	consent_required.deny == set() with input as object.union(capture, {"legal_basis": "court_order", "purposes": ["legal_proceedings", "publication"], "consents": [object.union(granted(["publication"]), {"publication": true})]})
}
