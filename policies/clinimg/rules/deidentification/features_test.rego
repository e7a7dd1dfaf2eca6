package clinimg.rules.deidentification.features_test

import data.clinimg.rules.deidentification.features

disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"image": {"id": "img-1", "deidentified": true, "identifiable": false, "identifying_features": ["tattoo", "face"], "metadata_present": []},
	"purpose": "teaching",
	"recipient": {"id": "st-1", "kind": "student"},
	"channel": "in_person_display",
}

finding(message) := {
	"rule": "deidentification.features",
	"message": message,
	"guide": "De-identification of clinical images",
	"remedy": "Crop or mask every identifying feature (face, tattoos, birthmarks, jewellery, name bands) before using the image as de-identified, or obtain consent to identifiable use.",
}

test_fail_tattoo_and_face if {
	features.deny == {finding("The image is used as de-identified but still shows identifying features (face, tattoo).")} with input as disclosure
}

test_fail_marked_identifiable if {
	features.deny == {finding("The image is used as de-identified but is still marked identifiable.")} with input as object.union(disclosure, {"image": {"id": "img-1", "deidentified": true, "identifiable": true, "identifying_features": []}})
}

test_fail_features_and_identifiable_one_finding if {
	count(features.deny) == 1 with input as object.union(disclosure, {"image": {"id": "img-1", "deidentified": true, "identifiable": true, "identifying_features": ["face"]}})
}

test_success_clean if {
	features.deny == set() with input as object.union(disclosure, {"image": {"id": "img-1", "deidentified": true, "identifiable": false, "identifying_features": []}})
}

test_success_not_used_as_deidentified if {
	features.deny == set() with input as object.union(disclosure, {"image": {"id": "img-1", "deidentified": false, "identifiable": true, "identifying_features": ["face"]}})
}

# A recording's sound carries the patient's voice (lib.identifying_features).
recording(modality) := object.union(disclosure, {"image": {"id": "img-1", "modality": modality, "deidentified": true, "identifiable": false, "identifying_features": []}})

test_fail_audio_recording_carries_the_voice if {
	features.deny == {finding("The image is used as de-identified but still shows identifying features (voice).")} with input as recording("audio")
}

test_fail_video_recording_carries_the_voice if {
	count(features.deny) == 1 with input as recording("video")
}

test_fail_voice_listed if {
	count(features.deny) == 1 with input as object.union(recording("photo"), {"image": {"identifying_features": ["voice"]}})
}

test_fail_voice_said_audible if {
	count(features.deny) == 1 with input as object.union(recording("photo"), {"image": {"voice_audible": true}})
}

test_success_recording_without_a_voice if {
	features.deny == set() with input as object.union(recording("video"), {"image": {"voice_audible": false}})
}

test_success_photo if {
	features.deny == set() with input as recording("photo")
}
