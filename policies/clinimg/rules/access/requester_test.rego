package clinimg.rules.access.requester_test

import data.clinimg.rules.access.requester

request := {
	"type": "access_request",
	"event_id": "e-ar-1",
	"patient": {"id": "pt-1", "age_years": 54, "capacity": "full"},
	"requester": {"id": "police-1", "kind": "law_enforcement"},
	"legal_basis": "none",
	"produced": true,
	"images_produced": ["img-1"],
	"consents": [{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"]}],
}

finding(kind) := {
	"rule": "access.requester",
	"message": concat("", [
		"The record and its clinical images were produced to a requester (", kind,
		") who is not the patient or entitled to act for them, without the patient's consent naming them and without a legal basis.",
	]),
	"guide": "Use and disclosure of clinical images",
	"remedy": "Produce the record only to the patient (or the representative of a patient who cannot decide alone), with the patient's documented consent naming the requester, or on a court order or other legal requirement after seeking advice from hospital management.",
}

test_fail_police_without_an_order if {
	requester.deny == {finding("law_enforcement")} with input as request
}

test_fail_family if {
	requester.deny == {finding("family")} with input as object.union(request, {"requester": {"id": "son-1", "kind": "family"}})
}

test_fail_employer_or_insurer if {
	requester.deny == {finding("other")} with input as object.union(request, {"requester": {"id": "ins-1", "kind": "other"}})
}

test_fail_competent_adults_representative if {
	requester.deny == {finding("patient_representative")} with input as object.union(request, {"requester": {"id": "rep-1", "kind": "patient_representative"}})
}

test_fail_mature_minors_parent if {
	requester.deny == {finding("patient_representative")} with input as object.union(request, {
		"patient": {"id": "pt-1", "age_years": 16, "capacity": "full", "maturity_assessment": "mature"},
		"requester": {"id": "mum-1", "kind": "patient_representative"},
	})
}

test_fail_consent_for_other_recipients if {
	requester.deny == {finding("law_enforcement")} with input as object.union(request, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["legal_proceedings"], "recipients": ["court"]},
	]})
}

test_fail_consent_by_someone_who_may_not_give_it if {
	requester.deny == {finding("law_enforcement")} with input as object.union(request, {"consents": [
		{"status": "granted", "given_by": "substitute_decision_maker", "purposes": ["legal_proceedings"]},
	]})
}

test_fail_consent_for_some_images_only if {
	requester.deny == {finding("law_enforcement")} with input as object.union(request, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["legal_proceedings"], "image_ids": ["img-1"]},
	]})
}

test_fail_consent_withdrawn if {
	requester.deny == {finding("law_enforcement")} with input as object.union(request, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["legal_proceedings"]},
		{"status": "withdrawn", "given_by": "patient", "purposes": ["legal_proceedings"]},
	]})
}

test_success_the_patient if {
	requester.deny == set() with input as object.union(request, {"requester": {"id": "pt-1", "kind": "patient"}})
}

test_success_a_childs_parent if {
	requester.deny == set() with input as object.union(request, {
		"patient": {"id": "pt-1", "age_years": 9, "capacity": "full"},
		"requester": {"id": "mum-1", "kind": "patient_representative"},
	})
}

test_success_the_decision_maker_of_an_adult_lacking_capacity if {
	requester.deny == set() with input as object.union(request, {
		"patient": {"id": "pt-1", "age_years": 80, "capacity": "impaired"},
		"requester": {"id": "sdm-1", "kind": "patient_representative"},
	})
}

test_success_a_legal_basis if {
	requester.deny == set() with input as object.union(request, {"legal_basis": "court_order"})
}

test_success_consent_to_legal_proceedings if {
	requester.deny == set() with input as object.union(request, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["legal_proceedings"]},
	]})
}

test_success_consent_naming_the_representative if {
	requester.deny == set() with input as object.union(request, {
		"requester": {"id": "rep-1", "kind": "patient_representative"},
		"consents": [{"status": "granted", "given_by": "patient", "purposes": ["patient_access"], "recipients": ["patient", "patient_representative"]}],
	})
}

test_success_not_produced if {
	requester.deny == set() with input as object.union(request, {"produced": false})
}

test_success_not_an_access_request if {
	requester.deny == set() with input as object.union(request, {"type": "disclosure"})
}

# A child's parent may have the record; police asking for a child's record are not their parent.
test_fail_police_for_a_childs_record if {
	requester.deny == {finding("law_enforcement")} with input as object.union(request, {"patient": {"id": "pt-1", "age_years": 9, "capacity": "full"}})
}

refused_access_finding := {
	"rule": "access.requester",
	"message": "The record and its clinical images were produced to the patient's representative although a refusal or withdrawal on file covers access to the record (patient_access), and no legal basis requires it.",
	"guide": "Use and disclosure of clinical images",
	"remedy": "Produce the record only to the patient (or the representative of a patient who cannot decide alone), with the patient's documented consent naming the requester, or on a court order or other legal requirement after seeking advice from hospital management.",
}

representative_of_impaired(consents) := object.union(request, {
	"patient": {"id": "pt-1", "age_years": 70, "capacity": "impaired"},
	"requester": {"id": "sdm-1", "kind": "patient_representative"},
	"consents": consents,
})

test_fail_representative_after_a_refusal_of_access if {
	requester.deny == {refused_access_finding} with input as representative_of_impaired([
		{"status": "refused", "given_by": "patient", "capacity_at_consent": "full", "purposes": ["patient_access"], "documented_in_record": true},
	])
}

test_fail_representative_after_a_withdrawal_of_access if {
	requester.deny == {refused_access_finding} with input as representative_of_impaired([
		{"status": "withdrawn", "given_by": "substitute_decision_maker", "purposes": ["patient_access"], "documented_in_record": true},
	])
}

test_success_representative_when_a_refusal_names_other_purposes if {
	requester.deny == set() with input as representative_of_impaired([
		{"status": "refused", "given_by": "patient", "purposes": ["teaching"], "documented_in_record": true},
	])
}

test_success_representative_after_a_blanket_refusal if {
	# A refusal naming no purpose covers every purpose but the patient's own access (lib.covers_negative).
	requester.deny == set() with input as representative_of_impaired([
		{"status": "refused", "given_by": "patient", "purposes": [], "documented_in_record": true},
	])
}

test_fail_family_after_a_refusal_of_access_says_who_they_are if {
	requester.deny == {finding("family")} with input as object.union(representative_of_impaired([
		{"status": "refused", "given_by": "patient", "purposes": ["patient_access"], "documented_in_record": true},
	]), {"requester": {"id": "son-1", "kind": "family"}})
}

test_fail_competent_adults_representative_after_a_refusal_of_access if {
	requester.deny == {finding("patient_representative")} with input as object.union(request, {
		"requester": {"id": "rep-1", "kind": "patient_representative"},
		"consents": [{"status": "refused", "given_by": "patient", "purposes": ["patient_access"], "documented_in_record": true}],
	})
}

# qa12: a refusal of the patient's access naming `recipients` binds the requesters it names only.
representatives_request(refusal_recipients) := object.union(request, {
	"patient": {"id": "pt-1", "age_years": 80, "capacity": "impaired"},
	"requester": {"id": "sdm-1", "kind": "patient_representative"},
	"consents": [{"status": "refused", "given_by": "patient", "purposes": ["patient_access"], "recipients": refusal_recipients, "documented_in_record": true}],
})

test_fail_refusal_of_access_naming_the_representative if {
	requester.deny == {{
		"rule": "access.requester",
		"message": "The record and its clinical images were produced to the patient's representative although a refusal or withdrawal on file covers access to the record (patient_access), and no legal basis requires it.",
		"guide": "Use and disclosure of clinical images",
		"remedy": finding("patient_representative").remedy,
	}} with input as representatives_request(["patient_representative"])
}

test_success_refusal_of_access_naming_someone_else if {
	requester.deny == set() with input as representatives_request(["family"])
}
