"""The audit's cheap cache keys (Canonicalizer.fast_key) never join inputs that `canonical` keeps
apart: equal fast keys mean equal canonical keys, hence the same decision. Checked on generated
lifecycles with random, schema-valid variations (ages around 18, consents granted, refused and
withdrawn with every kind of image scope, wrong and right intended recipients, access requests
naming the patient's images, record deletions) — the places where a key that forgot an equality
or a threshold would merge two different questions."""
from __future__ import annotations

import copy
import json
import random
from typing import Any, Iterator

from checker import schemas
from checker.audit.reader import Event, EventParser, InputProblem, LogLine
from checker.audit.state import State
from checker.engines.canon import Canonicalizer
from checker.loggen import Generator

PURPOSES = ["clinical_care", "teaching", "research", "publication"]


def _variants(seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    gen = Generator(seed, violation_rate=0.3, malformed_rate=0.0, patients=12, staff=12)
    images_of: dict[str, list[str]] = {}
    capture_device_of: dict[str, dict[str, Any]] = {}
    capture_actor_of: dict[str, str] = {}
    for line in gen.lines(4000, span_days=2):
        event = json.loads(line)
        pid = event["patient"]["id"]
        image_id = (event.get("image") or {}).get("id")
        if event["type"] == "capture" and isinstance(event["actor"].get("device"), dict):
            capture_device_of[image_id] = event["actor"]["device"]
        if event["type"] == "capture":
            capture_actor_of[image_id] = event["actor"]["id"]
        if event["type"] in ("receipt", "disclosure") and image_id in capture_actor_of and rng.random() < 0.5:
            # the receiver / sender is the capturer (the review's actor: an id equal to another),
            # or someone else
            who = capture_actor_of[image_id] if rng.random() < 0.5 else f"dr-other-{rng.randrange(3)}"
            event["actor"] = {**event["actor"], "id": who}
        if event["type"] == "capture" and rng.random() < 0.5:  # where the file is: unique, or shared
            event["image"]["file"] = rng.choice([f"/srv/photos/{image_id}.jpg", "/srv/photos/shared.jpg", ""])
        if event["type"] == "receipt" and image_id in capture_device_of and rng.random() < 0.2:
            event["device"] = dict(capture_device_of[image_id])  # received on the phone that took it
        if image_id and image_id not in images_of.setdefault(pid, []):
            images_of[pid].append(image_id)
        if rng.random() < 0.3:
            event["patient"]["age_years"] = rng.choice([0, 5, 17, 17.5, 18, 18.25, 40, 99])
        if event["type"] == "consent" and rng.random() < 0.5:
            consent = event["consent"]
            consent["status"] = rng.choice(["granted", "granted", "refused", "withdrawn"])
            consent["purposes"] = rng.sample(PURPOSES, rng.randrange(0, 3))
            known = images_of.get(pid, [])
            scope = rng.choice(["none", "empty", "this", "several", "other"])
            if scope == "none":
                consent.pop("image_ids", None)
            elif scope == "empty":
                consent["image_ids"] = []
            elif scope == "several" and known:
                consent["image_ids"] = rng.sample(known, min(len(known), 3))
            elif scope == "other":
                consent["image_ids"] = [f"img-elsewhere-{rng.randrange(3)}"]
        if event["type"] == "disclosure" and rng.random() < 0.4:
            choice = rng.randrange(3)
            if choice == 0:
                event["intended_recipient"] = event["recipient"]["id"]
            elif choice == 1:
                event["intended_recipient"] = {"id": event["actor"]["id"]}
            else:
                event.pop("intended_recipient", None)
        yield event
        if event["type"] == "record_transfer" and rng.random() < 0.3:
            extra = copy.deepcopy(event)
            extra["event_id"] += "-x"
            if rng.random() < 0.5:
                extra.update(type="access_request", requester={"id": "court-1", "kind": "court"}, legal_basis="subpoena", produced=True,
                             images_produced=rng.sample(images_of.get(pid, []), min(2, len(images_of.get(pid, [])))) + ["img-unknown"])
                extra.pop("image", None)
                extra.pop("method", None)
                extra.pop("linked_to_patient", None)
            else:
                extra.update(type="record_deletion", reason=rng.choice(["retention_expired", "error"]))
                extra.pop("method", None)
                extra.pop("linked_to_patient", None)
            yield extra


def _inputs(seed: int) -> Iterator[tuple[Event, dict[str, Any], Any]]:
    parser, state = EventParser(), State()
    for number, event in enumerate(_variants(seed), start=1):
        raw = json.dumps(event, separators=(",", ":")).encode()
        parsed = parser.parse(LogLine("gen", number, raw))
        assert not isinstance(parsed, InputProblem), (parsed.reason, schemas.problems("event", event)[:1])
        doc = state.input_for(parsed.doc, parsed.occurred_ns)
        yield parsed, doc, state.consent_signature(parsed.doc["patient"]["id"])
        if parsed.doc["type"] == "breach_report":
            state.apply_breach_report(parsed.doc, parsed.occurred_ns)
        else:
            state.apply(parsed.doc, parsed.occurred_ns)


def test_equal_fast_keys_mean_equal_canonical_keys() -> None:
    canon = Canonicalizer([24, 72, 168, 720])
    canonical_by_fast: dict[Any, set[str]] = {}
    inputs = 0
    for seed in (1, 2, 3):
        for event, doc, signature in _inputs(seed):
            assert event.fast is not None  # compact generated lines all have a shape
            inputs += 1
            fast = canon.fast_key(event.fast, doc, signature)
            canonical_by_fast.setdefault(fast, set()).add(canon.canonical(doc)[0])
    merged = {k: v for k, v in canonical_by_fast.items() if len(v) > 1}
    assert not merged, next(iter(merged.values()))
    # …and they are worth having: not many more of them than of canonical keys.
    canonical = set().union(*canonical_by_fast.values())
    assert inputs > 10_000 and len(canonical_by_fast) < 2 * len(canonical), (len(canonical_by_fast), len(canonical))


def test_the_state_adds_only_what_fast_keys_read() -> None:
    """fast_key reads the line for everything but State.STATE_KEYS: input_for must not put
    anything else in an input."""
    parser, state = EventParser(), State()
    for number, event in enumerate(_variants(5), start=1):
        parsed = parser.parse(LogLine("gen", number, json.dumps(event, separators=(",", ":")).encode()))
        assert isinstance(parsed, Event)
        doc = state.input_for(parsed.doc, parsed.occurred_ns)
        added = {k for k, v in doc.items() if parsed.doc.get(k) is not v}
        assert added <= set(State.STATE_KEYS.get(doc["type"], State.STATE_KEYS["*"])), (doc["type"], added)
        state.apply(parsed.doc, parsed.occurred_ns)


def test_fast_keys_keep_what_decides() -> None:
    """Two inputs the policy must tell apart get different keys (a key that ignored ages, or who
    the intended recipient was, would pass the test above on logs without such pairs)."""
    canon = Canonicalizer([24, 72, 168, 720])
    line = next(line for line in Generator(4, malformed_rate=0.0).lines(200) if '"type":"disclosure"' in line)
    base = json.loads(line)

    def key(event: dict[str, Any]) -> Any:
        parsed = EventParser().parse(LogLine("t", 1, json.dumps(event, separators=(",", ":")).encode()))
        assert isinstance(parsed, Event)
        state = State()
        return canon.fast_key(parsed.fast, state.input_for(parsed.doc, parsed.occurred_ns), ())

    child = copy.deepcopy(base)
    child["patient"]["age_years"] = 17
    adult = copy.deepcopy(base)
    adult["patient"]["age_years"] = 18
    assert key(child) != key(adult)
    right, wrong = copy.deepcopy(base), copy.deepcopy(base)
    right["intended_recipient"] = {"id": base["recipient"]["id"]}
    wrong["intended_recipient"] = {"id": base["recipient"]["id"] + "-other"}
    assert key(right) != key(wrong)
    other_patient = copy.deepcopy(right)
    other_patient["patient"]["id"] = "pt-somebody-else"
    other_patient["event_id"] = "ev-elsewhere"
    assert key(right) == key(other_patient)  # ids only matter by which are equal


def test_image_files_do_not_split_fact_sets() -> None:
    """A path is unique per image: kept verbatim it would make every image a fact set of its own
    (a regopy call each); as a placeholder, two captures that differ only in it share one."""
    canon = Canonicalizer([24, 72, 168, 720])
    line = next(line for line in Generator(4, malformed_rate=0.0).lines(300) if '"type":"capture"' in line)
    keys = set()
    fast = set()
    for n in range(2):
        event = json.loads(line)
        event["image"]["file"] = f"/srv/photos/{n}.jpg"
        parsed = EventParser().parse(LogLine("t", 1, json.dumps(event, separators=(",", ":")).encode()))
        assert isinstance(parsed, Event) and parsed.fast is not None
        doc = State().input_for(parsed.doc, parsed.occurred_ns)
        keys.add(canon.canonical(doc)[0])
        fast.add(canon.fast_key(parsed.fast, doc, ()))
    assert len(keys) == 1 and len(fast) == 1


def test_fast_keys_keep_the_length_of_each_id_list() -> None:
    """Two id lists whose lengths trade places (one id moves from one list to the other) leave the
    same flat run of distinct ids: the key must still tell them apart."""
    canon = Canonicalizer([24, 72, 168, 720])
    base = {
        "schema_version": "1", "event_id": "ev-1", "type": "access_request", "occurred_at": "2026-11-16T00:00:01+11:00",
        "facility": "north", "actor": {"id": "admin-1", "role": "admin"}, "patient": {"id": "pt-1", "age_years": 40, "capacity": "full"},
        "requester": {"id": "court-1", "kind": "court"}, "legal_basis": "subpoena", "produced": True,
        "images_produced": ["img-x1"],
        "consent": {"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "image_ids": ["img-y1", "img-y2"]},
    }
    moved = copy.deepcopy(base)
    moved["images_produced"] = ["img-x1", "img-x2"]
    moved["consent"]["image_ids"] = ["img-y1"]
    keys = []
    for event in (base, moved):
        parsed = EventParser().parse(LogLine("t", 1, json.dumps(event, separators=(",", ":")).encode()))
        assert isinstance(parsed, Event) and parsed.fast is not None, getattr(parsed, "reason", None)
        doc = State().input_for(parsed.doc, parsed.occurred_ns)
        keys.append((canon.fast_key(parsed.fast, doc, ()), canon.canonical(doc)[0]))
    assert keys[0][1] != keys[1][1]  # different questions…
    assert keys[0][0] != keys[1][0]  # …so different fast keys


def test_fast_keys_see_ids_in_lists_that_hold_a_bracket() -> None:
    """An id may hold "]": the list is still read whole, so its ids count in the key."""
    canon = Canonicalizer([24, 72, 168, 720])
    line = next(line for line in Generator(4, malformed_rate=0.0).lines(400) if '"type":"consent"' in line and '"image_ids":["' in line)
    keys = []
    for scoped_to in ("img-a]1", "img-b]1"):
        event = json.loads(line)
        event["consent"]["image_ids"] = ["img-a]1"]
        event["image"] = {"id": scoped_to}  # the same image as the consent names, or not
        parsed = EventParser().parse(LogLine("t", 1, json.dumps(event, separators=(",", ":")).encode()))
        assert isinstance(parsed, Event) and parsed.fast is not None, getattr(parsed, "reason", None)
        doc = State().input_for(parsed.doc, parsed.occurred_ns)
        keys.append((canon.fast_key(parsed.fast, doc, ()), canon.canonical(doc)[0]))
    assert keys[0][1] != keys[1][1]
    assert keys[0][0] != keys[1][0]


def test_equal_review_keys_mean_equal_canonical_keys() -> None:
    """State.review_key mirrors review_input as `canonical` reduces it: checked on every image of
    generated lifecycles (kept on phones, never saved, sent to the wrong person, reported late…),
    reviewed at several times — as they close, and as of later hours that cross each deadline."""
    canon = Canonicalizer([24, 72, 168, 720])
    canonical_by_key: dict[Any, set[str]] = {}
    reviewed = 0
    for seed in (1, 2):
        parser, state = EventParser(), State()
        latest = 0
        for number, event in enumerate(_variants(seed), start=1):
            parsed = parser.parse(LogLine("gen", number, json.dumps(event, separators=(",", ":")).encode()))
            assert isinstance(parsed, Event)
            latest = max(latest, parsed.occurred_ns)
            if parsed.doc["type"] == "breach_report":
                state.apply_breach_report(parsed.doc, parsed.occurred_ns)
            else:
                state.apply(parsed.doc, parsed.occurred_ns)
            images = state.evict_closed()
            if number % 97 == 0:
                images += list(state.images.values())
            for img in images:
                for later_hours in (0, 30, 100, 1000):
                    as_of = latest + later_hours * 3_600_000_000_000
                    doc = state.review_input(img, as_of)
                    key = State.review_key(img, as_of, canon.hours)
                    assert (doc is None) == (key is None)
                    if doc is not None:
                        reviewed += 1
                        canonical_by_key.setdefault(key, set()).add(canon.canonical(doc)[0])
    merged = {k: v for k, v in canonical_by_key.items() if len(v) > 1}
    assert not merged, next(iter(merged.values()))
    canonical = set().union(*canonical_by_key.values())
    assert reviewed > 5_000 and len(canonical_by_key) < 2 * len(canonical), (reviewed, len(canonical_by_key), len(canonical))


def test_the_key_and_the_state_agree_on_which_inputs_hold_more_than_consents() -> None:
    from checker.engines import canon

    assert canon.STATE_ADDED == State.ADDS_MORE_THAN_CONSENTS == frozenset(State.STATE_KEYS) - {"*"}


def test_key_texts_are_compact() -> None:
    """Cache keys are kept for the whole run: their texts must not carry orjson's 4 KB buffers."""
    import tracemalloc

    from checker.engines.canon import fact_text

    tracemalloc.start()
    try:
        texts = [fact_text({"owner": "personal", "passcode": True, "n": i}) for i in range(1000)]
        size, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(texts) == 1000 and size < 400_000, size
