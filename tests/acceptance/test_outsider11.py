"""Outside acceptance, session 11: inputs written from SPEC.md and the guide, through the real
CLI (and `clinimg serve` as a process). Each test is a defect that run found; it fails on the
code before the fix."""
from __future__ import annotations

import json
import pathlib

from tests.conftest import EXAMPLES, run_cli

FACEBOOK = EXAMPLES / "requests" / "disallowed_case1_post_on_facebook.json"
WEEK = EXAMPLES / "logs" / "week.jsonl"


def _pretty_request() -> str:
    return json.dumps(json.loads(FACEBOOK.read_text()), indent=2)


def _line_of(text: str, needle: str) -> int:
    return next(n for n, t in enumerate(text.split("\n"), 1) if needle in t)


# -- line ends: a lone \r ends a line everywhere a person's text is numbered ----------------------


def test_serve_numbers_body_lines_as_check_does_whatever_the_line_ends(tmp_path: pathlib.Path) -> None:
    # `serve` counted a body's lines by \n alone: a body saved with \r line ends had every problem
    # at line 1, where `check` names its real line. And a byte that is not UTF-8 was at line 1 in
    # both (the decoding error's line counted \n alone).
    import requests

    from tests.serving import serve_process

    text = _pretty_request()
    facility = _line_of(text, '"facility"')
    duplicated = text.replace('"facility"', '"facility": "x", "facility"')
    syntax = text.replace('"facility"', '"facility",,')
    not_utf8 = text.encode().replace(b'"facility"', b'"fac\xffility"')
    with serve_process() as (url, _):
        for end in ("\n", "\r\n", "\r"):
            answer = requests.post(url + "/v1/check", data=duplicated.replace("\n", end).encode(), timeout=60).json()
            assert answer["problems"] == [{"path": "$.facility", "constraint": f'line {facility}: duplicate key "facility"'}], (end, answer)
            answer = requests.post(url + "/v1/check", data=syntax.replace("\n", end).encode(), timeout=60).json()
            assert answer["problems"][0]["constraint"].startswith(f"line {facility}: not valid JSON"), (end, answer)
            body = not_utf8.replace(b"\n", end.encode())
            answer = requests.post(url + "/v1/check", data=body, timeout=60).json()
            assert answer["message"].startswith(f"body is not UTF-8 (line {facility},"), (end, answer)
            # the Data API reads bodies the same way
            wrapped = ("{\n\"input\": " + duplicated + "\n}").replace("\n", end)
            answer = requests.post(url + "/v1/data/clinimg/decision", data=wrapped.encode(), timeout=60).json()
            assert answer["problems"] == [{"path": "$.input.facility", "constraint": f'line {facility + 1}: duplicate key "facility"'}], (end, answer)
            # and `check` names the same lines
            request = tmp_path / "r.json"
            request.write_bytes(body)
            assert run_cli("check", str(request)).err.startswith(f"clinimg: {request}:{facility}: $: not UTF-8 text"), end


def test_an_overlay_with_a_control_character_is_named_at_its_line_whatever_the_line_ends(tmp_path: pathlib.Path) -> None:
    overlay = tmp_path / "hospital.yaml"
    overlay.write_bytes(b"hospital: Example\rjurisdiction: NSW\rwritten_consent_required: false\x07\r")
    result = run_cli("validate", str(overlay))
    assert result.code == 2 and result.err.startswith(f"{overlay}:3: $: the policy overlay holds a control character"), result.err
    overlay.write_bytes(b"hospital: Example\rjurisdiction: NSW\rwritten_consent_required: \xff\r")
    result = run_cli("validate", str(overlay))
    assert result.code == 2 and result.err.startswith(f"{overlay}:3: $: the policy overlay is not UTF-8"), result.err


def test_serve_refuses_an_event_log_behind_blank_lines_as_its_decision_log(tmp_path: pathlib.Path) -> None:
    # Only the first 64 KiB were looked at: an event log that began with blank lines was "empty",
    # and serve appended its decisions to it.
    log = tmp_path / "week.jsonl"
    log.write_bytes(b"\n" * 70000 + WEEK.read_bytes())
    before = log.read_bytes()
    result = run_cli("serve", "--port", "0", "--decision-log", str(log), timeout=30)
    assert result.code == 2 and "holds something other than a decision log" in result.err, result.err
    assert log.read_bytes() == before
