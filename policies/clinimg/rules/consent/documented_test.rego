package clinimg.rules.consent.documented_test

import data.clinimg.rules.consent.documented

consent(purposes, documented) := {
	"status": "granted", "given_by": "patient", "purposes": purposes,
	"documented_in_record": documented, "written_form": false,
}

capture := {
	"type": "capture",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 54, "capacity": "full"},
	"image": {"id": "img-1"},
	"purposes": ["clinical_care", "teaching"],
	"consents": [consent(["clinical_care", "teaching"], true)],
}

finding(label) := {
	"rule": "consent.documented",
	"message": sprintf("You are relying on %s, but it is not documented in the health record.", [label]),
	"guide": "Documenting the consent process",
	"remedy": "Document the consent process in the health record, including its scope and details (what the image is for, how it will be used, who will see it).",
}

# Case Study Three: verbal consent to therapeutic and teaching photos, never recorded.
test_fail_case_study_three if {
	documented.deny == {finding("the consent for clinical_care, teaching")} with input as object.union(capture, {"consents": [consent(["clinical_care", "teaching"], false)]})
}

test_fail_flag_missing if {
	documented.deny == {finding("the consent for clinical_care")} with input as object.union(capture, {
		"purposes": ["clinical_care"],
		"consents": [{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"]}],
	})
}

test_fail_one_of_two_undocumented if {
	documented.deny == {finding("the consent for teaching")} with input as object.union(capture, {"consents": [
		consent(["clinical_care"], true),
		consent(["teaching"], false),
	]})
}

test_fail_disclosure_relying_on_consent if {
	documented.deny == {finding("the consent for research")} with input as {
		"type": "disclosure",
		"event_id": "e-2",
		"image": {"id": "img-1", "purposes": ["clinical_care"]},
		"purpose": "research",
		"recipient": {"id": "r-1", "kind": "researcher", "relationship": "none"},
		"legal_basis": "none",
		"consents": [consent(["research"], false)],
	}
}

test_success_documented if {
	documented.deny == set() with input as capture
}

test_success_undocumented_consent_not_relied_on if {
	documented.deny == set() with input as object.union(capture, {
		"purposes": ["clinical_care"],
		"consents": [consent(["clinical_care"], true), consent(["publication"], false)],
	})
}

test_success_disclosure_on_primary_purpose if {
	documented.deny == set() with input as {
		"type": "disclosure",
		"event_id": "e-2",
		"image": {"id": "img-1", "purposes": ["clinical_care"]},
		"purpose": "clinical_care",
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
		"legal_basis": "none",
		"consents": [consent(["clinical_care"], false)],
	}
}

test_fail_consent_naming_no_purpose_is_the_consent if {
	# A grant that covers publication by its flag alone names no purpose: "the consent".
	documented.deny == {{
		"rule": "consent.documented",
		"message": "You are relying on the consent, but it is not documented in the health record.",
		"guide": "Documenting the consent process",
		"remedy": "Document the consent process in the health record, including its scope and details (what the image is for, how it will be used, who will see it).",
	}} with input as {
		"type": "capture", "event_id": "e-1", "image": {"id": "img-1"}, "purposes": ["publication"],
		"consents": [{"status": "granted", "given_by": "patient", "purposes": [], "publication": true, "documented_in_record": false}],
	}
}

# The primary purpose rests on consent too, unless it is also a secondary purpose needing none:
# teaching students from an image taken for teaching under a verbal, unrecorded consent.
primary_teaching := {
	"type": "disclosure",
	"event_id": "e-2",
	"patient": {"id": "pt-1", "age_years": 54, "capacity": "full"},
	"image": {"id": "img-1", "purposes": ["clinical_care", "teaching"]},
	"purpose": "teaching",
	"recipient": {"id": "st-1", "kind": "student", "relationship": "none"},
	"legal_basis": "none",
	"consents": [consent(["clinical_care", "teaching"], false)],
}

test_fail_disclosure_on_primary_purpose_not_also_secondary if {
	documented.deny == {finding("the consent for clinical_care, teaching")} with input as primary_teaching
}

test_fail_primary_purpose_to_a_recipient_only_the_consent_names if {
	documented.deny == {finding("the consent for clinical_care")} with input as object.union(primary_teaching, {
		"purpose": "clinical_care",
		"recipient": {"id": "son-1", "kind": "family", "relationship": "none"},
		"consents": [object.union(consent(["clinical_care"], false), {"recipients": ["family"]})],
	})
}

test_success_primary_purpose_documented if {
	documented.deny == set() with input as object.union(primary_teaching, {"consents": [consent(["clinical_care", "teaching"], true)]})
}

# A non-professional disclosure rests on no consent at all (disclosure.non_professional says why):
# the consent's documentation is not what is wrong with it.
test_success_non_professional_disclosure_relies_on_no_consent if {
	documented.deny == set() with input as object.union(primary_teaching, {
		"recipient": {"id": "feed-1", "kind": "social_media", "relationship": "none"},
		"consents": [object.union(consent(["clinical_care", "teaching"], false), {"recipients": ["social_media"]})],
	})
}

# qa10: the record produced to police on the patient's consent to legal proceedings relies on that
# consent (the police are entitled to it only through it): an unrecorded one is a finding.
access_request(requester, consents) := {
	"type": "access_request",
	"event_id": "e-ar-1",
	"patient": {"id": "pt-1", "age_years": 54, "capacity": "full"},
	"requester": {"id": "r-1", "kind": requester},
	"legal_basis": "none",
	"produced": true,
	"consents": consents,
}

test_fail_record_to_police_on_an_unrecorded_consent if {
	documented.deny == {finding("the consent for legal_proceedings")} with input as access_request("law_enforcement", [consent(["legal_proceedings"], false)])
}

test_fail_record_to_a_named_insurer_on_an_unrecorded_consent if {
	documented.deny == {finding("the consent for patient_access")} with input as access_request("other", [object.union(consent(["patient_access"], false), {"recipients": ["other"]})])
}

test_success_record_to_police_on_a_recorded_consent if {
	documented.deny == set() with input as access_request("law_enforcement", [consent(["legal_proceedings"], true)])
}

test_success_patients_own_request_relies_on_no_consent if {
	documented.deny == set() with input as access_request("patient", [consent(["patient_access"], false)])
}

test_success_record_not_produced if {
	documented.deny == set() with input as object.union(access_request("law_enforcement", [consent(["legal_proceedings"], false)]), {"produced": false})
}

test_success_young_childs_parent_relies_on_no_consent if {
	documented.deny == set() with input as object.union(access_request("patient_representative", [object.union(consent(["patient_access"], false), {"given_by": "parent_guardian"})]), {"patient": {"id": "pt-1", "age_years": 7, "capacity": "full"}})
}
