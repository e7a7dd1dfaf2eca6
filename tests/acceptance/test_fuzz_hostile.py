"""Fuzz (seeded, bounded): hostile text — lone surrogates, NUL, control and bidi characters, byte
order marks, noncharacters — in every string, in new keys, escaped or raw, through all four
entry points. Every document gets a verdict, the same one everywhere (validate = check = serve;
the audit's template fast path = its strict path), never a traceback, a 500, an engine error or
an echo of the value. scripts/fuzz.py runs the same generator longer and prints counts."""
from __future__ import annotations

import collections
import json
import pathlib
import xml.etree.ElementTree as ET

import pytest
import requests

from checker import api
from checker.audit.reader import EventParser, LogLine
from checker.engines.base import EngineFailure
from checker.engines.embedded import EmbeddedEngine
from checker.errors import CheckerError
from checker.policy import PolicySet
from tests.conftest import EXAMPLES, run_cli
from tests.hostile import CANARY, CLASSES, hostile_lines
from tests.serving import running_server

SEED = 16
EVENTS = [json.loads(line) for line in (EXAMPLES / "logs" / "week.jsonl").read_text().splitlines()[:120]]
REQUESTS = [json.loads(p.read_text()) for p in sorted((EXAMPLES / "requests").glob("*.json"))]


def _engine_failures(inputs: list[dict]) -> list[EngineFailure]:
    """The inputs the embedded engine failed to decide (a fresh engine, closed after)."""
    engine = EmbeddedEngine(PolicySet.build(), workers=1)
    try:
        return [d for d in engine.decide(inputs) if isinstance(d, EngineFailure)]
    finally:
        engine.close()


def _verdict_of_check(data: bytes) -> str | None:
    """None: a valid request; else the first line of check's error (without the file name)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "not UTF-8"
    try:
        api.parse_document("r.json", text, "request")
    except CheckerError as exc:
        return str(exc).splitlines()[0]
    return None


def test_check_and_serve_agree_and_never_fail_open(tmp_path: pathlib.Path) -> None:
    cases = list(hostile_lines(REQUESTS, 160, SEED))
    assert {cls for cls, _ in cases} == set(CLASSES)
    verdicts = [_verdict_of_check(data) for _, data in cases]
    for (cls, data), verdict in zip(cases, verdicts):
        if verdict is not None:
            assert verdict.startswith("r.json:") and ": $" in verdict or verdict == "not UTF-8", verdict
            assert CANARY not in verdict
        if cls == "surrogate":  # escaped: refused by its path; raw: the bytes are not UTF-8
            assert verdict is not None and ("not valid Unicode" in verdict or "not UTF-8" in verdict), verdict
    # Every valid one is decided (no engine error: nothing the engine cannot take gets through).
    valid = [json.loads(data.decode("utf-8-sig")) for (_, data), v in zip(cases, verdicts) if v is None]
    assert valid, "the generator makes valid requests too"
    assert _engine_failures(valid) == []
    # serve gives the same verdicts over HTTP: 200 for check's valid ones, else 400 with paths.
    with running_server() as srv:
        for (cls, data), verdict in zip(cases, verdicts):
            r = requests.post(srv.url + "/v1/check", data=data, timeout=30)
            assert r.status_code == (200 if verdict is None else 400), (cls, verdict, r.status_code, r.text[:300])
            assert CANARY not in r.text or verdict is None
            if r.status_code == 400:
                body = r.json()
                assert body.get("problems") or "not UTF-8" in body["message"], body
                assert all(p["path"].startswith("$") for p in body.get("problems", []))


def _log(tmp_path: pathlib.Path, count: int) -> tuple[pathlib.Path, list[tuple[str, bytes]]]:
    lines = list(hostile_lines(EVENTS, count, SEED + 1))
    path = tmp_path / "hostile.jsonl"
    # a BOM opens the file (accepted there, as everywhere), and a line (files joined with cat)
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(data + b"\n" for _, data in lines))
    return path, lines


def test_audit_accounts_for_every_line_and_agrees_with_validate(tmp_path: pathlib.Path) -> None:
    path, lines = _log(tmp_path, 400)
    audit = run_cli("audit", str(path), "--format", "json", "--quarantine", str(tmp_path / "q.jsonl"))
    assert audit.code in (0, 1), audit.err
    assert "Traceback" not in audit.err
    report = audit.json()
    counts = report["counts"]
    assert counts["read"] == len(lines) == counts["decided"] + counts["invalid"] + counts["duplicate"]
    assert not report["engine_errors"]
    assert CANARY not in json.dumps([p["reason"] for p in report["invalid"]])
    invalid_by_audit = {p["line"] for p in report["invalid"]}
    # validate reads the same lines the same way
    checked = api.validate([str(path)])
    invalid_by_validate = {int(e.split(":")[1]) for e in checked.errors}
    assert invalid_by_audit == invalid_by_validate
    # the quarantine holds exactly the invalid lines, verbatim
    raw = path.read_bytes()[3:].split(b"\n")
    assert (tmp_path / "q.jsonl").read_bytes() == b"".join(raw[n - 1] + b"\n" for n in sorted(invalid_by_audit))
    # every class reached the audit, and lines with lone surrogates were all refused, by path
    classes = collections.Counter(cls for cls, _ in lines)
    assert set(classes) == set(CLASSES)
    for number, (cls, _) in enumerate(lines, start=1):
        if cls == "surrogate":
            assert number in invalid_by_audit, number
    junit = run_cli("audit", str(path), "--format", "junit")
    assert junit.code in (0, 1), junit.err
    ET.fromstring(junit.out)  # well-formed XML whatever the text held


def test_template_fast_path_agrees_with_the_strict_path() -> None:
    """A parser that has learnt templates and proven shapes (orjson on the fast path) gives every
    hostile line the verdict a fresh parser (strict JSON + schema) gives it."""
    warm = EventParser()
    compact = [json.dumps(e, separators=(",", ":")).encode() for e in EVENTS]
    for round_ in range(12):  # enough sightings for every shape to get its template
        for number, raw in enumerate(compact):
            warm.parse(LogLine("w", number, raw))
    hostile = [data for _, data in hostile_lines(EVENTS, 600, SEED + 2)]
    for number, raw in enumerate(hostile, start=1):
        fast = warm.parse(LogLine("f", number, raw))
        strict = EventParser().parse(LogLine("f", number, raw))
        assert type(fast) is type(strict), (raw[:200], fast, strict)
        if hasattr(strict, "reason"):
            assert fast.reason == strict.reason
        else:
            assert fast.doc == strict.doc


@pytest.mark.parametrize("entry", ["check", "validate"])
def test_cli_on_a_lone_surrogate_names_the_path(tmp_path: pathlib.Path, entry: str) -> None:
    doc = json.loads(json.dumps(REQUESTS[0]))
    doc["facility"] = "\udfff" + CANARY
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc, indent=2))
    result = run_cli(entry, str(path), timeout=60)
    assert result.code == 2 and "Traceback" not in result.err
    assert "$.facility: holds text that is not valid Unicode" in result.err and CANARY not in result.err


def test_control_characters_the_engine_echoes_do_not_fail_the_decision() -> None:
    """regopy writes control characters of the input raw into its output JSON (a finding quoting
    an image id holding ESC): that must still be a decision, never an engine error."""

    def marked(value, key=None):  # every identifier (and id list) with control characters
        if isinstance(value, dict):
            return {k: marked(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [marked(v, key) for v in value]
        if isinstance(value, str) and key is not None and (key in ("id", "event_id", "facility") or key.endswith("_ids")):
            return "\x1b[31m\n\x08" + value
        return value

    docs = [marked(request) for request in REQUESTS]
    assert any("\x08" in i for d in docs for i in (d.get("lifecycle") or {}).get("patient_image_ids", []))
    assert _engine_failures(docs) == []
