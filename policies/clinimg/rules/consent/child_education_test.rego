package clinimg.rules.consent.child_education_test

import data.clinimg.rules.consent.child_education

parent(purposes) := {"status": "granted", "given_by": "parent_guardian", "purposes": purposes, "identifiable_use": true, "documented_in_record": true}

face := {"id": "img-1", "identifiable": true, "identifying_features": ["face"], "purposes": ["clinical_care", "teaching"]}

capture := {
	"type": "capture",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 7, "capacity": "full"},
	"image": face,
	"purposes": ["clinical_care", "teaching"],
	"consents": [parent(["clinical_care", "teaching"])],
}

disclosure := {
	"type": "disclosure",
	"event_id": "e-2",
	"patient": {"id": "pt-1", "age_years": 7, "capacity": "full"},
	"image": face,
	"purpose": "teaching",
	"recipient": {"id": "st-1", "kind": "student", "relationship": "none", "within_facility": true},
	"channel": "in_person_display",
	"legal_basis": "none",
	"consents": [parent(["clinical_care", "teaching"])],
}

finding(purpose) := {
	"rule": "consent.child_education",
	"message": concat("", ["An image that may identify a child is to be used for ", purpose, " on a parent's, guardian's or decision-maker's consent, not the young person's own: seek advice first."]),
	"guide": "Children",
	"remedy": "De-identify the image if the purpose allows it; otherwise seek advice from hospital administration or your medical defence organisation, and follow the hospital's policy on images of children, before this use.",
}

test_fail_capture_for_teaching if {
	child_education.escalate == {finding("teaching")} with input as capture
}

test_fail_identifiable_teaching_on_a_parents_consent if {
	child_education.escalate == {finding("teaching")} with input as disclosure
}

test_fail_publication if {
	child_education.escalate == {finding("publication")} with input as object.union(disclosure, {
		"purpose": "publication",
		"recipient": {"id": "j-1", "kind": "publisher", "relationship": "none", "within_facility": false},
		"consents": [object.union(parent(["clinical_care"]), {"publication": true})],
	})
}

test_fail_identifiability_not_stated_at_capture if {
	child_education.escalate == {finding("research")} with input as object.union(object.remove(capture, ["image"]), {
		"image": {"id": "img-1"},
		"purposes": ["research"],
		"consents": [parent(["research"])],
	})
}

test_fail_a_young_person_lacking_capacity if {
	child_education.escalate == {finding("teaching")} with input as object.union(disclosure, {"patient": {"age_years": 16, "mature_minor_assessed": true, "capacity": "impaired"}})
}

test_success_deidentified_image if {
	child_education.escalate == set() with input as object.union(object.remove(disclosure, ["image"]), {"image": {"id": "img-1", "identifiable": false, "identifying_features": []}})
}

test_success_clinical_care if {
	child_education.escalate == set() with input as object.union(capture, {"purposes": ["clinical_care"]})
}

test_success_a_mature_minors_own_consent if {
	child_education.escalate == set() with input as object.union(disclosure, {
		"patient": {"age_years": 16, "mature_minor_assessed": true, "capacity": "full"},
		"consents": [object.union(parent(["clinical_care", "teaching"]), {"given_by": "patient"})],
	})
}

test_success_an_adult if {
	child_education.escalate == set() with input as object.union(disclosure, {
		"patient": {"age_years": 18},
		"consents": [object.union(parent(["clinical_care", "teaching"]), {"given_by": "patient"})],
	})
}

# Without consent to identifiable use, the use is denied instead (disclosure.deidentify_for_education).
test_success_no_consent_to_identifiable_use_is_the_deny_of_another_rule if {
	child_education.escalate == set() with input as object.union(disclosure, {"consents": [object.union(parent(["clinical_care", "teaching"]), {"identifiable_use": false})]})
}

test_success_no_valid_consent_is_for_other_rules if {
	child_education.escalate == set() with input as object.union(capture, {"consents": []})
}

test_success_a_deidentified_image_taken_for_teaching if {
	child_education.escalate == set() with input as object.union(object.remove(capture, ["image"]), {"image": {"id": "img-1", "identifiable": false, "identifying_features": []}})
}

test_success_an_adult_lacking_capacity_is_substitute_education if {
	child_education.escalate == set() with input as object.union(disclosure, {
		"patient": {"age_years": 80, "capacity": "impaired"},
		"consents": [object.union(parent(["clinical_care", "teaching"]), {"given_by": "substitute_decision_maker"})],
	})
}
