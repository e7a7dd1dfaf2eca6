"""What the audit knows about consent over time (issue 15), through the real CLI: the capacity a
consent was given with, and whether the phone still held the image it is said to have shown."""
from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

import yaml

from checker.cases import CASES_DIR
from tests.conftest import run_cli

BASES = yaml.safe_load((CASES_DIR / "bases.yaml").read_text())


def _event(kind: str, event_id: str, at: str, **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASES[kind])
    doc.pop("consents", None)  # a log carries events only: the audit builds consents on file itself
    doc.pop("lifecycle", None)
    doc.update(event_id=event_id, occurred_at=at, **changes)
    if kind == "disclosure":
        doc["image"] = {"id": doc["image"]["id"]}
    return doc


def _audit(tmp_path: pathlib.Path, events: list[dict[str, Any]]) -> dict[str, Any]:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in events))
    result = run_cli("audit", str(log), "--format", "json")
    assert result.code in (0, 1), result.err
    return result.json()


def _rules_of(report: dict[str, Any], event_id: str) -> list[str]:
    return sorted(f["rule"] for f in report["findings"] if f["event_id"] == event_id)


def test_consent_given_while_competent_covers_a_capture_under_anaesthetic(tmp_path: pathlib.Path) -> None:
    anaesthetised = {"id": "pt-001", "age_years": 54, "capacity": "impaired_temporary"}
    report = _audit(tmp_path, [
        _event("consent", "e-con-1", "2026-11-20T07:00:00+11:00"),  # pre-operatively, capacity full
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", patient=anaesthetised),
    ])
    assert _rules_of(report, "e-cap-1") == []


def test_consent_given_while_impaired_is_not_valid(tmp_path: pathlib.Path) -> None:
    impaired = {"id": "pt-001", "age_years": 54, "capacity": "impaired"}
    report = _audit(tmp_path, [
        _event("consent", "e-con-1", "2026-11-20T07:00:00+11:00", patient=impaired),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", patient=impaired),
    ])
    assert _rules_of(report, "e-cap-1") == ["consent.substitute_decision_maker"]


def test_consent_given_while_competent_survives_a_lasting_loss_of_capacity(tmp_path: pathlib.Path) -> None:
    report = _audit(tmp_path, [
        _event("consent", "e-con-1", "2026-11-20T07:00:00+11:00"),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", patient={"id": "pt-001", "age_years": 54, "capacity": "impaired"}),
    ])
    assert _rules_of(report, "e-cap-1") == []


def _shown_three_months_later(deleted: bool) -> list[dict[str, Any]]:
    events = [
        _event("consent", "e-con-1", "2026-08-20T08:55:00+10:00"),
        _event("capture", "e-cap-1", "2026-08-20T09:00:00+10:00"),
        _event("record_transfer", "e-rt-1", "2026-08-20T10:00:00+10:00"),
    ]
    if deleted:
        events.append(_event("device_deletion", "e-dd-1", "2026-08-20T10:05:00+10:00"))
    events.append(_event("disclosure", "e-dis-1", "2026-11-20T09:30:00+11:00", channel="in_person_display"))
    return events


def test_showing_after_the_phone_copy_was_deleted_is_not_shown_from_the_device(tmp_path: pathlib.Path) -> None:
    assert "storage.shown_from_device" not in _rules_of(_audit(tmp_path, _shown_three_months_later(deleted=True)), "e-dis-1")


def test_showing_from_the_phone_that_still_holds_it(tmp_path: pathlib.Path) -> None:
    assert "storage.shown_from_device" in _rules_of(_audit(tmp_path, _shown_three_months_later(deleted=False)), "e-dis-1")


def test_a_refusal_in_the_log_binds_a_later_disclosure(tmp_path: pathlib.Path) -> None:
    refusal = {"status": "refused", "given_by": "patient", "purposes": [], "documented_in_record": True}
    report = _audit(tmp_path, [
        _event("consent", "e-con-1", "2026-11-20T08:55:00+11:00"),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00"),
        _event("consent", "e-con-2", "2026-11-20T09:10:00+11:00", consent=refusal),
        _event("disclosure", "e-dis-1", "2026-11-20T09:30:00+11:00"),
    ])
    assert _rules_of(report, "e-dis-1") == ["disclosure.consent_refused"]


def test_a_receiver_cannot_waive_their_own_copy(tmp_path: pathlib.Path) -> None:
    """SPEC §4: a waiver is never honoured when approved_by is the event's actor — for a lifecycle
    finding, the actor of the event it blames (here the receipt: the receiver), not the capturer."""
    events = [
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00"),
        _event("record_transfer", "e-rt-1", "2026-11-20T09:20:00+11:00"),
        _event("device_deletion", "e-dd-1", "2026-11-20T09:25:00+11:00"),
        _event("receipt", "e-rc-1", "2026-11-20T09:31:00+11:00"),  # kept on the registrar's phone
        _event("device_posture", "e-dp-9", "2026-11-25T09:00:00+11:00"),  # days later
    ]
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in events))
    found = {}
    for approver in ("dr-registrar-3", "privacy-officer-7"):
        overlay = tmp_path / f"{approver}.yaml"
        overlay.write_text(yaml.safe_dump({"waivers": [{"rule": "storage.receiver_delete", "event_id": "e-rc-1", "reason": "litigation hold",
                                                         "approved_by": approver, "expires": "2027-06-01"}]}))
        result = run_cli("audit", str(log), "--format", "json", "--policy-config", str(overlay))
        assert result.code in (0, 1), result.err
        found[approver] = _rules_of(result.json(), "e-rc-1")
    assert found == {"dr-registrar-3": ["storage.receiver_delete"], "privacy-officer-7": []}


def _consent(event_id: str, at: str, **consent: Any) -> dict[str, Any]:
    doc = _event("consent", event_id, at)
    doc["consent"] = {**doc["consent"], **consent}
    return doc


def test_a_grant_for_another_image_does_not_lift_a_refusal_of_every_image(tmp_path: pathlib.Path) -> None:
    # The patient refuses clinical-care sharing of every image, then agrees again for one other
    # image only: img-1 stays refused. (The audit used to drop the whole refusal, and the send
    # was then permitted as a secondary purpose.)
    report = _audit(tmp_path, [
        _event("consent", "e-con-1", "2026-11-20T08:55:00+11:00"),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00"),
        _consent("e-con-2", "2026-11-20T09:30:00+11:00", status="refused", purposes=["clinical_care"]),
        _consent("e-con-3", "2026-11-20T09:40:00+11:00", image_ids=["img-9"]),
        _event("disclosure", "e-dis-1", "2026-11-20T10:00:00+11:00"),
    ])
    assert _rules_of(report, "e-dis-1") == ["disclosure.consent_refused"]


def test_a_grant_for_one_image_lifts_a_refusal_of_every_image_for_it_alone(tmp_path: pathlib.Path) -> None:
    # Refused for every image, then agreed for this photo: this one may be taken and sent; a
    # later photo taken without a new consent is still refused.
    report = _audit(tmp_path, [
        _consent("e-con-1", "2026-11-20T08:50:00+11:00", status="refused", purposes=["clinical_care"]),
        _consent("e-con-2", "2026-11-20T08:55:00+11:00", image_ids=["img-1"]),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00"),
        _event("disclosure", "e-dis-1", "2026-11-20T10:00:00+11:00"),
        _event("capture", "e-cap-2", "2026-11-20T11:00:00+11:00", image={**BASES["capture"]["image"], "id": "img-2"}),
    ])
    assert _rules_of(report, "e-cap-1") == [] and _rules_of(report, "e-dis-1") == []
    assert _rules_of(report, "e-cap-2") == ["collection.consent_refused"]


def test_a_withdrawal_for_one_image_leaves_the_others_consented(tmp_path: pathlib.Path) -> None:
    # Teaching withdrawn for another image only: the teaching consent for img-1 still stands.
    teaching = {"purposes": ["clinical_care", "teaching"]}
    report = _audit(tmp_path, [
        _consent("e-con-1", "2026-11-20T08:55:00+11:00", **teaching),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", purposes=["clinical_care", "teaching"]),
        _consent("e-con-2", "2026-11-20T09:30:00+11:00", status="withdrawn", purposes=["teaching"], image_ids=["img-9"]),
        _event("disclosure", "e-dis-1", "2026-11-20T10:00:00+11:00", purpose="teaching", channel="in_person_display",
               recipient={"id": "students-1", "kind": "student", "relationship": "none", "within_facility": True},
               intended_recipient={"id": "students-1"}),
    ])
    assert _rules_of(report, "e-dis-1") == []


def test_a_consent_given_at_15_unassessed_is_not_valid_at_18(tmp_path: pathlib.Path) -> None:
    # The audit states the age and maturity at consent from the consent event: the patient's
    # consent, given at 15 without a maturity assessment, never was theirs to give.
    report = _audit(tmp_path, [
        _event("consent", "e-con-1", "2023-11-20T08:55:00+11:00", patient={"id": "pt-001", "age_years": 15, "capacity": "full"}),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", patient={"id": "pt-001", "age_years": 18, "capacity": "full"}),
    ])
    assert _rules_of(report, "e-cap-1") == ["consent.competent_adult"]


def _teaching_after(negative: dict[str, Any]) -> list[dict[str, Any]]:
    grant = {"purposes": ["clinical_care", "teaching"]}
    return [
        _consent("e-con-1", "2026-11-20T08:55:00+11:00", **grant),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", purposes=["clinical_care", "teaching"]),
        _consent("e-con-2", "2026-11-20T09:10:00+11:00", **negative),
        _event("disclosure", "e-dis-1", "2026-11-20T09:30:00+11:00", purpose="teaching",
               recipient={"id": "students-1", "kind": "student", "relationship": "none", "within_facility": True}),
    ]


def test_a_refusal_without_authority_leaves_the_patients_grant_on_file(tmp_path: pathlib.Path) -> None:
    # A competent adult consented to teaching; a decision-maker (no authority while the patient
    # can decide) then refuses it. The patient's grant stays on file: the disclosure escalates
    # (consent.refusal_authority) as `clinimg check` with both consents does — the audit used to
    # narrow the grant away, and denied for want of consent.
    report = _audit(tmp_path, _teaching_after({"status": "refused", "given_by": "substitute_decision_maker", "purposes": ["teaching"]}))
    assert _rules_of(report, "e-dis-1") == ["consent.refusal_authority"]


def test_the_patients_own_refusal_still_ends_the_grant(tmp_path: pathlib.Path) -> None:
    report = _audit(tmp_path, _teaching_after({"status": "withdrawn", "given_by": "patient", "purposes": ["teaching"]}))
    assert _rules_of(report, "e-dis-1") == ["disclosure.consent_withdrawn"]


def test_a_grant_without_authority_does_not_lift_the_patients_refusal(tmp_path: pathlib.Path) -> None:
    # The patient refused teaching; their decision-maker (no authority while the patient can
    # decide) then "grants" it. The refusal stays on file and binds.
    report = _audit(tmp_path, [
        _consent("e-con-1", "2026-11-20T08:55:00+11:00", purposes=["clinical_care", "teaching"]),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", purposes=["clinical_care", "teaching"]),
        _consent("e-con-2", "2026-11-20T09:10:00+11:00", status="refused", given_by="patient", purposes=["teaching"]),
        _consent("e-con-3", "2026-11-20T09:20:00+11:00", given_by="substitute_decision_maker", purposes=["teaching"]),
        _event("disclosure", "e-dis-1", "2026-11-20T09:30:00+11:00", purpose="teaching",
               recipient={"id": "students-1", "kind": "student", "relationship": "none", "within_facility": True}),
    ])
    assert "disclosure.consent_refused" in _rules_of(report, "e-dis-1")


def _regains_capacity(kind_of_decider: str) -> list[dict[str, Any]]:
    """A decision-maker (or a parent) consents to care and teaching while the patient cannot decide;
    the image is taken, saved and deleted from the phone; later the patient can decide (capacity
    regained, or now 18) and the image is sent for care, then shown for teaching."""
    if kind_of_decider == "substitute_decision_maker":
        before = {"id": "pt-001", "age_years": 54, "capacity": "impaired_temporary"}
        after = {"id": "pt-001", "age_years": 54, "capacity": "full"}
    else:
        before = {"id": "pt-001", "age_years": 17, "capacity": "full"}
        after = {"id": "pt-001", "age_years": 18, "capacity": "full"}
    grant = {**BASES["consent"]["consent"], "given_by": kind_of_decider, "purposes": ["clinical_care", "teaching"]}
    student = {"id": "students-1", "kind": "student", "relationship": "none", "within_facility": True}
    return [
        _event("consent", "e-con-1", "2026-11-01T08:00:00+11:00", patient=before, consent=grant),
        _event("capture", "e-cap-1", "2026-11-01T09:00:00+11:00", patient=before, purposes=["clinical_care", "teaching"],
               image={**BASES["capture"]["image"], "deidentified": True}),
        _event("record_transfer", "e-rt-1", "2026-11-01T10:00:00+11:00", patient=before),
        _event("device_deletion", "e-dd-1", "2026-11-01T10:05:00+11:00", patient=before),
        _event("disclosure", "e-dis-care", "2026-11-20T09:30:00+11:00", patient=after),
        _event("disclosure", "e-dis-teach", "2026-11-20T09:40:00+11:00", patient=after, purpose="teaching", recipient=student,
               intended_recipient={"id": "students-1"}),
    ]


def test_a_lapsed_decision_makers_consent_leaves_care_sharing_alone_but_not_teaching(tmp_path: pathlib.Path) -> None:
    # qa8: the consent was valid when given; once the patient can decide, later uses that need
    # consent need their own ("Only competent patients can provide consent"), care sharing needs none.
    report = _audit(tmp_path, _regains_capacity("substitute_decision_maker"))
    assert _rules_of(report, "e-cap-1") == ["consent.wait_for_capacity"]  # (not urgent: "better to wait")
    assert _rules_of(report, "e-dis-care") == []
    assert _rules_of(report, "e-dis-teach") == ["consent.competent_adult"]


def test_a_parents_consent_lapses_at_18_for_teaching_only(tmp_path: pathlib.Path) -> None:
    report = _audit(tmp_path, _regains_capacity("parent_guardian"))
    assert _rules_of(report, "e-dis-care") == []
    assert _rules_of(report, "e-dis-teach") == ["consent.competent_adult"]


def test_a_consent_naming_the_treating_team_keeps_the_image_from_a_consulted_specialist(tmp_path: pathlib.Path) -> None:
    named = {**BASES["consent"]["consent"], "recipients": ["treating_team"]}
    ward = {"id": "dr-ward-3", "kind": "clinician", "relationship": "treating_team", "within_facility": True}
    report = _audit(tmp_path, [
        _event("consent", "e-con-1", "2026-11-20T08:55:00+11:00", consent=named),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00"),
        _event("disclosure", "e-dis-ward", "2026-11-20T09:30:00+11:00", recipient=ward, intended_recipient={"id": "dr-ward-3"}),
        _event("disclosure", "e-dis-1", "2026-11-20T09:40:00+11:00"),  # the base: a consulted surgeon
    ])
    assert _rules_of(report, "e-dis-ward") == []
    assert _rules_of(report, "e-dis-1") == ["disclosure.consent_scope"]


def test_a_decision_maker_cannot_lift_what_the_patient_refused_while_competent(tmp_path: pathlib.Path) -> None:
    # qa8: the patient refused while able to decide; later, lacking capacity, their decision-maker
    # "consents". Right to refuse consent: the refusal stands (check decides the same on dated consents).
    impaired = {"id": "pt-001", "age_years": 54, "capacity": "impaired"}
    refusal = {"status": "refused", "given_by": "patient", "purposes": ["clinical_care"], "documented_in_record": True}
    grant = {**BASES["consent"]["consent"], "given_by": "substitute_decision_maker"}
    report = _audit(tmp_path, [
        _event("consent", "e-con-1", "2026-11-01T08:00:00+11:00", consent=refusal),
        _event("consent", "e-con-2", "2026-11-10T08:00:00+11:00", patient=impaired, consent=grant),
        _event("capture", "e-cap-1", "2026-11-10T09:00:00+11:00", patient=impaired),
    ])
    assert _rules_of(report, "e-cap-1") == ["collection.consent_refused"]


def _parents_consented_at_14(first: int, second: int) -> list[dict[str, Any]]:
    """Two patients whose parents consented when they were 14 (the consents on file alike), each
    image taken now, at the ages given."""
    events = []
    for n, age in enumerate((first, second)):
        patient = {"id": f"pt-{n}", "age_years": age, "capacity": "full"}
        parent = {**BASES["consent"]["consent"], "given_by": "parent_guardian"}
        events += [
            _event("consent", f"e-con-{n}", f"20{age + 10}-11-20T0{8 + n}:00:00+11:00",
                   patient={**patient, "age_years": 14}, consent=parent),
            _event("capture", f"e-cap-{n}", f"2026-11-20T0{8 + n}:10:00+11:00", patient=patient,
                   image={**BASES["capture"]["image"], "id": f"img-{n}"}),
        ]
    return events


def test_the_cache_honours_the_hospitals_maturity_assessment_age(tmp_path: pathlib.Path) -> None:
    # At 14 (the hospital's age) the young person escalates, at 13 not: the cache keys place
    # ages by the overlay's age, not the default 16.
    overlay = tmp_path / "hospital.yaml"
    overlay.write_text("maturity_assessment_age: 14\n")
    for first, second in ((13, 14), (14, 13)):
        log = tmp_path / "log.jsonl"
        events = _parents_consented_at_14(first, second)
        for e in events:  # consents given a year before the capture, at 12 or 13
            if e["type"] == "consent":
                e["patient"]["age_years"] = 12
        log.write_text("".join(json.dumps(e) + "\n" for e in events))
        result = run_cli("audit", str(log), "--format", "json", "--policy-config", str(overlay))
        assert result.code in (0, 1), result.err
        report = result.json()
        assert [_rules_of(report, "e-cap-0"), _rules_of(report, "e-cap-1")] == [
            ["consent.maturity_assessment"] if age == 14 else [] for age in (first, second)]


def test_the_cache_tells_a_15_from_a_16_year_old(tmp_path: pathlib.Path) -> None:
    # qa9: consent.maturity_assessment compares a child's age with maturity_assessment_age (16).
    # The audit's caches once kept an age only as child or adult: the second of two otherwise
    # identical patients would then get the first one's decision. Only the 16-year-old, never
    # assessed, escalates — in either order.
    report = _audit(tmp_path, _parents_consented_at_14(15, 16))
    assert (_rules_of(report, "e-cap-0"), _rules_of(report, "e-cap-1")) == ([], ["consent.maturity_assessment"])
    report = _audit(tmp_path, _parents_consented_at_14(16, 15))
    assert (_rules_of(report, "e-cap-0"), _rules_of(report, "e-cap-1")) == (["consent.maturity_assessment"], [])
