package clinimg.rules.disclosure.non_professional_test

import data.clinimg.rules.disclosure.non_professional

disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"image": {"id": "img-1", "purposes": ["clinical_care"], "identifiable": false},
	"purpose": "clinical_care",
	"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted", "within_facility": true},
	"channel": "hospital_secure_app",
	"legal_basis": "none",
	"consents": [{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"]}],
}

finding := {
	"rule": "disclosure.non_professional",
	"message": "This is a non-professional use (social media, the public, or a personal purpose): clinical images must never be shared this way, even when the patient cannot be identified.",
	"guide": "Privacy and confidentiality",
	"remedy": "Do not post or share the image; share clinical images only with people caring for the patient, or as the patient has consented, through channels your hospital approves.",
}

# Case Study One: footage posted on Facebook, though the patient was not identifiable.
test_fail_case_study_one if {
	non_professional.deny == {finding} with input as object.union(disclosure, {
		"purpose": "personal",
		"recipient": {"id": "facebook", "kind": "social_media", "relationship": "none", "within_facility": false},
		"channel": "social_media",
		"consents": [],
	})
}

test_fail_personal_purpose if {
	non_professional.deny == {finding} with input as object.union(disclosure, {"purpose": "personal"})
}

test_fail_public_recipient if {
	non_professional.deny == {finding} with input as object.union(disclosure, {"recipient": {"id": "x", "kind": "public"}})
}

test_fail_social_media_channel if {
	non_professional.deny == {finding} with input as object.union(disclosure, {"channel": "social_media"})
}

test_success_professional_share if {
	non_professional.deny == set() with input as disclosure
}

test_success_not_a_disclosure if {
	non_professional.deny == set() with input as object.union(disclosure, {"type": "capture", "purpose": "personal"})
}
