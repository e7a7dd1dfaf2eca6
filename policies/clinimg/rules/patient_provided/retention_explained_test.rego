package clinimg.rules.patient_provided.retention_explained_test

import data.clinimg.rules.patient_provided.retention_explained

provided := {
	"type": "patient_provided",
	"event_id": "e-pp-1",
	"image": {"id": "img-9", "source": "patient_provided"},
	"owner_agreed_to_copy": true,
	"retention_explained": true,
}

finding := {
	"rule": "patient_provided.retention_explained",
	"message": "The owner of the image was not told that the copy will be kept with the health record until the retention period expires.",
	"guide": "Clinical images taken by, or provided by, patients",
	"remedy": "Tell the owner the copy will be kept with the health record and cannot be deleted until the retention period expires, and note that you told them.",
}

test_fail_not_explained if {
	retention_explained.warn == {finding} with input as object.union(provided, {"retention_explained": false})
}

test_fail_not_recorded if {
	retention_explained.warn == {finding} with input as object.remove(provided, ["retention_explained"])
}

test_success_explained if {
	retention_explained.warn == set() with input as provided
}

test_success_not_patient_provided if {
	retention_explained.warn == set() with input as object.union(provided, {"type": "capture", "retention_explained": false})
}
