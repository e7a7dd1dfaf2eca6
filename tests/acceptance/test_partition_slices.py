"""A partition hands its pass over to a fresh image of itself every CLINIMG_PARTITION_SLICE_LINES
lines (checker/audit/partition.py: memory a varied night fragments is given back whole), and the
report is the one a pass that never stopped gives: findings, counts, invalid lines and their
quarantine, duplicates, waivers met — on a varied log in two files with invalid and repeated
lines, customised or not; on a log out of time order far into it (sorted again from the start);
and night by night with --state."""
from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from checker import api
from checker.audit import run as audit_run
from checker.loggen import write_log, write_overlay

ROOT = pathlib.Path(__file__).resolve().parents[2]
SLICE = "150"  # lines: each partition (of ~600 lines) is handed over twice or more


def _report(report: Any) -> dict[str, Any]:
    document = json.loads(json.dumps(report.as_dict(), default=list))
    document.pop("files")
    return document


def _audit(paths: list[pathlib.Path], monkeypatch: pytest.MonkeyPatch, slice_lines: str | None, slice_mb: str = "0",
           **options: Any) -> tuple[dict[str, Any], int, bytes]:
    """The report, how many processes one after another decided the partitions (in all), and
    the quarantine file. slice_mb: the memory a partition hands over from (0: lines alone)."""
    if slice_lines is None:
        monkeypatch.delenv("CLINIMG_PARTITION_SLICE_LINES", raising=False)
        monkeypatch.delenv("CLINIMG_PARTITION_SLICE_MB", raising=False)
    else:
        monkeypatch.setenv("CLINIMG_PARTITION_SLICE_LINES", slice_lines)
        monkeypatch.setenv("CLINIMG_PARTITION_SLICE_MB", slice_mb)
    slices: list[int] = []
    real = audit_run.run_partitions

    def counted(*args: Any, **kwargs: Any) -> Any:
        decided, spools, why = real(*args, **kwargs)
        assert why is None, why
        slices.append(decided.slices)
        return decided, spools, why

    monkeypatch.setattr(audit_run, "run_partitions", counted)
    quarantine = paths[0].parent / f"quarantine-{slice_lines}.jsonl"
    report = api.audit([str(p) for p in paths], workers=2, quarantine=str(quarantine), **options)
    assert len(slices) == 1
    return _report(report), slices[0], quarantine.read_bytes()


@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[pathlib.Path], Any]:
    """A varied night in two files (alternate lines: both in time order), with invalid lines and
    a repeated event id among them."""
    tmp = tmp_path_factory.mktemp("slices")
    whole = tmp / "whole.jsonl"
    with open(whole, "w") as fh:
        gen = write_log(fh, 1200, 13, diverse=True)  # (seed 13: its waivers meet findings in several slices)
    lines = whole.read_text().splitlines(keepends=True)
    lines.insert(700, "{not json\n")
    lines.insert(1000, lines[800])  # the same event again: a duplicate
    files = [tmp / "ward-a.jsonl", tmp / "ward-b.jsonl"]
    files[0].write_text("".join(lines[0::2]))
    files[1].write_text("".join(lines[1::2]))
    return files, gen


@pytest.mark.parametrize("customised", [False, True], ids=["shipped", "own rules and waivers"])
def test_handed_over_partitions_give_the_report_of_one_pass(varied: tuple[list[pathlib.Path], Any], customised: bool,
                                                            monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    files, gen = varied
    options: dict[str, Any] = {}
    if customised:
        write_overlay(str(tmp_path / "overlay.yaml"), gen)
        options = {"policy_config": tmp_path / "overlay.yaml", "policy_dirs": [ROOT / "examples" / "local_rules"]}
    whole, whole_slices, whole_quarantine = _audit(files, monkeypatch, None, **options)
    sliced, slices, quarantine = _audit(files, monkeypatch, SLICE, **options)
    assert whole_slices == 2  # (one process a partition)
    assert slices >= 5, slices  # handed over, more than once in a partition
    assert whole["counts"]["invalid"] >= 1 and whole["counts"]["duplicate"] >= 1 and len(whole["findings"]) > 500
    if customised:
        assert len(whole["waivers"]) >= 3
    assert sliced == whole
    assert quarantine == whole_quarantine


def test_a_partition_hands_over_only_once_its_memory_is_high(varied: tuple[list[pathlib.Path], Any],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """By default a partition hands over at a place to stop only once its resident memory has
    reached partition.SLICE_MB: a dull log's small partition goes on in one process (handing over
    cost it CPU for nothing), one past the threshold hands over as before — the same report."""
    files, _ = varied
    whole, _, _ = _audit(files, monkeypatch, None)
    low, low_slices, _ = _audit(files, monkeypatch, SLICE, slice_mb="100000")
    high, high_slices, _ = _audit(files, monkeypatch, SLICE, slice_mb="1")
    assert low_slices == 2  # one process a partition: never that high
    assert high_slices >= 5, high_slices  # always that high: handed over at every place to stop
    assert low == whole and high == whole


def test_a_log_out_of_order_after_a_handover_is_sorted_from_the_start(varied: tuple[list[pathlib.Path], Any],
                                                                      monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    lines = varied[0][0].read_text().splitlines(keepends=True)
    lines[500], lines[505] = lines[505], lines[500]  # far past the first slice of either partition
    late = tmp_path / "late.jsonl"
    late.write_text("".join(lines))
    whole, _, _ = _audit([late], monkeypatch, None)
    sliced, _, _ = _audit([late], monkeypatch, SLICE)
    assert sliced == whole
    assert whole["counts"]["read"] == len(lines)


def test_handed_over_partitions_night_by_night(varied: tuple[list[pathlib.Path], Any], monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    lines = varied[0][0].read_text().splitlines(keepends=True)
    nights = [tmp_path / "night1.jsonl", tmp_path / "night2.jsonl"]
    nights[0].write_text("".join(lines[:300]))
    nights[1].write_text("".join(lines[300:]))
    reports: dict[str | None, list[dict[str, Any]]] = {}
    for slice_lines in (None, SLICE):
        state = tmp_path / f"state-{slice_lines}.sqlite"
        reports[slice_lines] = [_audit([night], monkeypatch, slice_lines, state=str(state))[0] for night in nights]
        for report in reports[slice_lines]:
            report["policy"].pop("previous_digest", None)
    assert reports[SLICE] == reports[None]
    assert reports[None][1]["findings"]


def test_a_partition_process_says_nothing_on_stderr_but_its_own() -> None:
    """Each partition (and each fresh image of one, at a handover) runs partition.PROCESS_MODULE.
    Running partition.py itself with -m executed it twice (the package imports it), and Python's
    RuntimeWarning then opened every partition's stderr — what a dead partition's report quotes.
    With no configuration on stdin (its parent gone) it ends quietly."""
    import subprocess
    import sys

    from checker.audit import partition

    ended = subprocess.run([sys.executable, "-m", partition.PROCESS_MODULE], input=b"", capture_output=True, cwd=ROOT, timeout=120)
    assert (ended.returncode, ended.stderr) == (1, b"")


def test_the_shared_decisions_are_removed_before_the_states_are_merged(varied: tuple[list[pathlib.Path], Any],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """TMPDIR's peak is the merge, which copies every partition's findings and states into the
    store: the decisions the partitions shared (hundreds of MB on a varied million-line night)
    are no longer needed by then and must be gone — yet they were there while the partitions
    decided (the check can fail)."""
    from checker.audit import partition

    seen: list[tuple[bool, int]] = []
    real_merge, real_events = partition.merge_state, partition.merge_events

    def shared_file(paths: list[str]) -> str:
        return partition.shared_decisions_path(str(pathlib.Path(paths[0]).parent))

    def merge_events(store: Any, paths: list[str]) -> Any:
        shared = pathlib.Path(shared_file(paths))
        seen.append((shared.exists(), shared.stat().st_size if shared.exists() else 0))
        return real_events(store, paths)

    def merge_state(store: Any, paths: list[str]) -> Any:
        seen.append((pathlib.Path(shared_file(paths)).exists(), 0))
        return real_merge(store, paths)

    monkeypatch.setattr(partition, "merge_events", merge_events)
    monkeypatch.setattr(partition, "merge_state", merge_state)
    monkeypatch.delenv("CLINIMG_PARTITION_SLICE_LINES", raising=False)
    report = api.audit([str(p) for p in varied[0]], workers=2)
    assert report.counts["decided"] > 0
    (while_deciding, size), (at_merge, _) = seen
    assert while_deciding and size > 0  # the partitions did share decisions
    assert not at_merge
