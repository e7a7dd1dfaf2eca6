"""schemas.valid_verdict, the schema compiled into Python checks, says "valid" exactly when
jsonschema does — on generated events and requests and on thousands of mutations of them (a key
removed or added, a value of another JSON type, a string out of its enum or pattern or length,
numbers out of range or integral floats, bad dates) — and gives up on what it does not know."""
from __future__ import annotations

import copy
import io
import json
import random

import pytest

from checker import schemas
from checker.loggen import write_log
from tests.hostile import nodes

ODD_VALUES = [None, True, False, 0, 1, 1.0, 1.5, -1, 131, 130.0, "", " ", "x", "a" * 201, "a" * 5000, [], ["x"], [1], {}, {"x": 1},
              "2026-02-29T10:00:00+11:00", "2028-02-29T10:00:00+11:00", "2026-11-16T24:00:00+11:00", "2026-11-16T10:00:00Z",
              "capture", "granted", "patient", "clinical_care", "photo", "personal"]


def _mutate(doc, rng: random.Random):
    out = copy.deepcopy(doc)
    path = rng.choice([p for p, _ in nodes(out) if p])
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    action = rng.random()
    if action < 0.15 and isinstance(parent, dict):
        del parent[last]
    elif action < 0.25 and isinstance(parent, dict):
        parent[rng.choice(["extra", "idd", "note", last + "_"])] = rng.choice(ODD_VALUES)
    elif action < 0.35 and isinstance(parent[last], str):
        parent[last] = parent[last] + rng.choice(["", "x", " ", "Z"]) if rng.random() < 0.5 else parent[last][:-1]
    else:
        parent[last] = rng.choice(ODD_VALUES)
    return out


def _docs(seed: int) -> list[dict]:
    text = io.StringIO()
    write_log(text, 300, seed, diverse=True, malformed_rate=0)
    return [json.loads(line) for line in text.getvalue().splitlines()]


@pytest.mark.parametrize("name", ["event", "request"])
def test_compiled_verdict_equals_jsonschema(name: str) -> None:
    verdict = schemas.valid_verdict(name)
    assert verdict is not None
    full = schemas.validator(name)
    rng = random.Random(name)
    seen = {True: 0, False: 0}
    for doc in _docs(7 if name == "event" else 8):
        if name == "request":
            doc = {**doc, "consents": [{"status": "granted", "given_by": "patient", "purposes": ["teaching"], "image_ids": []}]}
        for d in [doc] + [_mutate(doc, rng) for _ in range(12)]:
            expected = full.is_valid(d)
            assert verdict(d) == expected, json.dumps(d)
            seen[expected] += 1
    assert seen[True] > 300 and seen[False] > 1500  # both verdicts well exercised


def test_problems_still_come_from_jsonschema() -> None:
    doc = _docs(3)[0]
    assert schemas.problems("event", doc) == []
    broken = {**doc, "occurred_at": "2026-02-29T10:00:00+11:00", "extra": 1}
    assert [p.path for p in schemas.problems("event", broken)] == [["occurred_at"]]


def test_what_it_does_not_know_goes_to_jsonschema() -> None:
    with pytest.raises(schemas._Unsupported):
        schemas._compile({"type": "object", "patternProperties": {"^x": {}}})
    with pytest.raises(schemas._Unsupported):
        schemas._compile({"format": "email"})
    with pytest.raises(schemas._Unsupported):
        schemas._compile({"enum": [1, "a"]})  # (1 == True in Python, not in JSON Schema)
    with pytest.raises(schemas._Unsure):
        schemas._compile({"type": "number"})(object())


SYNTHETIC = [
    {"oneOf": [{"type": "integer"}, {"type": "number", "minimum": 0}]},  # overlapping branches: exactly one
    {"anyOf": [{"type": "string", "pattern": "b"}, {"type": "null"}]},  # a pattern matches anywhere
    {"type": "integer", "minimum": 0, "maximum": 3},
    {"type": ["string", "array"], "minLength": 2, "maxItems": 1, "items": {"const": "x"}},
    {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": {"type": "string"}, "required": ["a"]},
    {"if": {"properties": {"k": {"const": "y"}}, "required": ["k"]}, "then": {"required": ["z"]}, "else": {"required": ["w"]}},
]
VALUES = [None, True, 0, 1, 2.0, 2.5, -1, 4, "", "b", "abc", "xy", [], ["x"], ["x", "x"], [1], {}, {"a": 1}, {"a": 1.0, "s": "t"}, {"a": 1, "s": 2},
          {"a": True}, {"k": "y"}, {"k": "y", "z": 1}, {"k": "n", "w": 0}, {"k": "n"}]


@pytest.mark.parametrize("schema", SYNTHETIC)
def test_each_keyword_as_jsonschema_reads_it(schema: dict) -> None:
    import jsonschema

    full = jsonschema.Draft202012Validator(schema, format_checker=schemas.format_checker())
    compiled = schemas._compile(schema)
    for value in VALUES:
        assert compiled(value) == full.is_valid(value), (schema, value)
