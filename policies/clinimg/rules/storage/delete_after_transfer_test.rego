package clinimg.rules.storage.delete_after_transfer_test

import data.clinimg.rules.storage.delete_after_transfer

# Saved to the record three months ago and still on the intern's phone (Case Study Two).
lifecycle := {
	"in_record": true,
	"capture_device": {"id": "ph-1", "owner": "personal"},
	"record_transfer_event_id": "e-rt-1",
	"hours_on_capture_device_after_record": 2160,
}

review := {"type": "image_review", "event_id": "e-cap-1", "lifecycle": lifecycle}

with_lifecycle(patch) := object.union(review, {"lifecycle": object.union(lifecycle, patch)})

finding(deadline, event_id) := {
	"rule": "storage.delete_after_transfer",
	"message": sprintf("The image was not deleted from the personal device that took it within %v hours of being saved to the health record.", [deadline]),
	"guide": "Deleting clinical images from your mobile device",
	"remedy": "Delete the image from your personal device now if it is still there (and from any back-up or recently-deleted folder), and delete future images as soon as they are saved in the health record.",
	"event_id": event_id,
}

test_fail_case_study_two_still_on_device if {
	delete_after_transfer.deny == {finding(24, "e-rt-1")} with input as review
}

test_fail_deleted_late if {
	delete_after_transfer.deny == {finding(24, "e-rt-1")} with input as with_lifecycle({"hours_on_capture_device_after_record": 30})
}

test_fail_hospital_deadline if {
	delete_after_transfer.deny == {finding(2, "e-rt-1")} with input as with_lifecycle({"hours_on_capture_device_after_record": 3})
		with data.clinimg.config as {"deadlines": {"device_deletion_hours": 2}}
}

test_fail_transfer_event_unknown_blames_input_event if {
	delete_after_transfer.deny == {finding(24, "e-cap-1")} with input as object.union(object.remove(review, ["lifecycle"]), {"lifecycle": object.remove(lifecycle, ["record_transfer_event_id"])})
}

test_success_deleted_at_deadline if {
	delete_after_transfer.deny == set() with input as with_lifecycle({"hours_on_capture_device_after_record": 24})
}

test_success_deleted_within_deadline if {
	delete_after_transfer.deny == set() with input as with_lifecycle({"hours_on_capture_device_after_record": 0.5})
}

test_success_longer_hospital_deadline if {
	delete_after_transfer.deny == set() with input as review
		with data.clinimg.config as {"deadlines": {"device_deletion_hours": 4000}}
}

test_success_hospital_device if {
	delete_after_transfer.deny == set() with input as with_lifecycle({"capture_device": {"id": "hp-1", "owner": "hospital"}})
}

test_success_capture_device_unknown if {
	delete_after_transfer.deny == set() with input as object.union(object.remove(review, ["lifecycle"]), {"lifecycle": object.remove(lifecycle, ["capture_device"])})
}

test_success_not_in_record if {
	# Before the save the audit gives no hours_on_capture_device_after_record.
	delete_after_transfer.deny == set() with input as object.union(object.remove(review, ["lifecycle"]), {"lifecycle": {"in_record": false, "capture_device": {"id": "ph-1", "owner": "personal"}}})
}

test_success_not_a_review if {
	delete_after_transfer.deny == set() with input as object.union(review, {"type": "disclosure"})
}

# At capture on a personal device: the obligation to delete it once it is in the record (SPEC §2).
capture := {
	"type": "capture",
	"event_id": "e-cap-1",
	"purposes": ["teaching", "clinical_care"],
	"actor": {"id": "dr-1", "role": "registrar", "device": {"id": "ph-1", "owner": "personal"}},
}

delete_text(hours) := sprintf("Delete the image from the device once it is saved to the health record (within %v hours of saving it), and from any back-up or recently-deleted folder.", [hours])

test_obligation_at_capture_on_a_personal_device if {
	delete_after_transfer.obligation == {{"id": "storage.delete_after_transfer", "text": delete_text(24)}} with input as capture
	delete_after_transfer.obligation == {{"id": "storage.delete_after_transfer", "text": delete_text(2)}} with input as capture
		with data.clinimg.config as {"deadlines": {"device_deletion_hours": 2}}
}

test_no_obligation_on_a_hospital_device if {
	count(delete_after_transfer.obligation) == 0 with input as object.union(capture, {"actor": {"device": {"owner": "hospital"}}})
	count(delete_after_transfer.obligation) == 0 with input as object.union(capture, {"actor": {"device": null}})
}

test_no_obligation_without_clinical_care if {
	count(delete_after_transfer.obligation) == 0 with input as object.union(capture, {"purposes": ["teaching"]})
	count(delete_after_transfer.obligation) == 0 with input as object.union(capture, {"type": "disclosure"})
}
