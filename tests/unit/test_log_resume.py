"""A streamed pass handed over to a fresh process (runner._Slicer, LogSet.ordered(start=…))
gives every line once, in the order one uninterrupted stream gives them — whatever the slice
size, with lines of one instant (given in event_id order, not file order), invalid lines (given
as soon as they are read, ahead of the instant held before them), several files merged, a byte
order mark, and a partition's share of the lines."""
from __future__ import annotations

import codecs
import json
import pathlib

import pytest

from checker.audit.reader import LogSet, OutOfOrder
from checker.audit.runner import _Slicer


def _line(eid: str, at: str, patient: str = "pt-1") -> str:
    return json.dumps({"event_id": eid, "occurred_at": at, "type": "capture", "patient": {"id": patient}}, separators=(",", ":"))


def _log(seed: int) -> list[str]:
    """Lines in time order with ties (event ids out of file order), invalid lines among them
    (between instants and inside one), and several patients."""
    lines = []
    minute = 0
    for i in range(60):
        if i % 4 != 3:
            minute += 1
        at = f"2026-11-01T10:{minute:02d}:00Z"
        eid = f"ev-{(seed * 7919 + i * 104729) % 1000:03d}-{i}"
        lines.append(_line(eid, at, patient=f"pt-{(i * seed) % 5}"))
        if (i + seed) % 9 == 0:
            lines.append("{not json")
        if (i + seed) % 13 == 0:
            lines.append("")
    return lines


def _files(tmp_path: pathlib.Path, count: int) -> list[str]:
    paths = []
    for k in range(count):
        path = tmp_path / f"log{k}.jsonl"
        text = "\n".join(_log(k + 1)) + "\n"
        data = (codecs.BOM_UTF8 if k == 0 else b"") + text.encode()
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def _whole(paths: list[str], partition: tuple[int, int] | None) -> list[tuple[str, int, bytes]]:
    logs = LogSet(paths, partition=partition)
    try:
        return [(line.file, line.line, line.raw) for line in logs.ordered()]
    finally:
        logs.close()


def _sliced(paths: list[str], partition: tuple[int, int] | None, limit: int) -> tuple[list[tuple[str, int, bytes]], int]:
    given: list[tuple[str, int, bytes]] = []
    positions = None
    slices = 0
    while True:
        logs = LogSet(paths, partition=partition)  # a fresh process opens the logs again
        try:
            starts = positions if positions is not None else logs.start_positions()
            slicer = _Slicer(logs.ordered(start=positions), limit, starts)
            given += [(line.file, line.line, line.raw) for line in slicer]
        finally:
            logs.close()
        slices += 1
        assert slices < 200, "the slices do not get through the log"
        if slicer.positions is None:
            return given, slices
        positions = slicer.positions


@pytest.mark.parametrize("files", [1, 3])
@pytest.mark.parametrize("partition", [None, (0, 2), (1, 2)])
def test_every_slice_size_gives_the_lines_of_one_stream(tmp_path: pathlib.Path, files: int, partition: tuple[int, int] | None) -> None:
    paths = _files(tmp_path, files)
    whole = _whole(paths, partition)
    assert len(whole) > 15
    if partition is None or partition[0] == 0:  # (lines without a patient go to partition 0)
        assert any(raw == b"{not json" for _, _, raw in whole)
    handed_over = 0
    for limit in range(1, len(whole) + 2):
        given, slices = _sliced(paths, partition, limit)
        assert given == whole, f"slices of {limit} line(s)"
        handed_over += slices - 1
    assert handed_over > len(whole)  # (small slices were really handed over, many times)


def test_a_slice_never_ends_inside_an_instant(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ties.jsonl"
    path.write_text("\n".join([_line("ev-b", "2026-11-01T10:00:00Z"), _line("ev-a", "2026-11-01T10:00:00Z"),
                               _line("ev-c", "2026-11-01T10:01:00Z")]) + "\n")
    logs = LogSet([str(path)])
    slicer = _Slicer(logs.ordered(), 1, logs.start_positions())
    assert [line.raw for line in slicer] == [path.read_text().splitlines()[1].encode(), path.read_text().splitlines()[0].encode()]
    logs.close()
    assert slicer.positions is not None and slicer.positions[0].number == 3


def test_out_of_order_after_a_handover_is_still_found(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "late.jsonl"
    # (the stream reads one line ahead: the first slice reads lines 1-3, in order)
    path.write_text("\n".join([_line("ev-1", "2026-11-01T10:00:00Z"), _line("ev-2", "2026-11-01T10:05:00Z"),
                               _line("ev-3", "2026-11-01T10:06:00Z"), _line("ev-4", "2026-11-01T10:03:00Z")]) + "\n")
    logs = LogSet([str(path)])
    slicer = _Slicer(logs.ordered(), 1, logs.start_positions())
    list(slicer)
    logs.close()
    assert slicer.positions is not None
    logs = LogSet([str(path)])
    with pytest.raises(OutOfOrder):
        list(logs.ordered(start=slicer.positions))
    logs.close()
