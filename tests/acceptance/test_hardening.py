"""Hostile and careless input through the real CLI (and `serve` over HTTP): nothing lost (no output
clobbers an input or another output), nothing stopped (bad text is a bad line), nothing unbounded
(sizes, nesting, slow bodies), and errors people can act on (one line, by role, store untouched)."""
from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest
import requests
from click.testing import CliRunner

from checker import cli as cli_module
from checker.errors import CheckerError
from checker.outputs import atomic_output
from tests import images_corpus as C
from tests.conftest import EXAMPLES, ROOT, run_cli
from tests.serving import running_server, stop_serve_process

WEEK = EXAMPLES / "logs" / "week.jsonl"
REQUEST = EXAMPLES / "requests" / "allowed_capture_wound_for_care.json"
GOOD = json.loads(REQUEST.read_text())
CANARY = "Jane-Canary-Doe"


def _one_line_failure(result, *fragments: str) -> None:
    assert result.code == 2, (result.code, result.out, result.err)
    assert "Traceback" not in result.err + result.out
    assert len(result.err.strip().splitlines()) == 1, result.err
    for fragment in fragments:
        assert fragment in result.err, (fragment, result.err)


@pytest.fixture
def log(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "night.jsonl"
    path.write_bytes(WEEK.read_bytes()[:40_000].rsplit(b"\n", 1)[0] + b"\n")
    return path


# --- 1. never destroy input -----------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--quarantine", "--output", "--state"])
def test_an_output_naming_the_log_is_refused_and_the_log_kept(log: pathlib.Path, option: str) -> None:
    before = log.read_bytes()
    _one_line_failure(run_cli("audit", str(log), option, str(log)), f"{option}: is the same file as an input log")
    assert log.read_bytes() == before


def test_an_output_reaching_the_log_by_hard_link_or_relative_path_is_refused(log: pathlib.Path, tmp_path: pathlib.Path) -> None:
    before = log.read_bytes()
    os.link(log, tmp_path / "same.jsonl")
    _one_line_failure(run_cli("audit", str(log), "--quarantine", str(tmp_path / "same.jsonl")), "--quarantine: is the same file as an input log")
    (tmp_path / "sub").mkdir()
    _one_line_failure(run_cli("audit", str(log), "--output", str(tmp_path / "sub" / ".." / log.name)), "--output: is the same file")
    assert log.read_bytes() == before


def test_two_outputs_in_one_file_are_refused(log: pathlib.Path, tmp_path: pathlib.Path) -> None:
    both = tmp_path / "out.txt"
    _one_line_failure(run_cli("audit", str(log), "--output", str(both), "--quarantine", str(both)), "is the same file as --quarantine")
    _one_line_failure(run_cli("audit", str(log), "--output", str(both), "--state", str(both)), "is the same file as --state")
    assert not both.exists()


def test_an_output_that_is_a_symlink_needs_force(log: pathlib.Path, tmp_path: pathlib.Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "report.txt"
    link.symlink_to(victim)
    _one_line_failure(run_cli("audit", str(log), "--output", str(link)), "--output: is a symbolic link")
    _one_line_failure(run_cli("audit", str(log), "--quarantine", str(link)), "--quarantine: is a symbolic link")
    assert victim.read_text() == "keep me"
    forced = run_cli("audit", str(log), "--output", str(link), "--force")
    assert forced.code in (0, 1), forced.err
    assert link.is_symlink() and victim.read_text().startswith("clinimg audit as of")
    # even forced, a link to the log is the log
    log_link = tmp_path / "log-link.txt"
    log_link.symlink_to(log)
    _one_line_failure(run_cli("audit", str(log), "--output", str(log_link), "--force"), "--output: is the same file as an input log")


def test_outputs_in_a_missing_directory_are_refused_before_the_run(log: pathlib.Path, tmp_path: pathlib.Path) -> None:
    _one_line_failure(run_cli("audit", str(log), "--quarantine", str(tmp_path / "no" / "q.jsonl")), "--quarantine: its directory does not exist")


def test_a_failed_run_leaves_the_old_outputs_as_they_were(log: pathlib.Path, tmp_path: pathlib.Path) -> None:
    quarantine = tmp_path / "q.jsonl"
    quarantine.write_text("yesterday's quarantine\n")
    state = tmp_path / "state.sqlite"
    assert run_cli("audit", str(log), "--state", str(state)).code in (0, 1)
    holder = sqlite3.connect(state, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another run holds the store
    try:
        _one_line_failure(run_cli("audit", str(log), "--state", str(state), "--quarantine", str(quarantine)), "--state: the store is locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert quarantine.read_text() == "yesterday's quarantine\n"


def test_atomic_output_keeps_the_old_file_when_writing_fails(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(target, "--output") as out:
            out.write(b"half a rep")
            raise RuntimeError("disk gone")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["report.txt"]
    with atomic_output(target, "--output") as out:
        out.write(b"new")
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["report.txt"]


def test_bundle_output_never_overwrites_the_overlay_or_own_rego(tmp_path: pathlib.Path) -> None:
    overlay = tmp_path / "hospital.yaml"
    overlay.write_text("hospital: X\n")
    _one_line_failure(run_cli("policy", "bundle", "--output", str(overlay), "--policy-config", str(overlay)), "--output: is the same file as --policy-config")
    assert overlay.read_text() == "hospital: X\n"
    rules = tmp_path / "rules"
    rules.mkdir()
    rego = rules / "mine.rego"
    rego.write_text((EXAMPLES / "local_rules" / next(p.name for p in (EXAMPLES / "local_rules").glob("*.rego") if not p.name.endswith("_test.rego"))).read_text())
    before = rego.read_text()
    _one_line_failure(run_cli("policy", "bundle", "-o", str(rego), "--policy-dir", str(rules)), "--output: is the same file as a file of --policy-dir")
    assert rego.read_text() == before


def test_serve_decision_log_never_appends_to_the_overlay(tmp_path: pathlib.Path) -> None:
    overlay = tmp_path / "hospital.yaml"
    overlay.write_text("hospital: X\n")
    _one_line_failure(run_cli("serve", "--port", "0", "--policy-config", str(overlay), "--decision-log", str(overlay)),
                      "--decision-log: is the same file as --policy-config")
    assert overlay.read_text() == "hospital: X\n"


def test_deidentify_output_symlink_or_hard_link_to_the_input_is_refused(tmp_path: pathlib.Path) -> None:
    source = C.jpeg_full(tmp_path)
    before = pathlib.Path(source).read_bytes()
    os.link(source, tmp_path / "alias.jpg")
    _one_line_failure(run_cli("deidentify", str(source), "-o", str(tmp_path / "alias.jpg"), "--force"), "--output: is the same file as the input file")
    link = tmp_path / "clean.jpg"
    link.symlink_to(tmp_path / "elsewhere.jpg")
    _one_line_failure(run_cli("deidentify", str(source), "-o", str(link)), "--output: is a symbolic link")
    assert pathlib.Path(source).read_bytes() == before and not (tmp_path / "elsewhere.jpg").exists()


# --- 2. no line stops an audit --------------------------------------------------------------------


@pytest.mark.parametrize("workers", ["1", "2"])
def test_lone_surrogate_and_nul_lines_are_invalid_lines_not_a_stopped_audit(log: pathlib.Path, tmp_path: pathlib.Path, workers: str) -> None:
    lines = log.read_text().splitlines()
    bad = [json.loads(lines[3]), json.loads(lines[5]), json.loads(lines[7])]
    bad[0]["facility"] = "\udfff" + CANARY
    bad[1]["actor"]["id"] = CANARY + "\x00"
    bad[2]["patient"]["id"] = "\ud800"
    lines[3], lines[5], lines[7] = (json.dumps(d) for d in bad)
    hostile = tmp_path / "hostile.jsonl"
    hostile.write_text("\n".join(lines) + "\n")
    result = run_cli("audit", str(hostile), "--format", "json", "--workers", workers, "--state", str(tmp_path / f"s{workers}.sqlite"))
    assert result.code in (0, 1), result.err
    report = result.json()
    assert report["counts"]["invalid"] == 3 and report["counts"]["read"] == len(lines)
    reasons = {p["line"]: p["reason"] for p in report["invalid"]}
    assert reasons[4].startswith("$.facility: holds text that is not valid Unicode")
    assert reasons[6].startswith("$.actor.id: holds a NUL character")
    assert reasons[8].startswith("$.patient.id: holds text that is not valid Unicode")
    assert CANARY not in result.out + result.err


def test_serve_refuses_a_lone_surrogate_with_its_path() -> None:
    doc = json.loads(json.dumps(GOOD))
    doc["facility"] = "\udfff"
    body = json.dumps({"input": doc}).encode()
    with running_server(workers=1) as srv:
        for path, data, where in [("/v1/check", json.dumps(doc).encode(), "$.facility"), ("/v1/data/clinimg/decision", body, "$.input.facility")]:
            r = requests.post(srv.url + path, data=data, timeout=30)
            assert r.status_code == 400, r.text
            assert any(p["path"] == where and "not valid Unicode" in p["constraint"] for p in r.json()["problems"]), r.text
        query = {"query": "r0 := data.clinimg.decision with input as " + json.dumps(doc)}
        r = requests.post(srv.url + "/v1/query", json=query, timeout=30)
        assert r.status_code == 400 and r.json()["problems"][0]["path"] == "$.query.r0.facility", r.text


# --- 3. bounded work ------------------------------------------------------------------------------


def test_check_refuses_a_large_request_before_parsing_it(tmp_path: pathlib.Path) -> None:
    big = tmp_path / "big.json"
    big.write_text(json.dumps(GOOD) + " " * (2 * 1024 * 1024))
    _one_line_failure(run_cli("check", str(big)), "larger than 1,048,576 bytes; refused before parsing (--max-request-bytes)")
    _one_line_failure(run_cli("check", "-", stdin=big.read_text()), "<stdin>: larger than")
    allowed = run_cli("check", str(big), "--max-request-bytes", str(4 * 1024 * 1024))
    assert allowed.code == 0, allowed.err


def test_check_refuses_a_request_of_too_many_values(tmp_path: pathlib.Path) -> None:
    doc = json.loads(json.dumps(GOOD))
    doc["purposes"] = ["clinical_care"] * 20_000
    path = tmp_path / "many.json"
    path.write_text(json.dumps(doc))
    _one_line_failure(run_cli("check", str(path)), "$: holds more than 10,000 JSON values")


def test_many_schema_errors_are_listed_up_to_a_limit(tmp_path: pathlib.Path) -> None:
    doc = json.loads(json.dumps(GOOD))
    doc["consents"] = [{"status": "granted"}] * 2000
    path = tmp_path / "many.json"
    path.write_text(json.dumps(doc, indent=1))
    result = run_cli("check", str(path), timeout=60)
    assert result.code == 2 and "Traceback" not in result.err
    assert len(result.err.splitlines()) == 101 and "only the first 100 problems are listed" in result.err


@pytest.mark.parametrize("shape", ["flow", "dashes", "indent"])
def test_deeply_nested_overlay_is_refused_while_scanning(tmp_path: pathlib.Path, shape: str) -> None:
    n = 10_000
    text = {"flow": "rules: " + "[" * n + "]" * n + "\n",
            "dashes": "approved_channels:\n" + "- " * n + "x\n",
            "indent": "".join(" " * i + f"k{i}:\n" for i in range(1000)) + " " * 1000 + "x\n"}[shape]
    overlay = tmp_path / "deep.yaml"
    overlay.write_text(text)
    _one_line_failure(run_cli("check", str(REQUEST), "--policy-config", str(overlay), timeout=30), "deep.yaml:", "nests deeper than 32 levels")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_overlong_log_line_is_invalid_and_never_held_whole(log: pathlib.Path, tmp_path: pathlib.Path, workers: str) -> None:
    lines = log.read_bytes().splitlines(keepends=True)
    long_line = b'{"event_id": "' + b"x" * (3 * 1024 * 1024) + b'"}\n'
    hostile = tmp_path / "long.jsonl"
    hostile.write_bytes(b"".join(lines[:5]) + long_line + b"".join(lines[5:]))
    quarantine = tmp_path / "q.jsonl"
    result = run_cli("audit", str(hostile), "--format", "json", "--workers", workers, "--quarantine", str(quarantine))
    assert result.code in (0, 1), result.err
    report = result.json()
    assert report["counts"] == {"read": len(lines) + 1, "decided": len(lines), "invalid": 1, "duplicate": 0}
    assert report["invalid"] == [{"file": str(hostile), "line": 6, "reason": "line longer than 1 MiB"}]
    # the quarantine keeps the line's first MiB (+2 bytes), not all of it
    assert quarantine.read_bytes() == long_line[: 1024 * 1024 + 2] + b"\n"
    checked = run_cli("validate", str(hostile))
    assert checked.code == 2 and f"{hostile}:6: $: line longer than 1 MiB" in checked.err


def test_an_endless_overlay_or_request_is_read_only_up_to_its_limit() -> None:
    _one_line_failure(run_cli("check", "/dev/zero", timeout=30), "larger than 1,048,576 bytes")
    _one_line_failure(run_cli("check", str(REQUEST), "--policy-config", "/dev/zero", timeout=30), "larger than 1 MiB")


def _serve(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "checker.cli", "serve", "--port", "0", "--workers", "1", *args],
                            cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    line = proc.stderr.readline()
    m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
    assert m, line
    return proc, m.group(1)


def test_serve_closes_a_request_whose_body_trickles(tmp_path: pathlib.Path) -> None:
    proc, port = _serve("--body-timeout", "1")
    try:
        body = json.dumps(GOOD).encode()
        with socket.create_connection(("127.0.0.1", int(port)), timeout=30) as sock:
            sock.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body[:20])
            answer = b""
            while chunk := sock.recv(65536):  # the server answers, then closes the connection
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"did not arrive within 1 s" in answer
        # a whole body in time is answered as ever
        assert requests.post(f"http://127.0.0.1:{port}/v1/check", data=body, timeout=30).status_code == 200
        # headers trickled: the connection is closed (there is no request to answer yet)
        with socket.create_connection(("127.0.0.1", int(port)), timeout=30) as sock:
            sock.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\n")
            assert sock.recv(65536) == b""  # closed by the server (this socket's own timeout would raise)
        # keep-alive: a second request on one connection within the deadline is answered
        with requests.Session() as session:
            for _ in range(2):
                assert session.post(f"http://127.0.0.1:{port}/v1/check", data=body, timeout=30).status_code == 200
    finally:
        stop_serve_process(proc)


# --- 4. errors people can act on ------------------------------------------------------------------


def test_a_locked_store_is_one_line_and_left_untouched(log: pathlib.Path, tmp_path: pathlib.Path) -> None:
    state = tmp_path / "state.sqlite"
    assert run_cli("audit", str(log), "--state", str(state)).code in (0, 1)
    before = state.read_bytes()
    holder = sqlite3.connect(state, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        _one_line_failure(run_cli("audit", str(log), "--state", str(state)), "--state: the store is locked by another process")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert state.read_bytes() == before


def test_a_store_that_cannot_be_created_is_one_line(log: pathlib.Path) -> None:
    # /proc takes no new files, whoever runs the tests (root included)
    _one_line_failure(run_cli("audit", str(log), "--state", "/proc/clinimg-state.sqlite"), "--state: cannot open or create the store")


def test_a_read_only_directory_is_one_line(log: pathlib.Path, tmp_path: pathlib.Path) -> None:
    readonly = tmp_path / "ro"
    readonly.mkdir()
    readonly.chmod(0o555)
    try:
        if os.access(readonly, os.W_OK):
            pytest.skip("running as root: directory permissions do not apply (the /proc test covers an unwritable place)")
        _one_line_failure(run_cli("audit", str(log), "--state", str(readonly / "s.sqlite")), "--state: cannot write in its directory")
        _one_line_failure(run_cli("audit", str(log), "--output", str(readonly / "r.txt")), "--output: cannot write in its directory")
    finally:
        readonly.chmod(0o755)


def test_a_full_disk_is_one_line_and_the_store_is_rolled_back(log: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk simulated where SQLite reports it (SQLITE_FULL on a write in the run)."""
    state = tmp_path / "state.sqlite"
    first = log.read_text().splitlines()
    half = tmp_path / "first.jsonl"
    half.write_text("\n".join(first[:40]) + "\n")
    assert run_cli("audit", str(half), "--state", str(state)).code in (0, 1)
    before = sqlite3.connect(state).execute("SELECT COUNT(*), (SELECT COUNT(*) FROM runs) FROM events").fetchone()

    def full(*_args, **_kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr("checker.audit.store._insert_events", full)
    result = CliRunner().invoke(cli_module.main, ["audit", str(log), "--state", str(state), "--workers", "1"])
    assert result.exit_code == 2, result.output
    assert "clinimg: --state: no space left on device; the run was rolled back" in result.output
    assert "Traceback" not in result.output
    after = sqlite3.connect(state).execute("SELECT COUNT(*), (SELECT COUNT(*) FROM runs) FROM events").fetchone()
    assert after == before


def test_a_full_disk_for_the_report_is_one_line(log: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    report = tmp_path / "report.txt"
    report.write_text("yesterday")
    monkeypatch.setattr("checker.outputs.os.fsync", full)
    result = CliRunner().invoke(cli_module.main, ["audit", str(log), "--output", str(report), "--workers", "1"])
    monkeypatch.setattr("checker.outputs.os.fsync", real_fsync)
    assert result.exit_code == 2 and "clinimg: --output: cannot write (no space left on device); nothing was written" in result.output
    assert report.read_text() == "yesterday" and sorted(os.listdir(tmp_path)) == ["night.jsonl", "report.txt"]  # no temporary file left


@pytest.mark.parametrize("command", [["audit", "{missing}"], ["check", "{missing}"], ["validate", "{missing}"], ["policy", "bundle", "-o", "{missing}/x/b.tar.gz"]])
def test_traceback_is_accepted_after_the_subcommand(tmp_path: pathlib.Path, command: list[str]) -> None:
    args = [a.replace("{missing}", str(tmp_path / "missing")) for a in command]
    if command[0] == "validate":  # validate lists errors (exit 2) without raising: nothing to trace
        result = run_cli(*args, "--traceback")
        assert result.code == 2 and "No such option" not in result.err
        return
    result = run_cli(*args, "--traceback")
    assert result.code == 2 and "Traceback (most recent call last)" in result.err, result.err


def test_yaml_duplicate_keys_are_errors_naming_their_line(tmp_path: pathlib.Path) -> None:
    overlay = tmp_path / "h.yaml"
    overlay.write_text("hospital: x\ndeadlines:\n  record_transfer_hours: 24\n  record_transfer_hours: 48\nhospital: y\n")
    _one_line_failure(run_cli("check", str(REQUEST), "--policy-config", str(overlay)), 'h.yaml:4: $.deadlines: duplicate key "record_transfer_hours"')
    result = run_cli("validate", str(overlay))
    assert result.code == 2 and 'h.yaml:4: $.deadlines: duplicate key' in result.err


@pytest.mark.parametrize("value", ["1e309", "-1e400"])
def test_non_finite_numbers_are_refused_everywhere(tmp_path: pathlib.Path, value: str) -> None:
    text = json.dumps(GOOD, indent=2).replace('"age_years": 54', f'"age_years": {value}')
    assert value in text
    request = tmp_path / "r.json"
    request.write_text(text)
    _one_line_failure(run_cli("check", str(request)), "$.patient.age_years: number too large (not finite)")
    event_log = tmp_path / "events.jsonl"
    event_log.write_text(json.dumps(json.loads(WEEK.read_text().splitlines()[0])).replace('"age_years": 66', f'"age_years": {value}') + "\n")
    report = run_cli("audit", str(event_log), "--format", "json").json()
    assert report["invalid"][0]["reason"] == "$.patient.age_years: number too large (not finite)"
    with running_server(workers=1) as srv:
        r = requests.post(srv.url + "/v1/check", data=text.encode(), timeout=30)
        assert r.status_code == 400 and r.json()["problems"][0]["path"] == "$.patient.age_years"
    overlay = tmp_path / "h.yaml"
    overlay.write_text("quality:\n  min_resolution_mp: .inf\n")
    _one_line_failure(run_cli("check", str(REQUEST), "--policy-config", str(overlay)), "h.yaml:2: $.quality.min_resolution_mp: a number that is not finite")


def test_a_bom_is_accepted_at_the_start_of_every_entry_point(tmp_path: pathlib.Path) -> None:
    bom = b"\xef\xbb\xbf"
    request = tmp_path / "r.json"
    request.write_bytes(bom + REQUEST.read_bytes())
    assert run_cli("check", str(request)).code == 0
    assert run_cli("check", "-", stdin=(bom + REQUEST.read_bytes()).decode("utf-8")).code == 0
    events = tmp_path / "events.jsonl"
    events.write_bytes(bom + WEEK.read_bytes())
    overlay = tmp_path / "h.yaml"
    overlay.write_bytes(bom + b"hospital: X\n")
    result = run_cli("validate", str(request), str(events), str(overlay))
    assert result.code == 0, result.err
    report = run_cli("audit", str(events), "--format", "json", "--policy-config", str(overlay)).json()
    assert report["counts"]["invalid"] == 0 and report["counts"]["decided"] == len(WEEK.read_text().splitlines())
    assert run_cli("audit", "-", "--format", "json", stdin=events.read_bytes().decode("utf-8")).json()["counts"]["invalid"] == 0
    with running_server(workers=1) as srv:
        assert requests.post(srv.url + "/v1/check", data=bom + REQUEST.read_bytes(), timeout=30).status_code == 200


def test_image_errors_name_the_role_never_the_path(tmp_path: pathlib.Path) -> None:
    named = tmp_path / f"{CANARY}.jpg"
    _one_line_failure(run_cli("check", str(REQUEST), "--image", str(named)), "--image: cannot read")
    named.write_text("not an image")
    _one_line_failure(run_cli("check", str(REQUEST), "--image", str(named)), "--image: not an image")
    (tmp_path / CANARY).mkdir()
    _one_line_failure(run_cli("check", str(REQUEST), "--image", str(tmp_path / CANARY)), "--image: is a directory")
    doc = json.loads(json.dumps(GOOD))
    doc["image"]["file"] = f"{CANARY}.jpg"
    request = tmp_path / "r.json"
    request.write_text(json.dumps(doc))
    result = run_cli("check", str(request))
    _one_line_failure(result, "$.image.file: not an image")
    assert CANARY not in result.err
    doc["image"]["file"] = f"https://example.org/{CANARY}.jpg"
    request.write_text(json.dumps(doc))
    result = run_cli("check", str(request))
    _one_line_failure(result, "$.image.file: only local files")
    assert CANARY not in result.err


def test_full_temporary_space_is_one_line(log: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TMPDIR full while the invalid lines are spooled (simulated: the spool's writes fail)."""
    import builtins
    import errno

    class FullFile:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    def opening(path, mode="r", *args, **kwargs):
        handle = builtins.open(path, mode, *args, **kwargs)
        return FullFile(handle) if str(path).endswith("invalid.spool") else handle

    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(log.read_bytes() + b"not json\n")
    state = tmp_path / "state.sqlite"
    monkeypatch.setattr("checker.audit.runner.open", opening, raising=False)
    result = CliRunner().invoke(cli_module.main, ["audit", str(bad), "--state", str(state), "--workers", "1"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "clinimg: audit: no space left on device (reading a log, or writing temporary files in TMPDIR)" in result.output
    assert sqlite3.connect(state).execute("SELECT name FROM sqlite_master").fetchall() == []  # the run left nothing


def test_a_log_from_a_pipe_is_spooled_like_stdin(log: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """`clinimg audit <(zcat night.jsonl.gz)`: a log that cannot be read twice is spooled first."""
    import threading

    fifo = tmp_path / "night.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as out:
            out.write(log.read_bytes())

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    result = run_cli("audit", str(fifo), "--format", "json")
    writer.join(timeout=30)
    assert result.code in (0, 1), result.err
    assert result.json()["counts"]["read"] == len(log.read_bytes().splitlines())
