package clinimg.rules.disclosure.wrong_recipient_test

import data.clinimg.rules.disclosure.wrong_recipient

disclosure := {
	"type": "disclosure",
	"event_id": "e-1",
	"purpose": "clinical_care",
	"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
	"channel": "hospital_secure_app",
	"intended_recipient": {"id": "dr-2"},
}

finding := {
	"rule": "disclosure.wrong_recipient",
	"message": "The image went to someone other than the intended recipient: patient privacy has been breached.",
	"guide": "Key points to remember",
	"remedy": "Seek advice from hospital management or your medical defence organisation, and report the privacy breach.",
}

test_fail_other_recipient if {
	wrong_recipient.deny == {finding} with input as object.union(disclosure, {"intended_recipient": {"id": "dr-9"}})
}

test_fail_other_recipient_id_string if {
	wrong_recipient.deny == {finding} with input as object.union(disclosure, {"intended_recipient": "dr-9"})
}

test_success_intended_recipient if {
	wrong_recipient.deny == set() with input as disclosure
}

test_success_intended_recipient_id_string if {
	wrong_recipient.deny == set() with input as object.union(disclosure, {"intended_recipient": "dr-2"})
}

test_success_no_intended_recipient if {
	wrong_recipient.deny == set() with input as object.remove(disclosure, ["intended_recipient"])
}
