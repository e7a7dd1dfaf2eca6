package clinimg.rules.disclosure.consent_scope_test

import data.clinimg.rules.disclosure.consent_scope

# Case Study Two: consent to photograph for the surgeon's advice; shown to ward doctors for teaching.
disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"image": {"id": "img-1", "purposes": ["clinical_care"], "identifiable": false},
	"purpose": "teaching",
	"recipient": {"id": "ward-doctors", "kind": "clinician", "relationship": "none", "within_facility": true},
	"channel": "in_person_display",
	"legal_basis": "none",
	"consents": [{"status": "granted", "purposes": ["clinical_care"]}],
}

finding := {
	"rule": "disclosure.consent_scope",
	"message": "The patient's consent does not cover this use: it was given for other purposes or other images, and this is not what the image was taken for.",
	"guide": "Scope and nature of consent",
	"remedy": "Ask the patient for additional consent for this purpose, and document it in the health record, before using or showing the image.",
}

test_fail_case_study_two if {
	consent_scope.deny == {finding} with input as disclosure
}

test_fail_consent_for_other_image if {
	consent_scope.deny == {finding} with input as object.union(disclosure, {"consents": [
		{"status": "granted", "purposes": ["clinical_care", "teaching"], "image_ids": ["img-2"]},
	]})
}

test_success_consent_covers_teaching if {
	consent_scope.deny == set() with input as object.union(disclosure, {"consents": [
		{"status": "granted", "purposes": ["clinical_care", "teaching"]},
	]})
}

test_success_primary_purpose if {
	consent_scope.deny == set() with input as object.union(disclosure, {"image": {"id": "img-1", "purposes": ["teaching"]}})
}

test_success_no_consent_at_all if {
	# That is disclosure.no_basis.
	consent_scope.deny == set() with input as object.union(disclosure, {"consents": []})
}

test_success_withdrawn if {
	# That is disclosure.consent_withdrawn.
	consent_scope.deny == set() with input as object.union(disclosure, {"consents": [
		{"status": "granted", "purposes": ["clinical_care"]},
		{"status": "withdrawn", "purposes": ["teaching"]},
	]})
}

test_success_non_professional if {
	# That is disclosure.non_professional.
	consent_scope.deny == set() with input as object.union(disclosure, {"channel": "social_media"})
}

test_success_legal_basis if {
	consent_scope.deny == set() with input as object.union(disclosure, {"purpose": "legal_proceedings", "legal_basis": "subpoena"})
}
