"""audit/reader.physical_lines: every line end counts (\n, \r\n, a lone \r), every byte is in
exactly one line, an overlong line is cut and its rest skipped — whatever the block boundaries."""
from __future__ import annotations

import io
import random

import pytest

from checker.audit import reader
from checker.audit.reader import MAX_LINE_BYTES, physical_lines


def _lines(data: bytes) -> list[tuple[bytes, int]]:
    return list(physical_lines(io.BytesIO(data)))


@pytest.mark.parametrize("data, expected", [
    (b"a\nb\n", [b"a\n", b"b\n"]),
    (b"a\r\nb\r\n", [b"a\r\n", b"b\r\n"]),
    (b"a\rb\rc", [b"a\r", b"b\r", b"c"]),
    (b"a\rb\r", [b"a\r", b"b\r"]),
    (b"a\nb\rc\r\nd\n\re", [b"a\n", b"b\r", b"c\r\n", b"d\n", b"\r", b"e"]),
    (b"a\r", [b"a\r"]),
    (b"a\r\r\nb", [b"a\r", b"\r\n", b"b"]),
])
def test_every_line_end_counts(data: bytes, expected: list[bytes]) -> None:
    assert [(raw, len(raw)) for raw in expected] == _lines(data)


def test_a_cr_and_its_lf_split_across_blocks_end_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "_BLOCK", 3)
    data = b"ab\rcd\r\nef\rg"
    got = _lines(data)
    assert [raw for raw, _ in got] == [b"ab\r", b"cd\r\n", b"ef\r", b"g"]


def test_overlong_lines_are_cut_and_their_bytes_counted_in_cr_logs() -> None:
    long = b"x" * (MAX_LINE_BYTES * 2 + 5)
    data = b"a\r" + long + b"\rb\r" + long + b"\r\nc"
    got = _lines(data)
    assert [len(raw) > MAX_LINE_BYTES for raw, _ in got] == [False, True, False, True, False]
    assert [size for _, size in got] == [2, len(long) + 1, 2, len(long) + 2, 1]
    assert sum(size for _, size in got) == len(data)
    # an overlong first line (no lone \r before it) is followed by the \r lines after it
    got = _lines(long + b"\ra\rb\n")
    assert [raw for raw, _ in got][1:] == [b"a\r", b"b\n"] and got[0][1] == len(long) + 1


def test_random_logs_split_like_universal_newlines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "_BLOCK", 7)
    rng = random.Random(9)
    for _ in range(300):
        data = bytes(rng.choice(b"ab\r\n") for _ in range(rng.randrange(40)))
        got = _lines(data)
        assert b"".join(raw for raw, _ in got) == data
        universal = io.StringIO(data.decode(), newline=None).read().split("\n")
        if universal[-1] == "":
            universal.pop()
        assert [raw.rstrip(b"\r\n").decode() for raw, _ in got] == universal
