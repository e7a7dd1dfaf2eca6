package clinimg.rules.retention.withdrawal_no_delete_test

import data.clinimg.rules.retention.withdrawal_no_delete

deletion(reason) := {
	"type": "record_deletion",
	"event_id": "e-rd-1",
	"image": {"id": "img-1"},
	"reason": reason,
	"lifecycle": {"years_in_record": 9, "age_at_capture": 45},
}

test_fail_consent_withdrawn if {
	withdrawal_no_delete.deny == {{
		"rule": "retention.withdrawal_no_delete",
		"message": "An image in the health record is being deleted because the patient withdrew consent; withdrawal stops further use, not retention.",
		"guide": "Withdrawing consent",
		"remedy": "Keep the image in the record and record the withdrawal so the image is not used or disclosed further; explain this to the patient.",
	}} with input as deletion("consent_withdrawn")
}

test_success_retention_expired if {
	withdrawal_no_delete.deny == set() with input as deletion("retention_expired")
}

test_success_no_reason if {
	withdrawal_no_delete.deny == set() with input as object.remove(deletion("x"), ["reason"])
}

test_success_not_a_deletion if {
	withdrawal_no_delete.deny == set() with input as object.union(deletion("consent_withdrawn"), {"type": "consent"})
}
