"""An audit's findings without holding them all in memory.

A night of a million varied events makes about two million findings: ~2 GB as Python dicts, over
1 GB as a JSON report. So a pass keeps only their tally (FindingTally: the counts every report and
the exit code need), the store keeps the findings themselves (it must anyway: a finding is made
once across runs), and the report reads this run's back, in report order, from a spool file
(FindingsFile) — one finding in memory at a time while a report is written.
"""
from __future__ import annotations

import os
import tempfile
import zlib
from typing import Any, Iterator

import orjson

from ..errors import CheckerError
from .finding_dictionary import DICTIONARIES

GROUPS = ("by_rule", "by_effect", "by_facility", "by_role")


# -- a finding as the store keeps it -----------------------------------------------------------
# A varied night makes ~2 million findings of ~590 bytes of JSON each, kept in the run's store,
# in each partition's scratch database until the merge, and spooled for the report: ~3.7 GB of
# TMPDIR at the end of a million lines (README, Performance). Findings share most of their text —
# keys, rule ids, guide headings, remedies, the words of messages — so each is packed alone with
# raw deflate and a preset dictionary of that text (finding_dictionary.py): one finding can still
# be read, looked up or merged on its own. A packed finding starts with its dictionary's number;
# a store written before holds text, read as it is. A dictionary once shipped never changes (a
# store keeps findings for years): a better one ships under a new number.
PACK_WITH = max(DICTIONARIES)
# Setting a dictionary up costs more than packing a finding with it: each finding is packed by a
# copy of a packer that has it (~40 µs a finding; ~80 s CPU over a million-line night's findings).
# A 16 KiB window holds the 8 KiB dictionary and a finding; level 6 packs ~20% smaller than 1.
_packers: dict[int, Any] = {}
_unpackers: dict[int, Any] = {}


def pack(text: bytes) -> bytes:
    """A finding's JSON text (sorted keys, compact) as the store keeps it."""
    base = _packers.get(PACK_WITH)
    if base is None:
        base = _packers[PACK_WITH] = zlib.compressobj(6, zlib.DEFLATED, -14, zdict=DICTIONARIES[PACK_WITH])
    packer = base.copy()
    return bytes((PACK_WITH,)) + packer.compress(text) + packer.flush()


def unpack(stored: str | bytes) -> bytes:
    """A finding's JSON text from what the store keeps (packed, or text from before packing)."""
    if isinstance(stored, str):
        return stored.encode("utf-8")
    number = stored[0] if stored else None
    base = _unpackers.get(number) if number is not None else None
    if base is None:
        if number not in DICTIONARIES:  # fail closed: a finding this version cannot read is never skipped
            raise CheckerError("audit: the store holds findings this version of clinimg cannot read (written by a newer one?); nothing was committed")
        base = _unpackers[number] = zlib.decompressobj(-15, zdict=DICTIONARIES[number])
    unpacker = base.copy()
    try:
        text = unpacker.decompress(stored[1:]) + unpacker.flush()
    except zlib.error:
        text = None
    if text is None or not unpacker.eof:
        raise CheckerError("audit: a finding in the store is damaged (it cannot be unpacked); nothing was committed")
    return text


class FindingTally:
    """Counts of findings by rule, effect, facility and role, and by rule and effect (the trend
    across runs): what the summary, the exit code and JUnit's header need."""

    def __init__(self) -> None:
        self.total = 0
        self.groups: dict[str, dict[str, int]] = {g: {} for g in GROUPS}
        self.rule_effect: dict[str, dict[str, int]] = {}

    def add(self, finding: dict[str, Any]) -> None:
        self.total += 1
        for group, key in zip(GROUPS, (finding["rule"], finding["effect"], finding.get("facility") or "unknown", finding.get("role") or "unknown")):
            counts = self.groups[group]
            counts[key] = counts.get(key, 0) + 1
        by_effect = self.rule_effect.setdefault(finding["rule"], {})
        by_effect[finding["effect"]] = by_effect.get(finding["effect"], 0) + 1

    def merge(self, other: "FindingTally") -> None:
        self.total += other.total
        for group in GROUPS:
            mine = self.groups[group]
            for key, n in other.groups[group].items():
                mine[key] = mine.get(key, 0) + n
        for rule, effects in other.rule_effect.items():
            mine = self.rule_effect.setdefault(rule, {})
            for effect, n in effects.items():
                mine[effect] = mine.get(effect, 0) + n

    @property
    def has_deny(self) -> bool:
        return self.groups["by_effect"].get("deny", 0) > 0

    def summary(self) -> dict[str, dict[str, int]]:
        return {g: dict(sorted(self.groups[g].items())) for g in GROUPS}

    def by_rule_effect(self) -> dict[str, dict[str, int]]:
        return {rule: dict(sorted(v.items())) for rule, v in sorted(self.rule_effect.items())}

    # (a partition sends its tally to the parent as JSON)
    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "groups": self.groups, "rule_effect": self.rule_effect}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FindingTally":
        tally = cls()
        tally.total = data["total"]
        tally.groups = {g: dict(data["groups"][g]) for g in GROUPS}
        tally.rule_effect = {rule: dict(v) for rule, v in data["rule_effect"].items()}
        return tally

    @classmethod
    def of(cls, findings: Any) -> "FindingTally":
        tally = cls()
        for f in findings:
            tally.add(f)
        return tally


class FindingsFile:
    """A run's findings in report order, one JSON document a line in a file of its own; iterated
    afresh each time (reports may read them more than once), counted without reading. The file
    is removed with close() or when the object goes."""

    def __init__(self, rows: Any, directory: str | None = None) -> None:
        """rows: the findings' JSON texts (sorted keys), in report order."""
        self._unlink = os.unlink  # (kept: close() may run at interpreter exit)
        fd, self.path = tempfile.mkstemp(prefix="clinimg-findings-", suffix=".jsonl.z", dir=directory)
        count = 0
        # One deflate stream (findings in report order repeat each other: ~1/10 of the text; it
        # is TMPDIR a varied night fills), read back in order, a block at a time.
        packer = zlib.compressobj(1)
        with os.fdopen(fd, "wb") as out:
            for text in rows:
                out.write(packer.compress(text.encode("utf-8") if isinstance(text, str) else text))
                out.write(packer.compress(b"\n"))
                count += 1
            out.write(packer.flush())
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for text in self.texts():
            yield orjson.loads(text)

    def texts(self) -> Iterator[bytes]:
        """Each finding's JSON text (sorted keys, compact), as the store keeps it."""
        unpacker = zlib.decompressobj()
        rest = b""
        with open(self.path, "rb") as fh:
            while block := fh.read(1 << 16):
                lines = (rest + unpacker.decompress(block)).split(b"\n")
                rest = lines.pop()
                yield from lines
        lines = (rest + unpacker.flush()).split(b"\n")
        if lines.pop() or not unpacker.eof:  # every finding ends with a line feed, the stream whole
            raise CheckerError("audit: the report's findings spool (TMPDIR) was cut short; nothing was committed")
        yield from lines

    def close(self) -> None:
        try:
            self._unlink(self.path)
        except Exception:  # gone already; or at interpreter exit, when a finaliser must not raise
            pass

    def __del__(self) -> None:
        self.close()


# -- a report document as JSON, its findings streamed ------------------------------------------
# The same bytes as orjson.dumps of the whole document (sorted keys; indented by two, or compact):
# the document is dumped with a placeholder for its findings, which are then written one by one
# where the placeholder stands.


def json_chunks(document: dict[str, Any], *, indent: bool) -> Iterator[bytes]:
    """The document as JSON (orjson, sorted keys), in pieces; raises what orjson raises."""
    findings = document.get("findings")
    if isinstance(findings, list):
        yield orjson.dumps(document, option=_options(indent))
        return
    placeholder = f"\x00findings-{os.urandom(16).hex()}\x00"
    skeleton = orjson.dumps({**document, "findings": placeholder}, option=_options(indent))
    # Only the top level's "findings" key can hold the placeholder: a JSON string's quotes inside a
    # value are escaped, so this exact text is the key and its value, and it occurs once.
    marker = b'"findings": ' if indent else b'"findings":'
    marker += orjson.dumps(placeholder)
    head, tail = skeleton.split(marker, 1)
    yield head + marker[: marker.index(b":") + 1] + (b" " if indent else b"")
    if not findings:
        yield b"[]"
    elif indent:
        first = True
        for f in findings:
            text = orjson.dumps(f, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).replace(b"\n", b"\n    ")
            yield (b"[\n    " if first else b",\n    ") + text
            first = False
        yield b"\n  ]"
    else:
        first = True
        texts = findings.texts() if isinstance(findings, FindingsFile) else (orjson.dumps(f, option=orjson.OPT_SORT_KEYS) for f in findings)
        for text in texts:
            yield (b"[" if first else b",") + text
            first = False
        yield b"]"
    yield tail


def _options(indent: bool) -> int:
    return orjson.OPT_SORT_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
