package clinimg.rules.collection.consent_refused_test

import data.clinimg.rules.collection.consent_refused

refusal(purposes) := {"status": "refused", "given_by": "patient", "purposes": purposes, "documented_in_record": true}

capture := {
	"type": "capture",
	"event_id": "e-1",
	"image": {"id": "img-1"},
	"purposes": ["clinical_care", "teaching"],
	"consents": [{"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "documented_in_record": true}],
}

finding(purpose) := {
	"rule": "collection.consent_refused",
	"message": sprintf("Consent to an image for %s was refused: do not take it.", [purpose]),
	"guide": "Right to refuse consent",
	"remedy": "Do not take the image; explain how images could help their care, use a suitable alternative, and document the refusal. Only a court order overrides it: clarify its scope with hospital administration or your medical defence organisation.",
}

test_fail_refused_one_purpose if {
	consent_refused.deny == {finding("teaching")} with input as object.union(capture, {"consents": array.concat(capture.consents, [refusal(["teaching"])])})
}

test_fail_refusal_without_purposes_covers_all if {
	consent_refused.deny == {finding("clinical_care"), finding("teaching")} with input as object.union(capture, {"consents": [refusal([])]})
}

test_success_no_refusal if {
	consent_refused.deny == set() with input as capture
}

test_success_refusal_for_other_purpose if {
	consent_refused.deny == set() with input as object.union(capture, {"consents": [refusal(["publication"])]})
}

test_success_refusal_for_other_image if {
	consent_refused.deny == set() with input as object.union(capture, {"consents": [object.union(refusal([]), {"image_ids": ["img-2"]})]})
}

test_success_court_order if {
	consent_refused.deny == set() with input as object.union(capture, {"purposes": ["clinical_care"], "legal_basis": "court_order", "consents": [refusal([])]})
}

# qa10: the same court order does not reach the capture's teaching (no law requires an image to
# teach with): the refusal of it still binds.
test_fail_court_order_does_not_override_a_refusal_of_teaching if {
	consent_refused.deny == {finding("teaching")} with input as object.union(capture, {"legal_basis": "court_order", "consents": [refusal([])]})
}

test_success_not_a_capture if {
	consent_refused.deny == set() with input as object.union(capture, {"type": "disclosure", "consents": [refusal([])]})
}

# Who may refuse (lib.negative_without_authority): a decision-maker's or parent's refusal does not
# bind a patient who decides alone; it binds whenever that is not recorded.
by(who) := object.union(refusal(["teaching"]), {"given_by": who})

test_success_decision_makers_refusal_for_a_competent_adult if {
	consent_refused.deny == set() with input as object.union(capture, {
		"patient": {"id": "pt-1", "age_years": 50, "capacity": "full"},
		"consents": array.concat(capture.consents, [by("substitute_decision_maker")]),
	})
}

test_fail_decision_makers_refusal_when_capacity_is_not_recorded if {
	consent_refused.deny == {finding("teaching")} with input as object.union(capture, {
		"patient": {"id": "pt-1", "age_years": 50},
		"consents": array.concat(capture.consents, [by("substitute_decision_maker")]),
	})
}

test_fail_decision_makers_refusal_for_an_adult_lacking_capacity if {
	consent_refused.deny == {finding("teaching")} with input as object.union(capture, {
		"patient": {"id": "pt-1", "age_years": 50, "capacity": "impaired_temporary"},
		"consents": array.concat(capture.consents, [by("substitute_decision_maker")]),
	})
}

test_fail_young_childs_own_refusal if {
	consent_refused.deny == {finding("teaching")} with input as object.union(capture, {
		"patient": {"id": "pt-1", "age_years": 7, "capacity": "full"},
		"consents": array.concat(capture.consents, [by("patient")]),
	})
}

test_fail_parents_refusal_for_an_unassessed_child if {
	consent_refused.deny == {finding("teaching")} with input as object.union(capture, {
		"patient": {"id": "pt-1", "age_years": 15, "capacity": "full"},
		"consents": array.concat(capture.consents, [by("parent_guardian")]),
	})
}

test_success_parents_refusal_for_a_mature_minor if {
	consent_refused.deny == set() with input as object.union(capture, {
		"patient": {"id": "pt-1", "age_years": 16, "capacity": "full", "mature_minor_assessed": true},
		"consents": array.concat(capture.consents, [by("parent_guardian")]),
	})
}

test_fail_refusal_giver_not_recorded if {
	consent_refused.deny == {finding("teaching")} with input as object.union(capture, {
		"patient": {"id": "pt-1", "age_years": 50, "capacity": "full"},
		"consents": array.concat(capture.consents, [object.remove(by("patient"), ["given_by"])]),
	})
}

test_fail_parents_refusal_for_a_mature_minor_lacking_capacity if {
	consent_refused.deny == {finding("teaching")} with input as object.union(capture, {
		"patient": {"id": "pt-1", "age_years": 16, "capacity": "impaired_temporary", "mature_minor_assessed": true},
		"consents": array.concat(capture.consents, [by("parent_guardian")]),
	})
}

# qa10: no law requires an image taken for publication (or a personal purpose): a court order
# does not override the patient's refusal of it.
test_fail_court_order_does_not_override_a_refusal_of_publication if {
	consent_refused.deny == {finding("publication")} with input as object.union(capture, {
		"purposes": ["legal_proceedings", "publication"],
		"legal_basis": "court_order",
		"consents": [refusal([])],
	})
}

test_success_court_order_overrides_a_refusal_of_legal_proceedings if {
	consent_refused.deny == set() with input as object.union(capture, {
		"purposes": ["legal_proceedings"],
		"legal_basis": "court_order",
		"consents": [refusal([])],
	})
}

# qa12: a refusal naming `recipients` refuses the image to them; nobody sees it by its taking.
test_success_refusal_naming_recipients_does_not_refuse_the_taking if {
	consent_refused.deny == set() with input as object.union(capture, {"consents": array.concat(capture.consents, [object.union(refusal(["clinical_care"]), {"recipients": ["family"]})])})
}
