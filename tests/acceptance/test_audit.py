"""`clinimg audit` through the real CLI: the example week, accounting, formats, incremental runs,
idempotency, a real SIGKILL mid-run, cached decisions equal to deciding every event, bad input."""
from __future__ import annotations

import json
import os
import pathlib
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest
import yaml

from checker.loggen import EXPECTED_RULES, Generator
from tests.conftest import EXAMPLES, ROOT, run_cli

WEEK = EXAMPLES / "logs" / "week.jsonl"
WEEK_EXPECTED = sorted(tuple(x) for x in yaml.safe_load((EXAMPLES / "logs" / "week.expected.yaml").read_text()))


def _audit_json(*args: str) -> tuple[int, dict]:
    result = run_cli("audit", *args, "--format", "json")
    assert result.code in (0, 1), result.err
    return result.code, result.json()


def _pairs(report: dict) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["event_id"]) for f in report["findings"])


def _balanced(report: dict) -> None:
    c = report["counts"]
    assert c["read"] == c["decided"] + c["invalid"] + c["duplicate"]


def test_week_finds_exactly_the_case_studies() -> None:
    code, report = _audit_json(str(WEEK))
    assert code == 1
    assert _pairs(report) == WEEK_EXPECTED
    _balanced(report)
    assert report["counts"]["invalid"] == report["counts"]["duplicate"] == 0
    for f in report["findings"]:
        assert f["patient_id"].startswith("pt-") and f["actor_id"] and f["role"] and f["message"] and f["remedy"]


def test_week_html_is_self_contained_and_escaped(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "week.html"
    result = run_cli("audit", str(WEEK), "--format", "html", "--output", str(out))
    assert result.code == 1 and "report written" in result.err
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "storage.receiver_delete" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page and "src=" not in page


def test_junit_has_a_testcase_per_rule_in_force_and_a_failure_per_finding(tmp_path: pathlib.Path) -> None:
    """SPEC §5: a testcase per rule of the policy in force (passing when it found nothing), a
    failure per finding inside it, and testcases for invalid lines and engine errors."""
    log = _log(tmp_path, "week.jsonl", WEEK.read_text().splitlines() + ["not json"])
    result = run_cli("audit", log, "--format", "junit")
    root = ET.fromstring(result.out)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    catalogue = {r["id"] for r in run_cli("rules", "--format", "json").json()}
    assert set(cases) == catalogue | {"invalid lines", "engine errors"}
    failing = {name: c.findall("failure") for name, c in cases.items() if c.findall("failure")}
    assert len(failing["storage.transfer_to_record"]) == 2
    assert sorted((rule, f.get("message").split(":")[0]) for rule, fs in failing.items() if rule != "invalid lines" for f in fs) == WEEK_EXPECTED
    assert "invalid lines" in failing and "1 line(s)" in failing["invalid lines"][0].get("message")
    assert not cases["engine errors"].findall("error") and not list(cases["collection.emergency"])  # passing
    assert root.get("tests") == str(len(catalogue) + 2) and root.get("failures") == str(len(failing))
    assert "at 2026-11-" in failing["storage.transfer_to_record"][0].text  # the event's time


def test_junit_leaves_out_disabled_rules(tmp_path: pathlib.Path) -> None:
    overlay = tmp_path / "o.yaml"
    overlay.write_text("rules: {disabled: [quality.diagnostic]}\n")
    root = ET.fromstring(run_cli("audit", str(WEEK), "--format", "junit", "--policy-config", str(overlay)).out)
    names = {c.get("name") for c in root.iter("testcase")}
    assert "quality.diagnostic" not in names and "storage.transfer_to_record" in names


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_quiet_means_clean_an_empty_log_exits_2(tmp_path: pathlib.Path, fmt: str) -> None:
    empty = _log(tmp_path, "night.jsonl", [])
    out = tmp_path / "report"
    result = run_cli("audit", empty, "--format", fmt, "--output", str(out))
    assert result.code == 2
    assert result.err.strip().splitlines()[-1] == f"clinimg audit: nothing audited: {empty} held no event (an empty log is not a clean night)"
    assert out.exists()  # the report is still written


def test_quiet_means_clean_a_log_of_garbage_exits_2(tmp_path: pathlib.Path) -> None:
    garbage = _log(tmp_path, "night.jsonl", ["not json", '{"type": "capture"}'])
    result = run_cli("audit", garbage, "--format", "junit")
    assert result.code == 2 and "none of the 2 line(s)" in result.err and len(result.err.strip().splitlines()) == 1
    cases = {c.get("name"): c for c in ET.fromstring(result.out).iter("testcase")}
    assert cases["invalid lines"].findall("failure")


def test_a_rerun_of_duplicates_is_not_a_dead_feed(tmp_path: pathlib.Path) -> None:
    state = str(tmp_path / "s.sqlite")
    assert run_cli("audit", str(WEEK), "--state", state).code == 1
    again = run_cli("audit", str(WEEK), "--state", state)
    assert again.code == 0 and "nothing audited" not in again.err


@pytest.mark.parametrize("limit, code", [("0", 2), ("1", 1), ("0.5%", 1), ("0.1%", 2)])
def test_max_invalid(tmp_path: pathlib.Path, limit: str, code: int) -> None:
    log = _log(tmp_path, "week.jsonl", WEEK.read_text().splitlines() + ["not json"])  # 1 of 465 lines
    out = tmp_path / "r.json"
    result = run_cli("audit", log, "--max-invalid", limit, "--format", "json", "--output", str(out))
    assert result.code == code, result.err
    assert ("too many invalid lines: 1 of 465 read" in result.err) == (code == 2)
    assert json.loads(out.read_text())["counts"]["invalid"] == 1


def test_max_invalid_refuses_nonsense() -> None:
    result = run_cli("audit", str(WEEK), "--max-invalid", "lots")
    assert result.code == 2 and "--max-invalid" in result.err and "Traceback" not in result.err


def test_every_finding_carries_its_events_time(tmp_path: pathlib.Path) -> None:
    _, report = _audit_json(str(WEEK))
    times = {json.loads(line)["event_id"]: json.loads(line)["occurred_at"] for line in WEEK.read_text().splitlines()}
    for f in report["findings"]:
        # the event's time (a lifecycle finding: the event it blames, as the store keeps it, UTC)
        assert _same_instant(f["occurred_at"], times[f["event_id"]]) if f["event_id"] in times else f["occurred_at"] == report["as_of"]
    assert any(f["occurred_at"] == times[f["event_id"]] for f in report["findings"])  # as written, offset kept
    text = run_cli("audit", str(WEEK)).out
    assert all(f" at {f['occurred_at']} " in text for f in report["findings"])


def _same_instant(a: str, b: str) -> bool:
    import datetime

    parse = lambda t: datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))  # noqa: E731
    return parse(a) == parse(b)


def test_runs_are_kept_and_reports_reproduced_byte_for_byte(tmp_path: pathlib.Path) -> None:
    nights = _nights(tmp_path, 2)
    state = str(tmp_path / "s.sqlite")
    originals = {}
    for n, night in enumerate(nights, start=1):
        for fmt in ("text", "json", "junit", "html"):
            out = tmp_path / f"night{n}.{fmt}"
            state_for_format = str(tmp_path / f"{fmt}.sqlite")
            assert run_cli("audit", night, "--state", state_for_format, "--format", fmt, "--output", str(out)).code in (0, 1)
            originals[(n, fmt)] = (state_for_format, out.read_text())
        run_cli("audit", night, "--state", state)
    for (n, fmt), (state_for_format, original) in originals.items():
        again = run_cli("audit", "report", "--state", state_for_format, "--run", str(n), "--format", fmt)
        assert again.code == 0 and again.out == original, (n, fmt)
    last = run_cli("audit", "report", "--state", originals[(2, "json")][0], "--last", "--format", "json")
    assert last.out == originals[(2, "json")][1]
    runs = run_cli("audit", "runs", "--state", state, "--format", "json").json()
    assert [r["run"] for r in runs] == [1, 2]
    second = json.loads(originals[(2, "json")][1])
    assert second["findings"] and all(f["occurred_at"] for f in second["findings"])  # earlier nights' events dated too
    assert runs[1]["counts"] == second["counts"] and runs[1]["by_effect"] == second["summary"]["by_effect"]
    assert runs[1]["policy_digest"] == second["policy"]["digest"] and runs[1]["as_of"] == second["as_of"] and runs[1]["started"]
    table = run_cli("audit", "runs", "--state", state)
    assert table.code == 0 and len(table.out.splitlines()) == 3 and second["policy"]["digest"] in table.out


def test_report_of_a_missing_run_or_store_is_a_usage_error(tmp_path: pathlib.Path) -> None:
    state = str(tmp_path / "s.sqlite")
    run_cli("audit", str(WEEK), "--state", state)
    for args in (["--run", "7"], [], ["--run", "1", "--last"]):
        result = run_cli("audit", "report", "--state", state, *args)
        assert result.code == 2 and result.err.startswith("clinimg: ") and "Traceback" not in result.err
    missing = run_cli("audit", "runs", "--state", str(tmp_path / "none.sqlite"))
    assert missing.code == 2 and not (tmp_path / "none.sqlite").exists()


def test_text_report_summarises_then_lists() -> None:
    result = run_cli("audit", str(WEEK))
    assert result.code == 1
    assert result.out.splitlines()[0].startswith("clinimg audit as of 2026-11-21T")
    for heading in ("By rule:", "By effect:", "By facility:", "By role:", "Findings:"):
        assert heading in result.out


def _log(tmp_path: pathlib.Path, name: str, lines: list[str]) -> str:
    p = tmp_path / name
    p.write_text("".join(line + "\n" for line in lines))
    return str(p)


def test_bad_lines_are_counted_listed_and_quarantined(tmp_path: pathlib.Path) -> None:
    good = WEEK.read_text().splitlines()[:30]
    bad = [
        good[0][:40],  # truncated
        "\x00\x01\x02 junk",
        json.dumps({k: v for k, v in json.loads(good[1]).items() if k != "actor"}),  # missing field
        json.dumps({**json.loads(good[2]), "type": "teleport"}),  # unknown type
        json.dumps({**json.loads(good[3]), "occurred_at": "2026-11-16T10:00:00"}),  # no offset
        good[4],  # a duplicate event id
        "",  # an empty line: not an event, but still a line to account for
    ]
    p = tmp_path / "mixed.jsonl"
    p.write_bytes(("\n".join(good[:15] + bad + good[15:]) + "\n").encode() + b"\xff\xfe not utf-8\n")
    quarantine = tmp_path / "quarantine.jsonl"
    code, report = _audit_json(str(p), "--quarantine", str(quarantine))
    c = report["counts"]
    assert c == {"read": 38, "decided": 30, "invalid": 7, "duplicate": 1}
    reasons = " | ".join(x["reason"] for x in report["invalid"])
    for fragment in ("not valid JSON", "$.actor: is required", "$.type: must be one of", "$.occurred_at", "not UTF-8", "empty line"):
        assert fragment in reasons
    assert all(x["file"] == str(p) and x["line"] > 0 for x in report["invalid"])
    assert len(quarantine.read_bytes().split(b"\n")) - 1 == 7


@pytest.mark.parametrize("workers", ["1", "2"])
def test_files_out_of_order_across_files(tmp_path: pathlib.Path, workers: str) -> None:
    """Files in time order are streamed; a file that is not (found mid-way: everything the pass
    wrote is rolled back) is sorted first. Either way the same findings."""
    lines = WEEK.read_text().splitlines()
    half = len(lines) // 2
    later, earlier = _log(tmp_path, "b.jsonl", lines[half:]), _log(tmp_path, "a.jsonl", lines[:half][::-1])
    _, report = _audit_json(later, earlier, "--workers", workers)
    assert _pairs(report) == WEEK_EXPECTED
    _, in_order = _audit_json(later, _log(tmp_path, "c.jsonl", lines[:half]), "--workers", workers)
    assert _pairs(in_order) == WEEK_EXPECTED
    # Disorder only near the end of the log: the first pass had decided (and stored) most of it.
    swapped = lines[:-3] + [lines[-1], lines[-3], lines[-2]]
    state = str(tmp_path / f"state{workers}.sqlite")
    _, late = _audit_json(_log(tmp_path, "late.jsonl", swapped), "--workers", workers, "--state", state)
    assert _pairs(late) == WEEK_EXPECTED and late["counts"]["duplicate"] == 0


@pytest.mark.parametrize("workers", ["1", "2"])
def test_stdin(workers: str) -> None:
    result = run_cli("audit", "-", "--format", "json", "--workers", workers, stdin=WEEK.read_text())
    assert _pairs(result.json()) == WEEK_EXPECTED
    assert result.json()["files"] == ["<stdin>"]


def _nights(tmp_path: pathlib.Path, nights: int = 3) -> list[str]:
    gen = Generator(99, violation_rate=0.3, malformed_rate=0.01, patients=40, staff=40)
    lines = list(gen.lines(1500, span_days=float(nights)))
    per = len(lines) // nights
    return [_log(tmp_path, f"night{i}.jsonl", lines[i * per:(i + 1) * per if i < nights - 1 else None]) for i in range(nights)]


class Whole:
    """Generated nights (read-only: each test keeps its state in its own tmp_path) and the report
    of one audit over all of them in one process (--workers 1, --quarantine), made once for the
    module: the tests below compare their runs with it."""

    def __init__(self, tmp_path: pathlib.Path, nights: int) -> None:
        self.nights = _nights(tmp_path, nights)
        self.quarantine = tmp_path / "whole.quarantine"
        result = run_cli("audit", *self.nights, "--format", "json", "--workers", "1", "--quarantine", str(self.quarantine))
        assert result.code == 1, result.err
        self.out = result.out
        self.report = result.json()


@pytest.fixture(scope="module")
def three_nights(tmp_path_factory: pytest.TempPathFactory) -> Whole:
    return Whole(tmp_path_factory.mktemp("three-nights"), 3)


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory: pytest.TempPathFactory) -> Whole:
    return Whole(tmp_path_factory.mktemp("two-nights"), 2)


def test_incremental_nights_equal_one_run_over_all(tmp_path: pathlib.Path, three_nights: Whole) -> None:
    nights, whole = three_nights.nights, three_nights.report
    state = str(tmp_path / "state.sqlite")
    found, counts = [], {"read": 0, "decided": 0, "invalid": 0, "duplicate": 0}
    for night in nights:
        _, report = _audit_json(night, "--state", state)
        found += _pairs(report)
        for k in counts:
            counts[k] += report["counts"][k]
    assert sorted(found) == _pairs(whole)
    assert counts == whole["counts"]
    assert len(_pairs(whole)) > 20


def test_rerun_is_idempotent(tmp_path: pathlib.Path) -> None:
    state = str(tmp_path / "state.sqlite")
    _, first = _audit_json(str(WEEK), "--state", state)
    code, again = _audit_json(str(WEEK), "--state", state)
    assert _pairs(first) == WEEK_EXPECTED
    assert again["findings"] == [] and code == 0
    assert again["counts"] == {"read": 464, "decided": 0, "invalid": 0, "duplicate": 464}


def test_sigkill_mid_run_loses_and_doubles_nothing(tmp_path: pathlib.Path, two_nights: Whole) -> None:
    nights, whole = two_nights.nights, two_nights.report
    state = str(tmp_path / "state.sqlite")
    _audit_json(nights[0], "--state", state)
    before = sqlite3.connect(state).execute("SELECT COUNT(*) FROM events").fetchone()[0]
    proc = subprocess.Popen([sys.executable, "-m", "checker.cli", "audit", nights[1], "--state", state, "--no-cache", "--workers", "1"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.0)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    after_kill = sqlite3.connect(state).execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert after_kill == before  # the killed run committed nothing
    _, first_night = _audit_json(nights[0], "--state", str(tmp_path / "fresh.sqlite"))
    _, second = _audit_json(nights[1], "--state", state)
    assert sorted(_pairs(first_night) + _pairs(second)) == _pairs(whole)


def test_cache_gives_the_same_report_as_deciding_every_event(three_nights: Whole) -> None:
    cached = three_nights  # the log is under 1 MB: one process, as --workers 1
    fresh = run_cli("audit", *three_nights.nights, "--format", "json", "--no-cache", "--workers", "1")
    assert cached.out == fresh.out
    report = cached.report
    rules = {f["rule"] for f in report["findings"]}
    assert set().union(*EXPECTED_RULES.values()) <= rules


def test_unreadable_state_is_left_untouched(tmp_path: pathlib.Path) -> None:
    state = tmp_path / "state.sqlite"
    state.write_bytes(b"this is not a database" * 100)
    before = state.read_bytes()
    result = run_cli("audit", str(WEEK), "--state", str(state))
    assert result.code == 2 and "not a usable clinimg state store" in result.err and "Traceback" not in result.err
    assert state.read_bytes() == before


def test_missing_log_is_a_usage_error(tmp_path: pathlib.Path) -> None:
    result = run_cli("audit", str(tmp_path / "none.jsonl"))
    assert result.code == 2 and "cannot read" in result.err


def test_bad_as_of_is_a_usage_error() -> None:
    result = run_cli("audit", str(WEEK), "--as-of", "yesterday")
    assert result.code == 2 and "--as-of" in result.err


def test_as_of_moves_the_deadlines() -> None:
    _, report = _audit_json(str(WEEK), "--as-of", "2026-11-17T00:00:00+11:00")
    assert ("storage.delete_after_transfer", "cs2-record") not in _pairs(report)
    _, later = _audit_json(str(WEEK), "--as-of", "2026-11-18T00:00:00+11:00")
    assert ("storage.delete_after_transfer", "cs2-record") in _pairs(later)


def test_free_text_never_reaches_the_terminal_unescaped(tmp_path: pathlib.Path) -> None:
    event = next(json.loads(line) for line in WEEK.read_text().splitlines() if '"cs1-film"' in line)
    event["event_id"] = "evil\x1b[31m\u202eid"
    event["facility"] = "ward<script>alert(1)</script>"
    p = _log(tmp_path, "evil.jsonl", [json.dumps(event)])
    text = run_cli("audit", p).out
    assert "collection.consent_required" in text and "evil\\x1b[31m\\u202eid" in text
    assert "\x1b" not in text and "\u202e" not in text
    html = tmp_path / "r.html"
    run_cli("audit", p, "--format", "html", "--output", str(html))
    assert "<script>alert" not in html.read_text()
    # The HTML page and JUnit too (a terminal `cat`s them; a browser or CI page turns an id around
    # at U+202E): the page held them raw, JUnit the bidi override, NEL and line separator.
    event["actor"]["id"] = "stu\x85dent\u2028x"
    p = _log(tmp_path, "evil2.jsonl", [json.dumps(event)])
    run_cli("audit", p, "--format", "html", "--output", str(html))
    junit = run_cli("audit", p, "--format", "junit").out
    for shown in (html.read_text(), junit):
        assert "evil\\x1b[31m\\u202eid" in shown and "stu\\x85dent\\u2028x" in shown
        assert not any(c in shown for c in "\x1b\u202e\x85\u2028"), [c for c in "\x1b\u202e\x85\u2028" if c in shown]


@pytest.mark.parametrize("approved_by,kept", [("privacy-officer-7", False), ("student-cs1", True)])
def test_audit_honours_waivers_but_not_self_approved_ones(tmp_path: pathlib.Path, approved_by: str, kept: bool) -> None:
    overlay = tmp_path / "hospital.yaml"
    overlay.write_text(
        "hospital: Example\nwaivers:\n"
        f"  - {{rule: collection.consent_required, event_id: cs1-film, reason: review, approved_by: {approved_by}, expires: 2027-06-01}}\n"
    )
    _, report = _audit_json(str(WEEK), "--policy-config", str(overlay))
    assert (("collection.consent_required", "cs1-film") in _pairs(report)) is kept
    assert ("disclosure.non_professional", "cs1-post") in _pairs(report)


# ---------------------------------------------------------------------------------------------
# Parallel audits (checker/audit/partition.py): the same report as one process, always.


@pytest.mark.parametrize("workers", ["2", "3"])
def test_parallel_audit_gives_the_one_process_report(tmp_path: pathlib.Path, three_nights: Whole, workers: str) -> None:
    one, q_one = three_nights, three_nights.quarantine  # --workers 1, exit 1 (asserted there)
    q_par = tmp_path / "par.quarantine"
    par = run_cli("audit", *three_nights.nights, "--format", "json", "--workers", workers, "--quarantine", str(q_par))
    assert par.code == 1
    assert "one process instead" not in par.err
    assert par.out == one.out
    assert q_par.read_bytes() == q_one.read_bytes() and q_one.stat().st_size > 0
    assert one.report["counts"]["invalid"] > 0


def test_parallel_incremental_nights_equal_one_run_over_all(tmp_path: pathlib.Path, three_nights: Whole) -> None:
    nights, whole = three_nights.nights, three_nights.report
    state = str(tmp_path / "state.sqlite")
    found = []
    for night in nights:
        _, report = _audit_json(night, "--state", state, "--workers", "2")
        found += _pairs(report)
    assert sorted(found) == _pairs(whole)
    _, again = _audit_json(*nights, "--state", state, "--workers", "2")
    assert again["findings"] == [] and again["counts"]["decided"] == 0


def _partition_of(patient_id: str) -> int:
    from checker.audit.reader import partition_of

    return partition_of(patient_id, 2)


def test_an_image_under_two_patients_is_decided_in_one_process(tmp_path: pathlib.Path) -> None:
    lines = WEEK.read_text().splitlines()
    capture = next(json.loads(x) for x in lines if '"type":"capture"' in x)
    other = next(json.loads(x)["patient"] for x in lines if _partition_of(json.loads(x)["patient"]["id"]) != _partition_of(capture["patient"]["id"]))
    stray = {**capture, "event_id": "ev-stray", "type": "device_deletion", "patient": other, "device": capture["actor"]["device"],
             "occurred_at": json.loads(lines[-1])["occurred_at"]}
    for key in ("purposes", "capture_record", "circumstances"):
        stray.pop(key, None)
    stray["image"] = {"id": capture["image"]["id"]}
    log = _log(tmp_path, "stray.jsonl", lines + [json.dumps(stray, separators=(",", ":"))])
    one = run_cli("audit", log, "--format", "json", "--workers", "1")
    par = run_cli("audit", log, "--format", "json", "--workers", "2")
    assert "deciding in one process instead" in par.err
    assert par.out == one.out


def _with_stray(lines: list[str]) -> list[str]:
    """The lines and, last, an event using a capture's image under a patient of the other
    partition (of two): a partitioned run notices it and decides in one process instead."""
    capture = next(json.loads(x) for x in lines if '"type":"capture"' in x)
    other = next(json.loads(x)["patient"] for x in lines if _partition_of(json.loads(x)["patient"]["id"]) != _partition_of(capture["patient"]["id"]))
    stray = {**capture, "event_id": "ev-stray", "type": "device_deletion", "patient": other, "device": capture["actor"]["device"],
             "occurred_at": json.loads(lines[-1])["occurred_at"], "image": {"id": capture["image"]["id"]}}
    for key in ("purposes", "capture_record", "circumstances"):
        stray.pop(key, None)
    return lines + [json.dumps(stray, separators=(",", ":"))]


def test_by_default_a_log_of_a_megabyte_is_partitioned_but_not_from_stdin(tmp_path: pathlib.Path) -> None:
    """The default number of processes (session 6): one per core from 1 MB of log (a varied log
    spends milliseconds a line in its engine), one below it, and one for standard input (up to
    16 MB). The run says so when the stray event sends it back to one process."""
    import io

    from checker.audit.run import PARTITION_MIN_BYTES, usable_cores
    from checker.loggen import write_log

    if usable_cores() < 2:
        pytest.skip("one core: the default is one process whatever the size")
    text = io.StringIO()
    write_log(text, 2200, 5, malformed_rate=0)
    big = _log(tmp_path, "big.jsonl", _with_stray(text.getvalue().splitlines()))
    small = _log(tmp_path, "small.jsonl", _with_stray(WEEK.read_text().splitlines()))
    assert os.path.getsize(small) < PARTITION_MIN_BYTES <= os.path.getsize(big) < 2 * PARTITION_MIN_BYTES
    partitioned = run_cli("audit", big, "--format", "json")
    assert "deciding in one process instead" in partitioned.err
    assert "deciding in one process instead" not in run_cli("audit", small, "--format", "json").err
    piped = run_cli("audit", "-", "--format", "json", stdin=pathlib.Path(big).read_text())
    assert "deciding in one process instead" not in piped.err
    assert json.loads(piped.out)["findings"] == json.loads(partitioned.out)["findings"]


def test_an_event_id_reused_for_another_patient_is_a_duplicate_in_parallel_too(tmp_path: pathlib.Path) -> None:
    lines = WEEK.read_text().splitlines()
    first = json.loads(lines[0])
    other = next(json.loads(x)["patient"] for x in lines if _partition_of(json.loads(x)["patient"]["id"]) != _partition_of(first["patient"]["id"]))
    reused = {**first, "patient": other}
    log = _log(tmp_path, "reused.jsonl", lines[:1] + [json.dumps(reused, separators=(",", ":"))] + lines[1:])
    one = run_cli("audit", log, "--format", "json", "--workers", "1")
    par = run_cli("audit", log, "--format", "json", "--workers", "2")
    assert one.json()["counts"]["duplicate"] == 1
    assert "one event id appears for patients decided in different processes" in par.err
    assert par.out == one.out


def _children(pid: int) -> list[int]:
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _partitions(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        try:
            if b"checker.audit.partition" in pathlib.Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            continue
    return found


def test_sigkill_of_a_parallel_run_loses_nothing_and_leaves_no_process(tmp_path: pathlib.Path, two_nights: Whole) -> None:
    nights = two_nights.nights
    # A log long enough to be still running when killed (a repeated night was only duplicates and
    # finished within the second); the store must be unchanged whatever it held.
    gen = Generator(7, patients=400, staff=80)
    gen.serial = 50_000_000  # ids of its own: an id shared with the store's night would tie the partitions (a one-process rerun)
    big = _log(tmp_path, "big.jsonl", list(gen.lines(120_000, span_days=3.0)))
    state = str(tmp_path / "state.sqlite")
    _audit_json(nights[0], "--state", state, "--workers", "2")
    before = sqlite3.connect(state).execute("SELECT COUNT(*), (SELECT COUNT(*) FROM findings) FROM events").fetchone()
    proc = subprocess.Popen([sys.executable, "-m", "checker.cli", "audit", big, "--state", state, "--workers", "2"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Wait for the two partition processes (other children, such as a policy compile check, may
    # come and go first), then let them work a moment before the kill.
    deadline = time.monotonic() + 120
    while len(_partitions(proc.pid)) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(1.0)
    partitions = _partitions(proc.pid)
    assert proc.poll() is None and len(partitions) == 2, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while any(pathlib.Path(f"/proc/{p}").exists() for p in partitions) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(pathlib.Path(f"/proc/{p}").exists() for p in partitions), "a partition outlived its killed parent"
    after = sqlite3.connect(state).execute("SELECT COUNT(*), (SELECT COUNT(*) FROM findings) FROM events").fetchone()
    assert after == before
    whole = two_nights.report  # --workers 1
    _, second = _audit_json(nights[1], "--state", state, "--workers", "2")
    _, first = _audit_json(nights[0], "--state", str(tmp_path / "fresh.sqlite"), "--workers", "1")
    assert sorted(_pairs(first) + _pairs(second)) == _pairs(whole)


def test_parallel_audit_with_overlay_and_local_rules(tmp_path: pathlib.Path) -> None:
    """A hospital's overlay and own Rego (exact cache keys, no shared decisions) in partitions."""
    policy = ("--policy-config", str(EXAMPLES / "overlay" / "hospital.yaml"), "--policy-dir", str(EXAMPLES / "local_rules"))
    one = run_cli("audit", str(WEEK), "--format", "json", "--workers", "1", *policy)
    par = run_cli("audit", str(WEEK), "--format", "json", "--workers", "2", *policy)
    assert par.out == one.out and len(one.json()["findings"]) > len(WEEK_EXPECTED)


def test_relative_paths_work_from_the_callers_directory_in_a_partitioned_audit(tmp_path: pathlib.Path) -> None:
    """Partition processes start in another directory: every file argument is still taken
    relative to the caller's (issue 14: a relative log failed on logs of 16 MB or more)."""
    import shutil

    work = tmp_path / "night"
    (work / "logs").mkdir(parents=True)
    shutil.copy(WEEK, work / "logs" / "week.jsonl")
    (work / "logs" / "week.jsonl").open("a").write("not json\n")
    shutil.copy(EXAMPLES / "overlay" / "hospital.yaml", work / "hospital.yaml")
    shutil.copytree(EXAMPLES / "local_rules", work / "rules")
    policy = ("--policy-config", "hospital.yaml", "--policy-dir", "rules")
    relative = run_cli("audit", "logs/week.jsonl", "--workers", "2", "--state", "state.sqlite", "--format", "json",
                       "--output", "report.json", "--quarantine", "bad.jsonl", *policy, cwd=work)
    assert relative.code == 1, relative.err
    assert "deciding in one process instead" not in relative.err  # really partitioned
    report = json.loads((work / "report.json").read_text())
    assert report["files"] == ["logs/week.jsonl"]
    assert (work / "bad.jsonl").read_text() == "not json\n"
    assert sqlite3.connect(work / "state.sqlite").execute("SELECT COUNT(*) FROM events").fetchone()[0] == report["counts"]["decided"]
    # the partitioned run is kept like any other: listed, and its report given again byte for byte
    assert [r["run"] for r in run_cli("audit", "runs", "--state", "state.sqlite", "--format", "json", cwd=work).json()] == [1]
    again = run_cli("audit", "report", "--state", "state.sqlite", "--last", "--format", "json", "--output", "again.json", cwd=work)
    assert again.code == 0 and (work / "again.json").read_text() == (work / "report.json").read_text()
    absolute = run_cli("audit", str(work / "logs" / "week.jsonl"), "--workers", "1", "--format", "json",
                       "--policy-config", str(work / "hospital.yaml"), "--policy-dir", str(work / "rules"))
    assert _pairs(report) == _pairs(absolute.json()) and len(report["findings"]) > len(WEEK_EXPECTED)


def test_the_library_tells_its_caller_and_never_writes_to_stderr(tmp_path: pathlib.Path, capfd: pytest.CaptureFixture[str]) -> None:
    """api.audit reports progress and notices through the caller's callbacks (the CLI draws them);
    the library itself prints nothing — a service or a cron wrapper embedding it gets no noise."""
    from checker import api

    log = _log(tmp_path, "stray.jsonl", _with_stray(WEEK.read_text().splitlines()))
    read: list[int] = []
    notices: list[str] = []
    report = api.audit([log], workers=2, progress=read.append, notice=notices.append)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert any("deciding in one process instead" in n for n in notices)
    assert read and read[-1] == report.counts["read"]
