package clinimg.rules.patient_provided.owner_agreement_test

import data.clinimg.rules.patient_provided.owner_agreement

provided := {
	"type": "patient_provided",
	"event_id": "e-pp-1",
	"image": {"id": "img-9", "source": "patient_provided"},
	"owner_agreed_to_copy": true,
	"retention_explained": true,
}

finding := {
	"rule": "patient_provided.owner_agreement",
	"message": "A copy of the patient's (or their representative's) own image was taken without their agreement; the photo is theirs.",
	"guide": "Clinical images taken by, or provided by, patients",
	"remedy": "Ask the owner for a copy, explain how it will be used and where it will be stored, and copy it only if they agree; delete any copy taken without agreement.",
}

test_fail_copied_without_agreement if {
	owner_agreement.deny == {finding} with input as object.union(provided, {"owner_agreed_to_copy": false})
}

test_fail_agreement_not_recorded if {
	owner_agreement.deny == {finding} with input as object.remove(provided, ["owner_agreed_to_copy"])
}

test_success_owner_agreed if {
	owner_agreement.deny == set() with input as provided
}

test_success_not_patient_provided if {
	owner_agreement.deny == set() with input as object.union(provided, {"type": "capture", "owner_agreed_to_copy": false})
}
