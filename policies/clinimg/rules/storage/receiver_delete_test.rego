package clinimg.rules.storage.receiver_delete_test

import data.clinimg.rules.storage.receiver_delete

receiver(event_id, device_id, owner, on_device) := {"event_id": event_id, "device": {"id": device_id, "owner": owner}, "on_device": on_device}

review(receivers) := {
	"type": "image_review",
	"event_id": "e-cap-1",
	"lifecycle": {"in_record": true, "hours_since_record_transfer": 30, "receivers": receivers},
}

finding(device_id, hours, event_id) := {
	"rule": "storage.receiver_delete",
	"message": sprintf("A received copy of the image is still on personal device %s, more than %v hours after the image was saved to the health record.", [device_id, hours]),
	"guide": "Receipt of clinical images",
	"remedy": "Delete the received image from your personal device: it is already saved in the patient's health record.",
	"event_id": event_id,
}

test_fail_case_study_five if {
	receiver_delete.deny == {finding("ph-3", 24, "e-rc-1")} with input as review([receiver("e-rc-1", "ph-3", "personal", true)])
}

test_fail_one_finding_per_receiver if {
	receiver_delete.deny == {finding("ph-3", 24, "e-rc-1"), finding("ph-4", 24, "e-rc-2")} with input as review([
		receiver("e-rc-1", "ph-3", "personal", true),
		receiver("e-rc-2", "ph-4", "personal", true),
		receiver("e-rc-3", "ph-5", "personal", false),
		receiver("e-rc-4", "hp-6", "hospital", true),
	])
}

test_fail_hospital_deadline if {
	receiver_delete.deny == {finding("ph-3", 12, "e-rc-1")} with input as review([receiver("e-rc-1", "ph-3", "personal", true)])
		with data.clinimg.config as {"deadlines": {"receipt_deletion_hours": 12}}
}

test_success_deleted if {
	receiver_delete.deny == set() with input as review([receiver("e-rc-1", "ph-3", "personal", false)])
}

test_success_hospital_device if {
	receiver_delete.deny == set() with input as review([receiver("e-rc-1", "hp-3", "hospital", true)])
}

test_success_longer_hospital_deadline if {
	receiver_delete.deny == set() with input as review([receiver("e-rc-1", "ph-3", "personal", true)])
		with data.clinimg.config as {"deadlines": {"receipt_deletion_hours": 48}}
}

test_success_not_yet_in_record if {
	inp := object.union(review([receiver("e-rc-1", "ph-3", "personal", true)]), {"lifecycle": {"in_record": false}})
	receiver_delete.deny == set() with input as inp
}
