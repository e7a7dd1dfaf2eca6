"""Embedded engine worker: one regopy interpreter in its own process.

regopy can segfault (DEVELOPERS.md); running it here means a crash kills this process only; the
parent then re-decides that batch one input at a time, so a crash costs the one input that caused
it, reported as an engine error.

Protocol on stdin/stdout, one JSON document a line. First the policy
{"modules": [[path, source], …], "data": {…}, "cache": bool}, answered by
{"ready": true, …} or {"error": …, "problems": […]}. Then each line is a batch — a JSON array of
inputs — answered by an array of {"ok": decision} / {"error": reason}, in order; or
{"rules": [[input, [package, …]], …]}, answered likewise with {package: its value} per input,
or {"stats": true}, answered by {"lookups", "misses"} of its cache (zeros without one),
a package being "area.rule" (data.clinimg.rules.area.rule: its effect sets, effect_values) or
"basis" (lib.basis): for the per-rule cache, engines/rulecache.py (query_plan: one query a
package, an area, or — lib.basis with most packages of a capture or disclosure — the type's
combined rule; all in a module this worker adds to the policy it was given: worker_module).

With "cache" the worker keeps the cache an audit keeps in its own process (checker/engines/cached.py:
whole fact sets, and per-rule results keyed on what each rule package reads, local ones included)
and maps decisions back to the real identifiers: for `serve`, that work happens here, in parallel
across workers. (serve's worker-side cache had kept the old whole-input keys, which sorted
placeholder image ids for access.production's message in another order than the real ids.)
"""
from __future__ import annotations

import functools
import json
import os
import re
import sys
import types
from typing import Any

from checker.engines.base import wire_dumps, wire_loads


def main() -> int:
    import regopy
    import regopy.output

    # regopy writes the control characters of the input (an id holding ESC or a newline, which a
    # finding may quote) raw inside the JSON of its output, then parses that strictly itself:
    # the decision failed. Its parser is made to take them, as ours below does.
    regopy.output.json = types.SimpleNamespace(loads=functools.partial(json.loads, strict=False))

    from checker.engines.base import BaseEngine, EngineFailure, contract_failure
    from checker.engines.cached import CachedEngine

    # The protocol gets a private copy of stdout; fd 1 goes to stderr, because rego-cpp prints
    # its diagnostics straight to fd 1 and would corrupt the replies.
    stdin = sys.stdin
    stdout = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    policy = json.loads(stdin.readline())
    sources = dict((path, source) for path, source in policy["modules"])
    try:
        interpreter = regopy.Interpreter()
        for path, source in policy["modules"]:
            interpreter.add_module(path, source)
        interpreter.add_data(policy["data"])
        thresholds_out = interpreter.query("x = data.clinimg.lib.deadline_thresholds")
        thresholds = json.loads(thresholds_out.binding("x").json()) if thresholds_out.ok() else []
        # Compiled once per process: a bundle with a plan for the entry point.
        # With an entry point per rule package and for lib.basis: the per-rule cache
        # (engines/rulecache.py) evaluates only the packages whose key is new.
        # The worker's own module asks for each package's effect sets (effect_values), by
        # package, by area and, per type lib.basis varies for, all together (worker_module).
        worker_source, entrypoints, combined = worker_module(policy["modules"])
        interpreter.add_module(COMBINED_PATH, worker_source)
        entrypoints.update((COMBINED + kind, path) for kind, (path, _) in combined.items())
        bundle = interpreter.build("decision = data.clinimg.decision", list(entrypoints.values()))
    except Exception as exc:  # a compile error: report it, then stop
        stdout.write(json.dumps({"error": "policy does not compile", "problems": rego_problems(exc, sources)}) + "\n")
        stdout.flush()
        return 1
    stdout.write(json.dumps({"ready": True, "deadline_thresholds": thresholds}) + "\n")
    stdout.flush()

    runner = regopy.Interpreter()

    class Local(BaseEngine):
        """This process's interpreter behind the engine interface (for CachedEngine)."""

        name = "embedded"

        def decide(self, inputs: list[Any]) -> list[Any]:
            return [decide(item) for item in inputs]

        def evaluate_rules(self, requests: list[Any]) -> list[Any]:
            return [packages(item, names) for item, names in requests]

        def close(self) -> None:
            pass

    def query(name: str) -> Any:
        out = runner.query_bundle_entrypoint(bundle, entrypoints[name])
        if not out.ok():
            raise _Failed(f"evaluation of {name} failed: {_first_line(Exception(str(out)))}")
        # The value as regopy's Output parsed it already (its JSON text, once): asking the node
        # for its JSON (`expressions().json()`) would serialise the value twice more in rego-cpp
        # and parse it again here (~0.3 ms of a combined rule's ~3 ms).
        if not out.results or not out.results[0].expressions:
            raise _Failed(f"evaluation of {name} gave no value")
        return out.results[0].expressions[0]

    def packages(item: Any, names: list[str]) -> Any:
        """{name: the package's value (or lib.basis)} for one input."""
        try:
            runner.set_input(regopy_times(item))
            found = {}
            kind = item.get("type") if isinstance(item, dict) else None
            for entry, group in query_plan(names, entrypoints, kind, combined):
                if entry == group[0]:  # one package (or lib.basis) alone
                    found[entry] = query(entry)
                    continue
                # One query of several: an area's value is the object of its packages' values,
                # a type's combined rule the object of lib.basis and every package active for
                # the type — each the value its own entry point gives (what they share of lib
                # is computed once instead of once a query).
                value = query(entry)
                if not isinstance(value, dict):
                    raise _Failed(f"evaluation of {entry} gave no object")
                if entry.startswith(COMBINED):
                    if "basis" not in value:
                        raise _Failed(f"evaluation of {entry} gave no lib.basis")
                    found.update((name, value.get(name, {})) for name in group)
                    continue
                for name in group:
                    found[name] = value.get(name.split(".", 1)[1], {})
            return found
        except _Failed as exc:
            return EngineFailure(str(exc))
        except KeyError as exc:
            return EngineFailure(f"no such rule package: {exc}")
        except Exception as exc:
            return EngineFailure(f"evaluation failed: {_first_line(exc)}")

    def decide(item: Any) -> Any:
        try:
            runner.set_input(regopy_times(item))
            out = runner.query_bundle(bundle)
            # (regopy's Output parsed its JSON text once — strict=False, see above: control
            # characters of the input raw inside its strings; the binding's own JSON would be
            # serialised twice more)
            answer = out.results[0].bindings.get("decision") if out.ok() and out.results else None
            if answer is None:
                return EngineFailure("the policy gave no decision (data.clinimg.decision is undefined)")
            return contract_failure(answer) or answer
        except Exception as exc:
            return EngineFailure(f"evaluation failed: {_first_line(exc)}")

    engine: Any = Local()
    if policy.get("cache"):  # the same fact-set and per-rule cache an audit keeps in its own process
        from checker.engines.canon import Canonicalizer
        from checker.engines.rulecache import RuleSet

        rules = RuleSet([source for path, source in policy["modules"] if not path.endswith("_test.rego")], Canonicalizer(thresholds))
        overlay = (policy["data"].get("clinimg", {}) or {}).get("config") or {}
        engine = CachedEngine(engine, deadline_thresholds=thresholds, exact_keys=False, rules=rules, overlay=overlay)

    for line in stdin:
        batch = wire_loads(line)
        if isinstance(batch, dict) and batch.get("stats"):  # {"stats": true}: this worker's cache counts (serve's /metrics)
            stats = engine.cache_stats()
            stdout.write(json.dumps({"lookups": stats["lookups"], "misses": stats["misses"]}) + "\n")
            stdout.flush()
            continue
        if isinstance(batch, dict):  # {"rules": [[input, [package, …]], …]}: package results, uncached
            found = [packages(item, names) for item, names in batch["rules"]]
        else:
            found = engine.decide(batch)
        results = [{"error": r.reason} if isinstance(r, EngineFailure) else {"ok": r} for r in found]
        stdout.write(wire_dumps(results) + "\n")
        stdout.flush()
    return 0


def _offset_form(value: Any) -> Any:
    """An RFC 3339 time in UTC written with `Z` (or `z`, or a lowercase `t`) as the same instant
    with `+00:00` and `T` — the form regopy's time.parse_rfc3339_ns reads; anything else as it is."""
    if isinstance(value, str) and len(value) >= 20 and value[-1] in "Zz" and value[10] in "Tt":
        return value[:10] + "T" + value[11:-1] + "+00:00"
    return value


def regopy_times(item: Any) -> Any:
    """The input with the times the policies parse (its occurred_at, lifecycle.as_of, the
    consents' given_at) in the offset form: regopy 1.5.2's time.parse_rfc3339_ns is undefined
    for `...Z`, where OPA's is not — so an image review (whose as_of the audit writes in UTC, `Z`)
    or an event logged in UTC never found its waiver expired: the embedded engine waived what
    OPA reported. Only those fields are rewritten (a finding never quotes them). The shipped
    policy reads times through lib.time_ns, which reads `Z` itself; this keeps a hospital's own
    rule that calls time.parse_rfc3339_ns on these fields agreeing with OPA too."""
    if not isinstance(item, dict):
        return item
    out = dict(item)
    if "occurred_at" in out:
        out["occurred_at"] = _offset_form(out["occurred_at"])
    lifecycle = out.get("lifecycle")
    if isinstance(lifecycle, dict) and "as_of" in lifecycle:
        out["lifecycle"] = {**lifecycle, "as_of": _offset_form(lifecycle["as_of"])}
    consents = out.get("consents")
    if isinstance(consents, list) and any(isinstance(c, dict) and "given_at" in c for c in consents):
        out["consents"] = [{**c, "given_at": _offset_form(c["given_at"])} if isinstance(c, dict) and "given_at" in c else c for c in consents]
    return out


class _Failed(Exception):
    """A query of the policy failed (its reason)."""


# An area's entry point ("area:consent" → data.clinimg.rules.consent): one query for several of
# its packages. Measured (regopy 1.5.2, scripts/engine_cost.py): a query costs ~0.15–0.2 ms
# before any rule is looked at, an area little more than that plus its packages' own work —
# the consent area's 12 packages 0.83 ms in one query against 2.8 ms one by one.
AREA = "area:"
# From this many packages of one area wanted for one input, its area is queried instead.
AREA_FROM = 3


def query_plan(names: list[str], entrypoints: dict[str, str], kind: Any = None,
               combined: dict[str, tuple[str, frozenset[str]]] | None = None) -> list[tuple[str, list[str]]]:
    """The queries deciding `names` for one input of type `kind`: (entry point, the names it
    answers) — a package alone, several packages of one area answered by one query of that
    area; or, when lib.basis is wanted with packages that would take COMBINED_FROM queries or
    more, all of them in one query of the type's combined rule (combined_rules)."""
    by_area: dict[str, list[str]] = {}
    for name in names:
        by_area.setdefault(name.split(".", 1)[0] if "." in name else "", []).append(name)
    plan: list[tuple[str, list[str]]] = []
    for area, wanted in by_area.items():
        if area and len(wanted) >= AREA_FROM and AREA + area in entrypoints:
            plan.append((AREA + area, wanted))
        else:
            plan.extend((name, [name]) for name in wanted)
    if combined and len(plan) >= COMBINED_FROM and "basis" in names and isinstance(kind, str) and kind in combined:
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


def worker_module(modules: list[list[str]]) -> tuple[str, dict[str, str], dict[str, tuple[str, frozenset[str]]]]:
    """(the worker's own module, {name: entry point} for lib.basis ("basis"), every rule package
    ("area.rule") and area ("area:<area>"), {type: (entry point, the names its rule answers)})
    — a package's value being its effect sets (effect_values); the combined rules for every input
    type lib.basis can vary for (engines/reads.py: the types its `else` chain holds for; none
    when that is not known), the packages active for a type being those reads.py does not find
    inert for it, as engines/rulecache.py asks for them."""
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
    for number, kind in enumerate(sorted(basis.guard_types) if basis is not None and basis.guard_types is not None else []):
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


_ERROR = re.compile(r"\(error \d+:([^|]*)\|(\d+)\|\d+\s*\(errormsg \d+:([^)]*)\)")


def rego_problems(exc: BaseException, sources: dict[str, str]) -> list[str]:
    """regopy's error s-expression as `file:line: message` lines."""
    found = []
    for path, offset, message in _ERROR.findall(str(exc)):
        source = sources.get(path, "")
        line = source.count("\n", 0, int(offset)) + 1 if source else 0
        found.append(f"{path or '<policy>'}:{line}: {message.strip()}")
    return found or [_first_line(exc)]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
