package clinimg.rules.storage.auto_upload_test

import data.clinimg.rules.storage.auto_upload

device(auto_upload) := {"id": "ph-1", "owner": "personal", "passcode": true, "remote_wipe": true, "auto_upload": auto_upload}

finding(message) := {
	"rule": "storage.auto_upload",
	"message": message,
	"guide": "Securing your mobile device",
	"remedy": "Turn off automatic upload (cloud photo back-up, social media sync) for the camera roll before using the device for clinical images.",
}

cloud := finding("The device automatically backs up photos to a cloud back-up site, so clinical images on it are copied off the device.")

social := finding("The device automatically uploads photos to social media, so clinical images on it may be published.")

test_fail_capture_cloud_backup if {
	auto_upload.deny == {cloud} with input as {"type": "capture", "actor": {"id": "dr-1", "device": device("cloud_backup")}}
}

test_fail_disclosure_social_media if {
	auto_upload.deny == {social} with input as {"type": "disclosure", "actor": {"id": "dr-1", "device": device("social_media")}}
}

test_fail_receipt if {
	auto_upload.deny == {cloud} with input as {"type": "receipt", "actor": {"id": "dr-2"}, "device": device("cloud_backup")}
}

test_fail_device_posture if {
	auto_upload.deny == {social} with input as {"type": "device_posture", "actor": {"id": "dr-2"}, "device": device("social_media")}
}

test_success_off if {
	auto_upload.deny == set() with input as {"type": "device_posture", "device": device("off")}
}

test_success_no_device if {
	auto_upload.deny == set() with input as {"type": "capture", "actor": {"id": "dr-1"}}
}

test_success_other_event_type if {
	auto_upload.deny == set() with input as {"type": "device_deletion", "device": device("cloud_backup")}
}
