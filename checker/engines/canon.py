"""Canonical fact sets: inputs that must get the same decision get the same cache key.

An audit decides a million events, but far fewer distinct sets of decision-relevant facts: the
same capture by another intern of another patient at another minute is the same question. This
module rewrites an input so that identifiers become placeholders numbered by first appearance
(equal ids stay equal, so every equality the policy tests is kept), and lifecycle hours become
the representative of their interval between the deadlines in force (so every `hours > deadline`
comparison is kept). The decision for the canonical input is then mapped back: placeholders in
its strings are replaced by the real ids.

It is only used for the shipped policies without waivers: a hospital's own Rego may read
anything, and waivers compare event ids, actor ids and times, so then the cache key is the whole
input, unchanged (checker/engines/_worker.py). A test decides generated logs with and without the
cache and requires identical reports.
"""
from __future__ import annotations

import itertools
import json
import re
from typing import Any

import orjson

DROP_KEYS = frozenset({"facility", "schema_version"})
# Event types whose input holds state besides the consents (audit/state.py, State.STATE_KEYS).
STATE_ADDED = frozenset({"disclosure", "record_deletion", "access_request"})
TIME_KEYS = frozenset({"occurred_at", "as_of"})
_PLACEHOLDER = re.compile("\u27e6(\\d+)\u27e7")


def fact_text(value: Any) -> str:
    """An exact text of a JSON-like value, for cache keys: orjson (several times repr's speed),
    repr where orjson cannot (an integer beyond 64 bits; "r" marks it). Dict key order counts, as
    in the canonical keys. (Decoded: the bytes orjson returns keep a 4 KB allocation each, and
    keys are kept.)"""
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        return "r" + repr(value)


_VISIBLE = re.compile(r"[0-9A-Za-z]")


def _not_blank(value: Any) -> bool:
    """A string no whitespace trimming (Go's or Python's) can make empty: it holds a letter or
    digit. Anything else stays as it is in the key."""
    return isinstance(value, str) and _VISIBLE.search(value) is not None


def with_file(image: Any, ph: Any) -> Any:
    """An image with its file (a path or URI, unique per image) as a placeholder: no shipped
    rule reads it, and kept verbatim it made every image a fact set of its own."""
    if isinstance(image, dict) and "file" in image:
        return {**image, "file": ph(image["file"])}
    return image


# lib.rego's default_config["maturity_assessment_age"] (tests/unit/test_canon_ages.py checks
# they agree): the policies compare a child's age with it, and every age with 18.
DEFAULT_MATURITY_ASSESSMENT_AGE = 16


def maturity_age(overlay: dict[str, Any] | None) -> float:
    """The maturity_assessment_age in force under a hospital overlay."""
    value = (overlay or {}).get("maturity_assessment_age", DEFAULT_MATURITY_ASSESSMENT_AGE)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else DEFAULT_MATURITY_ASSESSMENT_AGE


def exact_child_age(age: float) -> float:
    """A key finer than any Canonicalizer's: a child's age exactly, every adult's as 18."""
    return age if age < 18 else 18


class Canonicalizer:
    def __init__(self, deadlines: list[float], maturity_assessment_age: float = DEFAULT_MATURITY_ASSESSMENT_AGE) -> None:
        self.thresholds = sorted(set(float(d) for d in deadlines))
        self.maturity_assessment_age = maturity_assessment_age

    def age_key(self, age: float) -> float:
        """The age as the cache keys keep it: the policies compare it with 18 (lib.is_child) and
        with the hospital's maturity_assessment_age (consent.maturity_assessment), nothing else —
        so every adult is 18, a child at or over that age 17, a younger child just under it."""
        if age >= 18:
            return 18
        if age >= self.maturity_assessment_age:
            return 17
        return min(self.maturity_assessment_age, 18) - 0.5

    def hours(self, value: Any) -> Any:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return value
        for t in self.thresholds:
            if value <= t:
                return t
        return self.thresholds[-1] + 1 if self.thresholds else value

    def relevant(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Drop facts the shipped rules cannot read for this input.

        - Consents scoped to other images only matter as "the patient has granted some consent"
          (disclosure.consent_scope vs no_basis): the first such grant stands for all of them;
          a consent naming this image and others is kept naming this image only.
        - Ages only matter as age_key keeps them, except when deleting from the record (retention
          arithmetic), where they are kept exactly.
        """
        image_id = (doc.get("image") or {}).get("id")
        consents = doc.get("consents")
        if isinstance(consents, list) and consents:
            kept, other_grant = [], False
            for c in consents:
                ids = c.get("image_ids") if isinstance(c, dict) else None
                if ids and image_id not in ids:
                    if c.get("status") == "granted" and not other_grant:
                        other_grant = True
                        kept.append({"status": "granted", "purposes": [], "image_ids": ["\u27e6other\u27e7"]})
                    continue
                kept.append({**c, "image_ids": [image_id]} if ids and len(ids) > 1 else c)
            doc = {**doc, "consents": kept}
        patient = doc.get("patient")
        if doc.get("type") != "record_deletion" and isinstance(patient, dict):
            age = patient.get("age_years")
            if isinstance(age, (int, float)) and not isinstance(age, bool):
                doc = {**doc, "patient": {**patient, "age_years": self.age_key(age)}}
        return doc

    def canonical(self, doc: dict[str, Any], *, drop: bool = True) -> tuple[str, list[str]]:
        """(cache key, placeholder number → original string).

        Identifiers are replaced at the places the event vocabulary puts them (docs/input.md),
        in a fixed order; an identifier anywhere else stays in the key as it is — fewer cache
        hits, never a wrong answer. This runs once per audited event, so it touches only those
        places instead of walking the whole document.
        """
        names: dict[str, int] = {}
        originals: list[str] = []

        def ph(value: Any) -> Any:
            if not isinstance(value, str):
                return value
            n = names.get(value)
            if n is None:
                n = names[value] = len(originals)
                originals.append(value)
            return f"\u27e6{n}\u27e7"

        def with_id(obj: Any) -> Any:
            if isinstance(obj, dict) and "id" in obj:
                return {**obj, "id": ph(obj["id"])}
            return obj

        out = {k: v for k, v in self.relevant(doc).items() if not drop or k not in DROP_KEYS}
        for key in ("event_id", "related_event_id", "reported_to"):
            if key in out:
                out[key] = ph(out[key])
        # A consent's `given_at` is compared with the event's time (lib.rego, given_after_event):
        # then the time stays. (The audit drops given_at from the consents on file.)
        on_file = out.get("consents")
        dated = isinstance(on_file, list) and any(isinstance(c, dict) and "given_at" in c for c in on_file)
        for key in TIME_KEYS:
            if isinstance(out.get(key), str) and not (dated and key == "occurred_at"):
                out[key] = "T"
        actor = out.get("actor")
        if isinstance(actor, dict):
            actor = with_id(actor)
            if isinstance(actor.get("device"), dict):
                actor = {**actor, "device": with_id(actor["device"])}
            out["actor"] = actor
        for key in ("patient", "image", "recipient", "sender", "requester", "device"):
            if key in out:
                out[key] = with_id(out[key])
        if "image" in out:
            out["image"] = with_file(out["image"], ph)
        intended = out.get("intended_recipient")
        if intended is not None:
            out["intended_recipient"] = ph(intended) if isinstance(intended, str) else with_id(intended)
        record = out.get("capture_record")
        if isinstance(record, dict):
            # Only values that are not blank: collection.capture_details tells a blank one
            # (trim_space) from a given one, and a placeholder is never blank.
            out["capture_record"] = {k: ph(v) if k in ("who", "when", "mode") and _not_blank(v) else v for k, v in record.items()}
        if isinstance(out.get("images_produced"), list):
            out["images_produced"] = [ph(x) for x in out["images_produced"]]
        consents = out.get("consents")
        if isinstance(consents, list):
            out["consents"] = [
                {**c, "image_ids": [ph(x) for x in c["image_ids"]]} if isinstance(c, dict) and isinstance(c.get("image_ids"), list) else c
                for c in consents
            ]
        consent = out.get("consent")
        if isinstance(consent, dict) and isinstance(consent.get("image_ids"), list):
            out["consent"] = {**consent, "image_ids": [ph(x) for x in consent["image_ids"]]}
        lifecycle = out.get("lifecycle")
        if isinstance(lifecycle, dict):
            out["lifecycle"] = {k: self._fact(k, v, ph, with_id) for k, v in lifecycle.items()}
        try:  # orjson: the key is made for every input that misses the fast keys (reviews, mostly)
            return orjson.dumps(out).decode(), originals
        except (TypeError, orjson.JSONEncodeError):  # e.g. an integer beyond 64 bits
            return json.dumps(out, separators=(",", ":"), ensure_ascii=False), originals

    def fast_key(self, fast: tuple[bytes, list[bytes]], doc: dict[str, Any], consents: tuple[tuple[Any, Any, bool], ...]) -> tuple[Any, ...]:
        """A cache key for the decision input `doc`, at a fraction of the cost of `canonical`:
        from the event line's shape and values (checker/audit/reader.py), the signature of the
        patient's consents on file (State.consent_signature), and what else the state put in
        the input (State.STATE_KEYS: for a disclosure, the image as captured and lifecycle facts;
        for a record deletion or access request, lifecycle facts).

        Exact in the way that matters: inputs with equal fast keys have equal canonical keys
        (tests/unit/test_fast_keys.py checks it on generated logs), because
        - the shape is the line verbatim but for ids, times and ages; ids and times enter as their
          pattern of equalities (which ones hold the same value), the age as `canonical` keeps it
          (age_key; exact when deleting from the record);
        - what the state added is reduced as `canonical` reduces it, its ids numbered after the
          line's own.
        """
        shape, values = fast
        # Each value stands for the position of its first occurrence: equal values, equal
        # numbers (map/range keep this loop in C).
        seen: dict[Any, int] = {}
        pattern = tuple(map(seen.setdefault, values, range(len(values))))
        counter = itertools.count(len(values))  # numbers past the pattern's: no clash with it

        def ph(value: Any) -> Any:
            if not isinstance(value, str):
                return value
            key = b'"%s"' % value.encode("utf-8")  # as the line's values hold strings: quoted
            number = seen.get(key)
            if number is None:
                number = seen[key] = next(counter)
            return number

        image = doc.get("image")
        image_id = image.get("id") if isinstance(image, dict) else None
        # Consents as Canonicalizer.relevant leaves them: scoped to other images only → one
        # marker for the first such grant; scoped to this one → scoped to this one alone.
        kept: list[Any] = []
        other_grant = False
        for text, scope, granted in consents:
            if isinstance(scope, tuple):  # ("except", ids): every image but those (State.input_for)
                if image_id is not None and image_id in scope[1]:
                    continue  # absent from this event's input
                kept.append(text)
                continue
            if scope is not None and image_id not in scope:
                if granted and not other_grant:
                    other_grant = True
                    kept.append("other")  # (consent texts are numbers, or (text, bool) pairs)
                continue
            kept.append(text if scope is None else (text, ph(image_id)))
        kind = doc["type"]
        added = ""
        if kind in STATE_ADDED:
            def with_id(obj: Any) -> Any:
                if isinstance(obj, dict) and "id" in obj:
                    return {**obj, "id": ph(obj["id"])}
                return obj

            if kind == "disclosure":
                added = fact_text(with_file(with_id(image), ph))
            if isinstance(doc.get("lifecycle"), dict):
                added = (added, fact_text({k: self._fact(k, v, ph, with_id) for k, v in doc["lifecycle"].items()}))
        age = doc["patient"].get("age_years")
        if kind != "record_deletion" and isinstance(age, (int, float)) and not isinstance(age, bool):
            age = self.age_key(age)
        return shape, pattern, repr(age), tuple(kept), added

    def _fact(self, key: str, value: Any, ph: Any, with_id: Any) -> Any:
        """One lifecycle fact (or a fact of a receiver / wrong-recipient entry), canonical."""
        if key.startswith("hours"):
            return self.hours(value)
        if key in ("capture_event_id", "record_transfer_event_id", "event_id", "actor_id"):
            return ph(value)
        if key == "as_of":
            return "T"
        if key == "patient_image_ids" and isinstance(value, list):
            return [ph(x) for x in value]
        if key in ("capture_device", "device"):
            return with_id(value)
        if key in ("receivers", "wrong_recipient_disclosures") and isinstance(value, list):
            return [{k: self._fact(k, v, ph, with_id) for k, v in e.items()} if isinstance(e, dict) else e for e in value]
        return value


def restore(decision: Any, originals: list[str]) -> Any:
    """Put the real identifiers back into a decision made for the canonical input."""
    if not originals:
        return decision
    if isinstance(decision, str):
        if "\u27e6" not in decision:
            return decision
        return _PLACEHOLDER.sub(lambda m: originals[int(m.group(1))], decision)
    if isinstance(decision, dict):
        return {k: restore(v, originals) for k, v in decision.items()}
    if isinstance(decision, list):
        return [restore(v, originals) for v in decision]
    return decision
