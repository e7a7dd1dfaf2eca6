"""Per-rule decisions: each rule package's result cached on the facts *it* reads.

Across a hospital, whole events rarely repeat (roles, subjects, devices, ages, consents all vary
independently), but what one rule reads repeats all the time. A decision here is:

1. for each rule package that can raise something for the input's type (reads.RuleReads
   .inert_for), the projection of the input on the paths the package reads (engines/reads.py,
   derived from its Rego) is its cache key — with the *value* of lib.basis for packages that
   use it (reads.OPAQUE: few values, computed from many facts), lib.basis itself being keyed
   and cached first; its result is looked up;
2. only the packages whose key is new are evaluated (one entry point each, ~0.15–0.4 ms, an
   area or a type's combined rule for several, in one round trip to the worker) and cached;
3. the results are combined as decide.rego combines them (effects, disabled rules, effect
   overrides, obligations, sorting), in Python (`combine`).

What a key holds, per package (`RuleSet.mode`):
- "free": it reads nothing engines/canon.py abstracts (ids, times, hours, ages, consents, the
  lifecycle, …): the projection verbatim;
- "vetted": every definition it reaches (its own and lib's) is one reviewed for canon's
  abstractions (its fingerprint is in engines/vetted.py): the projection made canonical — ids as
  placeholders numbered within the projection, hours as their interval, ages as Canonicalizer.age_key keeps them;
- "raw": anything else (a changed or new rule reading abstracted facts, a hospital's rule reading
  ids): the projection verbatim, evaluated on the real input.

Waivers compare the event's own id, actor and time: an input named by a waiver is never decided
here (engines/cached.py sends it to the whole policy), so for every input decided here no waiver
applies and the decision's `waivers` is empty. Anything `combine` does not recognise (a finding
without a rule, two findings sorting equal, …) makes it give up (None): the whole policy decides.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any, Iterable

import orjson

from .canon import Canonicalizer, restore
from .reads import ROOT, RuleReads, analyse, strip_comments
from .vetted import DECIDE, VETTED

EFFECTS = ("deny", "escalate", "warn")
# Input positions engines/canon.py rewrites or drops (a path reading any of them, or a part of
# one, is not "free").
ABSTRACTED: tuple[tuple[str, ...], ...] = (
    ("event_id",), ("related_event_id",), ("reported_to",), ("occurred_at",), ("as_of",), ("facility",), ("schema_version",),
    ("actor", "id"), ("actor", "device", "id"), ("patient", "id"), ("patient", "age_years"), ("image", "id"), ("image", "file"),
    ("recipient", "id"), ("sender", "id"), ("requester", "id"), ("device", "id"), ("intended_recipient",), ("capture_record",),
    ("images_produced",), ("consents",), ("consent", "image_ids"), ("lifecycle",),
)
# What Canonicalizer.relevant needs to reduce consents and ages as for the whole input.
_CANON_CONTEXT = (("type",), ("image", "id"))
_PH = re.compile("\u27e6(\\d+)\u27e7")


def _conflicts(path: tuple[str, ...]) -> bool:
    return any(path[: len(a)] == a or a[: len(path)] == path for a in ABSTRACTED)


def project(doc: Any, paths: Iterable[tuple[str, ...]]) -> dict[str, Any]:
    """The part of `doc` a reader of `paths` can see: each path's value, in a copy of the
    objects leading to it (a non-object on the way is taken whole: reading below it is
    undefined, as it is in the input itself)."""
    out: dict[str, Any] = {}
    for path in sorted(paths):
        if path == ROOT:
            return doc
        src: Any = doc
        dst = out
        for i, key in enumerate(path):
            if not isinstance(src, dict) or key not in src:
                break
            value = src[key]
            if i == len(path) - 1 or not isinstance(value, dict):
                dst[key] = value
                break
            nxt = dst.get(key)
            if not isinstance(nxt, dict):
                nxt = dst[key] = {}
            dst, src = nxt, value
    return out


def decide_fingerprint(sources: Iterable[str]) -> str:
    """The fingerprint of the packages combining the rules (clinimg.decide, clinimg)."""
    texts = sorted(" ".join(strip_comments(s).split()) for s in sources
                   if re.search(r"^package\s+clinimg(\.decide)?\s*$", s, re.M))
    return hashlib.sha256("\0".join(texts).encode()).hexdigest()[:16]


def _named_fields(proj: dict[str, Any], paths: Iterable[tuple[str, ...]], names: frozenset[str]) -> dict[str, Any]:
    """A vetted package's projection with the objects it reads whole — or the objects in a list
    it reads whole (the consents) — cut to the fields its definitions name: vetted code reads
    an object's fields only by name (scripts/vet_rules.py)."""
    for path in paths:
        parent: Any = proj
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or not path or path[-1] not in parent:
            continue
        value = parent[path[-1]]
        if isinstance(value, dict):
            parent[path[-1]] = {k: v for k, v in value.items() if k in names}
        elif isinstance(value, list) and value and all(isinstance(e, dict) for e in value):
            # A list of objects (the consents) as the set of its objects cut to the named fields,
            # each object's lists of strings as sets too: vetted code only asks whether some
            # element has a property, and collects what it finds into sets.
            cut = {}
            for e in value:
                e = {k: sorted(set(v)) if isinstance(v, list) and all(isinstance(x, str) for x in v) else v for k, v in e.items() if k in names}
                cut.setdefault(orjson.dumps(e, option=orjson.OPT_SORT_KEYS), e)
            parent[path[-1]] = [cut[k] for k in sorted(cut)]
    return proj


class RuleSet:
    """The policy's rule packages, what each reads and how its key is made."""

    def __init__(self, sources: Iterable[str], canon: Canonicalizer) -> None:
        sources = list(sources)
        self.reads: dict[str, RuleReads] = analyse(sources)
        # `combine` is decide.rego's logic in Python, and whole-input keys assume decide.rego
        # reads no more than the rules (and the waivers' ids, decided apart): both hold for the
        # reviewed text only. Another decide.rego (or entry point) turns the cache exact.
        self.decide_ok = decide_fingerprint(sources) == DECIDE and all(r.sets_ok for n, r in self.reads.items() if n.startswith("local."))
        self.canon = canon
        self.mode: dict[str, str] = {}
        self.paths: dict[str, tuple[tuple[str, ...], ...]] = {}
        for name, r in self.reads.items():
            if not any(_conflicts(p) for p in r.paths):
                self.mode[name] = "free"
                self.paths[name] = tuple(sorted(r.paths))
            elif ROOT not in r.paths and r.fingerprints <= VETTED:
                self.mode[name] = "vetted"
                self.paths[name] = tuple(sorted(set(r.paths) | set(_CANON_CONTEXT)))
            else:
                self.mode[name] = "raw"
                self.paths[name] = tuple(sorted(r.paths))
        self._active: dict[Any, tuple[str, ...]] = {}
        self._whole_ok: dict[str, bool] = {}

    def active(self, kind: Any) -> tuple[str, ...]:
        """The packages that can raise something for inputs of this type (and `basis`)."""
        if not isinstance(kind, str):
            return tuple(self.reads)
        found = self._active.get(kind)
        if found is None:
            found = self._active[kind] = tuple(n for n, r in self.reads.items() if not r.inert_for(kind))
        return found

    def whole_key_ok(self, kind: Any) -> bool:
        """May the whole input be cached under engines/canon.py's canonical key (ids as
        placeholders, hours as intervals, facility and schema_version dropped …)? Only if every
        package active for its type is free or vetted and none reads a dropped key."""
        ok = self._whole_ok.get(kind)
        if ok is None:
            ok = all(self.mode[n] != "raw" and not any(p[:1] in (("facility",), ("schema_version",)) for p in self.reads[n].paths) for n in self.active(kind))
            if isinstance(kind, str):
                self._whole_ok[kind] = ok
        return ok

    def key(self, name: str, doc: dict[str, Any], values: str = "") -> tuple[str, list[str]]:
        """(the package's cache key for `doc`, placeholder number → the string it stands for).
        values: the text of the opaque lib values it uses (reads.OPAQUE), if any."""
        reads = self.reads[name]
        if reads.otherwise is not None and reads.inert_for(doc.get("type")):
            # lib.basis of an input no branch of its `else` chain can hold for: the chain's
            # constant, whatever else the input holds (one key for all such inputs).
            return values + "\0otherwise", []
        proj = project(doc, self.paths[name])
        if self.mode[name] == "vetted":
            proj = _named_fields(proj, self.paths[name], self.reads[name].names)
            key, originals = self.canon.canonical(proj, drop=False)
            return values + "\0" + key, originals
        return values + "\0" + orjson.dumps(proj).decode(), []


class RuleCache:
    """Rule package results by package key."""

    # Per process. A varied night's keys are mostly new (~6 a line): at the cap the cache starts
    # over rather than stopping, so it keeps the keys of the hours being decided, and memory stays
    # bounded (~370 bytes an entry: ~55 MB) however long the log.
    MAX_ENTRIES = 150_000

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        # (package, key) → result, by a 128-bit BLAKE2b digest of the key's exact text: keys
        # of consent rules run to a kilobyte, and a million of them must fit in memory (two
        # different keys share a digest with probability ~2^-128 a pair).
        self._cache: dict[bytes, Any] = {}
        self._results: dict[bytes, Any] = {}
        self.evaluations = 0
        self.evaluated_packages = 0
        # Packages reading the same paths the same way share one key computation.
        self._groups: dict[Any, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}

    def _grouped(self, kind: Any) -> list[tuple[str, tuple[str, ...]]]:
        """The packages active for this type, those reading the same paths the same way (and
        using the same opaque values) grouped; "basis" alone and first."""
        groups = self._groups.get(kind)
        if groups is None:
            by: dict[Any, list[str]] = {}
            for name in self.rules.active(kind):
                if name != "basis":
                    mode, reads = self.rules.mode[name], self.rules.reads[name]
                    # (a vetted key keeps the fields the package names: those must agree too)
                    by.setdefault((mode, self.rules.paths[name], reads.uses, reads.names if mode == "vetted" else None), []).append(name)
            groups = self._groups[kind] = [("basis", ("basis",))] + [(names[0], tuple(names)) for names in by.values()]
        return groups

    def results(self, docs: list[dict[str, Any]], evaluate: Any) -> list[dict[str, Any] | None]:
        """For each input, each active package's result (and "basis"), from the cache or
        evaluated — only the packages whose key is new, in one request per input in one round
        trip to the engine (more rounds only for keys whose results cannot be shared); None for
        an input the engine failed on. `evaluate([(input, names), …])` → per request
        {name: value}, or something else for a failure.

        lib.basis comes first: other packages' keys hold its value. When its key is new, the
        packages using its value are asked for in the same request, before their keys can be
        known (SPECULATE): they read the facts lib.basis reads, so their keys are new too nearly
        always (measured: README, Performance, session 6), and one request costs the engine one
        set_input and — through the type's combined rule (engines/_worker.combined_rules) — one
        query instead of two requests of ~6 queries. Their results are those
        of this very input, cached under the keys made from the basis the engine answered."""
        outs: list[dict[str, Any] | None] = [{} for _ in docs]
        wanted = []
        for i, doc in enumerate(docs):
            out = outs[i]
            key, originals = self.rules.key("basis", doc)
            found = self._lookup("basis", key, originals, out)  # type: ignore[arg-type]
            todo = ([] if found else [("basis", key, originals)]) + self._todo(doc, out)  # type: ignore[arg-type]
            if todo:
                wanted.append((i, todo))
        self._evaluate(docs, wanted, evaluate, outs)
        return outs

    def _todo(self, doc: dict[str, Any], out: dict[str, Any]) -> list[tuple[str, str | None, list[str]]]:
        """The packages of `doc` whose key is new (the others looked up into `out`). Without a
        "basis" in `out` (lib.basis's key is new), the packages using it are listed with no key
        (PENDING), to be keyed once it is known."""
        todo: list[tuple[str, str | None, list[str]]] = []
        basis_known = "basis" in out
        basis_text = orjson.dumps(out["basis"]).decode() if basis_known else ""
        for first, names in self._grouped(doc.get("type"))[1:]:
            uses = self.rules.reads[first].uses
            if uses and not basis_known:
                todo.extend((name, PENDING, []) for name in names)
                continue
            key, originals = self.rules.key(first, doc, basis_text if uses else "")
            for name in names:
                if not self._lookup(name, key, originals, out):
                    todo.append((name, key, originals))
        return todo

    def _lookup(self, name: str, key: str, originals: list[str], out: dict[str, Any]) -> bool:
        hit = self._cache.get(_digest(name, key), _MISS)
        if hit is _MISS:
            return False
        out[name] = restore(hit, originals) if originals else hit
        return True

    def _keyed(self, doc: dict[str, Any], todo: list[Any], out: dict[str, Any], evaluated: bool = False) -> list[Any]:
        """`todo` with its PENDING packages keyed by the lib.basis now in `out` — and, unless
        `evaluated` (their results are at hand), those whose key is known by now dropped."""
        basis_text = orjson.dumps(out["basis"]).decode()
        keys: dict[str, tuple[str, list[str]]] = {}
        rest = []
        for name, key, originals in todo:
            if key is PENDING:
                if name not in keys:
                    group = self._group_of(doc.get("type"), name)
                    keys.update(dict.fromkeys(group, self.rules.key(name, doc, basis_text)))
                key, originals = keys[name]
                if not evaluated and self._lookup(name, key, originals, out):
                    continue
            rest.append((name, key, originals))
        return rest

    def _group_of(self, kind: Any, name: str) -> tuple[str, ...]:
        for _, names in self._grouped(kind):
            if name in names:
                return names
        return (name,)

    def _evaluate(self, docs: list[dict[str, Any]], wanted: list[tuple[int, list[tuple[str, Any, list[str]]]]], evaluate: Any,
                  outs: list[dict[str, Any] | None]) -> None:
        while wanted:
            # A key a request of this round already asks for waits for its result (cached, it
            # serves them all; not shareable, they ask again next round). PENDING packages go
            # with their input's lib.basis: asked now if it is, else they wait for it.
            asked: set[tuple[str, str]] = set()
            now, later = [], []
            for i, todo in wanted:
                mine = [t for t in todo if t[1] is not PENDING and (t[0], t[1]) not in asked]
                waiting = [t for t in todo if t[1] is not PENDING and (t[0], t[1]) in asked]
                asked.update((t[0], t[1]) for t in mine)
                pending = [t for t in todo if t[1] is PENDING]
                (mine if SPECULATE and any(t[0] == "basis" for t in mine) else waiting).extend(pending)
                if mine:
                    now.append((i, mine))
                if waiting:
                    later.append((i, waiting))
            requests = []
            for i, todo in now:
                # The input as far as these packages read it: less for the engine to take in
                # (a package using an opaque lib value computes it from the input: its reads too).
                paths = {p for name, _, _ in todo for used in (name, *self.rules.reads[name].uses) for p in self.rules.reads[used].paths}
                requests.append((project(docs[i], paths), [name for name, _, _ in todo]))
            self.evaluations += len(requests)
            self.evaluated_packages += sum(len(t) for _, t in now)
            for (i, todo), found in zip(now, evaluate(requests)):
                out = outs[i]
                if out is None:
                    continue
                if not isinstance(found, dict):
                    outs[i] = None
                    continue
                if any(key is PENDING for _, key, _ in todo):
                    out["basis"] = found.get("basis")
                    todo = self._keyed(docs[i], todo, out, evaluated=True)
                for name, key, originals in todo:
                    value = found.get(name)
                    if name != "basis" and isinstance(value, dict):
                        value = {k: value[k] for k in (*EFFECTS, "obligation") if k in value}
                    out[name] = value
                    if len(self._cache) >= self.MAX_ENTRIES:
                        self._cache.clear()
                        self._results.clear()
                    stored = unrestore(value, originals)
                    if stored is not UNSAFE:
                        # One object for equal results (most are "nothing found").
                        text = orjson.dumps(stored)
                        stored = self._results.setdefault(text, stored)
                        self._cache[_digest(name, key)] = stored
            wanted = []
            for i, todo in later:
                out = outs[i]
                if out is None:
                    continue
                rest = [t for t in todo if t[1] is PENDING or not self._lookup(t[0], t[1], t[2], out)]
                if "basis" in out and any(t[1] is PENDING for t in rest):
                    rest = self._keyed(docs[i], rest, out)
                if rest:
                    wanted.append((i, rest))


_MISS = object()
UNSAFE = object()
# The key of a package using lib.basis's value, asked for with lib.basis before its value is known.
PENDING = None
# Ask for the packages using lib.basis together with a new lib.basis (False: in a second round
# trip, once their keys are known — the tests run both ways).
SPECULATE = True


def _digest(name: str, key: str) -> bytes:
    return hashlib.blake2b(f"{name}\0{key}".encode(), digest_size=16).digest()


def unrestore(result: Any, originals: list[str]) -> Any:
    """A result for the real input with placeholders back in place of the identifiers the key
    replaced, so that it serves every input with the same key: an identifier may stand only as
    the whole value of an "event_id" (where rules name the event to blame); anywhere else — in
    a message, say — the result is UNSAFE to share (which part of the text is the id is not
    known) and is not cached."""
    if not originals:
        return result
    try:
        return _unrestored(result, None, {s: i for i, s in enumerate(originals)}, originals)
    except ValueError:
        return UNSAFE


# A module function, not a closure: a nested function that calls itself is a reference cycle
# (function -> its cell -> function), one per call; the audit's collector rarely runs
# (gctuning.py), so a varied night's million misses kept them all (hundreds of MB a process).
def _unrestored(v: Any, key: Any, index: dict[str, int], originals: list[str]) -> Any:
    if isinstance(v, str):
        n = index.get(v)
        if n is not None and key == "event_id":
            return f"\u27e6{n}\u27e7"
        if "\u27e6" in v or any(s and s in v for s in originals):
            raise ValueError
        return v
    if isinstance(v, dict):
        return {k: _unrestored(x, k, index, originals) for k, x in v.items()}
    if isinstance(v, list):
        return [_unrestored(x, None, index, originals) for x in v]
    return v


def _text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def combine(results: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any] | None:
    """decide.rego's decision from the packages' results, for an input no waiver names; None
    for any result it does not recognise (then the whole policy decides)."""
    rules_cfg = overlay.get("rules") or {}
    disabled = set(rules_cfg.get("disabled") or [])
    overrides = rules_cfg.get("effect_overrides") or {}
    raised: dict[str, dict[str, Any]] = {}
    obligations: dict[str, dict[str, Any]] = {}
    for name, result in results.items():
        if name == "basis":
            continue
        if not isinstance(result, dict):
            if result is None:
                continue
            return None
        local = name.startswith("local.")
        for effect in EFFECTS:
            found = result.get(effect)
            if found is None:
                continue
            if not isinstance(found, list):
                return None
            for f in found:
                if not isinstance(f, dict) or not isinstance(f.get("rule"), str) or not isinstance(f.get("message"), str):
                    return None
                if local and not (isinstance(f.get("guide"), str) and isinstance(f.get("remedy"), str)):
                    return None  # decide.rego's contract for a hospital's rules: the whole policy says
                if "event_id" in f and not isinstance(f["event_id"], str):
                    return None
                if f["rule"] in disabled:
                    continue
                g = dict(f)
                g["effect"] = overrides.get(f["rule"], effect)
                g = dict(sorted(g.items()))
                raised[_text(g)] = g
        found = result.get("obligation")
        if found is not None:
            if not isinstance(found, list):
                return None
            for o in found:
                if not isinstance(o, dict) or not isinstance(o.get("id"), str) or (local and not isinstance(o.get("text"), str)):
                    return None
                if o["id"] not in disabled:
                    obligations[_text(o)] = o
    kept = list(raised.values())
    by_key = {}
    for f in kept:
        key = "\0".join([f["rule"], f.get("event_id", ""), f["message"]])
        if key in by_key:
            return None  # two findings sort equal: their order is the engine's
        by_key[key] = f
    findings = [by_key[k] for k in sorted(by_key)]
    effects = {f["effect"] for f in kept}
    outcome = "deny" if "deny" in effects else "escalate" if "escalate" in effects else "permit"
    listed: list[dict[str, Any]] = []
    if outcome != "deny":
        by_id: dict[str, dict[str, Any]] = {}
        for o in obligations.values():
            if o["id"] in by_id:
                return None
            by_id[o["id"]] = o
        listed = [by_id[k] for k in sorted(by_id)]
    return {"basis": results.get("basis"), "findings": findings, "obligations": listed, "outcome": outcome, "waivers": []}

