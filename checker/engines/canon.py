"""Canonical fact sets: inputs that must get the same decision get the same cache key.

An audit decides a million events, but far fewer distinct sets of decision-relevant facts: the
same capture by another intern of another patient at another minute is the same question. This
module rewrites an input so that identifiers become placeholders numbered by first appearance
(equal ids stay equal, so every equality the policy tests is kept), and lifecycle hours become
the representative of their interval between the deadlines in force (so every `hours > deadline`
comparison is kept). The decision for the canonical input is then mapped back: placeholders in
its strings are replaced by the real ids.

It is only used for the shipped policies: a hospital's own Rego may read anything, so with local
rules the cache key is the whole input, unchanged. With waivers in the overlay the event id,
actor id and times are kept as they are (waivers compare them). A test decides a generated log
with and without the cache and requires identical reports.
"""
from __future__ import annotations

import json
import re
from typing import Any

ID_KEYS = frozenset({"id", "event_id", "related_event_id", "capture_event_id", "record_transfer_event_id", "who", "when", "mode", "reported_to"})
ID_LIST_KEYS = frozenset({"image_ids", "patient_image_ids", "images_produced"})
DROP_KEYS = frozenset({"facility", "schema_version"})
TIME_KEYS = frozenset({"occurred_at", "as_of"})
IDENTITY_KEYS = frozenset({"event_id", "occurred_at", "as_of"})
_PLACEHOLDER = re.compile("\u27e6(\\d+)\u27e7")


class Canonicalizer:
    def __init__(self, deadlines: list[float], *, keep_identity: bool) -> None:
        self.thresholds = sorted(set(float(d) for d in deadlines))
        self.keep_identity = keep_identity

    def hours(self, value: Any) -> Any:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return value
        for t in self.thresholds:
            if value <= t:
                return t
        return self.thresholds[-1] + 1 if self.thresholds else value

    @staticmethod
    def relevant(doc: dict[str, Any]) -> dict[str, Any]:
        """Drop facts the shipped rules cannot read for this input.

        - Consents scoped to other images only matter as "the patient has granted some consent"
          (disclosure.consent_scope vs no_basis): the first such grant stands for all of them.
        - Ages only matter as child or adult, except when deleting from the record (retention
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
                kept.append(c)
            doc = {**doc, "consents": kept}
        patient = doc.get("patient")
        if doc.get("type") != "record_deletion" and isinstance(patient, dict):
            age = patient.get("age_years")
            if isinstance(age, (int, float)) and not isinstance(age, bool):
                doc = {**doc, "patient": {**patient, "age_years": 17 if age < 18 else 18}}
        return doc

    def canonical(self, doc: dict[str, Any]) -> tuple[str, list[str]]:
        """(cache key, placeholder number → original string).

        Works on the JSON text (C-speed json.dumps with sorted keys, then one regular-expression
        pass) rather than walking the document in Python: this runs once per audited event.
        """
        doc = self.relevant(doc)
        for key in DROP_KEYS:
            doc.pop(key, None) if key in doc else None
        # Key order is the input's own (no sort_keys): inputs that differ only in key order get
        # different keys — a cache miss, never a wrong answer.
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
        if not self.keep_identity:
            text = _TIMES.sub(r'"\1":"T"', text)
        names: dict[str, int] = {}
        originals: list[str] = []

        def ph(raw: str) -> str:
            n = names.get(raw)
            if n is None:
                n = names[raw] = len(originals)
                originals.append(json.loads(f'"{raw}"') if "\\" in raw else raw)
            return f"\"\u27e6{n}\u27e7\""

        def sub(m: re.Match[str]) -> str:
            key = m.group(1)
            if m.group(2) is not None:  # "key":"string"
                if key in TIME_KEYS:
                    return f'"{key}":"T"' if not self.keep_identity else m.group(0)
                if self.keep_identity and key in IDENTITY_KEYS:
                    return m.group(0)
                return f'"{key}":' + ph(m.group(2))
            if m.group(3) is not None:  # "key":[...strings...]
                items = _STRING.findall(m.group(3))
                return f'"{key}":[' + ",".join(ph(x) for x in items) + "]" if len(items) == m.group(3).count('"') // 2 else m.group(0)
            number = m.group(4)  # "hours…":number
            value = float(number)
            return f'"{key}":{self.hours(value)!r}'

        key = _FIELD.sub(sub, text)
        if self.keep_identity and '"actor":{' in key:
            pass  # actor ids stay as they are: waivers compare them (handled by IDENTITY below)
        return key, originals


_ID_NAMES = "|".join(sorted(ID_KEYS | TIME_KEYS | {"intended_recipient"}))
_LIST_NAMES = "|".join(sorted(ID_LIST_KEYS))
_FIELD = re.compile(
    '"(' + _ID_NAMES + '|' + _LIST_NAMES + '|hours[a-z_]*)":(?:"((?:[^"\\\\]|\\\\.)*)"|\\[((?:"(?:[^"\\\\]|\\\\.)*",?)*)\\]|(-?[0-9][0-9.eE+-]*))'
)
_TIMES = re.compile('"(' + "|".join(sorted(TIME_KEYS)) + ')":"[^"\\\\]*"')
_STRING = re.compile('"((?:[^"\\\\]|\\\\.)*)"')


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


def uncanonical_input(key: str) -> dict[str, Any]:
    """The canonical input itself, as the engine decides it."""
    return json.loads(key)
