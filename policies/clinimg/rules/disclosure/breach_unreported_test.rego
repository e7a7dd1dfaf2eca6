package clinimg.rules.disclosure.breach_unreported_test

import data.clinimg.rules.disclosure.breach_unreported

wrong(event_id, hours, reported) := {"event_id": event_id, "hours_since": hours, "breach_reported": reported}

review(disclosures) := {
	"type": "image_review",
	"event_id": "e-cap-1",
	"lifecycle": {"in_record": true, "wrong_recipient_disclosures": disclosures},
}

finding(event_id, hours) := {
	"rule": "disclosure.breach_unreported",
	"message": sprintf("The image was sent to the wrong person (event %s) and no privacy breach report was made within %v hours.", [event_id, hours]),
	"guide": "Key points to remember",
	"remedy": "Report the privacy breach to hospital management (privacy officer) now and seek advice from them or your medical defence organisation.",
	"event_id": event_id,
}

test_fail_unreported_past_deadline if {
	breach_unreported.deny == {finding("e-dis-9", 72)} with input as review([wrong("e-dis-9", 100, false)])
}

test_fail_one_finding_per_disclosure if {
	breach_unreported.deny == {finding("e-dis-8", 72), finding("e-dis-9", 72)} with input as review([
		wrong("e-dis-8", 80, false),
		wrong("e-dis-9", 100, false),
		wrong("e-dis-10", 100, true),
		wrong("e-dis-11", 5, false),
	])
}

test_fail_reported_flag_missing if {
	breach_unreported.deny == {finding("e-dis-9", 72)} with input as review([{"event_id": "e-dis-9", "hours_since": 100}])
}

test_fail_hospital_deadline if {
	breach_unreported.deny == {finding("e-dis-9", 24)} with input as review([wrong("e-dis-9", 30, false)])
		with data.clinimg.config as {"deadlines": {"breach_report_hours": 24}}
}

test_success_reported if {
	breach_unreported.deny == set() with input as review([wrong("e-dis-9", 100, true)])
}

test_success_within_deadline if {
	breach_unreported.deny == set() with input as review([wrong("e-dis-9", 72, false)])
}

test_success_longer_hospital_deadline if {
	breach_unreported.deny == set() with input as review([wrong("e-dis-9", 100, false)])
		with data.clinimg.config as {"deadlines": {"breach_report_hours": 168}}
}

test_success_not_a_review if {
	breach_unreported.deny == set() with input as object.union(review([wrong("e-dis-9", 100, false)]), {"type": "disclosure"})
}
