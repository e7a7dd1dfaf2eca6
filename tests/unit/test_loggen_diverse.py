"""checker.loggen's diverse mode: the facts rules read vary independently (make bench's variety)."""
from __future__ import annotations

import io
import json

from checker.loggen import Generator, waivers_for, write_log


def _events(seed: int = 3, n: int = 3000) -> tuple[list[dict], Generator]:
    out = io.StringIO()
    gen = write_log(out, n, seed, diverse=True, malformed_rate=0)
    return [json.loads(line) for line in out.getvalue().splitlines()], gen


def test_diverse_log_varies_each_fact_on_its_own() -> None:
    events, _ = _events()
    captures = [e for e in events if e["type"] == "capture"]
    facts = {
        "role": {e["actor"]["role"] for e in captures},
        "subject": {e["image"]["subject"] for e in captures},
        "modality": {e["image"]["modality"] for e in captures},
        "owner": {e["actor"]["device"]["owner"] for e in captures},
        "auto_upload": {e["actor"]["device"]["auto_upload"] for e in captures},
        "facility": {e["facility"] for e in events},
        "capacity": {e["patient"]["capacity"] for e in events},
        "child": {e["patient"]["age_years"] < 18 for e in events},
        "kind": {e["recipient"]["kind"] for e in events if e["type"] == "disclosure"},
        "channel": {e["channel"] for e in events if e["type"] == "disclosure"},
        "consent status": {e["consent"]["status"] for e in events if e["type"] == "consent"},
        "types": {e["type"] for e in events},
    }
    assert len(facts["role"]) >= 8 and len(facts["subject"]) == 8 and len(facts["modality"]) == 3
    assert facts["owner"] == {"personal", "hospital"} and len(facts["auto_upload"]) == 3
    assert len(facts["facility"]) > 20 and len(facts["capacity"]) == 4 and facts["child"] == {True, False}
    assert len(facts["kind"]) > 10 and len(facts["channel"]) == 10 and len(facts["consent status"]) == 3
    assert {"record_deletion", "access_request", "device_posture", "receipt"} <= facts["types"]
    # Independent: role and subject are not tied to one another.
    pairs = {(e["actor"]["role"], e["image"]["subject"]) for e in captures}
    assert len(pairs) > 50


def test_diverse_lines_are_schema_valid_and_in_time_order() -> None:
    from checker.schemas import problems

    events, _ = _events(n=800)
    assert all(problems("event", e) == [] for e in events)
    times = [e["occurred_at"] for e in events]
    assert times == sorted(times)


def test_waivers_name_events_of_the_log_with_every_status() -> None:
    events, gen = _events()
    ids = {e["event_id"]: e["actor"]["id"] for e in events}
    waivers = waivers_for(gen)
    assert len(waivers) >= 10
    assert all(w["event_id"] in ids for w in waivers)
    assert any(w["approved_by"] == ids[w["event_id"]] for w in waivers)  # self-approved
    assert any(w["expires"] < "2026-11-16" for w in waivers)  # expired before the log starts
