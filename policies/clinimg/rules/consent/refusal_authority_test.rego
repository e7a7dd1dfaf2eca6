package clinimg.rules.consent.refusal_authority_test

import data.clinimg.rules.consent.refusal_authority

grant := {"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "documented_in_record": true}

negative(status, by) := {"status": status, "given_by": by, "purposes": ["clinical_care"], "documented_in_record": true}

capture(patient, consents) := {
	"type": "capture",
	"event_id": "e-1",
	"patient": patient,
	"image": {"id": "img-1"},
	"purposes": ["clinical_care"],
	"consents": consents,
}

adult := {"id": "pt-1", "age_years": 50, "capacity": "full"}

finding := {
	"rule": "consent.refusal_authority",
	"message": "A refusal or withdrawal for clinical_care on file came from a parent, guardian or decision-maker of a patient who decides for themselves: it does not bind, but confirm the patient's own decision and seek advice.",
	"guide": "Obtaining consent to collect a clinical image",
	"remedy": "Confirm the patient's own decision with them and document it; the refusal of someone who cannot decide for the patient does not bind, but seek advice from hospital administration or your medical defence organisation before acting against it.",
}

test_fail_decision_maker_refuses_for_a_competent_adult if {
	refusal_authority.escalate == {finding} with input as capture(adult, [grant, negative("refused", "substitute_decision_maker")])
}

test_fail_relative_recorded_as_parent_refuses_for_a_competent_adult if {
	refusal_authority.escalate == {finding} with input as capture(adult, [grant, negative("refused", "parent_guardian")])
}

test_fail_parent_withdraws_for_a_mature_minor if {
	mature := {"id": "pt-1", "age_years": 16, "capacity": "full", "maturity_assessment": "mature"}
	refusal_authority.escalate == {finding} with input as capture(mature, [grant, negative("withdrawn", "parent_guardian")])
}

test_fail_disclosure if {
	refusal_authority.escalate == {finding} with input as {
		"type": "disclosure",
		"patient": adult,
		"image": {"id": "img-1", "purposes": ["clinical_care"]},
		"purpose": "clinical_care",
		"recipient": {"id": "dr-2", "kind": "clinician", "relationship": "consulted"},
		"legal_basis": "none",
		"consents": [grant, negative("refused", "substitute_decision_maker")],
	}
}

test_success_the_patients_own_refusal if {
	refusal_authority.escalate == set() with input as capture(adult, [grant, negative("refused", "patient")])
}

test_success_decision_maker_of_an_adult_lacking_capacity if {
	impaired := {"id": "pt-1", "age_years": 80, "capacity": "impaired"}
	refusal_authority.escalate == set() with input as capture(impaired, [negative("refused", "substitute_decision_maker")])
}

test_success_capacity_not_recorded_binds if {
	unknown := {"id": "pt-1", "age_years": 50, "capacity": "unknown"}
	refusal_authority.escalate == set() with input as capture(unknown, [grant, negative("refused", "substitute_decision_maker")])
}

test_success_parent_of_a_young_child if {
	child := {"id": "pt-1", "age_years": 6, "capacity": "full"}
	refusal_authority.escalate == set() with input as capture(child, [negative("refused", "parent_guardian")])
}

test_success_refusal_for_another_purpose if {
	refusal_authority.escalate == set() with input as capture(adult, [grant, object.union(negative("refused", "substitute_decision_maker"), {"purposes": ["teaching"]})])
}

test_success_not_a_capture_or_disclosure if {
	refusal_authority.escalate == set() with input as object.union(capture(adult, [grant, negative("refused", "substitute_decision_maker")]), {"type": "record_transfer"})
}

test_success_unauthorised_refusal_the_patient_later_overrode if {
	# Both dated: the patient's own grant after the decision-maker's refusal lifts it (qa8), as the
	# audit lifts it by event order.
	refusal_authority.escalate == set() with input as object.union(capture(adult, [
		object.union(negative("refused", "substitute_decision_maker"), {"given_at": "2026-11-01T09:00:00+11:00"}),
		object.union(grant, {"given_at": "2026-11-10T09:00:00+11:00"}),
	]), {"occurred_at": "2026-11-20T09:00:00+11:00"})
}

test_fail_unauthorised_refusal_after_the_patients_grant if {
	refusal_authority.escalate == {finding} with input as object.union(capture(adult, [
		object.union(grant, {"given_at": "2026-11-01T09:00:00+11:00"}),
		object.union(negative("refused", "substitute_decision_maker"), {"given_at": "2026-11-10T09:00:00+11:00"}),
	]), {"occurred_at": "2026-11-20T09:00:00+11:00"})
}

test_fail_decision_makers_refusal_then_grant_for_a_competent_adult if {
	# The decision-maker's later grant lifts nothing (no authority), so their refusal is still on
	# file beside the patient's own grant.
	refusal_authority.escalate == {finding} with input as object.union(capture(adult, [
		grant,
		object.union(negative("refused", "substitute_decision_maker"), {"given_at": "2026-11-01T09:00:00+11:00"}),
		object.union(grant, {"given_by": "substitute_decision_maker", "given_at": "2026-11-10T09:00:00+11:00"}),
	]), {"occurred_at": "2026-11-20T09:00:00+11:00"})
}

test_fail_a_later_refusal_lifts_no_earlier_one if {
	# Only a grant reverses a refusal: the patient's own later refusal leaves the decision-maker's on file.
	refusal_authority.escalate == {finding} with input as object.union(capture(adult, [
		object.union(negative("refused", "substitute_decision_maker"), {"given_at": "2026-11-01T09:00:00+11:00"}),
		object.union(negative("refused", "patient"), {"given_at": "2026-11-10T09:00:00+11:00"}),
	]), {"occurred_at": "2026-11-20T09:00:00+11:00"})
}
