package clinimg.rules.storage.patient_link_test

import data.clinimg.rules.storage.patient_link

transfer := {"type": "record_transfer", "event_id": "e-rt-1", "image": {"id": "img-1"}, "method": "secure_upload", "linked_to_patient": true}

finding := {
	"rule": "storage.patient_link",
	"message": "The image saved to the health record is not linked to the patient's details.",
	"guide": "Storage in the health record",
	"remedy": "Link the image to the patient's details (name, record number) in the health record.",
}

test_fail_not_linked if {
	patient_link.deny == {finding} with input as object.union(transfer, {"linked_to_patient": false})
}

test_fail_link_missing if {
	patient_link.deny == {finding} with input as object.remove(transfer, ["linked_to_patient"])
}

test_success_linked if {
	patient_link.deny == set() with input as transfer
}

test_success_not_a_transfer if {
	patient_link.deny == set() with input as {"type": "capture", "linked_to_patient": false}
}
