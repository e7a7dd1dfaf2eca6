"""Metamorphic relations of the audit: HOW a log is audited never changes WHAT is found.

One small diverse log (checker.loggen --diverse) with waivers on findings (lifecycle findings
first), expiring on days spread over the log (so a waiver's expiry falls between an event and the
end of the run, as it does in a hospital), audited once as the reference; then the same log

- in two processes, and without the decision cache;
- as three nights with --state, split mid-lifecycle, a night re-run (nothing new found);
- in chunks of 7 lines instead of 4096 (runner.BATCH);
- shuffled (the sorted path) and split over two files;
- one patient's lines alone, with the reference's --as-of (other patients change nothing);
- with --as-of given as the latest event (the default).

Each must give the same findings (and counts, engine errors) as the reference. Faults this class
of test found: an image deleted from the record never reviewed (commit 65ad739), a closed
lifecycle judged at whatever time its review ran, expired waivers never expiring on regopy
(tests/acceptance/test_audit_waiver_time.py).
"""
from __future__ import annotations

import collections
import io
import json
import pathlib
import random
import re
from typing import Any

import pytest
import yaml

import checker.audit.runner as runner
from checker import api, loggen
from tests.conftest import run_cli

LIFECYCLE_RULES = ("storage.transfer_to_record", "storage.delete_after_transfer", "storage.receiver_delete", "disclosure.breach_unreported")


def waivers_spread(findings: list[dict[str, Any]], most: int = 24) -> list[dict[str, str]]:
    """Waivers on findings of a run without them — the lifecycle rules' first, then others —
    expiring on days from 17 to 27 November (the generated log runs 16–26 November), so that
    some expire between the event they name and the end of the run."""
    chosen = sorted({(f["rule"], f["event_id"]) for f in findings}, key=lambda k: (k[0] not in LIFECYCLE_RULES, k[1], k[0]))
    chosen = [k for i, k in enumerate(chosen) if k[0] in LIFECYCLE_RULES or i % 7 == 0][:most]
    return [{"rule": rule, "event_id": event_id, "reason": "metamorphic test", "approved_by": "privacy-officer-9",
             "expires": f"2026-11-{17 + n % 11:02d}"} for n, (rule, event_id) in enumerate(chosen)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("metamorphic")
    buf = io.StringIO()
    loggen.write_log(buf, 240, seed=31, diverse=True)
    lines = buf.getvalue().splitlines(keepends=True)
    log = tmp / "log.jsonl"
    log.write_text("".join(lines))
    overlay = tmp / "waivers.yaml"
    unwaived = api.audit([str(log)], workers=1).findings
    overlay.write_text(yaml.safe_dump({"waivers": waivers_spread(unwaived)}))
    reference = _audit(log, "--policy-config", str(overlay))
    assert reference["counts"]["decided"] > 200 and len(reference["findings"]) > 100
    return {"tmp": tmp, "lines": lines, "log": log, "overlay": overlay, "reference": reference}


def _audit(*args: Any) -> dict[str, Any]:
    result = run_cli("audit", *map(str, args), "--format", "json")
    assert result.code in (0, 1), result.err
    return result.json()


def _findings(findings: list[dict[str, Any]]) -> collections.Counter:
    return collections.Counter(json.dumps(f, sort_keys=True) for f in findings)


def _same(reference: dict[str, Any], other: dict[str, Any], *, counts: bool = True) -> None:
    assert _findings(other["findings"]) == _findings(reference["findings"])
    assert [e["event_id"] for e in other["engine_errors"]] == [e["event_id"] for e in reference["engine_errors"]]
    if counts:
        assert other["counts"] == reference["counts"]
        assert len(other["invalid"]) == len(reference["invalid"])


@pytest.mark.parametrize("extra", [("--workers", "2"), ("--no-cache",)], ids=["two-processes", "no-cache"])
def test_processes_and_cache(world: dict[str, Any], extra: tuple[str, ...]) -> None:
    _same(world["reference"], _audit(world["log"], "--policy-config", world["overlay"], *extra))


def test_nightly_slices_and_a_night_run_twice(world: dict[str, Any]) -> None:
    lines, tmp = world["lines"], world["tmp"]
    state = tmp / "nights.sqlite"
    cuts = [0, 81, 163, len(lines)]  # arbitrary lines: lifecycles run across the nights
    findings: list[dict[str, Any]] = []
    counts: collections.Counter = collections.Counter()
    for n in range(3):
        night = tmp / f"night{n}.jsonl"
        night.write_text("".join(lines[cuts[n]:cuts[n + 1]]))
        report = _audit(night, "--policy-config", world["overlay"], "--state", state)
        findings += report["findings"]
        counts.update(report["counts"])
        if n == 1:  # the night run again: every event a duplicate, nothing new found
            again = _audit(night, "--policy-config", world["overlay"], "--state", state)
            assert again["findings"] == [] and again["counts"]["decided"] == 0
            assert again["counts"]["duplicate"] == report["counts"]["decided"]
    _same(world["reference"], {"findings": findings, "engine_errors": [], "counts": dict(counts), "invalid": []}, counts=False)
    assert dict(counts) == world["reference"]["counts"]


def test_chunk_size(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "BATCH", 7)
    report = api.audit([str(world["log"])], policy_config=world["overlay"], workers=1)
    _same(world["reference"], {"findings": list(report.findings), "engine_errors": report.engine_errors, "counts": report.counts,
                               "invalid": report.invalid})


def test_shuffled_over_two_files(world: dict[str, Any]) -> None:
    lines = world["lines"][:]
    random.Random(5).shuffle(lines)  # out of time order: each file is sorted on disk
    one, two = world["tmp"] / "a.jsonl", world["tmp"] / "b.jsonl"
    one.write_text("".join(lines[::2]))
    two.write_text("".join(lines[1::2]))
    _same(world["reference"], _audit(one, two, "--policy-config", world["overlay"]))


def test_other_patients_change_nothing(world: dict[str, Any]) -> None:
    by_patient: dict[str, list[str]] = collections.defaultdict(list)
    for line in world["lines"]:
        m = re.search(r'"patient":\{"id":"([^"]+)"', line)
        if m:
            by_patient[m.group(1)].append(line)
    # Two patients with the most lines (the longest lifecycles, waived or not).
    for patient in sorted(by_patient, key=lambda p: (-len(by_patient[p]), p))[:2]:
        alone = world["tmp"] / f"{patient}.jsonl"
        alone.write_text("".join(by_patient[patient]))
        report = _audit(alone, "--policy-config", world["overlay"], "--as-of", world["reference"]["as_of"])
        mine = [f for f in world["reference"]["findings"] if f["patient_id"] == patient]
        assert mine and _findings(report["findings"]) == _findings(mine)


def test_as_of_the_latest_event_is_the_default(world: dict[str, Any]) -> None:
    _same(world["reference"], _audit(world["log"], "--policy-config", world["overlay"], "--as-of", world["reference"]["as_of"]))
