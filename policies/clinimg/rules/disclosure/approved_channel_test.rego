package clinimg.rules.disclosure.approved_channel_test

import data.clinimg.rules.disclosure.approved_channel

disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"purpose": "clinical_care",
	"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
	"channel": "personal_email",
}

config := {"approved_channels": ["hospital_secure_app", "health_record_upload", "in_person_display"]}

finding(message) := {
	"rule": "disclosure.approved_channel",
	"message": message,
	"guide": "Hospital policies and contracts",
	"remedy": "Send or show the image only through a channel your hospital approves, such as its secure clinical messaging app or the health record.",
}

test_fail_unapproved_channel if {
	approved_channel.deny == {finding("The channel used (personal_email) is not one the hospital approves for clinical images.")} with input as disclosure
		with data.clinimg.config as config
}

test_fail_no_channel if {
	approved_channel.deny == {finding("No channel is stated: clinical images may only be sent or shown through a channel the hospital approves.")} with input as object.remove(disclosure, ["channel"])
		with data.clinimg.config as config
}

test_fail_empty_list if {
	count(approved_channel.deny) == 1 with input as object.union(disclosure, {"channel": "hospital_secure_app"})
		with data.clinimg.config as {"approved_channels": []}
}

test_success_approved_channel if {
	approved_channel.deny == set() with input as object.union(disclosure, {"channel": "hospital_secure_app"})
		with data.clinimg.config as config
}

test_success_guide_alone_names_no_list if {
	approved_channel.deny == set() with input as disclosure
		with data.clinimg.config as {}
}

test_success_not_a_disclosure if {
	approved_channel.deny == set() with input as object.union(disclosure, {"type": "capture"})
		with data.clinimg.config as config
}
