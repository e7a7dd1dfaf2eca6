package clinimg.rules.storage.remote_wipe_test

import data.clinimg.rules.storage.remote_wipe

device(remote_wipe) := {"id": "ph-1", "owner": "personal", "passcode": true, "remote_wipe": remote_wipe, "auto_upload": "off"}

finding := {
	"rule": "storage.remote_wipe",
	"message": "The device holding the image cannot be erased remotely if it is lost or stolen.",
	"guide": "Securing your mobile device",
	"remedy": "Turn on remote erase (for example Find My iPhone or Find My Device) so the images can be wiped if the device is lost or stolen.",
}

test_fail_capture if {
	remote_wipe.warn == {finding} with input as {"type": "capture", "actor": {"id": "dr-1", "device": device(false)}}
}

test_fail_receipt if {
	remote_wipe.warn == {finding} with input as {"type": "receipt", "device": device(false)}
}

test_success_remote_wipe if {
	remote_wipe.warn == set() with input as {"type": "disclosure", "actor": {"id": "dr-1", "device": device(true)}}
}

test_success_missing if {
	remote_wipe.warn == set() with input as {"type": "device_posture", "device": {"id": "ph-1"}}
}

test_success_other_event_type if {
	remote_wipe.warn == set() with input as {"type": "record_transfer", "device": device(false)}
}
