"""A consent's `given_at` against the decided event's time: the cache keeps the comparison, and the
audit keeps no given_at on file (its consent events order themselves)."""
from __future__ import annotations

import copy

import yaml

from checker.audit.state import consent_on_file
from checker.cases import CASES_DIR
from checker.engines.canon import Canonicalizer

BASES = yaml.safe_load((CASES_DIR / "bases.yaml").read_text())


def _capture_at(when: str) -> dict:
    doc = copy.deepcopy(BASES["capture"])
    doc["occurred_at"] = when
    doc["consents"][0]["given_at"] = "2026-11-20T10:00:00+11:00"
    return doc


def test_the_event_time_stays_in_the_key_when_a_consent_is_dated() -> None:
    canon = Canonicalizer([24, 72])
    before, _ = canon.canonical(_capture_at("2026-11-20T09:00:00+11:00"))
    after, _ = canon.canonical(_capture_at("2026-11-20T11:00:00+11:00"))
    assert before != after


def test_undated_consents_leave_the_time_out_of_the_key() -> None:
    canon = Canonicalizer([24, 72])
    one, two = (copy.deepcopy(BASES["capture"]) for _ in range(2))
    two["occurred_at"] = "2026-11-21T09:00:00+11:00"
    assert canon.canonical(one)[0] == canon.canonical(two)[0]


def test_the_audit_keeps_the_capacity_and_drops_the_date() -> None:
    event = copy.deepcopy(BASES["consent"])
    event["consent"]["given_at"] = "2026-11-20T08:00:00+11:00"
    kept = consent_on_file(event)
    assert "given_at" not in kept and kept["capacity_at_consent"] == "full"
    event["patient"]["capacity"] = "unknown"
    assert "capacity_at_consent" not in consent_on_file(event)


def test_the_audit_keeps_the_age_and_maturity_of_a_child_at_consent() -> None:
    event = copy.deepcopy(BASES["consent"])
    event["patient"] = {"id": "pt-9", "age_years": 15, "capacity": "full"}
    assert consent_on_file(event)["age_at_consent"] == 15
    assert consent_on_file(event)["maturity_at_consent"] == "not_assessed"
    event["patient"]["mature_minor_assessed"] = True
    assert consent_on_file(event)["maturity_at_consent"] == "mature"
    event["patient"]["maturity_assessment"] = "not_mature"  # wins over a stray true, as in lib.rego
    assert consent_on_file(event)["maturity_at_consent"] == "not_mature"
    event["patient"]["age_years"] = 18  # an adult's consents carry no age: one fact set whatever it is
    assert "age_at_consent" not in consent_on_file(event) and "maturity_at_consent" not in consent_on_file(event)
