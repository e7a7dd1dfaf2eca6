"""Consents on file as the audit keeps them (checker/audit/state.py)."""
from __future__ import annotations

from checker.audit.state import apply_consent, without_authority

GRANT = {"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "documented_in_record": True}


def test_the_same_consent_for_another_image_joins_the_earlier_one() -> None:
    on_file = apply_consent([], {**GRANT, "image_ids": ["img-1"]})
    on_file = apply_consent(on_file, {**GRANT, "image_ids": ["img-2"]})
    assert on_file == [{**GRANT, "image_ids": ["img-1", "img-2"]}]


def test_a_refusal_for_one_image_survives_a_grant_for_another() -> None:
    refusal = {"status": "refused", "given_by": "patient", "purposes": ["clinical_care"], "image_ids": ["img-2"]}
    on_file = apply_consent([refusal], {**GRANT, "image_ids": ["img-3"]})
    assert refusal in on_file and len(on_file) == 2


def test_a_later_grant_for_the_same_image_supersedes_the_refusal() -> None:
    refusal = {"status": "refused", "given_by": "patient", "purposes": ["clinical_care"], "image_ids": ["img-2"]}
    assert apply_consent([refusal], {**GRANT, "image_ids": ["img-2"]}) == [{**GRANT, "image_ids": ["img-2"]}]


def test_a_withdrawal_naming_no_images_ends_every_grant_of_its_purposes() -> None:
    on_file = apply_consent([], {**GRANT, "purposes": ["clinical_care", "teaching"], "image_ids": ["img-1"]})
    withdrawal = {"status": "withdrawn", "given_by": "patient", "purposes": ["teaching"]}
    on_file = apply_consent(on_file, withdrawal)
    assert on_file == [{**GRANT, "purposes": ["clinical_care"], "image_ids": ["img-1"]}, withdrawal]


def test_a_withdrawal_of_everything_ends_every_grant() -> None:
    withdrawal = {"status": "withdrawn", "given_by": "patient", "purposes": []}
    assert apply_consent([{**GRANT, "image_ids": ["img-1"]}, GRANT], withdrawal) == [withdrawal]


def test_a_withdrawal_naming_recipients_leaves_the_grant_beside_it() -> None:
    # It refuses the image to those it names only (lib.negative_reaches_recipient): the grant stays
    # for everyone else, and the policy lets the withdrawal beat it for the recipients it names.
    grant = {**GRANT, "purposes": ["clinical_care", "teaching"]}
    not_students = {"status": "withdrawn", "given_by": "patient", "purposes": ["teaching"], "recipients": ["student"]}
    assert apply_consent([grant], not_students) == [grant, not_students]
    # naming none ([] as absent): it ends the grant's purposes as before
    everyone = {**not_students, "recipients": []}
    assert apply_consent([grant], everyone) == [{**grant, "purposes": ["clinical_care"]}, everyone]


REFUSAL = {"status": "refused", "given_by": "patient", "purposes": ["clinical_care"], "documented_in_record": True}


def test_a_grant_for_one_image_leaves_a_refusal_of_every_other_image_in_force() -> None:
    # Refused for every image, then granted again for img-1 only: the refusal still covers img-2
    # and images not taken yet — every image but img-1.
    on_file = apply_consent([REFUSAL], {**GRANT, "image_ids": ["img-1"]})
    assert on_file == [{**REFUSAL, "except_image_ids": ["img-1"]}, {**GRANT, "image_ids": ["img-1"]}]
    on_file = apply_consent(on_file, {**GRANT, "image_ids": ["img-3"]})
    assert on_file == [{**REFUSAL, "except_image_ids": ["img-1", "img-3"]}, {**GRANT, "image_ids": ["img-1", "img-3"]}]


def test_the_policy_sees_a_refusal_of_every_other_image_as_it_applies_to_the_event() -> None:
    from checker.audit.state import State

    state = State()
    state.patient("pt-1")["consents"] = apply_consent([REFUSAL], {**GRANT, "image_ids": ["img-1"]})
    event = {"type": "capture", "event_id": "e-1", "patient": {"id": "pt-1"}, "image": {"id": "img-1"}}
    assert state.input_for(event, 0)["consents"] == [{**GRANT, "image_ids": ["img-1"]}]
    other = {**event, "image": {"id": "img-2"}}
    assert state.input_for(other, 0)["consents"] == [REFUSAL, {**GRANT, "image_ids": ["img-1"]}]
    record = {"type": "access_request", "event_id": "e-2", "patient": {"id": "pt-1"}}
    assert REFUSAL in state.input_for(record, 0)["consents"]


def test_a_grant_for_one_image_carves_it_out_of_a_refusal_listing_images() -> None:
    refusal = {**REFUSAL, "purposes": ["clinical_care", "teaching"], "image_ids": ["img-1", "img-2"]}
    on_file = apply_consent([refusal], {**GRANT, "image_ids": ["img-1"]})
    assert on_file == [
        {**refusal, "purposes": ["teaching"]},
        {**refusal, "purposes": ["clinical_care"], "image_ids": ["img-2"]},
        {**GRANT, "image_ids": ["img-1"]},
    ]


def test_a_withdrawal_for_one_image_leaves_the_grant_for_the_others() -> None:
    # The grant stays whole; the withdrawal beats it for img-2 only (lib.rego: a negative on file
    # beats a grant it covers). It used to end the grant for every image.
    grant = {**GRANT, "purposes": ["clinical_care", "teaching"]}
    withdrawal = {"status": "withdrawn", "given_by": "patient", "purposes": ["teaching"], "image_ids": ["img-2"]}
    assert apply_consent([grant], withdrawal) == [grant, withdrawal]


def test_a_refusal_of_everything_for_one_image_leaves_the_grant_for_the_others() -> None:
    refusal = {"status": "refused", "given_by": "patient", "purposes": [], "image_ids": ["img-2"]}
    assert apply_consent([GRANT], refusal) == [GRANT, refusal]


def test_a_grant_of_one_purpose_narrows_a_refusal_of_everything() -> None:
    blanket = {"status": "refused", "given_by": "patient", "purposes": []}
    on_file = apply_consent([blanket], {**GRANT, "purposes": ["teaching"]})
    assert on_file == [
        {**blanket, "purposes": ["clinical_care", "legal_proceedings", "personal", "publication", "research", "training"]},
        {**GRANT, "purposes": ["teaching"]},
    ]


def test_a_grant_naming_no_purpose_lifts_no_refusal() -> None:
    blanket = {"status": "refused", "given_by": "patient", "purposes": []}
    assert apply_consent([blanket], {**GRANT, "purposes": []})[0] == blanket
    assert apply_consent([REFUSAL], {**GRANT, "purposes": []})[0] == REFUSAL


def test_a_grant_of_publication_by_its_flag_lifts_a_refusal_of_publication() -> None:
    refusal = {**REFUSAL, "purposes": ["publication"]}
    grant = {**GRANT, "purposes": [], "publication": True}
    assert apply_consent([refusal], grant) == [grant]


def test_a_negative_without_authority_narrows_nothing() -> None:
    sdm_refusal = {"status": "refused", "given_by": "substitute_decision_maker", "purposes": ["clinical_care"]}
    assert apply_consent([GRANT], sdm_refusal, authority=False) == [GRANT, sdm_refusal]
    assert apply_consent([GRANT], sdm_refusal) == [sdm_refusal]
    sdm_grant = {**GRANT, "given_by": "substitute_decision_maker"}
    assert apply_consent([REFUSAL], sdm_grant, authority=False) == [REFUSAL, sdm_grant]


def test_who_lacks_authority_as_the_consent_event_describes_the_patient() -> None:
    sdm = {"given_by": "substitute_decision_maker"}
    adult = {"age_years": 50, "capacity": "full"}
    assert without_authority(sdm, adult)
    assert without_authority({"given_by": "parent_guardian"}, {"age_years": 16, "capacity": "full", "maturity_assessment": "mature"})
    assert not without_authority({"given_by": "patient"}, adult)
    assert not without_authority(sdm, {"age_years": 50, "capacity": "impaired"})
    assert not without_authority(sdm, {"age_years": 50})  # capacity not recorded: fail closed
    assert not without_authority({"given_by": "parent_guardian"}, {"age_years": 9, "capacity": "full"})
    assert not without_authority({"given_by": "parent_guardian"}, {"age_years": 16, "capacity": "full", "maturity_assessment": "not_mature", "mature_minor_assessed": True})


# qa8: a parent's or decision-maker's grant does not lift the patient's own refusal (lib.rego,
# decider_over_patients_refusal), unless the patient made it while lacking capacity.
DECISION_MAKERS_GRANT = {**GRANT, "given_by": "substitute_decision_maker"}


def test_a_decision_makers_grant_leaves_the_patients_own_refusal_on_file() -> None:
    own = {**REFUSAL, "capacity_at_consent": "full"}
    assert apply_consent([own], DECISION_MAKERS_GRANT) == [own, DECISION_MAKERS_GRANT]


def test_a_decision_makers_grant_leaves_a_refusal_of_unknown_capacity_on_file() -> None:
    assert apply_consent([REFUSAL], DECISION_MAKERS_GRANT) == [REFUSAL, DECISION_MAKERS_GRANT]


def test_a_decision_makers_grant_lifts_a_refusal_made_while_lacking_capacity() -> None:
    confused = {**REFUSAL, "capacity_at_consent": "impaired_temporary"}
    assert apply_consent([confused], DECISION_MAKERS_GRANT) == [DECISION_MAKERS_GRANT]


def test_a_decision_makers_grant_lifts_the_decision_makers_own_refusal() -> None:
    theirs = {**REFUSAL, "given_by": "substitute_decision_maker"}
    assert apply_consent([theirs], DECISION_MAKERS_GRANT) == [DECISION_MAKERS_GRANT]


def test_the_patients_grant_lifts_their_own_refusal() -> None:
    assert apply_consent([{**REFUSAL, "capacity_at_consent": "full"}], GRANT) == [GRANT]


def test_the_patients_grant_while_lacking_capacity_leaves_their_refusal_on_file() -> None:
    confused_grant = {**GRANT, "capacity_at_consent": "impaired_temporary"}
    assert apply_consent([REFUSAL], confused_grant) == [REFUSAL, confused_grant]


def test_a_childs_unassessed_grant_leaves_the_parents_refusal_on_file() -> None:
    parents = {**REFUSAL, "given_by": "parent_guardian"}
    childs = {**GRANT, "age_at_consent": 12, "maturity_at_consent": "not_assessed"}
    assert apply_consent([parents], childs) == [parents, childs]


def test_a_mature_minors_grant_lifts_their_own_refusal() -> None:
    own = {**REFUSAL, "age_at_consent": 16, "maturity_at_consent": "mature"}
    mature_grant = {**GRANT, "age_at_consent": 16, "maturity_at_consent": "mature"}
    assert apply_consent([own], mature_grant) == [mature_grant]


# qa11: a later grant that does not allow identifiable use takes it back from an earlier grant of
# the same purposes (lib.identifiable_use_narrowed_later reads `given_at` the same way).
BROAD = {**GRANT, "purposes": ["clinical_care", "teaching"], "identifiable_use": True}
NARROW = {**GRANT, "purposes": ["teaching"], "identifiable_use": False}


def test_a_later_grant_without_identifiable_use_narrows_an_earlier_one() -> None:
    on_file = apply_consent([BROAD], NARROW)
    assert on_file == [
        {**BROAD, "purposes": ["clinical_care"], "publication": False},
        {**BROAD, "purposes": ["teaching"], "publication": False, "identifiable_use": False},
        NARROW,
    ]


def test_a_later_grant_for_one_image_narrows_the_earlier_one_for_that_image_only() -> None:
    from checker.audit.state import State

    state = State()
    state.patient("pt-1")["consents"] = apply_consent([BROAD], {**NARROW, "image_ids": ["img-1"]})
    event = {"type": "capture", "event_id": "e-1", "patient": {"id": "pt-1"}, "image": {"id": "img-1"}}
    for_img1 = state.input_for(event, 0)["consents"]
    assert not any(c.get("identifiable_use") and "teaching" in c["purposes"] for c in for_img1)
    assert {**BROAD, "purposes": ["clinical_care"], "publication": False, "image_ids": ["img-1"]} in for_img1
    for_img2 = state.input_for({**event, "image": {"id": "img-2"}}, 0)["consents"]
    assert BROAD in for_img2  # every other image keeps the broad grant, future ones too


def test_a_later_grant_listing_images_narrows_only_those_it_shares() -> None:
    on_file = apply_consent([{**BROAD, "image_ids": ["img-1", "img-2"]}], {**NARROW, "image_ids": ["img-2", "img-3"]})
    assert {**BROAD, "image_ids": ["img-1"]} in on_file
    assert {**BROAD, "purposes": ["teaching"], "publication": False, "identifiable_use": False, "image_ids": ["img-2"]} in on_file


def test_a_grant_that_allows_identifiable_use_narrows_nothing() -> None:
    assert apply_consent([BROAD], {**NARROW, "identifiable_use": True}) == [BROAD, {**NARROW, "identifiable_use": True}]
    # nor one for other purposes, nor the patient's own given while lacking capacity
    assert apply_consent([BROAD], {**NARROW, "purposes": ["research"]}) == [BROAD, {**NARROW, "purposes": ["research"]}]
    impaired = {**NARROW, "capacity_at_consent": "impaired"}
    assert apply_consent([BROAD], impaired) == [BROAD, impaired]
