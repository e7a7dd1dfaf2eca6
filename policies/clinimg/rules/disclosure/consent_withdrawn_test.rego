package clinimg.rules.disclosure.consent_withdrawn_test

import data.clinimg.rules.disclosure.consent_withdrawn

disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"image": {"id": "img-1", "purposes": ["clinical_care"]},
	"purpose": "teaching",
	"recipient": {"id": "st-1", "kind": "student", "relationship": "none", "within_facility": true},
	"channel": "in_person_display",
	"legal_basis": "none",
	"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["clinical_care", "teaching"]},
		{"status": "withdrawn", "purposes": ["teaching"]},
	],
}

finding := {
	"rule": "disclosure.consent_withdrawn",
	"message": "The patient has withdrawn consent for this use of the image: it may no longer be used or disclosed for this purpose.",
	"guide": "Withdrawing consent",
	"remedy": "Do not use or disclose the image for this purpose; if you believe the law requires the disclosure, seek advice from hospital management first.",
}

test_fail_withdrawn_for_purpose if {
	consent_withdrawn.deny == {finding} with input as disclosure
}

test_fail_withdrawal_naming_no_purpose if {
	consent_withdrawn.deny == {finding} with input as object.union(disclosure, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["teaching"]},
		{"status": "withdrawn"},
	]})
}

test_success_withdrawn_for_another_purpose if {
	consent_withdrawn.deny == set() with input as object.union(disclosure, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["teaching"]},
		{"status": "withdrawn", "purposes": ["research"]},
	]})
}

test_success_legal_basis if {
	consent_withdrawn.deny == set() with input as object.union(disclosure, {
		"purpose": "legal_proceedings",
		"recipient": {"id": "court-1", "kind": "court", "relationship": "none", "within_facility": false},
		"legal_basis": "court_order",
		"consents": [{"status": "withdrawn"}],
	})
}

# qa10: no law requires an image to be taught: a court order stated on a teaching disclosure does
# not lift the patient's withdrawal.
test_fail_withdrawn_teaching_under_a_stated_court_order if {
	consent_withdrawn.deny == {finding} with input as object.union(disclosure, {"legal_basis": "court_order"})
}

test_success_withdrawal_for_other_image if {
	consent_withdrawn.deny == set() with input as object.union(disclosure, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["teaching"]},
		{"status": "withdrawn", "purposes": ["teaching"], "image_ids": ["img-2"]},
	]})
}

competent_adult := object.union(disclosure, {"patient": {"id": "pt-1", "age_years": 50, "capacity": "full"}})

test_fail_the_competent_adults_own_withdrawal if {
	consent_withdrawn.deny == {finding} with input as object.union(competent_adult, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["teaching"]},
		{"status": "withdrawn", "given_by": "patient", "purposes": ["teaching"]},
	]})
}

test_success_decision_makers_withdrawal_for_a_competent_adult if {
	consent_withdrawn.deny == set() with input as object.union(competent_adult, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["teaching"]},
		{"status": "withdrawn", "given_by": "substitute_decision_maker", "purposes": ["teaching"]},
	]})
}
