package clinimg.rules.storage.delete_after_transfer_test

import data.clinimg.rules.storage.delete_after_transfer

lifecycle := {
	"in_record": true,
	"on_capture_device": true,
	"capture_device": {"id": "ph-1", "owner": "personal"},
	"record_transfer_event_id": "e-rt-1",
	"hours_since_record_transfer": 2160,
}

review := {"type": "image_review", "event_id": "e-cap-1", "lifecycle": lifecycle}

with_lifecycle(patch) := object.union(review, {"lifecycle": object.union(lifecycle, patch)})

finding(hours, event_id) := {
	"rule": "storage.delete_after_transfer",
	"message": sprintf("The image is still on the personal device that took it, more than %v hours after it was saved to the health record.", [hours]),
	"guide": "Deleting clinical images from your mobile device",
	"remedy": "Delete the image from your personal device (and from any back-up or recently-deleted folder) now that it is saved in the health record.",
	"event_id": event_id,
}

test_fail_case_study_two if {
	delete_after_transfer.deny == {finding(24, "e-rt-1")} with input as review
}

test_fail_hospital_deadline if {
	delete_after_transfer.deny == {finding(2, "e-rt-1")} with input as with_lifecycle({"hours_since_record_transfer": 3})
		with data.clinimg.config as {"deadlines": {"device_deletion_hours": 2}}
}

test_fail_transfer_event_unknown_blames_input_event if {
	delete_after_transfer.deny == {finding(24, "e-cap-1")} with input as object.union(object.remove(review, ["lifecycle"]), {"lifecycle": object.remove(lifecycle, ["record_transfer_event_id"])})
}

test_success_deleted if {
	delete_after_transfer.deny == set() with input as with_lifecycle({"on_capture_device": false})
}

test_success_within_deadline if {
	delete_after_transfer.deny == set() with input as with_lifecycle({"hours_since_record_transfer": 24})
}

test_success_longer_hospital_deadline if {
	delete_after_transfer.deny == set() with input as review
		with data.clinimg.config as {"deadlines": {"device_deletion_hours": 4000}}
}

test_success_hospital_device if {
	delete_after_transfer.deny == set() with input as with_lifecycle({"capture_device": {"id": "hp-1", "owner": "hospital"}})
}

test_success_not_in_record if {
	delete_after_transfer.deny == set() with input as with_lifecycle({"in_record": false})
}
