package clinimg.rules.collection.personal_device_prohibited_test

import data.clinimg.rules.collection.personal_device_prohibited

capture := {
	"type": "capture",
	"event_id": "e-1",
	"actor": {"id": "dr-1", "role": "intern", "device": {"id": "ph-1", "owner": "personal"}},
	"purposes": ["clinical_care"],
}

hospital_device := object.union(capture, {"actor": {"id": "dr-1", "role": "intern", "device": {"id": "cam-1", "owner": "hospital"}}})

test_fail_prohibited if {
	personal_device_prohibited.deny == {{
		"rule": "collection.personal_device_prohibited",
		"message": "This hospital prohibits taking clinical images on a personal mobile device.",
		"guide": "Hospital policies and contracts",
		"remedy": "Use the hospital's equipment to take the image, as the hospital policy requires.",
	}} with input as capture with data.clinimg.config as {"personal_devices": "prohibited"}
}

test_success_allowed_by_default if {
	personal_device_prohibited.deny == set() with input as capture
}

test_success_with_approval_is_not_prohibited if {
	personal_device_prohibited.deny == set() with input as capture with data.clinimg.config as {"personal_devices": "with_approval"}
}

test_success_hospital_device if {
	personal_device_prohibited.deny == set() with input as hospital_device with data.clinimg.config as {"personal_devices": "prohibited"}
}

test_success_not_a_capture if {
	personal_device_prohibited.deny == set() with input as object.union(capture, {"type": "disclosure"}) with data.clinimg.config as {"personal_devices": "prohibited"}
}
