package clinimg.rules.storage.passcode_test

import data.clinimg.rules.storage.passcode

device(passcode) := {"id": "ph-1", "owner": "personal", "passcode": passcode, "remote_wipe": true, "auto_upload": "off"}

finding := {
	"rule": "storage.passcode",
	"message": "The device holding the image has no password protection.",
	"guide": "Securing your mobile device",
	"remedy": "Set a passcode (or password) lock on the device before using it for clinical images.",
}

test_fail_capture if {
	passcode.deny == {finding} with input as {"type": "capture", "actor": {"id": "dr-1", "device": device(false)}}
}

test_fail_disclosure if {
	passcode.deny == {finding} with input as {"type": "disclosure", "actor": {"id": "dr-1", "device": device(false)}}
}

test_fail_receipt if {
	passcode.deny == {finding} with input as {"type": "receipt", "device": device(false)}
}

test_fail_device_posture if {
	passcode.deny == {finding} with input as {"type": "device_posture", "device": device(false)}
}

test_success_passcode_set if {
	passcode.deny == set() with input as {"type": "device_posture", "device": device(true)}
}

test_success_passcode_missing if {
	passcode.deny == set() with input as {"type": "device_posture", "device": {"id": "ph-1", "owner": "personal"}}
}

test_success_other_event_type if {
	passcode.deny == set() with input as {"type": "device_deletion", "device": device(false)}
}
