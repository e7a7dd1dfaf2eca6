package clinimg.rules.disclosure.breach_unreported_test

import data.clinimg.rules.disclosure.breach_unreported

wrong(event_id, hours) := {"event_id": event_id, "hours_to_breach_report": hours}

review(disclosures) := {
	"type": "image_review",
	"event_id": "e-cap-1",
	"lifecycle": {"in_record": true, "wrong_recipient_disclosures": disclosures},
}

finding(event_id, deadline) := {
	"rule": "disclosure.breach_unreported",
	"message": sprintf("The image was sent to the wrong person (event %s) and no privacy breach report was made within %v hours.", [event_id, deadline]),
	"guide": "Key points to remember",
	"remedy": "Report the privacy breach to hospital management (privacy officer) now if it has not been reported, seek advice from them or your medical defence organisation, and report future breaches within the deadline.",
	"event_id": event_id,
}

# Unreported, 100 hours after the disclosure (the hours run to as_of).
test_fail_still_unreported if {
	breach_unreported.deny == {finding("e-dis-9", 72)} with input as review([wrong("e-dis-9", 100)])
}

# Reported, but 80 hours after the disclosure.
test_fail_reported_late if {
	breach_unreported.deny == {finding("e-dis-9", 72)} with input as review([wrong("e-dis-9", 80)])
}

test_fail_one_finding_per_disclosure if {
	breach_unreported.deny == {finding("e-dis-8", 72), finding("e-dis-9", 72)} with input as review([
		wrong("e-dis-8", 80),
		wrong("e-dis-9", 100),
		wrong("e-dis-10", 72),
		wrong("e-dis-11", 5),
	])
}

test_fail_hospital_deadline if {
	breach_unreported.deny == {finding("e-dis-9", 24)} with input as review([wrong("e-dis-9", 30)])
		with data.clinimg.config as {"deadlines": {"breach_report_hours": 24}}
}

test_fail_event_unknown_blames_input_event if {
	breach_unreported.deny == {finding("e-cap-1", 72)} with input as review([{"hours_to_breach_report": 100}])
}

test_success_reported_at_deadline if {
	breach_unreported.deny == set() with input as review([wrong("e-dis-9", 72)])
}

test_success_reported_within_deadline if {
	breach_unreported.deny == set() with input as review([wrong("e-dis-9", 10)])
}

test_success_longer_hospital_deadline if {
	breach_unreported.deny == set() with input as review([wrong("e-dis-9", 100)])
		with data.clinimg.config as {"deadlines": {"breach_report_hours": 168}}
}

test_success_hours_unknown if {
	breach_unreported.deny == set() with input as review([{"event_id": "e-dis-9", "hours_since": 100, "breach_reported": false}])
}

test_success_no_wrong_recipient if {
	breach_unreported.deny == set() with input as review([])
}

test_success_not_a_review if {
	breach_unreported.deny == set() with input as object.union(review([wrong("e-dis-9", 100)]), {"type": "disclosure"})
}
