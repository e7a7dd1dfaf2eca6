"""Deciding each distinct canonical fact set once, in the calling process.

An audit partition (checker/audit/partition.py) decides hundreds of thousands of events that
hold a few hundred distinct questions. Computing the cache key here and sending only the misses
to the regopy worker saves encoding, piping and decoding every event twice. The key and the
mapping back are checker/engines/canon.py's, exactly as the worker-side cache uses them; with a
hospital's own Rego or waivers the key is the whole input (they may read anything).
"""
from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any

import orjson

from .base import BaseEngine, Decision, EngineFailure, contract_failure
from .canon import Canonicalizer, maturity_age, restore
from .rulecache import UNSAFE, RuleCache, RuleSet, combine, unrestore

# Entries kept (whole-input decisions, fast keys): a dull log needs a few thousand; on a hospital's
# varied log nearly every input is new and these rarely hit, so they are bounded for memory (a
# decision with its findings is a kilobyte or two; a fast key holds its line's shape: ~3 KB an
# entry, measured ~400 MB a process at 100,000; 30,000 kept a million-line varied night's
# partitions over 1 GB together). At the cap a cache starts over, keeping the keys of the hours
# being decided; a miss here still meets the per-rule cache (engines/rulecache.py).
MAX_ENTRIES = 10_000
RULE_SLICE = 256
_MARK = "\u27e6"


def _digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode(), digest_size=16).digest()


def _entry(decision: Decision) -> tuple[Decision, bool]:
    """A cache entry: the decision, and whether it names placeholders to map back."""
    return decision, _MARK in json.dumps(decision, ensure_ascii=False)


class CachedEngine(BaseEngine):
    """An engine in front of another: identical decisions, each distinct fact set decided once.

    With `rules` (engines/rulecache.py; the inner engine then has `evaluate_rules`) a whole
    input's key is canonical only for input types whose active rule packages all allow it
    (RuleSet.whole_key_ok), exact otherwise; a whole-input miss is decided from per-rule results
    (cached on what each package reads), combined as decide.rego does; an input a waiver names
    (`waived_events`) — as the decided event or as the event a finding blames — is decided by
    the whole policy, uncached. Without `rules`, `exact_keys`
    says whether keys are the whole input (the worker-side cache of `serve`)."""

    def __init__(self, inner: Any, *, deadline_thresholds: list[float], exact_keys: bool, shared: "SharedDecisions | None" = None,
                 rules: RuleSet | None = None, overlay: dict[str, Any] | None = None) -> None:
        self.inner = inner
        self.shared = shared
        self.name = inner.name
        self.canon = Canonicalizer(deadline_thresholds, maturity_age(overlay))
        if rules is not None and not rules.decide_ok:  # an unreviewed decide.rego: exact keys
            rules, exact_keys = None, True
        self.rules = rules
        self.rule_cache = RuleCache(rules) if rules is not None else None
        self.overlay = overlay or {}
        self.waived_events = frozenset(w.get("event_id") for w in self.overlay.get("waivers") or [] if isinstance(w, dict))
        # A waiver naming a placeholder-like id could match a canonical input: then no shortcuts.
        self.exact_keys = exact_keys if rules is None else any(_MARK in str(e) for e in self.waived_events)
        # key → (decision for the canonical input, whether it holds placeholders to restore)
        # (by a 128-bit BLAKE2b digest of the key's text: a whole input's canonical text runs to kilobytes)
        self._cache: dict[bytes, tuple[Decision, bool]] = {}
        self._fast: dict[Any, tuple[Decision, bool]] = {}
        self.misses = 0
        self.lookups = 0  # inputs asked for (serve's /metrics: hit ratio = 1 - misses / lookups)

    def start(self) -> None:
        self.inner.start()

    def stamp(self) -> dict[str, str] | None:
        return self.inner.stamp()

    def shortcuts(self) -> Canonicalizer | None:
        return None if self.exact_keys else self.canon

    def shortcut_ok(self, kind: Any, event_id: Any) -> bool:
        """May an input of this type and event id be answered from a fast key (`known`)? Not
        when it is decided uncached (a waiver names it) or its whole key must be exact."""
        if self.exact_keys or self._waived(event_id):
            return False
        return self.rules is None or self.rules.whole_key_ok(kind)

    def _key(self, item: dict[str, Any]) -> tuple[str, list[str]]:
        if self.exact_keys or (self.rules is not None and not self.rules.whole_key_ok(item.get("type"))):
            return "=" + json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":")), []
        return self.canon.canonical(item)

    def cache_stats(self) -> dict[str, int]:
        return {"lookups": self.lookups, "misses": self.misses, "alive": 1}

    def decide(self, inputs: list[dict[str, Any]], fast_keys: list[Any] | None = None) -> list[Decision | EngineFailure]:
        """fast_keys: per input, a cheaper key with the same meaning (Canonicalizer.fast_key), or
        None; an input whose fast key was seen skips building its canonical key, unless its
        decision names identifiers that must be mapped back."""
        self.lookups += len(inputs)
        # Bounded: at the cap a cache starts over — here, before a batch looks anything up (a
        # batch adds at most its own inputs).
        if len(self._cache) >= MAX_ENTRIES:
            self._cache.clear()
        if len(self._fast) >= MAX_ENTRIES:
            self._fast.clear()
        if fast_keys is None or self.exact_keys:
            fast_keys = [None] * len(inputs)
        out: list[Decision | EngineFailure | None] = [None] * len(inputs)
        slow: list[tuple[int, str, list[str]]] = []
        if self.rules is not None:
            direct = [i for i, item in enumerate(inputs) if self._waived(item.get("event_id")) or _MARK in _text(item)]
            if direct:
                for i, result in zip(direct, self.inner.decide([inputs[i] for i in direct])):
                    out[i] = result
                    fast_keys[i] = None
        for i, (item, fast) in enumerate(zip(inputs, fast_keys)):
            if out[i] is not None:
                continue
            hit = self._fast.get(fast) if fast is not None else None
            if hit is not None:
                decision, has_placeholders = hit
                out[i] = restore(decision, self.canon.canonical(item)[1]) if has_placeholders else decision
                continue
            key, originals = self._key(item)
            slow.append((i, key, originals))
        missing: dict[str, dict[str, Any]] = {}
        digests = {key: _digest(key) for _, key, _ in slow}  # once a key: keys run to kilobytes
        for i, key, originals in slow:
            if digests[key] not in self._cache and key not in missing:
                # The canonical input itself is decided (placeholders and all), so its decision
                # can be mapped back to any input with the same key.
                missing[key] = json.loads(key) if originals else inputs[i]
        fresh: dict[str, Decision | EngineFailure] = {}
        if missing and self.shared is not None:
            # Another process of this audit may have decided some of them already.
            for key, decision in self.shared.get_many(list(missing)).items():
                self._cache[digests[key]] = _entry(decision)
                del missing[key]
        if missing:
            self.misses += len(missing)
            decided = self._decide_missing(missing, slow, inputs) if self.rules is not None else self.inner.decide(list(missing.values()))
            if self.shared is not None:
                self.shared.put_many([(key, result) for key, result in zip(missing, decided) if not isinstance(result, (EngineFailure, _PerInput))])
            for key, result in zip(missing, decided):
                # An EngineFailure is not cached: the next input with this key tries again; nor
                # is a decision naming an id where no placeholder can stand (_PerInput).
                fresh[key] = result if isinstance(result, (EngineFailure, _PerInput)) else _entry(result)
                if not isinstance(result, (EngineFailure, _PerInput)):
                    self._cache[digests[key]] = fresh[key]  # type: ignore[assignment]
        for i, key, originals in slow:
            entry = self._cache.get(digests[key]) or fresh[key]
            if isinstance(entry, EngineFailure):
                out[i] = entry
                continue
            if isinstance(entry, _PerInput):
                out[i] = entry.decision if entry.item_index_is(i, slow, key) else self._decide_real([inputs[i]])[0]
                continue
            if fast_keys[i] is not None:
                self._fast[fast_keys[i]] = entry
            decision, has_placeholders = entry
            out[i] = restore(decision, originals) if has_placeholders else decision
        if self.waived_events:
            # A waiver names the event a finding blames (its own `event_id`, or the input's): a
            # decision with a finding on a waived event is the whole policy's, uncached.
            again = [i for i, d in enumerate(out) if isinstance(d, dict) and self._names_waived(d)]
            for i, result in zip(again, self.inner.decide([inputs[i] for i in again]) if again else []):
                out[i] = result
        return out  # type: ignore[return-value]

    def _names_waived(self, decision: Decision) -> bool:
        return any(isinstance(f, dict) and self._waived(f.get("event_id")) for f in decision.get("findings") or [])

    def _waived(self, event_id: Any) -> bool:
        return isinstance(event_id, str) and event_id in self.waived_events

    def _decide_missing(self, missing: dict[str, dict[str, Any]], slow: list[tuple[int, str, list[str]]], inputs: list[dict[str, Any]]) -> list[Any]:
        """Decisions for the missing whole-input keys, from per-rule results: for each key, its
        first input (the real one) is decided and the decision stored with placeholders in the
        key's numbering — or, when it names an id where that cannot be done safely, kept as the
        answer of that first input only (_PerInput: the key's other inputs are decided alone)."""
        first: dict[str, tuple[int, list[str]]] = {}
        for i, key, originals in slow:
            first.setdefault(key, (i, originals))
        firsts = [inputs[first[key][0]] for key in missing]
        # In slices: a whole chunk's per-rule keys, requests and replies at once were a peak of
        # ~130 MB on a varied log (the results are the same: each slice's are cached for the next).
        decided = [d for at in range(0, len(firsts), RULE_SLICE) for d in self._decide_real(firsts[at:at + RULE_SLICE])]
        out: list[Any] = []
        for key, decision in zip(missing, decided):
            if isinstance(decision, EngineFailure):
                out.append(decision)
                continue
            stored = unrestore(decision, first[key][1])
            out.append(stored if stored is not UNSAFE else _PerInput(decision))
        return out

    def _decide_real(self, items: list[dict[str, Any]]) -> list[Decision | EngineFailure]:
        """Decisions of real inputs from per-rule results (engines/rulecache.py), combined as
        decide.rego does; the whole policy decides what `combine` does not recognise."""
        assert self.rule_cache is not None

        def evaluate(requests: list[tuple[dict[str, Any], list[str]]]) -> list[Any]:
            found = self.inner.evaluate_rules(requests)
            return [None if isinstance(r, EngineFailure) else r for r in found] if found else []

        results = self.rule_cache.results(items, evaluate)
        out: list[Decision | EngineFailure | None] = []
        whole: list[int] = []
        for i, result in enumerate(results):
            decision = combine(result, self.overlay) if result is not None else None
            if decision is None or contract_failure(decision) is not None:
                # an engine failure, something combine does not know, or a decision that cannot
                # be explained (a blank message): the whole policy decides, and fails closed
                whole.append(i)
            out.append(decision)
        if whole:  # the whole policy decides (and says why it fails, if it does)
            for i, decision in zip(whole, self.inner.decide([items[i] for i in whole])):
                out[i] = decision
        return out  # type: ignore[return-value]

    def known(self, fast_key: Any) -> Decision | None:
        """The decision of an input with this fast key, if one was decided before and the
        decision names no identifiers to map back (then the input itself is not needed)."""
        entry = self._fast.get(fast_key)
        if entry is None or entry[1] or (self.waived_events and self._names_waived(entry[0])):
            return None
        return entry[0]

    def evaluate_document(self, item: dict[str, Any], segments: list[str]) -> tuple[bool, Any] | EngineFailure:
        return self.inner.evaluate_document(item, segments)  # (not cached: rarely asked)

    def close(self) -> None:
        self.inner.close()
        if self.shared is not None:
            self.shared.close()

    def __enter__(self) -> "CachedEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _PerInput:
    """A decision made for the first input of a key that cannot serve the key's other inputs."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision

    @staticmethod
    def item_index_is(i: int, slow: list[tuple[int, str, list[str]]], key: str) -> bool:
        return next(j for j, k, _ in slow if k == key) == i


def _text(item: Any) -> str:
    try:
        return orjson.dumps(item).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(item, ensure_ascii=False)


class SharedDecisions:
    """Decisions of canonical inputs shared by the processes of one audit (a scratch SQLite
    database): a fact set one partition has decided, the others look up instead of asking
    regopy again (~2 ms each).

    Kept small (TMPDIR): a key is its 128-bit BLAKE2b digest, as in each process's own cache (a
    whole input's canonical text runs to kilobytes), a decision its JSON compressed — a
    million-line varied night stored ~4 GB as text (README, Performance, session 10)."""

    def __init__(self, path: str) -> None:
        import sqlite3

        self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE IF NOT EXISTS decisions (key BLOB PRIMARY KEY, decision BLOB NOT NULL) WITHOUT ROWID")

    def get_many(self, keys: list[str]) -> dict[str, Decision]:
        by_digest = {_digest(key): key for key in keys}
        digests = list(by_digest)
        found: dict[str, Decision] = {}
        for start in range(0, len(digests), 500):
            part = digests[start:start + 500]
            marks = ",".join("?" * len(part))
            for digest, packed in self.db.execute(f"SELECT key, decision FROM decisions WHERE key IN ({marks})", part):
                found[by_digest[digest]] = json.loads(zlib.decompress(packed))
        return found

    def put_many(self, items: list[tuple[str, Decision]]) -> None:
        if items:
            self.db.executemany("INSERT OR IGNORE INTO decisions VALUES (?, ?)",
                                [(_digest(k), zlib.compress(json.dumps(d, ensure_ascii=False).encode(), 1)) for k, d in items])

    def close(self) -> None:
        self.db.close()
