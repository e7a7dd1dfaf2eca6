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
or {"document": [input, [segment, …]]}, answered by [{"ok": data.<segments>}] ([{}]: undefined),
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
# (the queries of the per-rule cache, shared with the in-process OPA engine; imported here too
# for the tests that ask this worker's plan)
from checker.engines.rulequeries import (  # noqa: F401
    AREA, AREA_FROM, COMBINED, COMBINED_FROM, COMBINED_PACKAGE, COMBINED_PATH, QueryFailed, combined_rules, effect_values,
    query_plan, rule_entrypoints, rule_values, worker_module)


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
    # A builtin that fails on an input (to_number of a word, a time that does not parse) is an
    # error, as on the reference OPA engine — not an undefined expression that quietly drops a
    # hospital rule's deny (fail open) while the other engines answer an engine error.
    runner.strict_built_in_errors = True
    interpreter.strict_built_in_errors = True

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
            raise QueryFailed(f"evaluation of {name} failed: {_first_line(Exception(str(out)))}")
        # The value as regopy's Output parsed it already (its JSON text, once): asking the node
        # for its JSON (`expressions().json()`) would serialise the value twice more in rego-cpp
        # and parse it again here (~0.3 ms of a combined rule's ~3 ms).
        if not out.results or not out.results[0].expressions:
            raise QueryFailed(f"evaluation of {name} gave no value")
        return out.results[0].expressions[0]

    def packages(item: Any, names: list[str]) -> Any:
        """{name: the package's effect sets (or lib.basis)} for one input."""
        try:
            runner.set_input(regopy_times(item))
            return rule_values(names, item.get("type") if isinstance(item, dict) else None, query, entrypoints, combined)
        except QueryFailed as exc:
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

    def document(item: Any, segments: list[str]) -> dict[str, Any]:
        """data.<segments> for one input: {"ok": value}, {} when undefined, or {"error": why}.
        Asked of the interpreter that compiled the policy (a query compiles on the spot: ~50–250
        ms, for serve's Data API beyond the decision only). The caller names only packages and
        rules the policy defines: regopy 1.5.2 aborts on a query of a name nothing defines."""
        try:
            interpreter.set_input(regopy_times(item))
            out = interpreter.query("document_value = data" + "".join(f"[{json.dumps(str(s))}]" for s in segments))
            if not out.ok():
                return {"error": f"evaluation failed: {_first_line(Exception(str(out)))}"}
            bindings = out.results[0].bindings if out.results else {}
            return {"ok": bindings["document_value"]} if "document_value" in bindings else {}
        except Exception as exc:
            return {"error": f"evaluation failed: {_first_line(exc)}"}

    engine: Any = Local()
    if policy.get("cache"):  # the same fact-set and per-rule cache an audit keeps in its own process
        from checker.engines.canon import Canonicalizer, maturity_age
        from checker.engines.rulecache import RuleSet

        overlay = (policy["data"].get("clinimg", {}) or {}).get("config") or {}
        rules = RuleSet([source for path, source in policy["modules"] if not path.endswith("_test.rego")], Canonicalizer(thresholds, maturity_age(overlay)))
        engine = CachedEngine(engine, deadline_thresholds=thresholds, exact_keys=False, rules=rules, overlay=overlay)

    for line in stdin:
        batch = wire_loads(line)
        if isinstance(batch, dict) and batch.get("stats"):  # {"stats": true}: this worker's cache counts (serve's /metrics)
            stats = engine.cache_stats()
            stdout.write(json.dumps({"lookups": stats["lookups"], "misses": stats["misses"]}) + "\n")
            stdout.flush()
            continue
        if isinstance(batch, dict) and "document" in batch:  # {"document": [input, [segment, …]]}: data.<segments>
            stdout.write(wire_dumps([document(*batch["document"])]) + "\n")
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
