"""An audit's report that cannot be delivered — a full disk behind stdout or --output, a closed
stdout, a reader that went away — is one line on stderr, never a traceback, and the --state run is
rolled back (the next night decides and reports those events again: nothing decided goes
unreported). Options a script fills from an unset variable ("") are refused, never a quiet
default (a one-off run, no overlay, the current directory's Rego)."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES, ROOT, run_cli

WEEK = EXAMPLES / "logs" / "week.jsonl"
REQUEST = EXAMPLES / "requests" / "allowed_capture_wound_for_care.json"
FULL = pathlib.Path("/dev/full")
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")


def _run(args: list[str], stdout: int | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker.cli", *args], stdout=stdout, stderr=subprocess.PIPE,
                          text=True, cwd=ROOT, timeout=180)


def _runs(state: pathlib.Path) -> int:
    listed = run_cli("audit", "runs", "--state", str(state), "--format", "json")
    assert listed.code == 0, listed.err
    return len(listed.json())


def _one_clean_line(err: str, *fragments: str) -> None:
    assert "Traceback" not in err and "internal error" not in err and "Exception ignored" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    for fragment in fragments:
        assert fragment in err, err


@needs_dev_full
def test_a_full_disk_behind_output_rolls_the_run_back(tmp_path: pathlib.Path) -> None:
    state = tmp_path / "state.sqlite"
    first = run_cli("audit", str(WEEK), "--state", str(state), "--output", str(tmp_path / "night1.txt"))
    assert first.code == 1 and _runs(state) == 1
    before = state.read_bytes()

    full = run_cli("audit", str(WEEK), "--state", str(state), "--output", str(FULL), "--format", "json")
    assert full.code == 2
    _one_clean_line(full.err, "--output: cannot write (no space left on device)", "rolled back", "--state store left as it was")
    assert state.read_bytes() == before and _runs(state) == 1


@needs_dev_full
@pytest.mark.parametrize("fmt", ["text", "json", "junit", "html", "fhir"])
def test_a_full_disk_behind_stdout_is_one_line_and_rolls_the_run_back(tmp_path: pathlib.Path, fmt: str) -> None:
    state = tmp_path / "state.sqlite"
    with open(FULL, "w") as full:
        proc = _run(["audit", str(WEEK), "--state", str(state), "--format", fmt], stdout=full.fileno())
    assert proc.returncode == 2
    _one_clean_line(proc.stderr, "standard output: cannot write the report (no space left on device)", "rolled back")
    assert not state.exists()  # a store this run created is not left behind empty


def test_a_closed_stdout_is_refused_and_the_run_not_kept(tmp_path: pathlib.Path) -> None:
    state = tmp_path / "state.sqlite"
    # `clinimg audit LOG >&-`: the report would be lost without a word
    proc = subprocess.run([sys.executable, "-m", "checker.cli", "audit", str(WEEK), "--state", str(state)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=180,
                          preexec_fn=lambda: os.close(1))
    assert proc.returncode == 2
    _one_clean_line(proc.stderr, "standard output is closed", "--output FILE", "rolled back")
    assert not state.exists()


def test_a_reader_that_goes_away_rolls_the_state_run_back(tmp_path: pathlib.Path) -> None:
    state = tmp_path / "state.sqlite"
    assert run_cli("audit", str(WEEK), "--state", str(state), "--output", str(tmp_path / "r.txt")).code == 1
    before = state.read_bytes()
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head -1` that has already gone
    proc = _run(["audit", str(WEEK), "--state", str(state), "--format", "json"], stdout=write_end)
    os.close(write_end)
    assert proc.returncode == 141
    _one_clean_line(proc.stderr, "broken pipe", "rolled back")
    assert state.read_bytes() == before and _runs(state) == 1


def test_a_reader_that_goes_away_from_a_one_off_audit_is_quiet() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = _run(["audit", str(WEEK), "--format", "json"], stdout=write_end)
    os.close(write_end)
    assert proc.returncode == 141 and proc.stderr == "", proc.stderr


def test_a_commit_that_fails_leaves_no_output_file(tmp_path: pathlib.Path) -> None:
    # /dev/null as the store: SQLite fails when the run is committed, after the report was written
    # beside its place — which is then removed, not renamed into place.
    report = tmp_path / "report.html"
    result = run_cli("audit", str(WEEK), "--state", os.devnull, "--output", str(report), "--format", "html")
    assert result.code == 2 and "rolled back" in result.err
    assert list(tmp_path.iterdir()) == []


@needs_dev_full
@pytest.mark.parametrize("args", [["rules"], ["check", str(REQUEST)], ["check", str(REQUEST), "--format", "json"], ["validate", str(REQUEST)]])
def test_a_full_disk_behind_stdout_is_one_line_for_every_command(args: list[str]) -> None:
    with open(FULL, "w") as full:
        proc = _run(args, stdout=full.fileno())
    assert proc.returncode == 2
    _one_clean_line(proc.stderr, "standard output: cannot write (no space left on device)")


@pytest.mark.parametrize("option, words", [
    ("--state", "--state: the file name is empty"),
    ("--quarantine", "--quarantine: the file name is empty"),
    ("--output", "--output: the file name is empty"),
    ("--policy-config", "--policy-config: the file name is empty"),
    ("--policy-dir", "--policy-dir: the directory name is empty"),
])
def test_an_empty_option_from_an_unset_variable_is_refused(tmp_path: pathlib.Path, option: str, words: str) -> None:
    # `--state "$STATE"` with STATE unset was a one-off run (nothing kept); `--policy-config ""`
    # audited under the guide's defaults instead of the hospital's overlay.
    result = run_cli("audit", str(WEEK), option, "", cwd=tmp_path)
    assert result.code == 2, result.out[:200] + result.err
    _one_clean_line(result.err, words)
    assert result.out == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["check", str(REQUEST), "--policy-config", ""], ["policy", "check", "--policy-config", ""],
                                  ["rules", "--policy-dir", " "]])
def test_an_empty_policy_option_is_refused_by_every_command(args: list[str]) -> None:
    result = run_cli(*args)
    assert result.code == 2 and "is empty" in result.err, result.out + result.err


@pytest.mark.parametrize("command", [["runs"], ["report", "--last"]])
def test_a_store_of_a_newer_schema_is_refused_when_read_too(tmp_path: pathlib.Path, command: list[str]) -> None:
    # `audit LOG --state` refused it already; `audit runs` / `audit report` read it as if it were ours
    import sqlite3

    state = tmp_path / "state.sqlite"
    assert run_cli("audit", str(WEEK), "--state", str(state), "--output", str(tmp_path / "r.txt")).code == 1
    db = sqlite3.connect(state)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    result = run_cli("audit", *command, "--state", str(state))
    assert result.code == 2 and result.out == ""
    _one_clean_line(result.err, "state store version 99 is not supported")


@pytest.mark.parametrize("expires, words", [("2026-02-30", "is not a valid date"), ("2026-01-01T25:00:00Z", "does not match a calendar date YYYY-MM-DD")])
def test_an_impossible_unquoted_waiver_date_names_its_line(tmp_path: pathlib.Path, expires: str, words: str) -> None:
    # PyYAML built a date from it and failed with a bare ValueError: "internal error"
    overlay = tmp_path / "hospital.yaml"
    overlay.write_text("waivers:\n  - rule: storage.auto_upload\n    event_id: e1\n    reason: hold\n"
                       f"    approved_by: privacy-officer\n    expires: {expires}\n")
    for args in (["check", str(REQUEST), "--policy-config", str(overlay)], ["validate", str(overlay)]):
        result = run_cli(*args)
        assert result.code == 2 and "internal error" not in result.err, result.err
        assert f"{overlay}:6: $.waivers[0].expires: {words}" in result.err, result.err


def test_a_date_waiver_still_reads_as_its_date(tmp_path: pathlib.Path) -> None:
    overlay = tmp_path / "hospital.yaml"
    overlay.write_text("waivers:\n  - {rule: storage.auto_upload, event_id: e1, reason: hold, approved_by: po, expires: 2027-01-01}\n")
    bundle = tmp_path / "bundle.tar.gz"
    assert run_cli("policy", "bundle", "--policy-config", str(overlay), "--output", str(bundle)).code == 0
    import json
    import tarfile

    with tarfile.open(bundle) as tar:
        data = [json.load(tar.extractfile(m)) for m in tar.getmembers() if m.name.endswith("data.json")]
    assert any("2027-01-01" in json.dumps(d) for d in data)


@pytest.mark.parametrize("text", ["", "\n  \n"])
def test_an_empty_overlay_file_is_refused_not_the_defaults(tmp_path: pathlib.Path, text: str) -> None:
    # a truncated copy of the hospital's overlay (a full disk, a failed deploy) decided under the guide's defaults
    overlay = tmp_path / "hospital.yaml"
    overlay.write_text(text)
    result = run_cli("check", str(REQUEST), "--policy-config", str(overlay))
    assert result.code == 2 and result.out == ""
    _one_clean_line(result.err, "the policy overlay is empty")
    overlay.write_text("{}\n")
    assert run_cli("check", str(REQUEST), "--policy-config", str(overlay)).code == 0


_RULE_HEAD = """# METADATA
# title: t
# custom:
#   id: local.x
#   effect: deny
#   guide_section: Hospital policies and contracts
#   remedy: r
package clinimg.rules.local.x

"""


def _own_rule(tmp_path: pathlib.Path, body: str) -> pathlib.Path:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.rego").write_text(_RULE_HEAD + body)
    return rules


@pytest.mark.parametrize("body, words", [
    ('deny contains f if {\n  f := {"rule": input.patient.id, "message": "m", "guide": "g", "remedy": "r"}\n}\n',
     "x.rego:11: the finding's rule must be written as text"),
    ('deny contains f if {\n  f := {"rule": "local.x", "message": "", "guide": "g", "remedy": "r"}\n}\n',
     "x.rego:11: a `deny` finding's `message` is empty"),
])
def test_an_own_rule_with_a_computed_id_or_an_empty_message_is_refused(tmp_path: pathlib.Path, body: str, words: str) -> None:
    # a computed id put the patient's id where the rule id goes in the decision; "" was a deny nobody could explain
    rules = _own_rule(tmp_path, body)
    for args in (["check", str(REQUEST)], ["policy", "check"]):
        result = run_cli(*args, "--policy-dir", str(rules))
        assert result.code == 2 and words in result.err, result.out + result.err


def test_a_deny_whose_message_is_blank_at_decision_time_fails_closed(tmp_path: pathlib.Path) -> None:
    rules = _own_rule(tmp_path, 'deny contains f if {\n  m := concat("", [" "])\n'
                                '  f := {"rule": "local.x", "message": m, "guide": "g", "remedy": "r"}\n}\n')
    check = run_cli("check", str(REQUEST), "--policy-dir", str(rules))
    assert check.code == 2 and "engine error" in check.err and "empty rule or message" in check.err, check.out + check.err
    import json

    for cache in ([], ["--no-cache"]):  # the audit's per-rule cache combined the decision without the check
        report = json.loads(run_cli("audit", str(WEEK), "--policy-dir", str(rules), "--format", "json", *cache).out)
        assert report["findings"] == [] and report["engine_errors"], cache
