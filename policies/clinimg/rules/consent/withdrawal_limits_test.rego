package clinimg.rules.consent.withdrawal_limits_test

import data.clinimg.rules.consent.withdrawal_limits

consent(purposes, informed_of) := {
	"status": "granted", "given_by": "patient", "purposes": purposes,
	"documented_in_record": true, "written_form": false, "informed_of": informed_of,
}

capture(consents) := {
	"type": "capture",
	"event_id": "e-1",
	"image": {"id": "img-1"},
	"purposes": ["clinical_care"],
	"consents": consents,
}

test_fail_not_told if {
	withdrawal_limits.warn == {{
		"rule": "consent.withdrawal_limits",
		"message": "The patient was not told, for the consent for clinical_care, that an image in the health record cannot normally be deleted, nor a published one recalled.",
		"guide": "Withdrawing consent",
		"remedy": "Explain that once the image is in the health record it cannot normally be deleted, and that a published image may not be recalled; note it in the record.",
	}} with input as capture([consent(["clinical_care"], ["purpose", "use"])])
}

test_success_told if {
	withdrawal_limits.warn == set() with input as capture([consent(["clinical_care"], ["withdrawal_limits"])])
}

test_success_not_a_capture if {
	withdrawal_limits.warn == set() with input as object.union(capture([consent(["clinical_care"], [])]), {"type": "consent"})
}
