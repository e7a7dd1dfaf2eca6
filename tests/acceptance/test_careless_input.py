"""A log as a careless hand leaves it (a BOM, CRLF line ends, blank and whitespace-only lines, a
repeated event, lines that are not events): validate and audit must name the same lines, and
the audit must account for every one of them."""
from __future__ import annotations

import json
import pathlib
import re

from tests.conftest import EXAMPLES, run_cli


def test_validate_and_audit_name_the_same_bad_lines_of_a_careless_log(tmp_path: pathlib.Path) -> None:
    events = (EXAMPLES / "logs" / "week.jsonl").read_text().splitlines()[:12]
    lines = events[:6] + ["", "   ", events[2], '{"a": 1}', "not json", "[1, 2]"] + events[6:]
    log = tmp_path / "careless.jsonl"
    log.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))

    audit = run_cli("audit", str(log), "--format", "json")
    report = audit.json()
    c = report["counts"]
    assert c["read"] == len(lines) == c["decided"] + c["invalid"] + c["duplicate"]
    assert (c["invalid"], c["duplicate"]) == (5, 1)
    audit_lines = sorted(p["line"] for p in report["invalid"])

    validate = run_cli("validate", str(log))
    assert validate.code == 2
    validate_lines = sorted({int(m.group(1)) for m in re.finditer(rf"^{re.escape(str(log))}:(\d+): ", validate.out + validate.err, re.M)})
    # the blank lines (7 and 8) were silently skipped by validate while the audit counted them
    assert validate_lines == audit_lines == [7, 8, 10, 11, 12]
    assert f"{log}:7: $: empty line (no event)" in validate.out + validate.err


def test_policy_test_with_a_k_that_matches_nothing_is_not_a_green_run() -> None:
    typo = run_cli("policy", "test", "--policy-dir", str(EXAMPLES / "local_rules"), "--only-local", "-k", "theater")
    assert typo.code == 2, typo.out + typo.err
    assert "nothing was tested" in typo.err and "passed" not in typo.out
    found = run_cli("policy", "test", "--policy-dir", str(EXAMPLES / "local_rules"), "--only-local", "-k", "theatre")
    assert found.code == 0 and "0 failed" in found.out, found.out + found.err


def test_a_time_past_what_a_nanosecond_instant_holds_is_an_invalid_line_not_a_crash(tmp_path: pathlib.Path) -> None:
    # Year 2263 is past 2**63 ns: the audit's store raised OverflowError ("internal error", exit 2,
    # no report) while validate called the line valid.
    events = (EXAMPLES / "logs" / "week.jsonl").read_text().splitlines()[:4]
    far = re.sub(r'"occurred_at":"[^"]*"', '"occurred_at":"2263-01-01T00:00:00Z"', events[3])
    assert far != events[3]
    log = tmp_path / "far.jsonl"
    log.write_text("\n".join(events[:3] + [far]) + "\n")
    audit = run_cli("audit", str(log), "--format", "json")
    assert "internal error" not in audit.err and "Traceback" not in audit.err, audit.err
    report = audit.json()
    assert report["counts"] == {"read": 4, "decided": 3, "invalid": 1, "duplicate": 0}
    [bad] = report["invalid"]
    assert bad["line"] == 4 and bad["reason"].startswith("$.occurred_at: ") and "2263" not in bad["reason"]
    # first in the file: the log is out of order and sorted through SQLite, which overflowed too
    first = tmp_path / "far-first.jsonl"
    first.write_text("\n".join([far] + events[:3]) + "\n")
    sorted_audit = run_cli("audit", str(first), "--format", "json")
    assert sorted_audit.json()["counts"] == {"read": 4, "decided": 3, "invalid": 1, "duplicate": 0}, sorted_audit.err
    validate = run_cli("validate", str(log))
    assert validate.code == 2 and f"{log}:4: $.occurred_at: " in validate.out + validate.err
    request = tmp_path / "far.json"
    request.write_text((EXAMPLES / "requests" / "allowed_send_to_consulted_surgeon.json").read_text().replace('"occurred_at": "2026', '"occurred_at": "2263', 1))
    assert '"2263' in request.read_text()
    check = run_cli("check", str(request))
    assert check.code == 2 and "$.occurred_at: " in check.err, check.out + check.err


def test_validate_reads_a_log_by_its_content_not_its_extension(tmp_path: pathlib.Path) -> None:
    # The audit reads `tonight.log` as a log; validate called its line 2 "not valid JSON: Extra data".
    lines = (EXAMPLES / "logs" / "week.jsonl").read_text().splitlines()[:5]
    log = tmp_path / "tonight.log"
    log.write_text("\n".join(lines[:3] + ["not json"] + lines[3:]) + "\n")
    assert run_cli("audit", str(log), "--format", "json").json()["counts"]["invalid"] == 1
    result = run_cli("validate", str(log))
    assert result.code == 2
    errors = [line for line in (result.out + result.err).splitlines() if line.startswith(str(log))]
    assert errors == [f"{log}:4: $: not valid JSON: Expecting value (column 1)"], result.out + result.err
    # a request is still one document, pretty-printed or on one line
    request = tmp_path / "request.json"
    request.write_text((EXAMPLES / "requests" / "allowed_send_to_consulted_surgeon.json").read_text())
    assert run_cli("validate", str(request)).code == 0
    one_line = tmp_path / "one.json"
    one_line.write_text(json.dumps(json.loads(request.read_text())) + "\n\n")
    assert run_cli("validate", str(one_line)).code == 0


def test_a_reader_that_goes_away_is_not_an_internal_error() -> None:
    # `clinimg rules | head -1`: the pipe's reader is gone before the rest is written.
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: every write fails with EPIPE
    proc = subprocess.run([sys.executable, "-m", "checker.cli", "rules"], stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120)
    os.close(write_end)
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 141


def test_a_request_saved_with_lone_cr_line_ends_has_its_problems_named_at_their_lines(tmp_path: pathlib.Path) -> None:
    # A log's lines end at \n, \r\n or a lone \r (reader.physical_lines); a request saved with \r
    # alone (classic Mac OS tools) had every problem named at line 1 — schema, duplicate key and
    # syntax errors alike — while an editor shows them on line 20, 39, 46.
    request = json.loads((EXAMPLES / "requests" / "disallowed_case1_post_on_facebook.json").read_text())
    lines = json.dumps(request, indent=2).splitlines()

    def numbered(needle: str) -> int:
        return next(n for n, t in enumerate(lines, 1) if needle in t)

    cases = {
        "type": (lambda t: t.replace(f'"age_years": {request["patient"]["age_years"]}', '"age_years": "81"'),
                 f'{numbered(chr(34) + "age_years")}: $.patient.age_years: must be of type number'),
        "duplicate": (lambda t: t.replace('"purpose": "personal",', '"purpose": "personal", "purpose": "teaching",'),
                      f'{numbered(chr(34) + "purpose" + chr(34) + ": " + chr(34) + "personal")}: $.purpose: duplicate key "purpose"'),
        "syntax": (lambda t: t.replace('"channel": "social_media",', '"channel": "social_media"'),
                   f"{numbered(chr(34) + 'channel') + 1}: $: not valid JSON: Expecting ',' delimiter (column 3)"),
    }
    for name, (spoil, said) in cases.items():
        for line_end in ("\r", "\r\n", "\n"):
            path = tmp_path / f"{name}-{len(line_end)}{ord(line_end[0])}.json"
            path.write_bytes(spoil(line_end.join(lines)).encode())
            result = run_cli("check", str(path))
            assert result.code == 2 and result.err.strip() == f"clinimg: {path}:{said}", (name, repr(line_end), result.err)
            assert run_cli("validate", str(path)).err.splitlines()[0] == f"{path}:{said}"


def test_a_control_character_in_an_overlay_is_named_with_its_line(tmp_path: pathlib.Path) -> None:
    # A NUL or ESC in the overlay (a copy from a terminal, a truncated write) was "the policy
    # overlay is not valid YAML" — no line, no reason — everywhere the overlay is read.
    overlay = tmp_path / "o.yaml"
    overlay.write_bytes(b"hospital: Example\nrules:\n  disabled: [storage.remote_wipe]\n  effect_overrides: {quality.diagnostic: \x1b[31mdeny}\n")
    said = f"{overlay}:4: $: the policy overlay holds a control character YAML does not allow (U+001B)"
    for args in (("validate", str(overlay)), ("rules", "--policy-config", str(overlay)),
                 ("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--policy-config", str(overlay))):
        result = run_cli(*args)
        assert result.code == 2 and said in result.out + result.err, (args, result.err)


def test_an_overlay_number_with_an_exponent_says_why_yaml_took_it_for_text(tmp_path: pathlib.Path) -> None:
    # `min_resolution_mp: 2e1` (or 2.0e1) reads as text in YAML 1.1 (PyYAML wants a decimal point
    # and a signed exponent): "must be of type number" for what the writer sees as a number. A
    # quoted number stays as it was said.
    overlay = tmp_path / "o.yaml"
    overlay.write_text("hospital: Example\nquality: {min_resolution_mp: 2.0e1}\ndeadlines: {record_transfer_hours: '24'}\n")
    result = run_cli("validate", str(overlay))
    assert result.code == 2 and result.err.splitlines()[:2] == [
        f"{overlay}:3: $.deadlines.record_transfer_hours: must be of type number",
        f"{overlay}:2: $.quality.min_resolution_mp: must be of type number (YAML reads a number with an exponent as text unless it "
        "has a decimal point and a signed exponent: write 1000, or 1.0e+3)",
    ]
    overlay.write_text("hospital: Example\nquality: {min_resolution_mp: 2.0e+1}\n")
    assert run_cli("validate", str(overlay)).code == 0


def test_dash_is_standard_output_for_output_only_never_a_file_named_dash(tmp_path: pathlib.Path) -> None:
    # `--output -` is stdout. `--quarantine -`, `--state -`, `serve --decision-log -` and `policy
    # bundle -o -` each wrote a file named "-" in the working directory (the bundle saying "wrote -"),
    # where nobody looked for it; now each is refused before anything is written.
    week = str(EXAMPLES / "logs" / "week.jsonl")
    runs = {
        "--quarantine": ("audit", week, "--quarantine", "-", "--output", str(tmp_path / "r.txt")),
        "--state": ("audit", week, "--state", "-"),
        "--decision-log": ("serve", "--port", "0", "--decision-log", "-"),
    }
    for option, args in runs.items():
        result = run_cli(*args, cwd=tmp_path)
        assert result.code == 2 and result.err.strip() == (
            f"clinimg: {option}: needs a file name ('-', standard output, is for --output only); nothing was written"), (option, result.err)
    bundle = run_cli("policy", "bundle", "-o", "-", cwd=tmp_path)
    assert bundle.code == 2 and bundle.err.strip() == "clinimg: --output: needs a file name for the bundle (.tar.gz), not '-'; nothing was written"
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    report = run_cli("audit", week, "--output", "-", "--format", "json", cwd=tmp_path)
    assert report.json()["counts"]["decided"] == 464 and sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_overlay_overriding_the_effect_of_a_rule_it_disables_is_refused(tmp_path: pathlib.Path) -> None:
    # `disabled: [quality.diagnostic]` beside `effect_overrides: {quality.diagnostic: deny}` was
    # accepted: the rule stayed off, and the hospital believed it denied.
    overlay = tmp_path / "o.yaml"
    overlay.write_text("hospital: Example\nrules:\n  disabled: [quality.diagnostic]\n  effect_overrides: {quality.diagnostic: deny}\n")
    said = f'{overlay}:4: $.rules.effect_overrides["quality.diagnostic"]: quality.diagnostic is also in rules.disabled, so this effect would never apply; keep one of the two'
    for args in (("validate", str(overlay)), ("rules", "--policy-config", str(overlay)),
                 ("check", str(EXAMPLES / "requests" / "allowed_secondary_purpose_share.json"), "--policy-config", str(overlay))):
        result = run_cli(*args)
        assert result.code == 2 and said in result.out + result.err, (args, result.err)
    overlay.write_text("hospital: Example\nrules:\n  disabled: [quality.diagnostic]\n  effect_overrides: {storage.remote_wipe: deny}\n")
    assert run_cli("validate", str(overlay)).code == 0


def test_a_log_written_as_one_json_document_says_so_at_its_first_line(tmp_path: pathlib.Path) -> None:
    # An export written as a pretty-printed JSON array (or a request given to audit) is every line
    # invalid — reported, never lost — but the reasons ("Expecting value (column 2)", "must be of
    # type object") never said what was wrong with the file. Now line 1 says it, in audit and
    # validate alike; the other lines keep their own reasons.
    events = [json.loads(line) for line in (EXAMPLES / "logs" / "week.jsonl").read_text().splitlines()[:3]]
    hint = ("the file looks like one JSON document over many lines, not JSON Lines — a log holds one event a line "
            "(`clinimg check` reads one request)")
    pretty = tmp_path / "pretty.jsonl"
    pretty.write_text(json.dumps(events, indent=2))
    one_line = tmp_path / "array.jsonl"
    one_line.write_text(json.dumps(events) + "\n" + json.dumps(events[0]) + "\n")
    expected = {
        pretty: (1, f"$: not valid JSON: Expecting value (column 2): {hint}"),
        one_line: (1, "$: an event must be a JSON object (this line holds an array: a log holds one event a line, not an array of them)"),
    }
    for log, (line, reason) in expected.items():
        report = run_cli("audit", str(log), "--format", "json").json()
        assert report["invalid"][0] == {"file": str(log), "line": line, "reason": reason}
        assert all(hint not in p["reason"] for p in report["invalid"][1:])
        assert f"{log}:{line}: {reason}" in run_cli("validate", str(log)).err


def test_validate_never_names_an_option_it_does_not_have(tmp_path: pathlib.Path) -> None:
    # A request over 1 MiB: validate said "(--max-request-bytes)", an option only `check` has
    # (`validate --max-request-bytes …` is "No such option").
    request = json.loads((EXAMPLES / "requests" / "disallowed_case1_post_on_facebook.json").read_text())
    request["x_note"] = "a" * (1024 * 1024)
    big = tmp_path / "big.json"
    big.write_text(json.dumps(request))
    result = run_cli("validate", str(big))
    assert result.code == 2 and result.err.splitlines()[0] == (
        f"{big}: larger than 1,048,576 bytes; refused before parsing (a request; `check --max-request-bytes` takes larger ones)")
    assert run_cli("check", str(big), "--max-request-bytes", str(2 * 1024 * 1024)).code == 1


def test_a_leap_second_is_named_as_such_not_as_a_time_that_is_not_rfc_3339(tmp_path: pathlib.Path) -> None:
    # RFC 3339 allows 23:59:60; no engine holds it. The message said the time "does not match an
    # RFC 3339 date-time", which it does.
    said = "$.occurred_at: is a leap second (:60), which RFC 3339 allows but no engine can hold: write :59"
    request = json.loads((EXAMPLES / "requests" / "disallowed_case1_post_on_facebook.json").read_text())
    request["occurred_at"] = "2016-12-31T23:59:60Z"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(request, indent=2))
    line = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if '"occurred_at"' in t)
    result = run_cli("check", str(path))
    assert result.code == 2 and result.err.strip() == f"clinimg: {path}:{line}: {said}"
    log = tmp_path / "l.jsonl"
    log.write_text(json.dumps(request) + "\n" + json.dumps({**request, "event_id": "e-2", "occurred_at": "2016-12-31T23:59:59Z"}) + "\n")
    assert run_cli("audit", str(log), "--format", "json").json()["invalid"] == [{"file": str(log), "line": 1, "reason": said}]
