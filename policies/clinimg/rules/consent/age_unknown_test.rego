package clinimg.rules.consent.age_unknown_test

import data.clinimg.rules.consent.age_unknown

own(purposes) := {"status": "granted", "given_by": "patient", "purposes": purposes, "identifiable_use": true, "documented_in_record": true}

no_age := {"id": "pt-1", "capacity": "full"}

capture := {
	"type": "capture",
	"event_id": "e-1",
	"patient": no_age,
	"image": {"id": "img-1", "identifiable": true, "identifying_features": ["face"]},
	"purposes": ["clinical_care", "teaching"],
	"consents": [own(["clinical_care", "teaching"])],
}

disclosure := {
	"type": "disclosure",
	"event_id": "e-2",
	"patient": no_age,
	"image": {"id": "img-1", "identifiable": true, "identifying_features": ["face"], "purposes": ["clinical_care"]},
	"purpose": "publication",
	"recipient": {"id": "journal-1", "kind": "publisher", "relationship": "none", "within_facility": false},
	"channel": "publication",
	"legal_basis": "none",
	"consents": [own(["publication"])],
}

finding(label) := {
	"rule": "consent.age_unknown",
	"message": concat("", ["This rests on the patient's own consent (", label, "), but their age is not recorded: a child's own consent counts only once they are assessed as mature enough to give it."]),
	"guide": "Children",
	"remedy": "Record the patient's age; if they are under 18, assess whether they are mature enough to consent for themselves, and otherwise obtain and document a parent's or guardian's consent.",
}

test_fail_capture_on_own_consent_age_not_stated if {
	age_unknown.escalate == {finding("the consent for clinical_care, teaching")} with input as capture
}

test_fail_publication_on_own_consent_age_not_stated if {
	age_unknown.escalate == {finding("the consent for publication")} with input as disclosure
}

test_fail_age_not_a_number if {
	age_unknown.escalate == {finding("the consent for publication")} with input as object.union(disclosure, {"patient": {"id": "pt-1", "age_years": null, "capacity": "full"}})
}

test_fail_record_to_police_on_own_consent_age_not_stated if {
	age_unknown.escalate == {finding("the consent for legal_proceedings")} with input as {
		"type": "access_request",
		"event_id": "e-3",
		"patient": no_age,
		"requester": {"id": "police-1", "kind": "law_enforcement"},
		"legal_basis": "none",
		"produced": true,
		"consents": [own(["legal_proceedings"])],
	}
}

test_success_age_stated_adult if {
	age_unknown.escalate == set() with input as object.union(disclosure, {"patient": {"id": "pt-1", "age_years": 40, "capacity": "full"}})
}

test_success_age_stated_child if {
	age_unknown.escalate == set() with input as object.union(capture, {"patient": {"id": "pt-1", "age_years": 16, "capacity": "full", "mature_minor_assessed": true}})
}

test_success_care_to_a_consulted_clinician_needs_no_consent if {
	age_unknown.escalate == set() with input as object.union(disclosure, {
		"purpose": "clinical_care",
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted", "within_facility": true},
		"channel": "hospital_secure_app",
		"consents": [own(["clinical_care"])],
	})
}

test_success_no_consent_relied_on if {
	age_unknown.escalate == set() with input as object.union(capture, {"consents": []})
}

test_success_a_parents_consent_is_not_the_patients_own if {
	age_unknown.escalate == set() with input as object.union(capture, {"consents": [object.union(own(["clinical_care", "teaching"]), {"given_by": "parent_guardian"})]})
}
