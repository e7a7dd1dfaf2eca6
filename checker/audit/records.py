"""The state's records (patients, images) in memory: read back from the store, and consents as
the state keeps them, with their short strings shared.

A varied night holds thousands of patients at once, each with every consent given in it: a
consent is ~0.4 KB as JSON and was ~2 KB as Python objects, most of it the same few words
("refused", "substitute_decision_maker", "storage"…) allocated again for every consent read
back. By the middle of a million-line night (~40 consents a patient) the records a partition
held grew its every slice (README, Performance, session 10). A record's strings are therefore
taken from one table (`compact`): equal values, the same object. Strings are immutable, so
sharing them changes no value; lists and dicts are never shared (the state replaces a list on
file, never changes it in place, but nothing here relies on that).
"""
from __future__ import annotations

import json
from typing import Any

import orjson

# Strings shared (at most this many, each at most _SHORT characters: identifiers of patients,
# images and events are short too, and one image id appears in a patient's list and in the
# consents that name it). Past the bound a string is kept as read — equal, just not shared.
MAX_SHARED = 200_000
_SHORT = 64
_SHARED: dict[str, str] = {}


def _string(text: str) -> str:
    shared = _SHARED.get(text)
    if shared is not None:
        return shared
    if len(text) <= _SHORT and len(_SHARED) < MAX_SHARED:
        _SHARED[text] = text
    return text


def compact(value: Any) -> Any:
    """`value` (JSON data) with its short strings — keys and values — taken from the shared table.
    Equal to `value`; new lists and dicts."""
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        return {_string(k): compact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def load(text: str | bytes) -> Any:
    """A record as the store keeps it (JSON text), compact. (orjson: its keys come shared
    already and it reads ~2× faster than json; json for what orjson declines — a record written
    by an older version with an integer past 64 bits, say.)"""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = json.loads(text)
    return compact(value)
