package clinimg.rules.disclosure.publication_consent_test

import data.clinimg.rules.disclosure.publication_consent

teaching_consent := {"status": "granted", "given_by": "patient", "purposes": ["teaching"], "recipients": ["publisher"], "documented_in_record": true}

disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 54, "capacity": "full"},
	"image": {"id": "img-1", "deidentified": true, "purposes": ["clinical_care"]},
	"purpose": "teaching",
	"recipient": {"id": "journal-1", "kind": "publisher", "relationship": "none", "within_facility": false},
	"channel": "publication",
	"legal_basis": "none",
	"consents": [teaching_consent],
}

finding(purpose, why) := {
	"rule": "disclosure.publication_consent",
	"message": concat("", ["The image is to be published (or sent to a publisher) for ", purpose, ", but ", why, ": consent to ", purpose, " is not consent to publication."]),
	"guide": "Scope and nature of consent",
	"remedy": "Do not publish the image, or send it to a publisher, until the patient (or whoever may consent for them) has consented to its publication, knowing it cannot be recalled once published; document that consent.",
}

no_consent := "no valid consent to publication covers this image"

refused := "the patient refused or withdrew consent to publication"

test_fail_teaching_published_without_consent_to_publication if {
	publication_consent.deny == {finding("teaching", no_consent)} with input as disclosure
}

test_fail_teaching_published_over_a_refusal_of_publication if {
	publication_consent.deny == {finding("teaching", refused)} with input as object.union(disclosure, {"consents": [
		teaching_consent,
		{"status": "refused", "given_by": "patient", "purposes": ["publication"], "documented_in_record": true},
	]})
}

test_fail_research_sent_to_a_publisher_by_email if {
	publication_consent.deny == {finding("research", no_consent)} with input as object.union(disclosure, {
		"purpose": "research",
		"channel": "hospital_email",
		"consents": [object.union(teaching_consent, {"purposes": ["research"]})],
	})
}

test_fail_published_to_another_kind_of_recipient if {
	publication_consent.deny == {finding("teaching", no_consent)} with input as object.union(disclosure, {
		"recipient": {"id": "site-1", "kind": "other", "relationship": "none", "within_facility": false},
	})
}

test_fail_publication_consent_for_another_image if {
	publication_consent.deny == {finding("teaching", no_consent)} with input as object.union(disclosure, {"consents": [
		teaching_consent,
		{"status": "granted", "given_by": "patient", "purposes": ["publication"], "image_ids": ["img-2"], "documented_in_record": true},
	]})
}

test_fail_publication_consent_nobody_able_gave if {
	publication_consent.deny == {finding("teaching", no_consent)} with input as object.union(disclosure, {"consents": [
		teaching_consent,
		{"status": "granted", "given_by": "substitute_decision_maker", "purposes": ["publication"], "documented_in_record": true},
	]})
}

test_success_consent_to_publication_by_flag if {
	publication_consent.deny == set() with input as object.union(disclosure, {"consents": [object.union(teaching_consent, {"publication": true})]})
}

test_success_consent_naming_publication if {
	publication_consent.deny == set() with input as object.union(disclosure, {"consents": [teaching_consent, {"status": "granted", "given_by": "patient", "purposes": ["publication"], "documented_in_record": true}]})
}

test_success_the_purpose_is_publication if {
	publication_consent.deny == set() with input as object.union(disclosure, {"purpose": "publication", "consents": []})
}

test_success_not_published if {
	publication_consent.deny == set() with input as object.union(disclosure, {
		"recipient": {"id": "students-1", "kind": "student", "relationship": "none", "within_facility": true},
		"channel": "in_person_display",
	})
}

test_success_social_media_is_non_professional if {
	publication_consent.deny == set() with input as object.union(disclosure, {
		"recipient": {"id": "fb", "kind": "social_media", "relationship": "none", "within_facility": false},
	})
}

test_success_not_a_disclosure if {
	publication_consent.deny == set() with input as object.union(disclosure, {"type": "capture", "purposes": ["teaching"]})
}
