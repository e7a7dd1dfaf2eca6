package clinimg.rules.collection.teaching_research_consent_test

import data.clinimg.rules.collection.teaching_research_consent

consent(purposes, documented) := {
	"status": "granted", "given_by": "patient", "purposes": purposes,
	"documented_in_record": documented, "written_form": false,
}

capture := {
	"type": "capture",
	"event_id": "e-1",
	"image": {"id": "img-1"},
	"purposes": ["clinical_care", "teaching"],
	"consents": [consent(["clinical_care", "teaching"], true)],
}

finding(purpose) := {
	"rule": "collection.teaching_research_consent",
	"message": sprintf("Taking an image for %s needs the patient's consent to that purpose, documented in the health record, and there is none.", [purpose]),
	"guide": "Decision making process (flowchart)",
	"remedy": "Obtain the patient's consent for teaching, training or research specifically, document it in the health record, and follow any relevant hospital policy.",
}

# Case Study Three: the patient agreed to teaching photos, but nothing was recorded.
test_fail_case_study_three_unrecorded if {
	teaching_research_consent.deny == {finding("teaching")} with input as object.union(capture, {"consents": [consent(["clinical_care", "teaching"], false)]})
}

test_fail_consent_names_only_clinical_care if {
	teaching_research_consent.deny == {finding("research"), finding("teaching")} with input as object.union(capture, {
		"purposes": ["clinical_care", "teaching", "research"],
		"consents": [consent(["clinical_care"], true)],
	})
}

test_fail_documented_flag_missing if {
	teaching_research_consent.deny == {finding("training")} with input as object.union(capture, {
		"purposes": ["training"],
		"consents": [{"status": "granted", "given_by": "patient", "purposes": ["training"]}],
	})
}

test_fail_withdrawn if {
	teaching_research_consent.deny == {finding("teaching")} with input as object.union(capture, {"consents": [
		consent(["clinical_care", "teaching"], true),
		{"status": "withdrawn", "given_by": "patient", "purposes": ["teaching"], "documented_in_record": true},
	]})
}

test_success_documented_consent if {
	teaching_research_consent.deny == set() with input as capture
}

test_success_one_documented_among_several if {
	teaching_research_consent.deny == set() with input as object.union(capture, {"consents": [
		consent(["teaching"], false),
		consent(["teaching"], true),
	]})
}

test_success_clinical_care_only if {
	teaching_research_consent.deny == set() with input as object.union(capture, {"purposes": ["clinical_care"], "consents": []})
}

test_success_not_a_capture if {
	teaching_research_consent.deny == set() with input as object.union(capture, {"type": "disclosure", "consents": []})
}
