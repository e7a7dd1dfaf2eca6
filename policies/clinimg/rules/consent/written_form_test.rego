package clinimg.rules.consent.written_form_test

import data.clinimg.rules.consent.written_form

consent(purposes, signed) := {
	"status": "granted", "given_by": "patient", "purposes": purposes,
	"documented_in_record": true, "written_form": signed,
}

capture := {
	"type": "capture",
	"event_id": "e-1",
	"image": {"id": "img-1"},
	"purposes": ["clinical_care", "teaching"],
	"consents": [consent(["clinical_care", "teaching"], false)],
}

required := {"written_consent_required": true}

test_fail_required_and_unsigned if {
	written_form.deny == {{
		"rule": "consent.written_form",
		"message": "This hospital requires a signed consent form, and the consent for clinical_care, teaching has none.",
		"guide": "Documenting the consent process",
		"remedy": "Have the patient (or their decision-maker) sign the hospital's consent form and place it in the medical record with the image.",
	}} with input as capture with data.clinimg.config as required
}

test_success_not_required_by_default if {
	written_form.deny == set() with input as capture
}

test_success_signed if {
	written_form.deny == set() with input as object.union(capture, {"consents": [consent(["clinical_care", "teaching"], true)]}) with data.clinimg.config as required
}

test_success_no_consent_relied_on if {
	written_form.deny == set() with input as object.union(capture, {"consents": [consent(["publication"], false)]}) with data.clinimg.config as required
}
