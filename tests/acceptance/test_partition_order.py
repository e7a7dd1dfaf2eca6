"""A parallel audit of a log that is out of time order only after its first few thousand lines
(a FHIR Bulk export's scratch log, grouped by resource type, is such a log) gives the one-process
report. It used not to: the partitions' scratch stores ran without a journal, so undoing the
streamed pass (to decide again, sorted) was undefined — events came back as duplicates."""
from __future__ import annotations

import pathlib

from checker.loggen import Generator
from tests.conftest import run_cli

N_EVENTS = 12_000


def test_late_out_of_order_log_in_two_processes_equals_one(tmp_path: pathlib.Path) -> None:
    lines = [line + "\n" for line in Generator(11, malformed_rate=0.0).lines(N_EVENTS)]
    late = tmp_path / "late.jsonl"
    late.write_text("".join(lines[2000:] + lines[:2000]))
    one = run_cli("audit", str(late), "--format", "json", "--workers", "1")
    two = run_cli("audit", str(late), "--format", "json", "--workers", "2")
    assert one.out and two.out, (one.err, two.err)
    assert two.json()["counts"] == one.json()["counts"] and one.json()["counts"]["duplicate"] == 0
    assert two.json()["findings"] == one.json()["findings"]
