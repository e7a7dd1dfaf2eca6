"""CPU per uncached decision of the shipped policy: regopy (the default engine) against the
reference OPA engine in-process (opa-golib-python-bindings, a test extra), on the same inputs —
regopy's cost per rule package (entry points), the most expensive first — and the cost of a
*miss* of the audit's per-rule cache on a new capture or disclosure (lib.basis and every package
active for its type in one query, on the audit's own inputs: the patient's consents added), as
the regopy worker asked for it in session 6 (package documents, read back through the node's
JSON) and now (effect sets, read from regopy's parsed output), and on OPA in-process.

    python scripts/engine_cost.py [EVENTS]      # inputs: a diverse generated log's events
"""
from __future__ import annotations

import io
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from checker.engines._worker import rule_entrypoints  # noqa: E402
from checker.loggen import audit_inputs, write_log  # noqa: E402
from checker.policy import PolicySet  # noqa: E402


def cpu_per_call(fn, items, rounds: int = 3) -> float:
    """Median over rounds of the mean process CPU per call, in ms."""
    times = []
    for _ in range(rounds):
        t = time.process_time()
        for item in items:
            fn(item)
        times.append((time.process_time() - t) / len(items) * 1e3)
    return statistics.median(times)


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    text = io.StringIO()
    write_log(text, n, 3, diverse=True, malformed_rate=0)
    inputs = [json.loads(line) for line in text.getvalue().splitlines()]
    policy = PolicySet.build(None, [])
    import regopy

    interp = regopy.Interpreter()
    for m in policy.modules:
        interp.add_module(m.path, m.source)
    interp.add_data(policy.data)
    entrypoints = dict(rule_entrypoints([[m.path, m.source] for m in policy.modules]))
    bundle = interp.build("decision = data.clinimg.decision", list(entrypoints.values()))
    runner = regopy.Interpreter()

    def regopy_decide(item):
        runner.set_input(item)
        return runner.query_bundle(bundle)

    print(f"{len(inputs)} inputs (diverse events), CPU per whole uncached decision, median of 3 rounds:")
    print(f"  regopy {regopy.__version__ if hasattr(regopy, '__version__') else ''}: {cpu_per_call(regopy_decide, inputs):.2f} ms")
    try:
        from checker.engines.reference import new_opa

        opa = new_opa(policy.modules, policy.data)
        print(f"  reference OPA in-process: {cpu_per_call(lambda item: opa.eval_document('clinimg.decision', item), inputs):.2f} ms")
        print(f"  reference OPA, a constant (binding overhead): {cpu_per_call(lambda item: opa.eval_document('clinimg.lib.default_min_resolution_mp', item), inputs):.2f} ms")
    except Exception as exc:  # not installed: make setup-test installs it
        print(f"  reference OPA: not measured ({exc})")
    costs, areas = [], []
    for name, ep in entrypoints.items():
        def one(item, ep=ep):
            runner.set_input(item)
            return runner.query_bundle_entrypoint(bundle, ep)
        (areas if name.startswith("area:") else costs).append((cpu_per_call(one, inputs[:100], 1), name))
    t = cpu_per_call(lambda item: runner.set_input(item), inputs[:100], 1)
    print(f"regopy per rule package (set_input included, {t:.3f} ms of it), the most expensive first:")
    for cost, name in sorted(costs, reverse=True)[:12]:
        print(f"  {name:40s} {cost:.3f} ms")
    print(f"  sum over {len(costs)} packages: {sum(c for c, _ in costs):.2f} ms")
    print("regopy per area, all its packages in one query (the per-rule cache's plan for several of them):")
    for cost, name in sorted(areas, reverse=True)[:5]:
        print(f"  {name:40s} {cost:.3f} ms")
    miss_cost(policy, n)
    return 0


def miss_cost(policy: PolicySet, events: int, rounds: int = 5) -> None:
    """CPU of one per-rule miss of a capture and of a disclosure: min and median over `rounds`
    interleaved rounds of the mean over up to 150 inputs each."""
    import regopy

    from checker.engines._worker import regopy_times
    from checker.engines.base import wire_loads
    from checker.engines.canon import Canonicalizer
    from checker.engines.rulecache import RuleSet, project
    from checker.engines.rulequeries import COMBINED_PATH, worker_module

    modules = [[m.path, m.source] for m in policy.modules if not m.is_test]
    source, _, combined = worker_module(modules)
    documents = ["package clinimg_session6", ""]  # session 6's combined rules: whole package documents
    for kind, (_, names) in sorted(combined.items()):
        fields = ['"basis": data.clinimg.lib.basis'] + [f'"{name}": data.clinimg.rules["{name.split(".")[0]}"]["{name.split(".")[1]}"]'
                                                       for name in sorted(names - {"basis"})]
        documents.append(f"{kind} := {{{', '.join(fields)}}}")
    interp = regopy.Interpreter()
    for path, text in modules:
        interp.add_module(path, text)
    interp.add_data(policy.data)
    interp.add_module(COMBINED_PATH, source)
    interp.add_module("session6.rego", "\n".join(documents) + "\n")
    bundle = interp.build("decision = data.clinimg.decision", [p for p, _ in combined.values()] + [f"clinimg_session6/{k}" for k in combined])
    runner = regopy.Interpreter()
    rules = RuleSet([t for _, t in modules], Canonicalizer([24]))
    docs = audit_inputs(max(events, 1500))
    try:
        from checker.engines.opa_inprocess import OpaInProcessEngine

        opa = OpaInProcessEngine(policy)
    except Exception as exc:
        opa = None
        print(f"  (OPA in-process not measured: {exc})")
    print(f"one per-rule miss (lib.basis and every package active for the type, one query; CPU ms, min / median of {rounds} interleaved rounds):")
    for kind, (entry, names) in sorted(combined.items()):
        items = [d for d in docs if d.get("type") == kind][:150]
        paths = {p for name in names for used in (name, *rules.reads[name].uses) for p in rules.reads[used].paths}
        inputs = [project(d, paths) for d in items]
        prepared = [regopy.Input(regopy_times(d)) for d in inputs]

        def session6(i: int) -> object:
            runner.set_input(prepared[i])
            out = runner.query_bundle_entrypoint(bundle, f"clinimg_session6/{kind}")
            return wire_loads(out.expressions().json())[0]

        def session7(i: int) -> object:
            runner.set_input(prepared[i])
            out = runner.query_bundle_entrypoint(bundle, entry)
            return out.results[0].expressions[0]

        ways = [("regopy, session 6 (package documents)", session6), ("regopy, session 7 (effect sets)", session7)]
        if opa is not None:
            asked = sorted(names)
            ways.append(("OPA in-process (effect sets)", lambda i: opa.evaluate_rules([(inputs[i], asked)])))
            for i in range(len(inputs)):  # (OPA prepares a document on first use: not a miss's cost)
                ways[-1][1](i)
        times: dict[str, list[float]] = {label: [] for label, _ in ways}
        for _ in range(rounds):
            for label, fn in ways:
                t = time.process_time()
                for i in range(len(inputs)):
                    fn(i)
                times[label].append((time.process_time() - t) / len(inputs) * 1e3)
        for label, ts in times.items():
            print(f"  {kind:10s} {label:40s} {min(ts):.2f} / {statistics.median(ts):.2f} ms   ({len(inputs)} inputs)")


if __name__ == "__main__":
    raise SystemExit(main())
