package clinimg.rules.disclosure.deidentify_for_education_test

import data.clinimg.rules.disclosure.deidentify_for_education

disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"image": {"id": "img-1", "purposes": ["clinical_care"], "identifiable": true, "identifying_features": ["face"]},
	"purpose": "teaching",
	"recipient": {"id": "st-1", "kind": "student", "relationship": "none", "within_facility": true},
	"channel": "in_person_display",
	"legal_basis": "none",
	"consents": [{"status": "granted", "given_by": "patient", "purposes": ["clinical_care", "teaching"], "identifiable_use": false}],
}

finding(purpose) := {
	"rule": "disclosure.deidentify_for_education",
	"message": concat("", [
		"The image is identifiable and is to be used for ", purpose,
		" without the patient's consent to identifiable use: de-identify it first.",
	]),
	"guide": "De-identification of clinical images",
	"remedy": "De-identify the image (faces, tattoos and other features, and its metadata) before this use, or obtain and document the patient's consent to identifiable use.",
}

test_fail_identifiable_teaching if {
	deidentify_for_education.deny == {finding("teaching")} with input as disclosure
}

test_fail_message_text if {
	deidentify_for_education.deny == {{
		"rule": "disclosure.deidentify_for_education",
		"message": "The image is identifiable and is to be used for publication without the patient's consent to identifiable use: de-identify it first.",
		"guide": "De-identification of clinical images",
		"remedy": "De-identify the image (faces, tattoos and other features, and its metadata) before this use, or obtain and document the patient's consent to identifiable use.",
	}} with input as object.union(disclosure, {"purpose": "publication", "consents": [{"status": "granted", "given_by": "patient", "publication": true}]})
}

test_fail_identifiable_consent_for_other_purpose if {
	deidentify_for_education.deny == {finding("research")} with input as object.union(disclosure, {
		"purpose": "research",
		"consents": [{"status": "granted", "given_by": "patient", "purposes": ["teaching", "research"]}, {"status": "granted", "given_by": "patient", "purposes": ["teaching"], "identifiable_use": true}],
	})
}

test_fail_identifiable_consent_withdrawn if {
	deidentify_for_education.deny == {finding("teaching")} with input as object.union(disclosure, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "identifiable_use": true},
		{"status": "withdrawn", "purposes": ["teaching"]},
	]})
}

test_success_consent_to_identifiable_use if {
	deidentify_for_education.deny == set() with input as object.union(disclosure, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "identifiable_use": true},
	]})
}

test_fail_features_contradict_the_flags if {
	deidentify_for_education.deny == {{
		"rule": "disclosure.deidentify_for_education",
		"message": "The image is marked as not identifiable, but it shows identifying features (tattoo), so it is identifiable and is to be used for teaching without the patient's consent to identifiable use: de-identify it first.",
		"guide": "De-identification of clinical images",
		"remedy": "De-identify the image (faces, tattoos and other features, and its metadata) before this use, or obtain and document the patient's consent to identifiable use.",
	}} with input as object.union(disclosure, {"image": {"id": "img-1", "identifiable": false, "deidentified": true, "identifying_features": ["tattoo"]}})
}

test_success_not_identifiable if {
	deidentify_for_education.deny == set() with input as object.union(disclosure, {"image": {"id": "img-1", "identifiable": false, "identifying_features": []}})
}

test_success_identifiable_use_by_an_invalid_giver_is_left_to_consent_rules if {
	# A consent to identifiable use from someone who could not give it is no consent to it.
	# (An adult able to decide: with no age stated, a decision-maker's consent is taken as given and
	# consent.age_unknown asks for the age.)
	deidentify_for_education.deny == {finding("teaching")} with input as object.union(disclosure, {
		"patient": {"id": "pt-1", "age_years": 40, "capacity": "full"},
		"consents": [{"status": "granted", "given_by": "substitute_decision_maker", "purposes": ["teaching"], "identifiable_use": true}],
	})
}

test_success_clinical_care if {
	deidentify_for_education.deny == set() with input as object.union(disclosure, {"purpose": "clinical_care"})
}

test_fail_marked_identifiable_and_deidentified_without_features if {
	# No features listed: nothing contradicts `identifiable: true`, the plain message.
	deidentify_for_education.deny == {finding("teaching")} with input as object.union(disclosure, {"image": {"id": "img-1", "identifiable": true, "deidentified": true, "identifying_features": []}})
}

test_fail_identifiable_features_not_deidentified if {
	# Flags that agree with the features (identifiable, not de-identified): the plain message.
	deidentify_for_education.deny == {finding("teaching")} with input as object.union(disclosure, {"image": {"id": "img-1", "identifiable": true, "deidentified": false, "identifying_features": ["face"]}})
}

test_fail_deidentified_flag_contradicts_features if {
	deidentify_for_education.deny == {object.union(finding("teaching"), {"message": "The image is marked as not identifiable, but it shows identifying features (face, tattoo), so it is identifiable and is to be used for teaching without the patient's consent to identifiable use: de-identify it first."})} with input as object.union(disclosure, {"image": {"id": "img-1", "identifiable": true, "deidentified": true, "identifying_features": ["tattoo", "face"]}})
}

contradiction(features) := object.union(finding("teaching"), {"message": concat("", ["The image is marked as not identifiable, but it shows identifying features (", features, "), so it is identifiable and is to be used for teaching without the patient's consent to identifiable use: de-identify it first."])})

test_fail_not_identifiable_flag_contradicts_one_feature if {
	deidentify_for_education.deny == {contradiction("tattoo")} with input as object.union(disclosure, {"image": {"id": "img-1", "identifiable": false, "deidentified": false, "identifying_features": ["tattoo"]}})
}

test_fail_deidentified_flag_contradicts_one_feature if {
	deidentify_for_education.deny == {contradiction("birthmark")} with input as object.union(disclosure, {"image": {"id": "img-1", "identifiable": true, "deidentified": true, "identifying_features": ["birthmark"]}})
}

# Consent to identifiable use reaches the recipients that consent names, not those of another
# consent for the same purpose: the face the students may see is not shown to every clinician.
test_fail_identifiable_use_consented_for_other_recipients if {
	deidentify_for_education.deny == {finding("teaching")} with input as object.union(disclosure, {
		"recipient": {"id": "dr-9", "kind": "clinician", "relationship": "none", "within_facility": true},
		"image": {"id": "img-1", "purposes": ["clinical_care"], "identifiable": true, "identifying_features": []},
		"consents": [
			{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "recipients": ["student"], "identifiable_use": true},
			{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "recipients": ["clinician"], "identifiable_use": false},
		],
	})
}

test_success_identifiable_use_consented_for_this_recipient if {
	deidentify_for_education.deny == set() with input as object.union(disclosure, {"consents": [
		{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "recipients": ["student"], "identifiable_use": true},
		{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "recipients": ["clinician"], "identifiable_use": false},
	]})
}

test_fail_audio_recording_taught_without_consent_to_identifiable_use if {
	deidentify_for_education.deny == {object.union(finding("teaching"), {"message": "The image is marked as not identifiable, but it shows identifying features (voice), so it is identifiable and is to be used for teaching without the patient's consent to identifiable use: de-identify it first."})} with input as object.union(disclosure, {"image": {"modality": "audio", "identifiable": false, "identifying_features": []}})
}

test_success_recording_without_a_voice if {
	deidentify_for_education.deny == set() with input as object.union(disclosure, {"image": {"modality": "audio", "voice_audible": false, "identifiable": false, "identifying_features": []}})
}

# qa9: an image the request says nothing about is not taken to be de-identified (fail closed).
test_fail_identifiability_not_stated if {
	deidentify_for_education.deny == {{
		"rule": "disclosure.deidentify_for_education",
		"message": "Nothing says whether the image identifies the patient (neither image.identifiable nor image.deidentified is given), so it is treated as identifiable and is to be used for teaching without the patient's consent to identifiable use: de-identify it first.",
		"guide": "De-identification of clinical images",
		"remedy": "De-identify the image (faces, tattoos and other features, and its metadata) before this use, or obtain and document the patient's consent to identifiable use.",
	}} with input as object.union(object.remove(disclosure, ["image"]), {"image": {"id": "img-1", "purposes": ["clinical_care"]}})
}

test_success_declared_deidentified_without_the_identifiable_flag if {
	deidentify_for_education.deny == set() with input as object.union(object.remove(disclosure, ["image"]), {"image": {"id": "img-1", "deidentified": true}})
}

test_success_identifiability_not_stated_with_consent_to_identifiable_use if {
	deidentify_for_education.deny == set() with input as object.union(object.remove(disclosure, ["image"]), {
		"image": {"id": "img-1"},
		"consents": [{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "identifiable_use": true}],
	})
}

# qa11: the patient's later consent to the same purpose governs from when it was given (as a
# partial withdrawal): a later grant that does not allow identifiable use narrows an earlier one.
dated := object.union(disclosure, {
	"occurred_at": "2026-11-20T09:00:00+11:00",
	"patient": {"id": "pt-1", "age_years": 54, "capacity": "full"},
})

broad := {"status": "granted", "given_by": "patient", "purposes": ["teaching"], "identifiable_use": true, "given_at": "2026-11-01T09:00:00+11:00"}

narrow := {"status": "granted", "given_by": "patient", "purposes": ["teaching"], "identifiable_use": false, "given_at": "2026-11-10T09:00:00+11:00"}

test_fail_identifiable_use_narrowed_by_a_later_grant if {
	deidentify_for_education.deny == {finding("teaching")} with input as object.union(dated, {"consents": [broad, narrow]})
}

test_fail_narrowed_by_a_later_grant_silent_on_identifiable_use if {
	deidentify_for_education.deny == {finding("teaching")} with input as object.union(dated, {"consents": [broad, object.remove(narrow, ["identifiable_use"])]})
}

test_fail_narrowed_by_a_later_grant_for_this_image if {
	deidentify_for_education.deny == {finding("teaching")} with input as object.union(dated, {"consents": [broad, object.union(narrow, {"image_ids": ["img-1"]})]})
}

test_success_narrowing_grant_dated_after_the_disclosure if {
	deidentify_for_education.deny == set() with input as object.union(dated, {"consents": [broad, object.union(narrow, {"given_at": "2026-11-21T09:00:00+11:00"})]})
}

test_success_narrowing_grant_earlier_than_the_broad_one if {
	deidentify_for_education.deny == set() with input as object.union(dated, {"consents": [broad, object.union(narrow, {"given_at": "2026-10-01T09:00:00+11:00"})]})
}

test_success_narrowing_grant_for_another_image if {
	deidentify_for_education.deny == set() with input as object.union(dated, {"consents": [broad, object.union(narrow, {"image_ids": ["img-2"]})]})
}

test_success_narrowing_grant_for_another_purpose if {
	deidentify_for_education.deny == set() with input as object.union(dated, {"consents": [broad, object.union(narrow, {"purposes": ["research"]})]})
}

# Undated: grants add up (an additional consent), as they did.
test_success_undated_grants_add_up if {
	deidentify_for_education.deny == set() with input as object.union(dated, {"consents": [object.remove(broad, ["given_at"]), object.remove(narrow, ["given_at"])]})
}

# A later grant nobody able to consent gave narrows nothing.
test_success_narrowing_grant_by_someone_without_authority if {
	deidentify_for_education.deny == set() with input as object.union(dated, {"consents": [broad, object.union(narrow, {"given_by": "parent_guardian"})]})
}

test_success_later_grant_also_allows_identifiable_use if {
	deidentify_for_education.deny == set() with input as object.union(dated, {"consents": [broad, object.union(narrow, {"identifiable_use": true})]})
}
