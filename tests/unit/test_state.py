"""Consents on file as the audit keeps them (checker/audit/state.py)."""
from __future__ import annotations

from checker.audit.state import apply_consent

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
