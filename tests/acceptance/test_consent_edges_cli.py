"""Consent edges a medico-legal adviser would not let through (qa10), through the real CLI: a
`clinimg check` request for each, and the same facts as an event log for `clinimg audit` where the
audit builds them from its state. Each was a wrong permit or a wrong escalate on the old policies
(docs/decision-table.md rows 3r, 3s, 6k, 6l, 1p5); the last group guards identifiability on
silence (row 7i), which a session's notes had left as a possible false permit. qa11 adds the
file's metadata on silence (rows 7k) and a later, narrower consent (rows 2s); qa12 a refusal that
names its recipients (rows 2u) and a parent's consent with no age recorded (rows 4r4-4r7)."""
from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

import pytest
import yaml

from checker.cases import CASES_DIR, deep_merge
from tests.conftest import run_cli

BASES = yaml.safe_load((CASES_DIR / "bases.yaml").read_text())
INFORMED = ["purpose", "use", "access", "sharing", "deidentification", "storage", "withdrawal_limits"]
ANAESTHETISED = {"id": "pt-001", "age_years": 54, "capacity": "impaired_temporary"}
TO_STUDENTS = {"purpose": "teaching", "channel": "in_person_display",
               "recipient": {"id": "students-1", "kind": "student", "relationship": "none", "within_facility": True}}


def _grant(**fields: Any) -> dict[str, Any]:
    return {"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "identifiable_use": False,
            "publication": False, "documented_in_record": True, "written_form": False, "informed_of": INFORMED, **fields}


def _check(tmp_path: pathlib.Path, base: str, patch: dict[str, Any]) -> tuple[str, list[str], int]:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(deep_merge(BASES[base], patch)))
    result = run_cli("check", str(request), "--format", "json")
    assert result.code in (0, 1, 3), result.err
    decision = result.json()
    return decision["outcome"], sorted({f["rule"] for f in decision["findings"]}), result.code


def _event(kind: str, event_id: str, at: str, **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(BASES[kind])
    doc.pop("consents", None)  # a log carries events only: the audit builds consents on file itself
    doc.pop("lifecycle", None)
    doc.update(event_id=event_id, occurred_at=at, **changes)
    return doc


def _audit_findings(tmp_path: pathlib.Path, events: list[dict[str, Any]], event_id: str) -> list[tuple[str, str]]:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in events))
    result = run_cli("audit", str(log), "--format", "json")
    assert result.code in (0, 1), result.err
    return sorted((f["rule"], f["effect"]) for f in result.json()["findings"] if f["event_id"] == event_id)


# -- refusals and capacity over time ---------------------------------------------------------------

def test_check_emergency_law_does_not_override_a_withdrawal_made_while_able_to_decide(tmp_path: pathlib.Path) -> None:
    # Before: escalate (collection.emergency only) — as if nobody had ever been asked.
    outcome, rules, code = _check(tmp_path, "capture", {
        "patient": ANAESTHETISED,
        "circumstances": {"urgent": True, "substitute_available": False},
        "consents": [
            _grant(given_at="2026-11-19T09:00:00+11:00"),
            {"status": "withdrawn", "given_by": "patient", "capacity_at_consent": "full", "given_at": "2026-11-19T10:00:00+11:00",
             "purposes": ["clinical_care"], "documented_in_record": True},
        ],
    })
    assert (outcome, code) == ("deny", 1)
    assert rules == ["collection.consent_required", "collection.emergency"]


def test_audit_emergency_law_does_not_override_a_withdrawal_on_file(tmp_path: pathlib.Path) -> None:
    withdrawal = {"status": "withdrawn", "given_by": "patient", "purposes": ["clinical_care"], "documented_in_record": True}
    findings = _audit_findings(tmp_path, [
        _event("consent", "e-con-1", "2026-11-19T09:00:00+11:00"),
        _event("consent", "e-con-2", "2026-11-19T10:00:00+11:00", consent=withdrawal),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", patient=ANAESTHETISED,
               circumstances={"urgent": True, "child_distressed": False, "in_theatre": False, "substitute_available": False}),
    ], "e-cap-1")
    assert findings == [("collection.consent_required", "deny"), ("collection.emergency", "escalate")]


def test_check_urgent_care_does_not_make_teaching_urgent(tmp_path: pathlib.Path) -> None:
    # Before: permit — the decision-maker's consent carried the teaching because the care was urgent.
    patch = {"patient": ANAESTHETISED, "purposes": ["clinical_care", "teaching"], "circumstances": {"urgent": True},
             "consents": [_grant(given_by="substitute_decision_maker", purposes=["clinical_care", "teaching"])]}
    assert _check(tmp_path, "capture", patch) == ("escalate", ["consent.wait_for_capacity"], 3)
    care_alone = {**patch, "purposes": ["clinical_care"]}
    assert _check(tmp_path, "capture", care_alone)[:2] == ("permit", [])


# -- legal duties ----------------------------------------------------------------------------------

def test_check_a_court_order_does_not_make_a_capture_for_publication_lawful(tmp_path: pathlib.Path) -> None:
    # Before: escalate (collection.legal_requirement only).
    outcome, rules, _ = _check(tmp_path, "capture", {"purposes": ["legal_proceedings", "publication"], "legal_basis": "court_order", "consents": []})
    assert outcome == "deny"
    assert rules == ["collection.consent_required", "collection.legal_requirement"]


@pytest.mark.parametrize("basis", ["court_order", "subpoena", "required_by_law", "serious_threat"])
def test_check_a_legal_basis_stated_on_teaching_over_a_refusal_is_no_basis(tmp_path: pathlib.Path, basis: str) -> None:
    # Before: escalate (disclosure.legal_advice "over the patient's refusal").
    refusal = {"status": "refused", "given_by": "patient", "purposes": ["teaching"], "documented_in_record": True}
    patch = {**TO_STUDENTS, "legal_basis": basis, "image": {"deidentified": True}, "consents": [_grant(), refusal]}
    assert _check(tmp_path, "disclosure", patch) == ("deny", ["disclosure.consent_refused"], 1)


def test_check_research_on_a_legal_basis_still_seeks_advice(tmp_path: pathlib.Path) -> None:
    patch = {"purpose": "research", "legal_basis": "required_by_law", "image": {"deidentified": True}, "consents": [],
             "recipient": {"id": "res-1", "kind": "researcher", "relationship": "none", "within_facility": True}}
    assert _check(tmp_path, "disclosure", patch) == ("escalate", ["disclosure.legal_advice"], 3)


def test_check_the_record_to_police_on_an_unrecorded_consent(tmp_path: pathlib.Path) -> None:
    # Before: permit — the verbal consent entitled the police and nothing asked for its record.
    patch = {"requester": {"id": "police-1", "kind": "law_enforcement"}, "legal_basis": "none",
             "consents": [_grant(purposes=["legal_proceedings"], identifiable_use=True, documented_in_record=False)]}
    assert _check(tmp_path, "access_request", patch) == ("deny", ["consent.documented"], 1)
    patch["consents"][0]["documented_in_record"] = True
    assert _check(tmp_path, "access_request", patch)[:2] == ("permit", [])


def test_audit_the_record_to_police_on_an_unrecorded_consent(tmp_path: pathlib.Path) -> None:
    verbal = _grant(purposes=["legal_proceedings"], identifiable_use=True, documented_in_record=False)
    findings = _audit_findings(tmp_path, [
        _event("consent", "e-con-1", "2026-11-19T09:00:00+11:00", consent=verbal),
        _event("access_request", "e-ar-1", "2026-11-20T12:00:00+11:00", requester={"id": "police-1", "kind": "law_enforcement"},
               legal_basis="none", images_produced=[]),
    ], "e-ar-1")
    assert findings == [("consent.documented", "deny")]


# -- what identifies: an image the request says nothing about ---------------------------------------

ONLY_ID_AND_PURPOSES = {"image": {key: None for key in BASES["disclosure"]["image"] if key not in ("id", "purposes")}}


@pytest.mark.parametrize("use", [
    {**TO_STUDENTS},
    {"purpose": "research", "recipient": {"id": "res-1", "kind": "researcher", "relationship": "none", "within_facility": True}},
    {"purpose": "publication", "channel": "publication", "recipient": {"id": "journal-1", "kind": "publisher", "relationship": "none", "within_facility": False}},
])
def test_check_an_image_stating_only_id_and_purposes_is_not_taken_as_de_identified(tmp_path: pathlib.Path, use: dict[str, Any]) -> None:
    purpose = use["purpose"]
    consent = _grant(purposes=["clinical_care", purpose], publication=purpose == "publication")
    patch = deep_merge(ONLY_ID_AND_PURPOSES, {**use, "consents": [consent]})
    # (nor is its file: qa11's deidentification.metadata_unstated joins, row 7k)
    assert _check(tmp_path, "disclosure", patch) == ("deny", ["deidentification.metadata_unstated", "disclosure.deidentify_for_education"], 1)
    declared = deep_merge(patch, {"image": {"deidentified": True}})
    assert _check(tmp_path, "disclosure", declared) == ("escalate", ["deidentification.metadata_unstated"], 3)
    stripped = deep_merge(declared, {"image": {"metadata_present": []}})
    assert _check(tmp_path, "disclosure", stripped)[:2] == ("permit", [])


def test_check_a_childs_image_stating_nothing_taken_for_teaching_on_a_parents_consent(tmp_path: pathlib.Path) -> None:
    image = {key: None for key in BASES["capture"]["image"] if key != "id"}
    patch = {"image": image, "patient": {"id": "pt-7", "age_years": 7, "capacity": "full"}, "purposes": ["clinical_care", "teaching"],
             "consents": [_grant(given_by="parent_guardian", purposes=["clinical_care", "teaching"])]}
    assert _check(tmp_path, "capture", patch) == ("escalate", ["consent.child_education"], 3)


# -- who may consent: an age nobody gave ------------------------------------------------------------

def test_check_the_patients_own_consent_with_no_age_recorded(tmp_path: pathlib.Path) -> None:
    # Before: permit — every patient whose age was left out was taken for an adult, so a child's
    # own consent to identifiable publication went through.
    publish = {"patient": {"age_years": None}, "purpose": "publication", "channel": "publication",
               "recipient": {"id": "journal-1", "kind": "publisher", "relationship": "none", "within_facility": False},
               "image": {"identifiable": True, "identifying_features": ["face"]},
               "consents": [_grant(purposes=["clinical_care", "publication"], publication=True, identifiable_use=True)]}
    assert _check(tmp_path, "disclosure", publish) == ("escalate", ["consent.age_unknown"], 3)
    assert _check(tmp_path, "disclosure", deep_merge(publish, {"patient": {"age_years": 40}}))[:2] == ("permit", [])


def test_audit_the_patients_own_consent_with_no_age_recorded(tmp_path: pathlib.Path) -> None:
    no_age = {"id": "pt-001", "capacity": "full"}
    findings = _audit_findings(tmp_path, [
        _event("consent", "e-con-1", "2026-11-20T08:55:00+11:00", patient=no_age),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", patient=no_age),
    ], "e-cap-1")
    assert findings == [("consent.age_unknown", "escalate")]


# -- refusals: a publication called something else ----------------------------------------------------

TO_A_JOURNAL = {"purpose": "teaching", "channel": "publication", "image": {"deidentified": True},
                "recipient": {"id": "journal-1", "kind": "publisher", "relationship": "none", "within_facility": False}}


def test_check_an_image_published_as_teaching_over_a_refusal_of_publication(tmp_path: pathlib.Path) -> None:
    # Before: permit — the teaching consent (naming the publisher) carried it, the refusal of
    # publication was never asked about.
    teaching = _grant(purposes=["teaching"], recipients=["student", "publisher"])
    refusal = {"status": "refused", "given_by": "patient", "purposes": ["publication"], "documented_in_record": True}
    assert _check(tmp_path, "disclosure", {**TO_A_JOURNAL, "consents": [teaching, refusal]}) == ("deny", ["disclosure.publication_consent"], 1)
    consented = {**TO_A_JOURNAL, "consents": [{**teaching, "publication": True}]}
    assert _check(tmp_path, "disclosure", consented)[:2] == ("permit", [])


def test_audit_an_image_published_as_teaching_over_a_refusal_of_publication(tmp_path: pathlib.Path) -> None:
    teaching = _grant(purposes=["clinical_care", "teaching"], recipients=["treating_team", "consulted", "student", "publisher"])
    refusal = {"status": "refused", "given_by": "patient", "purposes": ["publication"], "documented_in_record": True}
    disclosure = _event("disclosure", "e-dis-1", "2026-11-21T09:00:00+11:00", **{**TO_A_JOURNAL, "image": {"id": "img-1"}})
    findings = _audit_findings(tmp_path, [
        _event("consent", "e-con-1", "2026-11-20T08:50:00+11:00", consent=teaching),
        _event("consent", "e-con-2", "2026-11-20T08:55:00+11:00", consent=refusal),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", image={**BASES["capture"]["image"], "deidentified": True}, purposes=["clinical_care", "teaching"]),
        disclosure,
    ], "e-dis-1")
    assert findings == [("disclosure.publication_consent", "deny")]


@pytest.mark.parametrize("who", ["clinician", "spouse"])
def test_check_a_consent_given_by_someone_spec_does_not_name_is_refused_with_its_path(tmp_path: pathlib.Path, who: str) -> None:
    # Who may consent is SPEC's closed list: a clinician never consents on the patient's behalf,
    # and a spouse or relative is recorded as the substitute decision-maker they are (or not at all).
    request = tmp_path / "request.json"
    request.write_text(json.dumps(deep_merge(BASES["capture"], {"consents": [_grant(given_by=who)]})))
    result = run_cli("check", str(request))
    assert result.code == 2
    assert "$.consents[0].given_by: must be one of" in result.err and who not in result.err


# -- what identifies: the file's metadata, unstated (qa11, rows 7k-7k5) ----------------------------

TEACHING = _grant(purposes=["clinical_care", "teaching"])


def test_check_a_deidentified_image_taught_with_its_metadata_unstated(tmp_path: pathlib.Path) -> None:
    # Before: permit — `deidentified: true` with no `metadata_present` was judged clean, though the
    # guide warns the file keeps its time, device and GPS "despite other identifiers being removed".
    unstated = {**TO_STUDENTS, "image": {"deidentified": True, "metadata_present": None}, "consents": [TEACHING]}
    outcome, rules, code = _check(tmp_path, "disclosure", unstated)
    assert (outcome, rules, code) == ("escalate", ["deidentification.metadata_unstated"], 3)
    # Said stripped, or read from a clean file: permitted; read from a phone's file: the metadata denies.
    assert _check(tmp_path, "disclosure", {**unstated, "image": {"deidentified": True, "metadata_present": []}}) == ("permit", [], 0)
    from tests import images_corpus

    request = tmp_path / "request.json"
    request.write_text(json.dumps(deep_merge(BASES["disclosure"], unstated)))
    clean = run_cli("check", str(request), "--image", str(images_corpus.jpeg_clean(tmp_path)), "--format", "json")
    assert (clean.code, clean.json()["findings"]) == (0, [])
    full = run_cli("check", str(request), "--image", str(images_corpus.jpeg_full(tmp_path)), "--format", "json")
    assert full.code == 1 and {f["rule"] for f in full.json()["findings"]} == {"deidentification.metadata"}


def test_check_an_image_flagged_not_identifiable_published_with_its_metadata_unstated(tmp_path: pathlib.Path) -> None:
    publication = _grant(purposes=["clinical_care", "publication"], publication=True)
    to_journal = {"purpose": "publication", "channel": "publication", "consents": [publication],
                  "recipient": {"id": "journal-1", "kind": "publisher", "relationship": "none", "within_facility": False},
                  "image": {"metadata_present": None}}
    assert _check(tmp_path, "disclosure", to_journal) == ("escalate", ["deidentification.metadata_unstated"], 3)
    # With consent to identifiable use the image need not be de-identified: nothing to ask.
    identifiable = {**to_journal, "consents": [{**publication, "identifiable_use": True}]}
    assert _check(tmp_path, "disclosure", identifiable) == ("permit", [], 0)
    # Clinical care needs no de-identification, whatever the flag says.
    assert _check(tmp_path, "disclosure", {"image": {"deidentified": True, "metadata_present": None}}) == ("permit", [], 0)


def test_audit_a_teaching_disclosure_of_a_capture_that_never_said_its_metadata(tmp_path: pathlib.Path) -> None:
    captured = {k: v for k, v in BASES["capture"]["image"].items() if k != "metadata_present"}
    log = [
        _event("consent", "e-con-1", "2026-11-20T08:50:00+11:00", consent=TEACHING),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", image={**captured, "deidentified": True},
               purposes=["clinical_care", "teaching"]),
        _event("disclosure", "e-dis-1", "2026-11-21T09:00:00+11:00", **{**TO_STUDENTS, "image": {"id": "img-1"}}),
        # the same image said stripped at its disclosure: nothing to ask
        _event("disclosure", "e-dis-2", "2026-11-21T10:00:00+11:00", **{**TO_STUDENTS, "image": {"id": "img-1", "metadata_present": []}}),
    ]
    assert _audit_findings(tmp_path, log, "e-dis-1") == [("deidentification.metadata_unstated", "escalate")]
    assert _audit_findings(tmp_path, log, "e-dis-2") == []


# -- refusals: a later, narrower grant governs from when it was given (qa11, rows 2s-2s4) -----------

BROAD = _grant(purposes=["clinical_care", "teaching"], identifiable_use=True)
NARROW = _grant(purposes=["teaching"])
FACE_TO_STUDENTS = {**TO_STUDENTS, "image": {"identifiable": True, "identifying_features": ["face"]}}


def test_check_a_later_consent_without_identifiable_use_governs(tmp_path: pathlib.Path) -> None:
    # Before: permit — the earlier consent to identifiable teaching still counted beside the later one.
    dated = [{**BROAD, "given_at": "2026-11-01T09:00:00+11:00"}, {**NARROW, "given_at": "2026-11-10T09:00:00+11:00"}]
    assert _check(tmp_path, "disclosure", {**FACE_TO_STUDENTS, "consents": dated}) == ("deny", ["disclosure.deidentify_for_education"], 1)
    # given after the disclosure, or undated (an additional consent): the earlier one still counts
    after = [dated[0], {**NARROW, "given_at": "2026-11-22T09:00:00+11:00"}]
    assert _check(tmp_path, "disclosure", {**FACE_TO_STUDENTS, "consents": after}) == ("permit", [], 0)
    assert _check(tmp_path, "disclosure", {**FACE_TO_STUDENTS, "consents": [BROAD, NARROW]}) == ("permit", [], 0)


def test_audit_a_later_consent_without_identifiable_use_governs(tmp_path: pathlib.Path) -> None:
    capture = _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", purposes=["clinical_care", "teaching"],
                     image={**BASES["capture"]["image"], "identifiable": True, "identifying_features": ["face"]})
    disclosure = _event("disclosure", "e-dis-1", "2026-11-21T09:00:00+11:00", **{**TO_STUDENTS, "image": {"id": "img-1"}})
    narrowed = [
        _event("consent", "e-con-1", "2026-11-19T09:00:00+11:00", consent=BROAD),
        _event("consent", "e-con-2", "2026-11-20T08:00:00+11:00", consent=NARROW),
        capture, disclosure,
    ]
    assert _audit_findings(tmp_path, narrowed, "e-dis-1") == [("disclosure.deidentify_for_education", "deny")]
    # the other way round, the later consent widens it
    widened = [{**narrowed[1], "occurred_at": "2026-11-19T09:00:00+11:00"}, {**narrowed[0], "occurred_at": "2026-11-20T08:00:00+11:00"}, capture, disclosure]
    assert _audit_findings(tmp_path, widened, "e-dis-1") == []


# -- refusals: a refusal names whom it refuses the image to (qa12) -----------------------------------

def _refusal(**fields: Any) -> dict[str, Any]:
    return {"status": "refused", "given_by": "patient", "purposes": ["clinical_care"], "documented_in_record": True, **fields}


NOT_THE_FAMILY = _refusal(recipients=["family"])
TO_THE_FAMILY = {"recipient": {"id": "son-1", "kind": "family", "relationship": "none", "within_facility": False}}


def test_check_a_refusal_naming_the_family_leaves_the_consulted_surgeon(tmp_path: pathlib.Path) -> None:
    # Before: deny (disclosure.consent_refused) — "not my family" refused the image to everyone.
    assert _check(tmp_path, "disclosure", {"consents": [_grant(), NOT_THE_FAMILY]}) == ("permit", [], 0)
    assert _check(tmp_path, "capture", {"consents": [_grant(), NOT_THE_FAMILY]}) == ("permit", [], 0)
    # the family it names stays refused, though a grant names them too
    family_too = _grant(recipients=["treating_team", "consulted", "family"])
    assert _check(tmp_path, "disclosure", {**TO_THE_FAMILY, "consents": [family_too, NOT_THE_FAMILY]}) == ("deny", ["disclosure.consent_refused"], 1)
    # naming the consulted clinicians, or none at all, it binds the consulted surgeon
    for refusal in (_refusal(recipients=["consulted"]), _refusal(recipients=[]), _refusal()):
        assert _check(tmp_path, "disclosure", {"consents": [_grant(), refusal]}) == ("deny", ["disclosure.consent_refused"], 1)


def test_audit_a_refusal_naming_the_family_leaves_the_grant_for_everyone_else(tmp_path: pathlib.Path) -> None:
    # Before: deny — the refusal ended the grant's purposes, then refused the rest itself.
    teaching_grant = _grant(purposes=["clinical_care", "teaching"])
    not_students = {"status": "withdrawn", "given_by": "patient", "purposes": ["teaching"], "recipients": ["student"], "documented_in_record": True}
    to_ward_doctors = {**TO_STUDENTS, "image": {"id": "img-1"},
                       "recipient": {"id": "dr-ward-5", "kind": "clinician", "relationship": "none", "within_facility": True}}
    events = [
        _event("consent", "e-con-1", "2026-11-19T09:00:00+11:00", consent=teaching_grant),
        _event("consent", "e-con-2", "2026-11-19T10:00:00+11:00", consent=not_students),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", purposes=["clinical_care", "teaching"],
               image={**BASES["capture"]["image"], "deidentified": True}),
        _event("disclosure", "e-dis-1", "2026-11-21T09:00:00+11:00", **to_ward_doctors),
        _event("disclosure", "e-dis-2", "2026-11-21T10:00:00+11:00", **{**TO_STUDENTS, "image": {"id": "img-1"}}),
    ]
    assert _audit_findings(tmp_path, events, "e-dis-1") == []
    # (the capture's own review finds it never saved to the record: not the refusal's business)
    assert _audit_findings(tmp_path, events, "e-cap-1") == [("storage.transfer_to_record", "deny")]
    assert _audit_findings(tmp_path, events, "e-dis-2") == [("disclosure.consent_withdrawn", "deny")]


# -- who may consent: a parent's consent, and no age (qa12) ------------------------------------------

def test_check_a_parents_consent_with_no_age_recorded(tmp_path: pathlib.Path) -> None:
    # Before: deny (consent.competent_adult) — as if the patient were known to be an adult.
    parents = _grant(given_by="parent_guardian")
    assert _check(tmp_path, "capture", {"patient": {"age_years": None}, "consents": [parents]}) == ("escalate", ["consent.age_unknown"], 3)
    # with an age, as before: a young child's parent consents, an adult's does not
    assert _check(tmp_path, "capture", {"patient": {"age_years": 6}, "consents": [parents]}) == ("permit", [], 0)
    assert _check(tmp_path, "capture", {"patient": {"age_years": 30}, "consents": [parents]}) == ("deny", ["consent.competent_adult"], 1)
    # a decision-maker's for a patient lacking capacity counts at any age
    sdm = _grant(given_by="substitute_decision_maker")
    assert _check(tmp_path, "capture", {"patient": {"age_years": None, "capacity": "impaired"}, "consents": [sdm]}) == ("permit", [], 0)


def test_audit_a_parents_consent_with_no_age_recorded(tmp_path: pathlib.Path) -> None:
    no_age = {"id": "pt-001", "capacity": "full"}
    findings = _audit_findings(tmp_path, [
        _event("consent", "e-con-1", "2026-11-20T08:55:00+11:00", patient=no_age, consent=_grant(given_by="parent_guardian")),
        _event("capture", "e-cap-1", "2026-11-20T09:00:00+11:00", patient=no_age),
    ], "e-cap-1")
    assert findings == [("consent.age_unknown", "escalate")]
