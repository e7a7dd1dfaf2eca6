package clinimg.rules.storage.hard_copy_test

import data.clinimg.rules.storage.hard_copy

transfer := {"type": "record_transfer", "event_id": "e-rt-1", "image": {"id": "img-1"}, "method": "secure_upload", "linked_to_patient": true}

no_secure_system := {"secure_transfer_system": false}

finding := {
	"rule": "storage.hard_copy",
	"message": "The hospital has no secure system for transferring images, so the image must go into the record as a hard copy.",
	"guide": "Transferring the clinical image … reasonable steps",
	"remedy": "Your hospital has no secure transfer system: print the image and place the hard copy in the patient's record.",
}

test_fail_upload_without_secure_system if {
	hard_copy.deny == {finding} with input as transfer with data.clinimg.config as no_secure_system
}

test_fail_method_missing if {
	hard_copy.deny == {finding} with input as object.remove(transfer, ["method"]) with data.clinimg.config as no_secure_system
}

test_success_hard_copy if {
	hard_copy.deny == set() with input as object.union(transfer, {"method": "hard_copy"}) with data.clinimg.config as no_secure_system
}

test_success_secure_system_default if {
	hard_copy.deny == set() with input as transfer
}

test_success_not_a_transfer if {
	hard_copy.deny == set() with input as object.union(transfer, {"type": "disclosure"}) with data.clinimg.config as no_secure_system
}
