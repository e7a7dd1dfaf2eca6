package clinimg.rules.collection.personal_device_approval_test

import data.clinimg.rules.collection.personal_device_approval

device := {"id": "ph-1", "owner": "personal"}

capture(dev) := {
	"type": "capture",
	"event_id": "e-1",
	"actor": {"id": "dr-1", "role": "intern", "device": dev},
	"purposes": ["clinical_care"],
}

with_approval := {"personal_devices": "with_approval"}

finding := {
	"rule": "collection.personal_device_approval",
	"message": "This hospital allows personal mobile devices only with approval, and none is recorded for this device.",
	"guide": "Hospital policies and contracts",
	"remedy": "Have the device approved under the hospital's policy before using it for clinical images, or use the hospital's equipment.",
}

test_fail_no_approval_recorded if {
	personal_device_approval.escalate == {finding} with input as capture(device) with data.clinimg.config as with_approval
}

test_fail_approval_false if {
	personal_device_approval.escalate == {finding} with input as capture(object.union(device, {"approved": false})) with data.clinimg.config as with_approval
}

test_success_approved if {
	personal_device_approval.escalate == set() with input as capture(object.union(device, {"approved": true})) with data.clinimg.config as with_approval
}

test_success_allowed_by_default if {
	personal_device_approval.escalate == set() with input as capture(device)
}

test_success_hospital_device if {
	personal_device_approval.escalate == set() with input as capture({"id": "cam-1", "owner": "hospital"}) with data.clinimg.config as with_approval
}
