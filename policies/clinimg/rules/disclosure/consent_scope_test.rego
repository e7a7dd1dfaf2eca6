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
	"consents": [{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"]}],
}

finding := {
	"rule": "disclosure.consent_scope",
	"message": "The patient's consent does not cover this use: it was given for other purposes or other images, and this is not what the image was taken for.",
	"guide": "Scope and nature of consent",
	"remedy": "Ask the patient for additional consent for this purpose and recipient, and document it in the health record, before using or showing the image.",
}

test_fail_case_study_two if {
	consent_scope.deny == {finding} with input as disclosure
}

test_fail_consent_for_other_image if {
	consent_scope.deny == {finding} with input as object.union(disclosure, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["clinical_care", "teaching"], "image_ids": ["img-2"]},
	]})
}

test_success_consent_covers_teaching if {
	consent_scope.deny == set() with input as object.union(disclosure, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["clinical_care", "teaching"]},
	]})
}

test_fail_taken_for_teaching_without_consent_to_it if {
	# The capture claimed teaching, but the patient consented to clinical care only: teaching is
	# not a primary purpose.
	consent_scope.deny == {finding} with input as object.union(disclosure, {"image": {"id": "img-1", "purposes": ["teaching"]}})
}

recipient_finding(purpose, kind) := object.union(finding, {"message": concat("", ["The patient's consent for ", purpose, " does not cover showing or sending the image to this recipient (", kind, "), and nothing else allows it."])})

test_fail_clinical_care_consent_does_not_reach_family if {
	consent_scope.deny == {recipient_finding("clinical_care", "family")} with input as object.union(disclosure, {
		"purpose": "clinical_care",
		"recipient": {"id": "daughter", "kind": "family", "relationship": "none"},
		"channel": "sms",
	})
}

test_fail_clinical_care_consent_does_not_reach_an_uninvolved_clinician if {
	consent_scope.deny == {recipient_finding("clinical_care", "clinician")} with input as object.union(disclosure, {
		"purpose": "clinical_care",
		"recipient": {"id": "dr-8", "kind": "clinician", "relationship": "none"},
		"channel": "personal_email",
	})
}

test_fail_named_recipients_exclude_others if {
	consent_scope.deny == {recipient_finding("teaching", "clinician")} with input as object.union(disclosure, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "recipients": ["student"]},
	]})
}

test_success_named_recipients_include_family if {
	consent_scope.deny == set() with input as object.union(disclosure, {
		"purpose": "clinical_care",
		"recipient": {"id": "daughter", "kind": "family", "relationship": "none"},
		"consents": [{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "recipients": ["treating_team", "family"]}],
	})
}

test_success_teaching_primary_purpose_with_consent if {
	consent_scope.deny == set() with input as object.union(disclosure, {
		"image": {"id": "img-1", "purposes": ["teaching"]},
		"consents": [{"status": "granted", "given_by": "patient", "purposes": ["teaching"]}],
	})
}

test_success_consent_from_someone_who_cannot_give_it_is_left_to_consent_rules if {
	consent_scope.deny == set() with input as object.union(disclosure, {"consents": [
		{"status": "granted", "given_by": "substitute_decision_maker", "purposes": ["teaching"]},
	]})
}

test_success_no_consent_at_all if {
	# That is disclosure.no_basis.
	consent_scope.deny == set() with input as object.union(disclosure, {"consents": []})
}

test_success_withdrawn if {
	# That is disclosure.consent_withdrawn.
	consent_scope.deny == set() with input as object.union(disclosure, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"]},
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

# qa8: a consent that names its recipients tells the patient "to whom it will be shown": clinical
# care then reaches only those named (and the record, the patient, a representative).
named_only(recipients) := {"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "recipients": recipients}

care_to(recipient, consents) := object.union(disclosure, {
	"purpose": "clinical_care",
	"patient": {"id": "pt-1", "age_years": 50, "capacity": "full"},
	"recipient": recipient,
	"consents": consents,
})

external_specialist := {"id": "dr-derm-9", "kind": "clinician", "relationship": "consulted", "within_facility": false}

named_list_finding := object.union(finding, {"message": "The patient's consent for clinical_care does not cover showing or sending the image to this recipient (clinician), and nothing else allows it."})

test_fail_consent_naming_the_treating_team_only if {
	consent_scope.deny == {named_list_finding} with input as care_to(external_specialist, [named_only(["treating_team"])])
}

test_fail_consent_naming_the_family_only if {
	consent_scope.deny == {named_list_finding} with input as care_to(external_specialist, [named_only(["family"])])
}

test_success_consent_naming_consulted_clinicians if {
	consent_scope.deny == set() with input as care_to(external_specialist, [named_only(["treating_team", "consulted"])])
}

test_success_another_consent_naming_no_recipients if {
	consent_scope.deny == set() with input as care_to(external_specialist, [
		named_only(["treating_team"]),
		{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"]},
	])
}

test_success_named_list_and_the_health_record if {
	consent_scope.deny == set() with input as care_to({"id": "emr", "kind": "health_record", "relationship": "none"}, [named_only(["treating_team"])])
}

test_success_named_list_and_the_patient if {
	consent_scope.deny == set() with input as care_to({"id": "pt-1", "kind": "patient", "relationship": "none"}, [named_only(["treating_team"])])
}

test_success_named_list_and_a_young_childs_parent if {
	consent_scope.deny == set() with input as object.union(care_to({"id": "mum", "kind": "patient_representative", "relationship": "none"}, [object.union(named_only(["treating_team"]), {"given_by": "parent_guardian"})]), {"patient": {"age_years": 6}})
}

test_fail_named_list_and_a_competent_adults_representative if {
	consent_scope.deny == {object.union(named_list_finding, {"message": "The patient's consent for clinical_care does not cover showing or sending the image to this recipient (patient_representative), and nothing else allows it."})} with input as care_to({"id": "rep", "kind": "patient_representative", "relationship": "none"}, [named_only(["treating_team"])])
}
