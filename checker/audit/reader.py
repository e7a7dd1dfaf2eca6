"""Reading event logs: every line accounted for, in time order, in bounded memory.

Pass 1 reads each file's raw lines once, taking only a sort key — (occurred_at, event_id), pulled
out with a regular expression — and where the line starts. If every file is already in time order
(the usual case) the files are merged as streams; otherwise the keys (not the events) are sorted
in a temporary SQLite table. Pass 2 reads the lines in that order (re-read by offset), and parses and
schema-checks each one. Memory holds a key per file, never the events.
"""
from __future__ import annotations

import codecs
import dataclasses
import functools
import heapq
import json
import os
import pathlib
import re
import sqlite3
import sys
import tempfile
import zlib
from typing import Any, Iterator

import orjson

from .. import schemas
from ..errors import CheckerError
from ..jsonload import JSONProblem, compressed_as, json_path, loads, utf16_hint
from .state import parse_ns

_OCCURRED = re.compile(rb'"occurred_at"\s*:\s*"([^"\\]{10,40})"')
_EVENT_ID = re.compile(rb'"event_id"\s*:\s*"((?:[^"\\]|\\.){0,200})"')
# The patient a line is about, for routing it to its partition (checker/audit/partition.py). Only
# a hint: a line is routed by what this finds (or to partition 0), and the partition checks the
# parsed patient id; a line routed wrongly makes the run fall back to one process, never a wrong
# answer.
_PATIENT = re.compile(rb'"patient"\s*:\s*\{[^{}]*?"id"\s*:\s*"([^"\\]{1,200})"')
MAX_LINE_BYTES = 1024 * 1024


_READ_LIMIT = MAX_LINE_BYTES + 2  # enough to tell a line of MAX_LINE_BYTES (and \r\n) from a longer one


# A carriage return not followed by a line feed: a line end of its own (old Mac OS, some
# exports). JSON never holds one raw inside a string, so it can only end a line (or be spacing).
_LONE_CR = re.compile(rb"\r(?!\n)")
_ANY_LINE_END = re.compile(rb"\r\n|\n|\r")
_BLOCK = 1 << 16


def first_line(handle: Any) -> bytes | None:
    """The first line of a binary file that is not blank, split as physical_lines splits them,
    without its byte order mark and spacing; None when there is none. (What a file holds is told
    by it: an event log, a decision log.)"""
    for raw, _ in physical_lines(handle):
        line = raw.strip().removeprefix(codecs.BOM_UTF8).strip()
        if line:
            return line
    return None


def physical_lines(handle: Any, limit: int = _READ_LIMIT) -> Iterator[tuple[bytes, int]]:
    """(line with its line end, the bytes it takes in the file) of a binary file from where it
    stands; a line ends at \\n, \\r\\n or a lone \\r (as Python's universal newlines, or an editor,
    count lines). A line longer than MAX_LINE_BYTES is given as its first _READ_LIMIT bytes
    (invalid: too long) and the rest is skipped, never held: a log of one 2 GB line (or
    /dev/zero) does not take 2 GB. Lines are read with readline (\\n) until a lone \\r shows up;
    the rest of that file is then split on every line end (a log written with \\r alone had been
    one giant invalid line: every event in it lost). `limit`: another reader's _READ_LIMIT (FHIR
    NDJSON holds resources of up to 16 MiB a line)."""
    for raw in iter(functools.partial(handle.readline, limit), b""):
        if len(raw) < limit or raw[-1] == 10:  # (10: b"\n") a whole line
            lone = _LONE_CR.search(raw) if 13 in raw else None  # (13: b"\r")
            if lone is None or lone.end() == len(raw):  # (a \r ending the file ends its last line)
                yield raw, len(raw)
                continue
        # A lone \r inside, or a line longer than the limit (which may hold lone \r's)
        yield from _split_on_every_line_end(handle, raw, limit)
        return


def _split_on_every_line_end(handle: Any, buffer: bytes, limit: int) -> Iterator[tuple[bytes, int]]:
    """physical_lines from `buffer` (read already) and the rest of the file, every line end counted."""
    start, at_end = 0, False
    overlong: bytes | None = None  # the head of an overlong line whose end is being looked for
    skipped = 0  # the bytes of that line so far
    while True:
        end = _ANY_LINE_END.search(buffer, start)
        if end is not None and end.group() == b"\r" and end.end() == len(buffer) and not at_end:
            end = None  # the \r may be the first half of a \r\n: read on
        if end is not None:
            if overlong is not None:
                yield overlong, skipped + end.end() - start
                overlong, skipped = None, 0
            else:
                line = buffer[start:end.end()]
                yield line, len(line)
            start = end.end()
            continue
        if overlong is None and len(buffer) - start > limit:
            overlong = buffer[start:start + limit]
        if overlong is not None:  # keep only what may hold the line end (a \r waiting for its \n)
            keep = 1 if buffer.endswith(b"\r") else 0
            skipped += len(buffer) - start - keep
            start = len(buffer) - keep
        if at_end:
            if overlong is not None:
                yield overlong, skipped + len(buffer) - start
            elif start < len(buffer):
                yield buffer[start:], len(buffer) - start
            return
        more = handle.read(_BLOCK)
        at_end = not more
        buffer, start = buffer[start:] + more, 0


def document_hint(raw: bytes, number: int) -> str:
    """Why the first line of a file is not JSON when the file is one JSON document written over
    many lines (a pretty-printed request, an array of events): every line of it is invalid, and
    the reasons ("Expecting value") never said why."""
    if number == 1 and raw.removeprefix(codecs.BOM_UTF8).strip() in (b"[", b"{"):
        return (": the file looks like one JSON document over many lines, not JSON Lines — a log holds one event a line "
                "(`clinimg check` reads one request)")
    return ""


def not_an_object_reason(doc: Any) -> str:
    """The reason for a line that is JSON but not an object: an array of events says so."""
    if isinstance(doc, list):
        return "$: an event must be a JSON object (this line holds an array: a log holds one event a line, not an array of them)"
    return "$: an event must be a JSON object"


class OutOfOrder(Exception):
    """A log line earlier than one before it in the same file: the logs must be sorted first."""

    def __init__(self, file: str, line: int) -> None:
        super().__init__(f"{file}:{line}: earlier than a line before it")


@dataclasses.dataclass(slots=True)  # (not frozen: a frozen dataclass is slow to make, and there is one a line)
class LogLine:
    file: str
    line: int
    raw: bytes
    # Where the line is, for a pass that hands its work over to a fresh process (runner.py,
    # _Slicer): the index of its file, its place among the lines this reader gives of that file
    # (1, 2, …: in a partition, its own lines), the offset just after it, and its time (-1: none
    # readable). A sorted pass (never handed over) leaves them 0 and -1.
    index: int = 0
    seq: int = 0
    end: int = 0
    ns: int = -1


@dataclasses.dataclass(frozen=True)
class FilePosition:
    """Where a streamed pass takes up one log file again in a fresh process: read from `offset`
    (the start of physical line `number`), skipping the lines numbered in `skip` (invalid lines
    the stream gave out ahead of their place, already decided), checking time order against
    `last_ns` (the time of the last line before `offset` that had one; -1: none)."""

    offset: int
    number: int
    last_ns: int = -1
    skip: frozenset[int] = frozenset()

    def as_list(self) -> list[Any]:
        return [self.offset, self.number, self.last_ns, sorted(self.skip)]

    @classmethod
    def from_list(cls, fields: list[Any]) -> "FilePosition":
        offset, number, last_ns, skip = fields
        return cls(int(offset), int(number), int(last_ns), frozenset(int(n) for n in skip))


@dataclasses.dataclass(frozen=True)
class InputProblem:
    file: str
    line: int
    reason: str
    raw: bytes

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "reason": self.reason}


@dataclasses.dataclass(slots=True)
class Event:
    file: str
    line: int
    doc: dict[str, Any]
    occurred_ns: int
    # (shape, identifier and time values in the order the line holds them), for lines that have
    # a shape: a cheap, exact cache key of the event's part of its decision (engines/canon.py).
    fast: tuple[bytes, list[bytes]] | None = None


def partition_of(patient_id: str, partitions: int) -> int:
    """The partition that owns a patient's events (stable across processes and runs)."""
    return zlib.crc32(patient_id.encode("utf-8")) % partitions if partitions > 1 else 0


def _routed_partition(raw: bytes, partitions: int) -> int:
    start = raw.find(b'"patient":{"id":"', 0, 4096)  # compact JSON, as loggers write it
    if start >= 0:
        end = raw.find(b'"', start + 17, start + 17 + 201)
        if end > start + 17:
            return zlib.crc32(raw[start + 17:end]) % partitions
    m = _PATIENT.search(raw, 0, 4096)
    return zlib.crc32(m.group(1)) % partitions if m else 0


_NS_RANGE = range(-(2**63), 2**63)  # what SQLite's INTEGER (the sort table's ns) holds


def _ns(raw: bytes) -> int:
    """The line's time for ordering (-1: none found, or one no instant holds; the line is then
    invalid, and reported as such, wherever it sorts)."""
    ns = _raw_ns(raw)
    return ns if ns in _NS_RANGE else -1


_QUOTED_KEYS = {"occurred_at": b'"occurred_at"', "event_id": b'"event_id"'}


def _top_level(raw: bytes, pattern: re.Pattern[bytes], key: str) -> bytes | str | None:
    """The event's own `key` (a top-level string) as the line writes it: the match of `pattern`
    when the line names the key once and has no \\u escape (which could spell it another way);
    else from parsing the whole line (a str; None: not JSON, or no such string).

    An event may carry further properties, and they may nest a key of the same name — and the
    event's own may come after 4096 bytes (an image path of 4096 characters): taking the first
    match within 4096 bytes put such an event out of its place in time (first of all when the log
    was sorted, in its file position when streamed), and the state it was decided on depended
    on which of the two the log happened to need."""
    if b"\\u" not in raw and raw.count(_QUOTED_KEYS[key]) == 1:
        found = pattern.search(raw)
        if found is not None:
            return found.group(1)
    if len(raw) > MAX_LINE_BYTES:
        return None  # (invalid as too long, whatever it holds)
    try:
        doc = orjson.loads(raw.removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError:
        return None
    value = doc.get(key) if isinstance(doc, dict) else None
    return value if isinstance(value, str) else None


def _raw_ns(raw: bytes) -> int:
    value = _top_level(raw, _OCCURRED, "occurred_at")
    if value is None:
        return -1
    try:
        return parse_ns(value if isinstance(value, str) else value.decode("ascii"))
    except (ValueError, UnicodeDecodeError, OverflowError, IndexError):
        return -1


def _eid(raw: bytes) -> str:
    value = _top_level(raw, _EVENT_ID, "event_id")
    if value is None:
        return ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _spooled(stream: Any) -> Any:
    """A temporary file holding what `stream` gives (it cannot be read twice)."""
    spool = tempfile.NamedTemporaryFile(prefix="clinimg-stdin-")
    while chunk := stream.read(1 << 20):
        spool.write(chunk)
    spool.flush()
    return spool


class LogSet:
    """The input files; stdin is spooled to a temporary file first (it cannot be re-read).

    Read with plain buffered I/O (not mmap): a mapped 500 MB log would count in the audit's
    resident memory as it is read."""

    def __init__(self, paths: list[str], *, partition: tuple[int, int] | None = None, names: list[str] | None = None) -> None:
        """partition (k, n): only the lines routed to partition k of n (the others are another
        process's); every line belongs to exactly one partition. names: what the report calls
        each path (a partition reads the parent's stdin spool as "<stdin>")."""
        self.partition = partition if partition is not None and partition[1] > 1 else None
        if self.partition is not None and self.partition[1] > 255:
            raise CheckerError("at most 255 partitions")
        self._routed: dict[int, bytearray] = {}
        if not paths:
            raise CheckerError("no event log given (a path, or - for standard input)")
        self.names: list[str] = []
        self.paths: list[str] = []  # where each file can be opened again (stdin: its spool)
        self.stdin = "-" in paths  # (the parent's stdin; a partition reads its spool by path)
        self._files: list[Any] = []
        for index, path in enumerate(paths):
            if path == "-":
                spool = _spooled(sys.stdin.buffer)
                handle, name, real = spool, "<stdin>", spool.name
            else:
                p = pathlib.Path(path)
                try:
                    if p.is_dir():
                        raise CheckerError(f"{p}: is a directory, not an event log")
                    handle = open(p, "rb")
                    if not handle.seekable():  # a pipe (`<(zcat log.gz)`): read twice, so spooled like stdin
                        with handle:
                            handle = _spooled(handle)
                        real = handle.name
                    else:
                        real = os.path.abspath(p)
                except OSError as exc:
                    raise CheckerError(f"{p}: cannot read ({exc.strerror or type(exc).__name__})") from None
                # The report names the file as the user gave it; the partitions (which start in
                # another directory) open it by its absolute path.
                name = str(p)
            handle.seek(0)
            packed = compressed_as(handle.read(8))
            handle.seek(0)
            if packed:
                # Read as lines, its bytes were dozens of "not UTF-8" lines, and the day's events
                # none of them decided while the run's exit status spoke only of the other logs.
                shown = names[index] if names else name
                example = f" (e.g. zcat {shown} | clinimg audit -)" if packed.startswith("gzip") and path != "-" else ""
                raise CheckerError(f"{shown}: the event log is {packed}, not JSON Lines: decompress it first{example}; nothing was audited")
            self._files.append(handle)
            self.names.append(names[index] if names else name)
            self.paths.append(real)

    def close(self) -> None:
        for f in self._files:
            f.close()

    def start_positions(self) -> list[FilePosition]:
        """Where a streamed pass starts in each file (after a byte order mark)."""
        points = []
        for handle in self._files:
            handle.seek(0)
            points.append(FilePosition(len(codecs.BOM_UTF8) if handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8 else 0, 1))
        return points

    def _raw_lines(self, index: int, start: FilePosition | None = None) -> Iterator[tuple[int, int, int, bytes]]:
        """(line number, byte offset, offset after it, raw line without its newline) of one file,
        from the start or from `start` (a pass taken up by a fresh process)."""
        handle = self._files[index]
        if start is None:
            handle.seek(0)
            # A UTF-8 byte order mark opens some files (as `check` and `validate` accept): not
            # part of the first line.
            offset = len(codecs.BOM_UTF8) if handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8 else 0
            first, skip = 1, frozenset()
        else:
            offset, first, skip = start.offset, start.number, start.skip
        handle.seek(offset)
        if self.partition is None:
            for number, (raw, size) in enumerate(physical_lines(handle), start=first):
                if not skip or number not in skip:
                    yield number, offset, offset + size, raw.rstrip(b"\n")
                offset += size
            return
        mine, partitions = self.partition
        # The first pass routes every line and remembers which are this partition's (a byte a
        # line); a second pass (sorting a log found out of order) reads that instead. (A pass
        # taken up in the middle of a file routes what it reads and remembers nothing: its
        # second pass, if any, starts from the beginning.)
        routed = self._routed.get(index) if start is None else None
        if routed is None:
            routed = bytearray()
            for number, (raw, size) in enumerate(physical_lines(handle), start=first):
                part = _routed_partition(raw, partitions)
                routed.append(part)
                if part == mine and (not skip or number not in skip):
                    yield number, offset, offset + size, raw.rstrip(b"\n")
                offset += size
            if start is None:
                self._routed[index] = routed
            return
        for number, (raw, size) in enumerate(physical_lines(handle), start=1):
            if routed[number - 1] == mine:
                yield number, offset, offset + size, raw.rstrip(b"\n")
            offset += size

    def ordered(self, *, sort: bool = False, start: list[FilePosition] | None = None) -> Iterator[LogLine]:
        """Every line of every file, in (occurred_at, event_id) order.

        Logs are usually written in time order, so by default each file is streamed as it is
        (lines of the same instant put in event_id order, files merged) and checked on the way:
        the first line earlier than one before it raises OutOfOrder, and the caller starts again
        with sort=True, which sorts the keys on disk first (one extra pass).
        start: a streamed pass taken up where an earlier process left it, one position a file."""
        if sort:
            yield from self._sorted_by_sqlite()
            return
        if len(self._files) == 1:
            yield from self._single_stream(start[0] if start else None)
            return
        merged = heapq.merge(*(self._keyed_stream(i, start[i] if start else None) for i in range(len(self._files))))
        names = self.names
        for ns, _, i, number, raw, seq, end in merged:
            yield LogLine(names[i], number, raw[:-1] if raw.endswith(b"\r") else raw, i, seq, end, ns)

    def _single_stream(self, start: FilePosition | None = None) -> Iterator[LogLine]:
        """The usual case, one file, in time order (or OutOfOrder), lines of the same instant in
        event_id order — read only for such ties. The loop every line of a nightly log goes
        through: it makes the LogLines itself, and a list only for lines that tie."""
        name = self.names[0]
        last = start.last_ns if start is not None else -1
        # the line before (number, raw, place, end), given out once the next differs
        held_ns, held = -2, (0, b"", 0, 0)
        ties: list[tuple[int, bytes, int, int]] | None = None  # …or the lines of its instant so far
        seq = 0

        def tied(group: list[tuple[int, bytes, int, int]], ns: int) -> Iterator[LogLine]:
            for _, number, raw, place, end in sorted((_eid(r), n, r, q, e) for n, r, q, e in group):
                yield LogLine(name, number, raw[:-1] if raw.endswith(b"\r") else raw, 0, place, end, ns)

        for number, _, end, raw in self._raw_lines(0, start):
            seq += 1
            ns = _ns(raw)
            if ns < 0:
                # Invalid whatever its place: given out at once, so it never parts the lines of
                # one instant (which would then be decided in file order, not event_id order).
                yield LogLine(name, number, raw[:-1] if raw.endswith(b"\r") else raw, 0, seq, end, -1)
                continue
            if ns < last:
                raise OutOfOrder(name, number)
            last = ns
            if ns == held_ns:
                if ties is None:
                    ties = [held]
                ties.append((number, raw, seq, end))
                continue
            if ties is not None:
                yield from tied(ties, held_ns)
                ties = None
            elif held_ns != -2:
                held_raw = held[1]
                yield LogLine(name, held[0], held_raw[:-1] if held_raw.endswith(b"\r") else held_raw, 0, held[2], held[3], held_ns)
            held_ns, held = ns, (number, raw, seq, end)
        if ties is not None:
            yield from tied(ties, held_ns)
        elif held_ns != -2:
            held_raw = held[1]
            yield LogLine(name, held[0], held_raw[:-1] if held_raw.endswith(b"\r") else held_raw, 0, held[2], held[3], held_ns)

    def _keyed_stream(self, i: int, start: FilePosition | None = None) -> Iterator[tuple[int, str, int, int, bytes, int, int]]:
        """One file of several, in time order (or OutOfOrder), keyed for merging with the others:
        (time, event_id, file, line, raw, place, end). A line without a readable time keeps its
        place (it is invalid, and reported)."""
        group: list[tuple[int, str, int, int, bytes, int, int]] = []
        last = start.last_ns if start is not None else -1
        seq = 0
        for number, _, end, raw in self._raw_lines(i, start):
            seq += 1
            ns = _ns(raw)
            if ns < 0:  # invalid: given out at once, never parting the lines of one instant
                yield (-1, "", i, number, raw, seq, end)
                continue
            if ns < last:
                raise OutOfOrder(self.names[i], number)
            last = ns
            if group and ns != group[0][0]:
                yield from sorted(group)
                group = []
            group.append((ns, _eid(raw), i, number, raw, seq, end))
        yield from sorted(group)

    def _sorted_by_sqlite(self) -> Iterator[LogLine]:
        """Out-of-order logs: the keys (never the events) are sorted on disk; lines re-read by offset."""
        with tempfile.TemporaryDirectory(prefix="clinimg-sort-") as tmp:
            db = sqlite3.connect(os.path.join(tmp, "keys.sqlite"))
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            db.execute("CREATE TABLE k (ns INTEGER, eid TEXT, f INTEGER, line INTEGER, s INTEGER, n INTEGER)")
            for i in range(len(self._files)):
                db.executemany(
                    "INSERT INTO k VALUES (?,?,?,?,?,?)",
                    ((_ns(raw), _eid(raw), i, number, offset, len(raw)) for number, offset, _, raw in self._raw_lines(i)),
                )
            db.commit()
            for f, number, offset, length in db.execute("SELECT f, line, s, n FROM k ORDER BY ns, eid, f, line"):
                yield self._logline(f, number, os.pread(self._files[f].fileno(), length, offset))
            db.close()

    def _logline(self, i: int, number: int, raw: bytes) -> LogLine:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        return LogLine(self.names[i], number, raw)


# The only dates the timestamp pattern accepts that a calendar may not have (the pattern allows
# 29 February in any year; schemas.is_date_time checks it): lines holding it are checked whole.
_MAYBE_NO_SUCH_DAY = b"-02-29"


class EventParser:
    """Parse and schema-check one log line. A line is an Event or an InputProblem, never lost.

    The schema check is the expensive step; documents that differ only in identifiers and times
    share a shape, so a valid shape is remembered (identifiers and times are checked on their own).
    """

    def __init__(self) -> None:
        self._shapes = ShapeReader()
        self._valid_shapes: set[bytes] = set()
        # Schema-invalid shapes and why: the reason comes from the parts a shape keeps verbatim
        # (blanked values are valid by construction), so it is the same for the whole shape.
        self._invalid_shapes: dict[bytes, str] = {}

    def parse(self, line: LogLine) -> Event | InputProblem:
        if line.raw[:3] == codecs.BOM_UTF8:
            # Logs joined with `cat` from files that each began with a byte order mark (Notepad,
            # PowerShell's Out-File): the mark opens a line in the middle. Not part of the event,
            # as at the start of the file — such lines were every one invalid. (An invalid one
            # is still quarantined verbatim, mark and all.)
            found = self._parse(LogLine(line.file, line.line, line.raw[3:]))
            return dataclasses.replace(found, raw=line.raw) if isinstance(found, InputProblem) else found
        return self._parse(line)

    def _parse(self, line: LogLine) -> Event | InputProblem:
        raw = line.raw
        if not raw.strip():
            return InputProblem(line.file, line.line, "empty line (no event)", raw)
        if len(raw) > MAX_LINE_BYTES:
            return InputProblem(line.file, line.line, "line longer than 1 MiB", raw)
        fast = self._shapes.read(raw)
        shape = fast[0] if fast is not None else None
        if shape is not None and _MAYBE_NO_SUCH_DAY in raw:
            # A time blanked in the shape passed the schema's pattern, which lets 29 February
            # through in every year: only this line's full check can tell (the format check) —
            # the shape's verdict, either way, is not this line's.
            shape = None
        doc = None
        if shape is not None and shape in self._valid_shapes:
            # A line of a shape already proven valid — strict JSON (no duplicate keys, NaN or deep
            # nesting: those live in the shape, which keeps every key and structure verbatim) and
            # schema-valid — needs only a plain parser, which still rejects what is not JSON or
            # not UTF-8 (then the strict path below says why). orjson: 2–3× json's speed here.
            try:
                doc = orjson.loads(raw)
            except orjson.JSONDecodeError:
                doc = None
        if doc is None:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                hint = utf16_hint(raw) if line.line == 1 else ""
                return InputProblem(line.file, line.line, f"not UTF-8 (byte {exc.start}){hint}", raw)
            try:
                doc = loads(text)
            except JSONProblem as exc:
                return InputProblem(line.file, line.line, f"{exc.path}: {exc.reason}{document_hint(raw, line.line)}", raw)
            if not isinstance(doc, dict):
                return InputProblem(line.file, line.line, not_an_object_reason(doc), raw)
            problem = self._schema_problem(doc, shape)
            if problem:
                return InputProblem(line.file, line.line, problem, raw)
        try:
            ns = parse_ns(doc["occurred_at"])
        except (ValueError, OverflowError):
            return InputProblem(line.file, line.line, "$.occurred_at: is not a valid date-time", raw)
        return Event(line.file, line.line, schemas.upper_case_times(doc), ns, fast)

    def _schema_problem(self, doc: dict[str, Any], shape: bytes | None) -> str | None:
        if shape is not None and shape in self._invalid_shapes:
            return self._invalid_shapes[shape]
        problems = schemas.problems("event", doc)
        if problems:
            p = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            reason = f"{json_path(p.path)}: {p.constraint}{more}"
            if shape is not None and len(self._invalid_shapes) < 20_000:
                self._invalid_shapes[shape] = reason
            return reason
        # (bounded for memory: on a varied log nearly every line is a new shape, seen once)
        if shape is not None and len(self._valid_shapes) < 20_000:
            self._valid_shapes.add(shape)
        return None


_DEFS = json.loads((schemas.SCHEMA_DIR / "defs.schema.json").read_text(encoding="utf-8"))["$defs"]
# The schema's own timestamp pattern, unanchored, so the shortcut accepts exactly what it accepts.
# (every other month's days are exact in the pattern: February's 29 is the one a calendar decides)
assert "|02-(0[1-9]|1[0-9]|2[0-9]))[Tt]" in _DEFS["timestamp"]["pattern"]
_TS = _DEFS["timestamp"]["pattern"].removeprefix("^").removesuffix("$(?!\\n)").removesuffix("$").encode()
# An id: 1-200 characters (no escapes, so raw length = length), one of them a letter or digit — a
# blank one stays in the shape (canon keeps blank capture_record values: capture_details sees them)
# — and no space or tab first or last (the schema's $defs/id refuses them: such a line must meet
# the full check, never a shape an unpadded id made valid).
_ID = rb'"(?=[^"]*[0-9A-Za-z])(?![ \t])[^"\\]{1,200}(?<![ \t])"'


assert _DEFS["patient"]["properties"]["age_years"] == {"type": "number", "minimum": 0, "maximum": 130}
_ID_KEYS = ("id", "event_id", "related_event_id", "capture_event_id", "record_transfer_event_id", "who", "reported_to", "facility", "intended_recipient")
_TIME_KEYS = ("occurred_at", "as_of", "when")
_ID_LIST_KEYS = ("image_ids", "patient_image_ids", "images_produced")
_FILE = rb'"[^"\\]{0,4096}"'  # image.file: a path or URI of up to 4096 characters
assert _DEFS["image"]["properties"]["file"] == {"type": "string", "maxLength": 4096, "description": _DEFS["image"]["properties"]["file"]["description"]}
_AGE = rb"(?:(?:[0-9]|[1-9][0-9]|1[0-2][0-9])(?:\.[0-9]{1,6})?|130(?:\.0{1,6})?)(?=[,}])"


def _alternatives(keys: tuple[str, ...]) -> bytes:
    return b"|".join(k.encode() for k in keys)


# The schema's time pattern has groups of its own; here it must not add any (see _VALUED_KEYS).
_TS_NO_GROUPS = re.sub(rb"\((?!\?)", b"(?:", _TS)
# One pass finds every valid value of those keys: group 1 is the key (a look-ahead checks that its
# value is one the schema accepts there), group 2 the value — a string with its quotes, a list, or
# an age. re.split then gives text, key, value, text, key, value, …, text in C.
_VALUED_KEYS = re.compile(
    rb'("(?:' + _alternatives(_ID_KEYS) + rb')":(?=' + _ID + rb')'
    + rb'|"(?:' + _alternatives(_TIME_KEYS) + rb')":(?="' + _TS_NO_GROUPS + rb'")'
    + rb'|"(?:' + _alternatives(_ID_LIST_KEYS) + rb')":(?=\[(?:' + _ID + rb'(?:,' + _ID + rb')*)?\])'
    + rb'|"age_years":(?=' + _AGE + rb')'
    + rb'|"file":(?=' + _FILE + rb'))'
    # (a list as the look-ahead read it: an id may hold "]")
    + rb'("[^"]*"|\[(?:' + _ID + rb'(?:,' + _ID + rb')*)?\]|[0-9.]+)'
)
assert _VALUED_KEYS.groups == 2
_STRING = re.compile(rb'"[^"]*"')


def shape_and_values(raw: bytes) -> tuple[bytes, list[bytes]] | None:
    """(shape, values) of a compact JSON line (as loggers write it); None: no shortcut, check fully.

    The shape is the line with every valid identifier, time, id list and age replaced by a NUL
    byte (which no JSON text holds raw) — keys, structure and every other value verbatim — and,
    when it holds id lists, their lengths after a final NUL. Only values the schema accepts at
    their key are blanked (an id of 1–200 characters, a time the schema's own pattern accepts, an
    age in its range); anything else stays in the shape as it is. So two lines with the same shape
    are equally valid, and once one of a shape has passed the full schema check the others need
    not.

    The values are what was blanked, in line order, strings with their quotes, id lists spread
    into their strings: with the shape, their pattern of equalities is all a canonical key can
    depend on (engines/canon.py, Canonicalizer.fast_key)."""
    if b"\\" in raw or b'": ' in raw:
        return None
    _, shape, values = _split(raw)
    return _with_lists(raw, shape, values)


def _split(raw: bytes) -> tuple[list[bytes], bytes, list[bytes]]:
    """(text, key, value, …, text), the shape, the values."""
    parts = _VALUED_KEYS.split(raw)
    values = parts[2::3]
    blanked = parts.copy()
    blanked[2::3] = [b"\0"] * len(values)
    return parts, b"".join(blanked), values


def _with_lists(raw: bytes, shape: bytes, values: list[bytes]) -> tuple[bytes, list[bytes]]:
    if b'_ids":[' not in raw and b'_produced":[' not in raw:
        return shape, values
    return _spread_lists(shape, values)


def _spread_lists(shape: bytes, values: list[bytes]) -> tuple[bytes, list[bytes]]:
    spread: list[bytes] = []
    lengths: list[bytes] = []
    for value in values:
        if value[:1] == b"[":
            strings = _STRING.findall(value)
            lengths.append(b"%d" % len(strings))
            spread.extend(strings)
        else:
            spread.append(value)
    if not lengths:  # "_ids":[ was somewhere else than a blanked value
        return shape, values
    return shape + b"\0" + b",".join(lengths), spread


def event_shape(raw: bytes) -> bytes | None:
    """The shape alone (shape_and_values)."""
    found = shape_and_values(raw)
    return found[0] if found is not None else None


# What each blankable key's value must look like, captured — exactly the span _VALUED_KEYS takes.
_SLOT = {
    **{b'"%s":' % k.encode(): b"(" + _ID + b")" for k in _ID_KEYS},
    **{b'"%s":' % k.encode(): b'("' + _TS_NO_GROUPS + b'")' for k in _TIME_KEYS},
    **{b'"%s":' % k.encode(): rb"(\[(?:" + _ID + rb"(?:," + _ID + rb")*)?\])" for k in _ID_LIST_KEYS},
    b'"age_years":': b"(" + _AGE + b")",
    b'"file":': b"(" + _FILE + b")",
}


def _matched(template: tuple[re.Pattern[bytes], bytes, bool], match: re.Match[bytes]) -> tuple[bytes, list[bytes]]:
    """(shape, values) of a line a template matched."""
    values = list(match.groups())
    return _spread_lists(template[1], values) if template[2] else (template[1], values)


class ShapeReader:
    """shape_and_values, faster for the shapes a log keeps repeating.

    A shape seen often becomes a template: a regular expression that is the shape's text verbatim
    with each blanked value replaced by the pattern of a valid value for its key. A line the
    template matches whole has that shape, and the template's groups are its values — one linear
    match instead of trying every key at every quote. The template that last matched a line of the
    same key count and length is tried first, then those of the same key count, most used first;
    a line no template matches takes the general path.
    The result is always the one shape_and_values gives (tests/unit/test_shapes.py)."""

    TEMPLATE_AFTER = 8  # sightings of a shape before it gets a template (compiling one: ~1 ms)
    MAX_TEMPLATES = 1024

    def __init__(self) -> None:
        # count of '":' in the line → [(template, shape, has id lists)], most used first
        self._templates: dict[int, list[tuple[re.Pattern[bytes], bytes, bool]]] = {}
        self._last_by_size: dict[int, tuple[re.Pattern[bytes], bytes, bool]] = {}
        self._sightings: dict[int, int] = {}
        self._count = 0

    def read(self, raw: bytes) -> tuple[bytes, list[bytes]] | None:
        if b"\\" in raw or b'": ' in raw:
            return None
        keys = raw.count(b'":')
        # Lines of one shape often have one length too (ids of a fixed width): the template that
        # last matched a line of this length and key count is tried first.
        size = (keys << 32) | len(raw)
        last = self._last_by_size.get(size)
        if last is not None:
            match = last[0].fullmatch(raw)
            if match is not None:
                return _matched(last, match)
        candidates = self._templates.get(keys)
        if candidates is not None:
            for i, entry in enumerate(candidates):
                match = entry[0].fullmatch(raw)
                if match is not None:
                    if i:  # move up one place: the list settles into most-used-first order
                        candidates[i - 1], candidates[i] = entry, candidates[i - 1]
                    if len(self._last_by_size) < 100_000:
                        self._last_by_size[size] = entry
                    return _matched(entry, match)
        parts, shape, values = _split(raw)
        if self._count < self.MAX_TEMPLATES:
            self._learn(keys, parts, shape, values)
        return _with_lists(raw, shape, values)

    def _learn(self, keys: int, parts: list[bytes], shape: bytes, values: list[bytes]) -> None:
        texts, names = parts[0::3], parts[1::3]
        # Counted by hash (a line may be long, and most shapes of a free-text log are seen once);
        # two shapes sharing one only make a template a little early.
        shape_hash = hash(shape)
        seen = self._sightings.get(shape_hash, 0) + 1
        if seen < self.TEMPLATE_AFTER:
            if len(self._sightings) < 100_000:
                self._sightings[shape_hash] = seen
            return
        del self._sightings[shape_hash]
        pattern = re.escape(texts[0]) + b"".join(re.escape(n) + _SLOT[n] + re.escape(t) for n, t in zip(names, texts[1:]))
        has_lists = any(v[:1] == b"[" for v in values)
        self._templates.setdefault(keys, []).append((re.compile(pattern), shape, has_lists))
        self._count += 1
