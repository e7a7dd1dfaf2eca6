"""The audit's findings streamed from a file give the very bytes the whole report gave in memory."""
from __future__ import annotations

import json
import random
import xml.etree.ElementTree as ET

import orjson
import pytest

from checker.audit.findings import FindingsFile, FindingTally, json_chunks
from checker.reports.audit import AUDIT_REPORTER_BY_NAME

ODD = ["plain", "quote \" and \\ backslash", "nul \x00 and esc \x1b", "é ü 漢字 🙂", '"findings": []', "findings", "\u2028"]


def _findings(n: int, seed: int = 1) -> list[dict]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        rule = rnd.choice(["storage.passcode", "storage.remote_wipe", "consent.informed", "disclosure.no_basis"])
        out.append({
            "rule": rule, "effect": rnd.choice(["deny", "warn", "escalate"]), "message": rnd.choice(ODD) + f" {i % 7}",
            "guide": "G", "remedy": rnd.choice(ODD), "event_id": f"ev-{rnd.randrange(50):03d}{rnd.choice(ODD)}",
            "occurred_at": "2026-11-20T00:00:00Z", "image_id": rnd.choice([None, "img-1"]), "patient_id": "pt-1",
            "actor_id": rnd.choice(ODD), "role": rnd.choice([None, "intern"]), "facility": rnd.choice([None, "fac-1", "\x00"]),
        })
    out.sort(key=lambda f: (f["rule"], f["event_id"], f["message"]))
    return out


def _document(findings: object) -> dict:
    return {
        "as_of": "2026-11-20T00:00:00Z", "counts": {"read": 3, "decided": 3, "invalid": 0, "duplicate": 0},
        # an input's id that looks like the findings key must not be taken for it
        "duplicates": [{"file": "f", "line": 1, "event_id": '"findings": "x"'}],
        "engine_errors": [], "files": ["a.jsonl"], "findings": findings, "invalid": [],
        "policy": {"version": "v", "digest": "d"}, "rules": [{"id": "storage.passcode", "effect": "deny"}, {"id": "quality.diagnostic", "effect": "warn"}],
        "summary": FindingTally.of(findings if isinstance(findings, list) else list(findings)).summary(),
    }


def _file(findings: list[dict]) -> FindingsFile:
    return FindingsFile(orjson.dumps(f, option=orjson.OPT_SORT_KEYS) for f in findings)


@pytest.mark.parametrize("n", [0, 1, 2, 40])
@pytest.mark.parametrize("indent", [True, False])
def test_streamed_json_is_the_whole_documents_bytes(n: int, indent: bool) -> None:
    findings = _findings(n)
    whole = orjson.dumps(_document(findings), option=orjson.OPT_SORT_KEYS | (orjson.OPT_INDENT_2 if indent else 0))
    streamed = b"".join(json_chunks(_document(_file(findings)), indent=indent))
    assert streamed == whole
    assert json.loads(streamed)["findings"] == findings


@pytest.mark.parametrize("fmt", ["json", "text", "junit", "html"])
@pytest.mark.parametrize("n", [0, 1, 40])
def test_every_format_renders_a_findings_file_as_the_list(fmt: str, n: int) -> None:
    findings = _findings(n, seed=n)
    reporter = AUDIT_REPORTER_BY_NAME[fmt]()
    assert reporter.render(_document(_file(findings))) == reporter.render(_document(findings))


def test_junit_counts_failing_rules_and_keeps_warnings_apart() -> None:
    findings = [
        {"rule": "consent.informed", "effect": "warn", "message": "w1", "event_id": "e1"},
        {"rule": "consent.informed", "effect": "deny", "message": "d1", "event_id": "e2"},
        {"rule": "consent.informed", "effect": "warn", "message": "w2", "event_id": "e3"},
        {"rule": "storage.remote_wipe", "effect": "warn", "message": "w3", "event_id": "e4"},
    ]
    root = ET.fromstring(AUDIT_REPORTER_BY_NAME["junit"]().render(_document(_file(findings))))
    suite = root.find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    # rules in force without findings pass; found rules not in force are listed too
    assert set(cases) == {"consent.informed", "storage.remote_wipe", "storage.passcode", "quality.diagnostic", "invalid lines", "engine errors"}
    assert [f.get("message") for f in cases["consent.informed"].findall("failure")] == ["e2: d1"]
    out = cases["consent.informed"].find("system-out")
    assert out is not None and "w1" in (out.text or "") and "w2" in (out.text or "")
    assert cases["storage.remote_wipe"].find("failure") is None
    assert suite.get("failures") == "1" and suite.get("tests") == "6" and root.get("failures") == "1"


def test_a_findings_file_is_read_again_and_removed_when_closed() -> None:
    findings = _findings(5)
    kept = _file(findings)
    assert list(kept) == findings and list(kept) == findings and len(kept) == 5 and kept
    kept.close()
    assert not __import__("os").path.exists(kept.path)


def test_tally_merges_as_if_counted_at_once() -> None:
    findings = _findings(60)
    a, b = FindingTally.of(findings[:25]), FindingTally.of(findings[25:])
    a.merge(FindingTally.from_dict(json.loads(json.dumps(b.as_dict()))))
    whole = FindingTally.of(findings)
    assert (a.total, a.summary(), a.by_rule_effect(), a.has_deny) == (whole.total, whole.summary(), whole.by_rule_effect(), whole.has_deny)
