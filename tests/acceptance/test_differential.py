"""The embedded engine (regopy) and real OPA (the reference engine) give identical decisions: on
every example request, every data-driven case, and 600 seeded variations over SPEC's
enumerations — ages 0–100, each capacity, purpose, channel, recipient, consent status and giver,
image flags, devices, lifecycle facts and overlays."""
from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
import yaml

from checker.cases import CASES_DIR, load_cases
from checker.engines.embedded import EmbeddedEngine
from checker.engines.reference import ReferenceEngine, available
from checker.policy import PolicySet
from tests.case_decisions import REGOPY_CASES, regopy_case_decisions
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.skipif(not available(), reason="reference OPA engine not installed (make test installs it)")

BASES = yaml.safe_load((CASES_DIR / "bases.yaml").read_text())
ROLES = ["medical_student", "intern", "resident", "registrar", "consultant", "nurse", "allied_health", "clinical_photographer", "admin"]
PURPOSES = ["clinical_care", "teaching", "training", "research", "publication", "legal_proceedings", "patient_access", "personal"]
CHANNELS = ["hospital_secure_app", "hospital_email", "health_record_upload", "personal_email", "sms", "messaging_app", "social_media", "in_person_display", "print", "publication"]
KINDS = ["clinician", "health_record", "patient", "patient_representative", "student", "researcher", "publisher", "court", "law_enforcement", "family", "public", "social_media", "other"]
LEGAL = ["court_order", "subpoena", "required_by_law", "serious_threat", "none"]
CAPACITY = ["full", "impaired_temporary", "impaired", "unknown"]
INFORMED = ["purpose", "use", "access", "sharing", "deidentification", "storage", "withdrawal_limits"]
FEATURES = ["face", "tattoo", "birthmark", "jewellery", "name_band", "other"]
METADATA = ["gps", "timestamp", "device_model"]
SUBJECTS = ["body", "lesion", "wound", "body_fluid", "procedure", "pathology_report", "diagnostic_image", "medication"]
OVERLAYS: list[dict[str, Any]] = [
    {},
    {"personal_devices": "prohibited", "written_consent_required": True},
    {"personal_devices": "with_approval", "approved_channels": ["hospital_secure_app", "in_person_display"], "capture_roles": ["consultant", "registrar"]},
    {"secure_transfer_system": False, "deadlines": {"device_deletion_hours": 2, "record_transfer_hours": 4, "receipt_deletion_hours": 1, "breach_report_hours": 12},
     "rules": {"disabled": ["consent.informed"], "effect_overrides": {"storage.remote_wipe": "deny", "collection.appropriate_person": "warn"}},
     "waivers": [{"rule": "storage.passcode", "event_id": "e-cap-1", "reason": "r", "approved_by": "po-1", "expires": "2027-01-01"},
                 {"rule": "storage.receiver_delete", "event_id": "e-rc-1", "reason": "r", "approved_by": "po-1", "expires": "2027-01-01"}]},
]


def _subset(rng: random.Random, items: list[str], p: float = 0.35) -> list[str]:
    return [x for x in items if rng.random() < p]


def _consent(rng: random.Random) -> dict[str, Any]:
    c: dict[str, Any] = {
        "status": rng.choice(["granted", "granted", "refused", "withdrawn"]),
        "given_by": rng.choice(["patient", "parent_guardian", "substitute_decision_maker"]),
        "purposes": _subset(rng, PURPOSES, 0.3),
        "identifiable_use": rng.random() < 0.3,
        "publication": rng.random() < 0.2,
        "documented_in_record": rng.random() < 0.7,
        "written_form": rng.random() < 0.4,
        "informed_of": INFORMED if rng.random() < 0.6 else _subset(rng, INFORMED, 0.6),
    }
    if rng.random() < 0.3:
        c["image_ids"] = [rng.choice(["img-1", "img-2"])]
    # Extensions of issue 15: who may see it, when and with what capacity it was given.
    if rng.random() < 0.3:
        c["recipients"] = _subset(rng, KINDS + ["treating_team", "consulted"], 0.25)
    if rng.random() < 0.4:
        c["capacity_at_consent"] = rng.choice(CAPACITY)
    if rng.random() < 0.2:
        c["given_at"] = rng.choice(["2026-11-19T08:00:00+11:00", "2026-11-21T08:00:00+11:00"])
    # Given as a child, assessed or not (the patient may be an adult now). Drawn from a generator
    # of its own, seeded by the consent, so the shared stream (and every input other tests draw
    # from it) stays as it was.
    extra = random.Random(json.dumps(c, sort_keys=True))
    if extra.random() < 0.2:
        c["age_at_consent"] = extra.choice([9, 15, 17, 18])
        if extra.random() < 0.6:
            c["maturity_at_consent"] = extra.choice(["mature", "not_mature", "not_assessed"])
    return c


def _device(rng: random.Random) -> dict[str, Any]:
    return {"id": rng.choice(["ph-1", "ph-2"]), "owner": rng.choice(["personal", "personal", "hospital"]), "passcode": rng.random() < 0.85,
            "remote_wipe": rng.random() < 0.8, "auto_upload": rng.choice(["off", "off", "off", "cloud_backup", "social_media"]), "approved": rng.random() < 0.5}


def variation(rng: random.Random) -> dict[str, Any]:
    kind = rng.choice(["capture", "capture", "disclosure", "disclosure", "consent", "record_transfer", "receipt", "device_posture", "record_deletion", "access_request", "patient_provided", "image_review"])
    doc = copy.deepcopy(BASES[kind])
    doc["patient"] = {"id": "pt-001", "age_years": rng.randint(0, 100), "capacity": rng.choice(CAPACITY)}
    if doc["patient"]["age_years"] < 18 and rng.random() < 0.5:
        doc["patient"]["mature_minor_assessed"] = rng.random() < 0.5
    if doc["patient"]["age_years"] < 18 and rng.random() < 0.3:
        doc["patient"]["maturity_assessment"] = rng.choice(["mature", "not_mature", "not_assessed"])
    doc["actor"]["role"] = rng.choice(ROLES)
    if "device" in doc["actor"] or rng.random() < 0.3:
        doc["actor"]["device"] = _device(rng)
    doc["consents"] = [_consent(rng) for _ in range(rng.randint(0, 3))]
    image = doc.get("image")
    if image is not None:
        image.update({"subject": rng.choice(SUBJECTS), "identifiable": rng.random() < 0.3, "identifying_features": _subset(rng, FEATURES, 0.15),
                      "intimate": rng.random() < 0.2, "deidentified": rng.random() < 0.3, "metadata_present": _subset(rng, METADATA, 0.2),
                      "rare_condition": rng.random() < 0.15})
        if rng.random() < 0.3:
            image["resolution_mp"] = rng.choice([0.5, 1.9, 2, 8])
    if kind == "capture":
        doc["purposes"] = _subset(rng, PURPOSES, 0.3)
        doc["circumstances"] = {"urgent": rng.random() < 0.3, "child_distressed": rng.random() < 0.2, "in_theatre": rng.random() < 0.2, "substitute_available": rng.random() < 0.5}
        if rng.random() < 0.2:
            doc["capture_record"] = {"who": "dr-intern-1"}
        if rng.random() < 0.15:
            doc["legal_basis"] = rng.choice(LEGAL)
    if kind == "disclosure":
        doc["image"]["purposes"] = _subset(rng, PURPOSES, 0.3)
        doc["purpose"] = rng.choice(PURPOSES)
        doc["recipient"] = {"id": rng.choice(["r-1", "r-2"]), "kind": rng.choice(KINDS), "relationship": rng.choice(["treating_team", "consulted", "none"]), "within_facility": rng.random() < 0.5}
        doc["channel"] = rng.choice(CHANNELS)
        doc["legal_basis"] = rng.choice(LEGAL)
        if rng.random() < 0.5:
            doc["intended_recipient"] = rng.choice([{"id": "r-1"}, "r-2"])
        if rng.random() < 0.4:
            doc["lifecycle"] = {"in_record": rng.random() < 0.7, "hours_since_record_transfer": rng.choice([1, 24, 25, 2000])}
            if rng.random() < 0.5:
                doc["lifecycle"]["on_actor_device"] = rng.random() < 0.5
        if rng.random() < 0.2:
            doc["shown_from"] = rng.choice(["actor_device", "health_record", "hard_copy"])
    if kind == "consent":
        doc["consent"] = _consent(rng)
    if kind == "record_transfer":
        doc["method"] = rng.choice(["secure_upload", "hard_copy"])
        doc["linked_to_patient"] = rng.random() < 0.7
    if kind in ("receipt", "device_posture"):
        doc["device"] = _device(rng)
    if kind == "record_deletion":
        doc["reason"] = rng.choice(["retention_expired", "consent_withdrawn", "duplicate", "error", "court_order", "other"])
        doc["lifecycle"] = {"years_in_record": rng.choice([0.5, 6.9, 7, 12]), "age_at_capture": rng.randint(0, 90)}
    if kind == "access_request":
        doc["produced"] = rng.random() < 0.8
        doc["images_produced"] = rng.choice([[], ["img-1"], ["img-1", "img-2"], 0, 1, 2])
        doc["lifecycle"] = {"patient_image_ids": rng.choice([[], ["img-1"], ["img-1", "img-2"]])}
        extra = random.Random(json.dumps(doc, sort_keys=True))  # the shared stream untouched, as above
        if extra.random() < 0.7:  # who asks for the record (access.requester)
            doc["requester"] = {"id": "rq-1", "kind": extra.choice(KINDS)}
            doc["legal_basis"] = extra.choice(LEGAL)
    if kind == "patient_provided":
        doc["owner_agreed_to_copy"] = rng.random() < 0.7
        doc["retention_explained"] = rng.random() < 0.7
    if kind == "image_review":
        lc = doc["lifecycle"]
        lc["hours_to_record_transfer"] = rng.choice([1, 24, 25, 500])
        lc["hours_on_capture_device_after_record"] = rng.choice([0, 2, 24, 30, 2160])
        lc["capture_device"] = _device(rng)
        lc["receivers"] = [{"event_id": f"e-rc-{n}", "device": _device(rng), "hours_on_device_after_record": rng.choice([0, 1, 24, 30])} for n in range(rng.randint(1, 2))]
        lc["wrong_recipient_disclosures"] = [{"event_id": "e-dis-9", "hours_to_breach_report": rng.choice([1, 72, 80])}] if rng.random() < 0.4 else []
        doc["image"]["purposes"] = _subset(rng, PURPOSES, 0.4)
    return doc


def _examples() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((EXAMPLES / "requests").glob("*.json"))]


@pytest.fixture(scope="module")
def engines():
    made: dict[int, tuple[EmbeddedEngine, ReferenceEngine]] = {}

    def get(index: int) -> tuple[EmbeddedEngine, ReferenceEngine]:
        if index not in made:
            policy = PolicySet.build(OVERLAYS[index])
            made[index] = (EmbeddedEngine(policy), ReferenceEngine(policy))
        return made[index]

    yield get
    for embedded, reference in made.values():
        embedded.close()
        reference.close()


@pytest.fixture(scope="module")
def variations(engines):
    """The first n seeded variations under overlay `index` and regopy's decisions of them, each
    decided once in the module (the catalogue test's 300 under overlay 0 begin with the 150 its
    comparison with OPA decides)."""
    made: dict[int, tuple[list[dict[str, Any]], list[Any]]] = {}

    def get(index: int, n: int) -> tuple[list[dict[str, Any]], list[Any]]:
        rng = random.Random(20261124 + index)
        inputs = [variation(rng) for _ in range(n)]
        _, decided = made.get(index, ([], []))
        if len(decided) < n:
            decided = decided + engines(index)[0].decide(inputs[len(decided):])
            made[index] = (inputs, decided)
        return inputs, decided[:n]

    return get


def _compare(engines, index: int, inputs: list[dict[str, Any]], ours: list[Any] | None = None) -> None:
    embedded, reference = engines(index)
    ours, theirs = embedded.decide(inputs) if ours is None else ours, reference.decide(inputs)
    mismatches = [(i, o, t) for i, (o, t) in enumerate(zip(ours, theirs)) if o != t]
    assert not any(not isinstance(o, dict) for o in ours), "embedded engine failed"
    assert not mismatches, json.dumps({"input": inputs[mismatches[0][0]], "embedded": mismatches[0][1], "reference": mismatches[0][2]}, default=str)[:4000]


def test_examples_identical(engines) -> None:
    _compare(engines, 0, _examples())


@pytest.mark.xdist_group(REGOPY_CASES)
def test_cases_identical() -> None:
    decided = regopy_case_decisions()  # every case, regopy's decisions: shared with test_opa_inprocess
    assert sum(len(inputs) for _, inputs, _ in decided) == len(load_cases())
    for config, inputs, ours in decided:
        reference = ReferenceEngine(PolicySet.build(json.loads(config)))
        theirs = reference.decide(inputs)
        reference.close()
        assert ours == theirs


@pytest.mark.parametrize("index", range(len(OVERLAYS)))
def test_generated_variations_identical(engines, variations, index: int) -> None:
    inputs, ours = variations(index, 150)
    _compare(engines, index, inputs, ours)


def test_variations_exercise_the_catalogue(variations) -> None:
    """The generated variations are not vacuous: together they make most rules fire."""
    _, decided = variations(0, 300)
    assert len(decided) == 300 and all(isinstance(d, dict) for d in decided)
    fired = set()
    for decision in decided:
        fired |= {f["rule"] for f in decision["findings"]}
    assert len(fired) >= 35, sorted(fired)
