package clinimg.rules.local.no_video_in_theatre_test

import data.clinimg.rules.local.no_video_in_theatre

video_in_theatre := {
	"type": "capture",
	"actor": {"id": "dr-1", "role": "registrar"},
	"image": {"id": "img-1", "modality": "video"},
	"circumstances": {"in_theatre": true},
}

test_fail_registrar_films_in_theatre if {
	no_video_in_theatre.escalate == {{
		"rule": "local.no_video_in_theatre",
		"message": "Video in the operating theatre is taken by clinical photography under this hospital's policy.",
		"guide": "Hospital policies and contracts",
		"remedy": "Ask the clinical photography service to record the procedure.",
	}} with input as video_in_theatre
}

test_success_clinical_photographer if {
	no_video_in_theatre.escalate == set() with input as object.union(video_in_theatre, {"actor": {"id": "ph-1", "role": "clinical_photographer"}})
}

test_success_photo if {
	no_video_in_theatre.escalate == set() with input as object.union(video_in_theatre, {"image": {"id": "img-1", "modality": "photo"}})
}
