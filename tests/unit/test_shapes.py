"""The audit reader's templates (ShapeReader) give exactly what the general shape split gives —
for lines of learned shapes, for lines that look like a learned shape but hold a value the
schema does not accept where the template has a slot, and for malformed lines."""
from __future__ import annotations

import json
import random

from checker.audit.reader import ShapeReader, shape_and_values
from checker.loggen import Generator

# Values a template slot must refuse (the general split leaves them in the shape, verbatim).
_NOT_VALID_THERE = {
    "event_id": ["", "x" * 201],
    "occurred_at": ["2026-11-16T00:00:01", "2026-02-30T00:00:01+11:00", "yesterday"],
    "age_years": [131, 200.5, -1],
    "image_ids": [[""], ["x" * 201]],
}


def _mutated(event: dict, rng: random.Random) -> dict:
    key = rng.choice(sorted(_NOT_VALID_THERE))
    value = rng.choice(_NOT_VALID_THERE[key])
    if key == "age_years":
        event["patient"]["age_years"] = value
    elif key == "image_ids":
        if isinstance(event.get("consent"), dict):
            event["consent"]["image_ids"] = value
    else:
        event[key] = value
    return event


def test_templates_agree_with_the_general_split() -> None:
    rng = random.Random(3)
    reader = ShapeReader()
    lines = list(Generator(11, malformed_rate=0.02, patients=40, staff=20).lines(6000))
    checked = 0
    for line in lines:
        raw = line.encode()
        variants = [raw]
        if rng.random() < 0.2:
            try:
                event = json.loads(line)
            except ValueError:
                event = None
            if isinstance(event, dict):
                variants.append(json.dumps(_mutated(event, rng), separators=(",", ":")).encode())
                variants.append(raw.replace(b'"id":"', b'"id":"]', 1))  # an id holding a bracket
        for candidate in variants:
            assert reader.read(candidate) == shape_and_values(candidate), candidate
            checked += 1
    assert checked > 7000
    assert reader._count > 20  # the templates were in use, not only the split


def test_a_template_does_not_take_a_line_of_another_shape() -> None:
    reader = ShapeReader()
    line = next(line for line in Generator(4, malformed_rate=0.0).lines(300) if '"type":"capture"' in line)
    for _ in range(ShapeReader.TEMPLATE_AFTER + 1):
        reader.read(line.encode())
    assert reader._count == 1
    nurse = line.replace('"role":"', '"role":"x', 1).encode()  # same length class, other text
    assert reader.read(nurse) == shape_and_values(nurse)
    assert reader.read(nurse)[0] != reader.read(line.encode())[0]
