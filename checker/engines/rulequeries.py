"""The queries the per-rule cache (engines/rulecache.py) asks an engine for: which entry point
answers which packages (query_plan), the module of effect-set, area and combined rules an engine
adds to the policy for them (worker_module), and the answer assembled from those queries
(rule_values) — the same for the regopy worker (engines/_worker.py) and the in-process OPA engine
(engines/opa_inprocess.py), so both answer every request alike."""
from __future__ import annotations

import json
import re
from typing import Any, Callable


class QueryFailed(Exception):
    """A query of the policy failed (its reason)."""


# An area's entry point ("area:consent" → data.clinimg.rules.consent): one query for several of
# its packages. Measured (regopy 1.5.2, scripts/engine_cost.py): a query costs ~0.15–0.2 ms
# before any rule is looked at, an area little more than that plus its packages' own work —
# the consent area's 12 packages 0.83 ms in one query against 2.8 ms one by one.
AREA = "area:"
# From this many packages of one area wanted for one input, its area is queried instead.
AREA_FROM = 3


def query_plan(names: list[str], entrypoints: dict[str, str], kind: Any = None,
               combined: dict[str, tuple[str, frozenset[str]]] | None = None, *, combined_from: int | None = None,
               basis_only: bool = True) -> list[tuple[str, list[str]]]:
    """The queries deciding `names` for one input of type `kind`: (entry point, the names it
    answers) — a package alone, several packages of one area answered by one query of that
    area; or, when lib.basis is wanted (any names, unless `basis_only`) with packages that would
    take `combined_from` (COMBINED_FROM) queries or more, all of them in one query of the type's
    combined rule (combined_rules)."""
    combined_from = COMBINED_FROM if combined_from is None else combined_from
    by_area: dict[str, list[str]] = {}
    for name in names:
        by_area.setdefault(name.split(".", 1)[0] if "." in name else "", []).append(name)
    plan: list[tuple[str, list[str]]] = []
    for area, wanted in by_area.items():
        if area and len(wanted) >= AREA_FROM and AREA + area in entrypoints:
            plan.append((AREA + area, wanted))
        else:
            plan.extend((name, [name]) for name in wanted)
    if combined and len(plan) >= combined_from and ("basis" in names or not basis_only) and isinstance(kind, str) and kind in combined:
        if combined[kind][1].issuperset(names):
            return [(COMBINED + kind, list(names))]
    return plan


# A type's combined rule ("type:capture"): lib.basis and every rule package active for the
# type, in one object. The per-rule cache asks for a new lib.basis of a capture or a disclosure
# with most packages of the type (engines/rulecache.py, SPECULATE): one query instead of ~6,
# even though it also evaluates the packages not asked for (measured, README Performance,
# session 6: ~3.6 ms a capture or disclosure instead of ~5.3–5.9). Its module lives in the
# worker only, outside data.clinimg (decide.rego never sees it).
COMBINED = "type:"
COMBINED_PACKAGE = "clinimg_worker_combined"
COMBINED_PATH = "clinimg-worker-combined.rego"
# From this many queries in a plan asking for lib.basis, the combined rule answers instead (a
# query costs ~0.4 ms alone, ~1.7 ms for an area, the combined rule ~3.6 ms).
COMBINED_FROM = 4


def _ref(name: str) -> str:
    area, rule = name.split(".", 1)
    return f"data.clinimg.rules[{json.dumps(area)}][{json.dumps(rule)}]"


def effect_values(modules: list[list[str]]) -> dict[str, str]:
    """{"area.rule": the Rego expression the worker asks for that package} — the object of its
    effect sets (deny, escalate, warn, obligation: all the per-rule cache keeps of a package,
    engines/rulecache.py) when each is a partial set (`deny contains …`, always defined), else
    the package's whole document. A package's document is the object of *all* its rules, so
    asking for it evaluates (and regopy serialises) helper rules no effect needs; asking for
    its effect sets alone gives the same effect sets for less (measured, README Performance,
    session 7: the combined rule of a capture ~3.2 → ~2.4 ms)."""
    from checker.engines.reads import EFFECT_SETS, parse_module

    definitions: dict[str, list[Any]] = {}
    for path, source in modules:
        if path.endswith("_test.rego"):
            continue
        parsed = parse_module(source)
        parts = parsed.name.split(".")
        if len(parts) == 4 and parts[:2] == ["clinimg", "rules"]:
            definitions.setdefault(f"{parts[2]}.{parts[3]}", []).extend(parsed.definitions)
    out: dict[str, str] = {}
    for name, found in sorted(definitions.items()):
        effects = [d for d in found if d.name in EFFECT_SETS]
        if all(re.match(rf"{d.name}\s+contains\b", d.masked) for d in effects):
            out[name] = "{" + ", ".join(f"{json.dumps(e)}: {_ref(name)}[{json.dumps(e)}]" for e in sorted({d.name for d in effects})) + "}"
        else:  # a default, a complete rule or a function named like an effect: the whole document, as decide.rego reads it
            out[name] = _ref(name)
    return out


def worker_module(modules: list[list[str]], every_type: bool = False) -> tuple[str, dict[str, str], dict[str, tuple[str, frozenset[str]]]]:
    """(the worker's own module, {name: entry point} for lib.basis ("basis"), every rule package
    ("area.rule") and area ("area:<area>"), {type: (entry point, the names its rule answers)})
    — a package's value being its effect sets (effect_values); the combined rules for every input
    type lib.basis can vary for (engines/reads.py: the types its `else` chain holds for; none
    when that is not known), the packages active for a type being those reads.py does not find
    inert for it, as engines/rulecache.py asks for them. With `every_type`, a combined rule for
    every type some package is guarded by (an engine whose fixed cost a query is high against
    its evaluation, as the in-process OPA: engines/opa_inprocess.py)."""
    from checker.engines.reads import analyse

    values = effect_values(modules)
    lines = [f"package {COMBINED_PACKAGE}", ""]
    entrypoints = {"basis": "clinimg/lib/basis"}
    areas: dict[str, list[str]] = {}
    for number, (name, value) in enumerate(values.items()):
        lines.append(f"rule_{number} := {value}")
        entrypoints[name] = f"{COMBINED_PACKAGE}/rule_{number}"
        areas.setdefault(name.split(".", 1)[0], []).append(name)
    for number, (area, names) in enumerate(sorted(areas.items())):
        fields = [f'{json.dumps(name.split(".", 1)[1])}: {values[name]}' for name in names]
        lines.append(f"area_{number} := {{{', '.join(fields)}}}")
        entrypoints[AREA + area] = f"{COMBINED_PACKAGE}/area_{number}"
    reads = analyse([source for path, source in modules if not path.endswith("_test.rego")])
    basis = reads.get("basis")
    combined: dict[str, tuple[str, frozenset[str]]] = {}
    kinds: set[str] = set(basis.guard_types) if basis is not None and basis.guard_types is not None else set()
    if every_type:
        kinds.update(kind for r in reads.values() if r.guard_types is not None for kind in r.guard_types)
    for number, kind in enumerate(sorted(kinds)):
        names = [name for name, r in sorted(reads.items()) if name != "basis" and not r.inert_for(kind)]
        fields = ['"basis": data.clinimg.lib.basis'] + [f"{json.dumps(name)}: {values[name]}" for name in names]
        lines.append(f"type_{number} := {{{', '.join(fields)}}}")
        combined[kind] = (f"{COMBINED_PACKAGE}/type_{number}", frozenset(["basis", *names]))
    return "\n".join(lines) + "\n", entrypoints, combined


def combined_rules(modules: list[list[str]]) -> tuple[str, dict[str, tuple[str, frozenset[str]]]]:
    """(the worker's module, {type: (entry point, the names its rule answers)}): worker_module."""
    source, _, combined = worker_module(modules)
    return source, combined


def rule_entrypoints(modules: list[list[str]]) -> list[tuple[str, str]]:
    """(name, entry point) of every rule package clinimg.rules.<area>.<rule> ("area.rule"), of
    every area ("area:<area>", all its packages) and of lib.basis ("basis")."""
    found = {"basis": "clinimg/lib/basis"}
    for path, source in modules:
        if path.endswith("_test.rego"):
            continue
        m = re.search(r"^package\s+clinimg\.rules\.(\w+)\.(\w+)\s*$", source, re.M)
        if m:
            found[f"{m.group(1)}.{m.group(2)}"] = f"clinimg/rules/{m.group(1)}/{m.group(2)}"
            found[AREA + m.group(1)] = f"clinimg/rules/{m.group(1)}"
    return sorted(found.items())


def rule_values(names: list[str], kind: Any, query: Callable[[str], Any], entrypoints: dict[str, str],
                combined: dict[str, tuple[str, frozenset[str]]], **plan: Any) -> dict[str, Any]:
    """{name: its value} for one input of type `kind` (set in the engine already), from the
    queries of its plan (query_plan, `plan` its options); `query(entry)` gives the value of one
    entry point (QueryFailed when the engine cannot)."""
    found: dict[str, Any] = {}
    for entry, group in query_plan(names, entrypoints, kind, combined, **plan):
        if entry == group[0]:  # one package (or lib.basis) alone
            found[entry] = query(entry)
            continue
        # One query of several: an area's value is the object of its packages' values, a type's
        # combined rule the object of lib.basis and every package active for the type — each
        # the value its own entry point gives (what they share of lib is computed once instead
        # of once a query).
        value = query(entry)
        if not isinstance(value, dict):
            raise QueryFailed(f"evaluation of {entry} gave no object")
        if entry.startswith(COMBINED):
            if "basis" not in value:
                raise QueryFailed(f"evaluation of {entry} gave no lib.basis")
            found.update((name, value.get(name, {})) for name in group)
            continue
        for name in group:
            found[name] = value.get(name.split(".", 1)[1], {})
    return found
