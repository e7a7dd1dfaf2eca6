package clinimg.rules.disclosure.intimate_test

import data.clinimg.rules.disclosure.intimate

disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"image": {"id": "img-1", "intimate": true, "purposes": ["clinical_care"]},
	"purpose": "clinical_care",
	"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "treating_team", "within_facility": true},
	"channel": "in_person_display",
}

finding(message) := {
	"rule": "disclosure.intimate",
	"message": message,
	"guide": "Intimate areas of the body",
	"remedy": "Seek advice from hospital administration or your medical defence organisation before sharing; keep intimate images within the treating team and out of electronic messages.",
}

test_fail_sent_electronically_to_team if {
	intimate.escalate == {finding("This intimate image is being sent electronically: seek advice first.")} with input as object.union(disclosure, {"channel": "hospital_secure_app"})
}

test_fail_shown_to_consulted_colleague if {
	intimate.escalate == {finding("This intimate image is leaving the treating team: seek advice first.")} with input as object.union(disclosure, {"recipient": {"id": "dr-3", "kind": "clinician", "relationship": "consulted"}})
}

test_fail_both if {
	intimate.escalate == {finding("This intimate image is leaving the treating team and is being sent electronically: seek advice first.")} with input as object.union(disclosure, {
		"recipient": {"id": "st-1", "kind": "student", "relationship": "none"},
		"channel": "sms",
	})
}

test_success_shown_to_treating_team if {
	intimate.escalate == set() with input as disclosure
}

test_success_uploaded_to_record if {
	intimate.escalate == set() with input as object.union(disclosure, {
		"recipient": {"id": "emr", "kind": "health_record"},
		"channel": "health_record_upload",
	})
}

test_success_not_intimate if {
	intimate.escalate == set() with input as object.union(disclosure, {"image": {"id": "img-1", "intimate": false}, "channel": "sms"})
}
