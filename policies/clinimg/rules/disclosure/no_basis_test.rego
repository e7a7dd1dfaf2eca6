package clinimg.rules.disclosure.no_basis_test

import data.clinimg.rules.disclosure.no_basis

disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"image": {"id": "img-1", "purposes": ["clinical_care"], "identifiable": false},
	"purpose": "research",
	"recipient": {"id": "res-1", "kind": "researcher", "relationship": "none", "within_facility": false},
	"channel": "hospital_email",
	"legal_basis": "none",
	"consents": [],
}

finding := {
	"rule": "disclosure.no_basis",
	"message": "Nothing allows this disclosure: it is not what the image was taken for, it is not clinical care the patient would expect, the patient has not consented, and no law requires it.",
	"guide": "Use and disclosure of clinical images",
	"remedy": "Do not send the image; obtain and document the patient's consent for this purpose, or seek advice from hospital management if you believe the law permits the disclosure.",
}

test_fail_no_consent_no_purpose if {
	no_basis.deny == {finding} with input as disclosure
}

test_fail_only_refusals_for_other_purposes_on_file if {
	no_basis.deny == {finding} with input as object.union(disclosure, {"consents": [{"status": "refused", "purposes": ["teaching"]}]})
}

test_success_refusal_for_the_purpose_is_consent_refused if {
	no_basis.deny == set() with input as object.union(disclosure, {"consents": [{"status": "refused", "purposes": ["research"]}]})
}

test_fail_clinical_care_to_family if {
	# Clinical care is a related purpose only towards people caring for the patient.
	no_basis.deny == {object.union(finding, {"message": "Nothing allows this disclosure: it is not what the image was taken for, it is not clinical care by the people caring for the patient, the patient has not consented, and no law requires it."})} with input as object.union(disclosure, {
		"image": {"id": "img-1", "purposes": ["teaching"]},
		"purpose": "clinical_care",
		"recipient": {"id": "fam-1", "kind": "family"},
	})
}

test_fail_clinician_with_no_part_in_care if {
	no_basis.deny == {object.union(finding, {"message": "Nothing allows this disclosure: the image was taken for this purpose, but the patient never consented to it, it is not clinical care by the people caring for the patient, the patient has not consented, and no law requires it."})} with input as object.union(disclosure, {
		"purpose": "clinical_care",
		"recipient": {"id": "dr-8", "kind": "clinician", "relationship": "none"},
		"channel": "personal_email",
	})
}

test_fail_taken_for_research_without_consent if {
	# A capture that claimed research without consent does not make research a primary purpose.
	no_basis.deny == {object.union(finding, {"message": "Nothing allows this disclosure: the image was taken for this purpose, but the patient never consented to it, it is not clinical care the patient would expect, the patient has not consented, and no law requires it."})} with input as object.union(disclosure, {"image": {"id": "img-1", "purposes": ["research"]}})
}

test_success_secondary_purpose if {
	no_basis.deny == set() with input as object.union(disclosure, {
		"purpose": "clinical_care",
		"image": {"id": "img-1", "purposes": ["teaching"]},
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
	})
}

test_success_consent_covers if {
	no_basis.deny == set() with input as object.union(disclosure, {"consents": [{"status": "granted", "given_by": "patient", "purposes": ["research"]}]})
}

test_success_some_consent_is_scope_not_no_basis if {
	no_basis.deny == set() with input as object.union(disclosure, {"consents": [{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"]}]})
}

test_success_legal_basis if {
	no_basis.deny == set() with input as object.union(disclosure, {"legal_basis": "required_by_law"})
}

test_success_non_professional if {
	no_basis.deny == set() with input as object.union(disclosure, {"purpose": "personal"})
}

test_success_not_a_disclosure if {
	no_basis.deny == set() with input as object.union(disclosure, {"type": "capture"})
}

# A child assessed as mature decides for themselves: their parent is not part of their care,
# nor gets their record copy, without the young person's consent naming them.
mature_minor_to_parent := object.union(disclosure, {
	"purpose": "clinical_care",
	"patient": {"id": "pt-1", "age_years": 16, "capacity": "full", "maturity_assessment": "mature"},
	"recipient": {"id": "mum-1", "kind": "patient_representative", "relationship": "none"},
	"channel": "in_person_display",
})

care_finding := object.union(finding, {"message": "Nothing allows this disclosure: the image was taken for this purpose, but the patient never consented to it, it is not clinical care by the people caring for the patient, the patient has not consented, and no law requires it."})

test_fail_mature_minor_image_to_parent if {
	no_basis.deny == {care_finding} with input as mature_minor_to_parent
}

test_fail_mature_minor_record_copy_to_parent if {
	no_basis.deny == {finding} with input as object.union(mature_minor_to_parent, {"purpose": "patient_access"})
}

test_success_mature_minor_lacking_capacity_image_to_parent if {
	no_basis.deny == set() with input as object.union(mature_minor_to_parent, {"patient": {"capacity": "impaired_temporary"}})
}

test_success_unassessed_child_image_to_parent if {
	no_basis.deny == set() with input as object.union(mature_minor_to_parent, {"patient": {"maturity_assessment": "not_assessed"}})
}

# A medical student on the treating team is part of the team caring for the patient.
to_student(relationship) := object.union(disclosure, {
	"purpose": "clinical_care",
	"recipient": {"id": "st-1", "kind": "student", "relationship": relationship, "within_facility": true},
})

test_success_student_on_the_treating_team if {
	no_basis.deny == set() with input as to_student("treating_team")
}

test_fail_student_with_no_part_in_care if {
	count(no_basis.deny) == 1 with input as to_student("none")
}

test_fail_student_said_consulted if {
	count(no_basis.deny) == 1 with input as to_student("consulted")
}

# qa10: a court order stated on a teaching disclosure is no legal basis for it.
test_fail_teaching_on_a_court_order if {
	no_basis.deny == {finding} with input as object.union(disclosure, {
		"purpose": "teaching",
		"recipient": {"id": "students-1", "kind": "student", "relationship": "none", "within_facility": true},
		"legal_basis": "court_order",
	})
}

test_success_research_on_a_legal_basis_is_legal_advice if {
	no_basis.deny == set() with input as object.union(disclosure, {"legal_basis": "required_by_law"})
}
