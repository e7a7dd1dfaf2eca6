package clinimg.rules.consent.informed_test

import data.clinimg.rules.consent.informed

all_topics := ["purpose", "use", "access", "sharing", "deidentification", "storage", "withdrawal_limits"]

consent(purposes, informed_of) := {
	"status": "granted", "given_by": "patient", "purposes": purposes,
	"documented_in_record": true, "written_form": false, "informed_of": informed_of,
}

capture(consents) := {
	"type": "capture",
	"event_id": "e-1",
	"image": {"id": "img-1"},
	"purposes": ["clinical_care", "teaching"],
	"consents": consents,
}

finding(missing) := {
	"rule": "consent.informed",
	"message": sprintf("The consent discussion did not cover: %s.", [missing]),
	"guide": "Consent to collection, use, and disclosure",
	"remedy": "Discuss with the patient the purpose, how the image may be used, who will have access, whether it may be shared, whether it will be de-identified, and how and where it will be stored; note it in the record.",
}

test_fail_partly_informed if {
	informed.warn == {finding("access, sharing, deidentification")} with input as capture([consent(["clinical_care", "teaching"], ["storage", "use", "purpose"])])
}

test_fail_nothing_recorded if {
	informed.warn == {finding("purpose, use, access, sharing, deidentification, storage")} with input as capture([{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"]}])
}

test_fail_union_over_consents if {
	informed.warn == {finding("access, storage")} with input as capture([
		consent(["clinical_care"], ["purpose", "use", "sharing", "deidentification", "storage"]),
		consent(["teaching"], ["purpose", "use", "access", "sharing", "deidentification"]),
	])
}

test_success_fully_informed if {
	informed.warn == set() with input as capture([consent(["clinical_care", "teaching"], all_topics)])
}

test_success_withdrawal_limits_left_to_its_rule if {
	informed.warn == set() with input as capture([consent(["clinical_care", "teaching"], ["purpose", "use", "access", "sharing", "deidentification", "storage"])])
}

test_success_consent_not_relied_on if {
	informed.warn == set() with input as capture([consent(["publication"], [])])
}
