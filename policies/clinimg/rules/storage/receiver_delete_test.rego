package clinimg.rules.storage.receiver_delete_test

import data.clinimg.rules.storage.receiver_delete

receiver(event_id, device_id, owner, hours) := {"event_id": event_id, "device": {"id": device_id, "owner": owner}, "hours_on_device_after_record": hours}

review(receivers) := {
	"type": "image_review",
	"event_id": "e-cap-1",
	"lifecycle": {"in_record": true, "receivers": receivers},
}

finding(device_id, deadline, event_id) := {
	"rule": "storage.receiver_delete",
	"message": sprintf("A received copy of the image was not deleted from personal device %s within %v hours of the image being saved to the health record.", [device_id, deadline]),
	"guide": "Receipt of clinical images",
	"remedy": "Delete the received image from your personal device now if it is still there, and delete received images as soon as they are saved in the patient's health record.",
	"event_id": event_id,
}

test_fail_case_study_five_still_on_device if {
	receiver_delete.deny == {finding("ph-3", 24, "e-rc-1")} with input as review([receiver("e-rc-1", "ph-3", "personal", 30)])
}

test_fail_deleted_late if {
	receiver_delete.deny == {finding("ph-3", 24, "e-rc-1")} with input as review([receiver("e-rc-1", "ph-3", "personal", 24.5)])
}

test_fail_one_finding_per_receiver if {
	receiver_delete.deny == {finding("ph-3", 24, "e-rc-1"), finding("ph-4", 24, "e-rc-2")} with input as review([
		receiver("e-rc-1", "ph-3", "personal", 30),
		receiver("e-rc-2", "ph-4", "personal", 2160),
		receiver("e-rc-3", "ph-5", "personal", 3),
		receiver("e-rc-4", "hp-6", "hospital", 2160),
	])
}

test_fail_device_id_unknown if {
	receiver_delete.deny == {finding("unknown", 24, "e-rc-1")} with input as review([{"event_id": "e-rc-1", "device": {"owner": "personal"}, "hours_on_device_after_record": 30}])
}

test_fail_hospital_deadline if {
	receiver_delete.deny == {finding("ph-3", 12, "e-rc-1")} with input as review([receiver("e-rc-1", "ph-3", "personal", 13)])
		with data.clinimg.config as {"deadlines": {"receipt_deletion_hours": 12}}
}

test_success_deleted_at_deadline if {
	receiver_delete.deny == set() with input as review([receiver("e-rc-1", "ph-3", "personal", 24)])
}

test_success_deleted_within_deadline if {
	receiver_delete.deny == set() with input as review([receiver("e-rc-1", "ph-3", "personal", 1)])
}

test_success_hospital_device if {
	receiver_delete.deny == set() with input as review([receiver("e-rc-1", "hp-3", "hospital", 30)])
}

test_success_longer_hospital_deadline if {
	receiver_delete.deny == set() with input as review([receiver("e-rc-1", "ph-3", "personal", 30)])
		with data.clinimg.config as {"deadlines": {"receipt_deletion_hours": 48}}
}

test_success_not_yet_in_record if {
	# Before the sender's save the audit gives no hours_on_device_after_record.
	inp := object.union(review([{"event_id": "e-rc-1", "device": {"id": "ph-3", "owner": "personal"}}]), {"lifecycle": {"in_record": false}})
	receiver_delete.deny == set() with input as inp
}

test_success_not_a_review if {
	receiver_delete.deny == set() with input as object.union(review([receiver("e-rc-1", "ph-3", "personal", 30)]), {"type": "disclosure"})
}

test_fail_receiver_asks_about_a_receipt if {
	# Case Study Five asked before acting: "may I keep it?" — the caller states the lifecycle.
	count(receiver_delete.deny) == 1 with input as {
		"type": "receipt", "event_id": "e-rc-5",
		"device": {"id": "ph-5", "owner": "personal"},
		"lifecycle": {"in_record": true, "receivers": [{"event_id": "e-rc-5", "device": {"id": "ph-5", "owner": "personal"}, "hours_on_device_after_record": 55}]},
	}
}

test_success_receipt_without_lifecycle if {
	# The audit's receipt events carry no lifecycle: the image review judges them.
	receiver_delete.deny == set() with input as {"type": "receipt", "event_id": "e-rc-5", "device": {"id": "ph-5", "owner": "personal"}}
}
