"""CPU per uncached decision of the shipped policy: regopy (the default engine) against the
reference OPA engine in-process (opa-golib-python-bindings, a test extra), on the same inputs —
and regopy's cost per rule package (entry points), the most expensive first.

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
from checker.loggen import write_log  # noqa: E402
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
