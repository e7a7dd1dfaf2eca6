"""Hostile text for the fuzz test and scripts/fuzz.py: a seeded generator of requests and log lines
carrying lone surrogates, NUL, control and bidi characters, byte order marks and the like, in
string values, keys and times, written escaped (\\uXXXX) or raw (UTF-8 bytes, surrogates and all).
"""
from __future__ import annotations

import json
import random
from typing import Any, Iterator

# Each class: characters that have broken (or could break) a store, an engine, a report or a terminal.
CLASSES: dict[str, list[str]] = {
    "surrogate": ["\udfff", "\ud800", "\udbff", "\udc00", "\ud83d"],  # lone halves
    "nul": ["\x00"],
    "control": ["\x01", "\x07", "\x08", "\x1b[31m", "\x1b]0;title\x07", "\r", "\n", "\t", "\x7f", "\x85", "\x9b"],
    "bidi": ["\u202e", "\u202d", "\u2066", "\u2067", "\u2069", "\u200f", "\u061c"],
    "bom": ["\ufeff"],
    "other": ["\uffff", "\ufffe", "\u2028", "\u2029", "\U0010ffff", "\U0001f600", "\u0301"],
}
CANARY = "Canary-Patient-Name"


def nodes(doc: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(JSON path, value) of the document and of everything inside it, parents first."""
    yield path, doc
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from nodes(value, path + (key,))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from nodes(value, path + (index,))


def _strings(doc: Any) -> Iterator[tuple[Any, ...]]:
    return (path for path, value in nodes(doc) if isinstance(value, str))


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


def encode(doc: Any, mode: str) -> bytes:
    """escaped: ASCII JSON with \\u escapes; raw: UTF-8 with surrogates as their (invalid) bytes;
    compact: raw without spaces (the audit's fast path)."""
    if mode == "escaped":
        return json.dumps(doc, ensure_ascii=True).encode("ascii")
    separators = (",", ":") if mode == "compact" else (", ", ": ")
    return json.dumps(doc, ensure_ascii=False, separators=separators).encode("utf-8", "surrogatepass")


def mutate(doc: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    """(class, a copy of doc with hostile text in one string, or in a new key)."""
    out = json.loads(json.dumps(doc))
    cls = rng.choice(sorted(CLASSES))
    bad = rng.choice(CLASSES[cls])
    paths = list(_strings(out))
    if rng.random() < 0.15 or not paths:
        target: Any = out
        if rng.random() < 0.5 and isinstance(out.get("image"), dict):
            target = out["image"]
        target[f"x{bad}k"] = CANARY
        return cls, out
    path = rng.choice(paths)
    value = out
    for part in path:
        value = value[part]
    where = rng.randrange(len(value) + 1)
    _set(out, path, value[:where] + bad + (CANARY if rng.random() < 0.3 else "") + value[where:])
    return cls, out


def hostile_lines(docs: list[dict[str, Any]], count: int, seed: int) -> Iterator[tuple[str, bytes]]:
    """(class, encoded document) pairs: mutated documents, and now and then a BOM before one."""
    rng = random.Random(seed)
    for _ in range(count):
        cls, doc = mutate(rng.choice(docs), rng)
        data = encode(doc, rng.choice(["escaped", "raw", "compact"]))
        if rng.random() < 0.05:
            cls, data = "bom", b"\xef\xbb\xbf" + data
        yield cls, data
