"""`clinimg check --format json` on bad input: a JSON error document on stdout for the app that
piped the request (issue 12, point 5), the usual line on stderr, exit 2 — values never echoed."""
from __future__ import annotations

import json
import pathlib

from tests.conftest import run_cli

SECRET = "Mr Smith"


def test_schema_problems_are_a_json_document(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema_version": "1", "event_id": "e", "type": "capture", "occurred_at": "2026-11-20T09:00:00+11:00",
                               "facility": "f", "actor": {"id": "a", "role": "intern"}, "patient": {"id": "p", "age_years": SECRET}}))
    result = run_cli("check", str(bad), "--format", "json")
    assert result.code == 2
    doc = json.loads(result.out)
    assert doc["exit_code"] == 2 and doc["error"]
    assert {"path": "$.patient.age_years", "constraint": "must be of type number", "line": 1} in doc["problems"]
    assert SECRET not in result.out and SECRET not in result.err
    assert "$.patient.age_years: must be of type number" in result.err


def test_not_json_is_a_json_document(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"event_id": ')
    result = run_cli("check", str(bad), "--format", "json")
    assert result.code == 2
    doc = json.loads(result.out)
    assert doc["problems"] and doc["problems"][0]["path"] == "$"


def test_text_format_keeps_stdout_empty(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    result = run_cli("check", str(bad))
    assert result.code == 2 and result.out == "" and result.err
