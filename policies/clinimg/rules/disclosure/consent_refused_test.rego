package clinimg.rules.disclosure.consent_refused_test

import data.clinimg.rules.disclosure.consent_refused

grant := {"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "documented_in_record": true}

refusal(purposes) := {"status": "refused", "given_by": "patient", "purposes": purposes, "documented_in_record": true}

disclosure(consents) := {
	"type": "disclosure",
	"event_id": "e-1",
	"patient": {"id": "pt-1", "age_years": 50, "capacity": "full"},
	"image": {"id": "img-1", "purposes": ["clinical_care"]},
	"purpose": "clinical_care",
	"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
	"channel": "hospital_secure_app",
	"legal_basis": "none",
	"consents": consents,
}

finding(purpose) := {
	"rule": "disclosure.consent_refused",
	"message": concat("", ["The patient refused consent to the use of this image for ", purpose, ": it may not be used or disclosed for that purpose."]),
	"guide": "Right to refuse consent",
	"remedy": "Do not use or disclose the image for this purpose; if you believe the law requires the disclosure, seek advice from hospital management or your medical defence organisation first.",
}

test_fail_refusal_binds_the_primary_purpose if {
	consent_refused.deny == {finding("clinical_care")} with input as disclosure([grant, refusal(["clinical_care"])])
}

test_fail_refusal_binds_care_the_patient_would_otherwise_expect if {
	consent_refused.deny == {finding("clinical_care")} with input as disclosure([refusal([])])
}

test_fail_refusal_for_this_image if {
	consent_refused.deny == {finding("clinical_care")} with input as disclosure([object.union(refusal([]), {"image_ids": ["img-1"]})])
}

test_success_refusal_for_another_image if {
	consent_refused.deny == set() with input as disclosure([object.union(refusal([]), {"image_ids": ["img-2"]})])
}

test_success_refusal_for_another_purpose if {
	consent_refused.deny == set() with input as disclosure([grant, refusal(["teaching"])])
}

test_success_legal_basis_escalates_instead if {
	consent_refused.deny == set() with input as object.union(disclosure([refusal([])]), {"legal_basis": "court_order"})
}

test_success_not_a_disclosure if {
	consent_refused.deny == set() with input as object.union(disclosure([refusal([])]), {"type": "capture"})
}

test_success_blanket_refusal_leaves_the_patients_own_access if {
	consent_refused.deny == set() with input as object.union(disclosure([refusal([])]), {
		"purpose": "patient_access",
		"recipient": {"id": "pt-1", "kind": "patient"},
	})
}

test_fail_refusal_naming_patient_access if {
	consent_refused.deny == {finding("patient_access")} with input as object.union(disclosure([refusal(["patient_access"])]), {
		"purpose": "patient_access",
		"recipient": {"id": "pt-1", "kind": "patient"},
	})
}

test_success_decision_makers_refusal_for_a_competent_adult if {
	consent_refused.deny == set() with input as disclosure([grant, object.union(refusal(["clinical_care"]), {"given_by": "substitute_decision_maker"})])
}

# A refusal the patient later reversed: both dated, the grant after the refusal and before the
# event (qa8; the audit lifts it the same way by event order).
dated(c, t) := object.union(c, {"given_at": t})

reversal_request(consents) := object.union(disclosure(consents), {"occurred_at": "2026-11-20T09:00:00+11:00"})

test_success_refusal_reversed_by_a_later_grant if {
	consent_refused.deny == set() with input as reversal_request([
		dated(refusal(["clinical_care"]), "2026-11-01T09:00:00+11:00"),
		dated(grant, "2026-11-10T09:00:00+11:00"),
	])
}

test_fail_refusal_dated_after_the_grant if {
	consent_refused.deny == {finding("clinical_care")} with input as reversal_request([
		dated(grant, "2026-11-01T09:00:00+11:00"),
		dated(refusal(["clinical_care"]), "2026-11-10T09:00:00+11:00"),
	])
}

test_fail_undated_refusal_beside_a_dated_grant if {
	consent_refused.deny == {finding("clinical_care")} with input as reversal_request([
		refusal(["clinical_care"]),
		dated(grant, "2026-11-10T09:00:00+11:00"),
	])
}

test_fail_reversing_grant_dated_after_the_event if {
	consent_refused.deny == {finding("clinical_care")} with input as reversal_request([
		dated(refusal(["clinical_care"]), "2026-11-01T09:00:00+11:00"),
		dated(grant, "2026-11-25T09:00:00+11:00"),
	])
}

test_fail_reversing_grant_for_another_purpose if {
	consent_refused.deny == {finding("clinical_care")} with input as reversal_request([
		dated(refusal(["clinical_care"]), "2026-11-01T09:00:00+11:00"),
		dated(object.union(grant, {"purposes": ["teaching"]}), "2026-11-10T09:00:00+11:00"),
	])
}

test_fail_reversing_grant_for_another_image if {
	consent_refused.deny == {finding("clinical_care")} with input as reversal_request([
		dated(refusal(["clinical_care"]), "2026-11-01T09:00:00+11:00"),
		dated(object.union(grant, {"image_ids": ["img-2"]}), "2026-11-10T09:00:00+11:00"),
	])
}

test_fail_reversing_grant_by_a_decision_maker_for_a_competent_adult if {
	consent_refused.deny == {finding("clinical_care")} with input as reversal_request([
		dated(refusal(["clinical_care"]), "2026-11-01T09:00:00+11:00"),
		dated(object.union(grant, {"given_by": "substitute_decision_maker"}), "2026-11-10T09:00:00+11:00"),
	])
}

test_fail_reversing_grant_with_an_unreadable_date if {
	consent_refused.deny == {finding("clinical_care")} with input as reversal_request([
		dated(refusal(["clinical_care"]), "2026-11-01T09:00:00+11:00"),
		dated(grant, "10 November 2026"),
	])
}

# A decision-maker's later grant does not lift what the patient refused while able to decide.
impaired_now(consents) := object.union(reversal_request(consents), {"patient": {"id": "pt-1", "age_years": 50, "capacity": "impaired"}})

decision_makers_grant := object.union(grant, {"given_by": "substitute_decision_maker"})

test_fail_decision_maker_grant_after_the_patients_own_refusal if {
	consent_refused.deny == {finding("clinical_care")} with input as impaired_now([
		dated(object.union(refusal(["clinical_care"]), {"capacity_at_consent": "full"}), "2026-11-01T09:00:00+11:00"),
		dated(decision_makers_grant, "2026-11-10T09:00:00+11:00"),
	])
}

test_fail_decision_maker_grant_after_a_refusal_of_unknown_capacity if {
	consent_refused.deny == {finding("clinical_care")} with input as impaired_now([
		dated(refusal(["clinical_care"]), "2026-11-01T09:00:00+11:00"),
		dated(decision_makers_grant, "2026-11-10T09:00:00+11:00"),
	])
}

test_success_decision_maker_grant_after_a_refusal_made_while_impaired if {
	consent_refused.deny == set() with input as impaired_now([
		dated(object.union(refusal(["clinical_care"]), {"capacity_at_consent": "impaired"}), "2026-11-01T09:00:00+11:00"),
		dated(decision_makers_grant, "2026-11-10T09:00:00+11:00"),
	])
}

test_success_decision_maker_grant_after_the_decision_makers_refusal if {
	consent_refused.deny == set() with input as impaired_now([
		dated(object.union(refusal(["clinical_care"]), {"given_by": "substitute_decision_maker"}), "2026-11-01T09:00:00+11:00"),
		dated(decision_makers_grant, "2026-11-10T09:00:00+11:00"),
	])
}

test_fail_reversing_grant_the_patient_gave_while_lacking_capacity if {
	# Beside another grant still in force: only a grant someone able to consent gave reverses a refusal.
	consent_refused.deny == {finding("clinical_care")} with input as reversal_request([
		grant,
		dated(refusal(["clinical_care"]), "2026-11-01T09:00:00+11:00"),
		dated(object.union(grant, {"capacity_at_consent": "impaired_temporary"}), "2026-11-10T09:00:00+11:00"),
	])
}

# qa10: a refusal of teaching binds a teaching disclosure that states a court order: no law
# requires an image to be taught.
test_fail_refusal_of_teaching_under_a_stated_court_order if {
	consent_refused.deny == {finding("teaching")} with input as object.union(disclosure([refusal(["teaching"])]), {
		"purpose": "teaching",
		"recipient": {"id": "students-1", "kind": "student", "relationship": "none", "within_facility": true},
		"legal_basis": "court_order",
	})
}

# A personal purpose is never carried by a legal basis either (disclosure.non_professional denies
# it too): the refusal still says so.
test_fail_refusal_of_everything_binds_a_personal_use_stating_a_subpoena if {
	consent_refused.deny == {finding("personal")} with input as object.union(disclosure([refusal([])]), {
		"purpose": "personal",
		"legal_basis": "subpoena",
	})
}

# qa12: a refusal naming `recipients` refuses the image to them, not to everyone (Consent to
# collection, use, and disclosure: "Who will have access to the image").
refusal_to(purposes, recipients) := object.union(refusal(purposes), {"recipients": recipients})

test_success_refusal_naming_the_family_leaves_the_consulted_clinician if {
	consent_refused.deny == set() with input as disclosure([grant, refusal_to(["clinical_care"], ["family"])])
}

test_success_blanket_refusal_naming_the_family_leaves_the_consulted_clinician if {
	consent_refused.deny == set() with input as disclosure([refusal_to([], ["family"])])
}

test_fail_refusal_naming_this_recipients_relationship if {
	consent_refused.deny == {finding("clinical_care")} with input as disclosure([grant, refusal_to(["clinical_care"], ["consulted"])])
}

test_fail_refusal_naming_this_recipients_kind if {
	consent_refused.deny == {finding("clinical_care")} with input as disclosure([grant, refusal_to(["clinical_care"], ["family", "clinician"])])
}

test_fail_refusal_naming_no_recipients_covers_everyone if {
	consent_refused.deny == {finding("clinical_care")} with input as disclosure([grant, refusal_to(["clinical_care"], [])])
}

test_fail_refusal_naming_the_family_binds_a_disclosure_to_them if {
	consent_refused.deny == {finding("clinical_care")} with input as object.union(disclosure([
		object.union(grant, {"recipients": ["treating_team", "consulted", "family"]}),
		refusal_to(["clinical_care"], ["family"]),
	]), {"recipient": {"id": "son-1", "kind": "family", "relationship": "none"}})
}

test_fail_refusal_naming_publishers_binds_a_publication_to_whoever_publishes_it if {
	# Sent through `channel: publication`: it is published, whatever the recipient is called.
	consent_refused.deny == {finding("teaching")} with input as object.union(disclosure([
		object.union(grant, {"purposes": ["teaching"], "publication": true}),
		refusal_to([], ["publisher"]),
	]), {"purpose": "teaching", "channel": "publication", "recipient": {"id": "ed-1", "kind": "clinician", "relationship": "none"}})
}

test_success_refusal_naming_publishers_leaves_showing_it_in_person if {
	consent_refused.deny == set() with input as object.union(disclosure([
		object.union(grant, {"purposes": ["teaching"]}),
		refusal_to([], ["publisher"]),
	]), {"purpose": "teaching", "channel": "in_person_display", "recipient": {"id": "ed-1", "kind": "clinician", "relationship": "none"}})
}
