""""Validate once per shape" is exact: a line's verdict from a parser that has learnt shapes is
the verdict of a fresh, full check of that line — also for lines whose blanked values (times,
ids, ages) a shape's earlier lines did not tell about, such as 29 February in a common year."""
from __future__ import annotations

import io
import json
import random

from checker.audit.reader import Event, EventParser, LogLine
from checker.loggen import write_log
from checker import schemas

TIMES = ["2026-02-29T10:00:00+11:00", "2028-02-29T10:00:00+11:00", "2026-02-28T23:59:59+11:00", "2026-11-16T24:00:00+11:00",
         "2026-11-16T10:00:00+24:00", "2026-11-16T10:00:00Z", "2026-11-16T10:00:00.123456789-05:30", "2026-04-31T10:00:00+11:00"]
IDS = ["x", " ", "", "\t", "a" * 200, "a" * 201, "é", "ev-1"]


def _verdict(result: object) -> tuple[bool, str]:
    return (True, "") if isinstance(result, Event) else (False, getattr(result, "reason", ""))


def _mutations(doc: dict, rng: random.Random) -> list[dict]:
    out = []
    for t in TIMES:
        out.append({**doc, "occurred_at": t})
        if isinstance(doc.get("capture_record"), dict):
            out.append({**doc, "capture_record": {**doc["capture_record"], "when": t}})
    for i in IDS:
        out.append({**doc, "event_id": i})
        if isinstance(doc.get("capture_record"), dict):
            out.append({**doc, "capture_record": {**doc["capture_record"], "who": i}})
    out.append({**doc, "patient": {**doc["patient"], "age_years": rng.choice([-1, 130, 130.5, 12.25, 131])}})
    return out


def test_shortcut_verdict_equals_a_fresh_full_check() -> None:
    text = io.StringIO()
    write_log(text, 400, 5, diverse=True, malformed_rate=0)
    docs = [json.loads(line) for line in text.getvalue().splitlines()]
    rng = random.Random(5)
    warm = EventParser()
    n = 0
    for doc in docs:
        lines = [doc] + _mutations(doc, rng)
        rng.shuffle(lines)
        for d in [doc] + lines:  # the original first: its shape is learnt valid
            raw = json.dumps(d, separators=(",", ":"), ensure_ascii=False).encode()
            line = LogLine("log", n, raw)
            n += 1
            assert _verdict(warm.parse(line)) == _verdict(EventParser().parse(line)), raw
    assert n > 5000


def test_date_time_format_is_checked_whatever_is_installed() -> None:
    assert not schemas.is_date_time("2026-02-29T10:00:00+11:00")
    assert schemas.is_date_time("2028-02-29T10:00:00+11:00")
    doc = {"schema_version": "1", "event_id": "e", "type": "consent", "occurred_at": "2026-02-29T10:00:00+11:00", "facility": "f",
           "actor": {"id": "a", "role": "intern"}, "patient": {"id": "p"}, "consent": {"status": "granted", "given_by": "patient", "purposes": []}}
    assert [p.path for p in schemas.problems("event", doc)] == [["occurred_at"]]
