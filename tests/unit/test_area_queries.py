"""The regopy worker answers several packages of one area with one query of the area
(engines/_worker.query_plan): each package's value must be the one its own entry point gives."""
from __future__ import annotations

import io
import json

from checker.api import build_policy
from checker.engines._worker import AREA_FROM, query_plan, rule_entrypoints
from checker.engines.embedded import EmbeddedEngine
from checker.loggen import write_log


def test_the_plan_queries_an_area_only_for_several_of_its_packages() -> None:
    entrypoints = dict(rule_entrypoints([["a.rego", "package clinimg.rules.consent.a\n"], ["b.rego", "package clinimg.rules.consent.b\n"],
                                         ["c.rego", "package clinimg.rules.consent.c\n"], ["d.rego", "package clinimg.rules.storage.d\n"]]))
    assert entrypoints["area:consent"] == "clinimg/rules/consent" and entrypoints["basis"] == "clinimg/lib/basis"
    assert AREA_FROM == 3
    assert query_plan(["basis", "consent.a", "consent.b", "consent.c", "storage.d"], entrypoints) == [
        ("basis", ["basis"]), ("area:consent", ["consent.a", "consent.b", "consent.c"]), ("storage.d", ["storage.d"])]
    assert query_plan(["consent.a", "consent.b"], entrypoints) == [("consent.a", ["consent.a"]), ("consent.b", ["consent.b"])]


def test_area_answers_equal_package_answers_on_diverse_inputs() -> None:
    text = io.StringIO()
    write_log(text, 60, 5, diverse=True, malformed_rate=0)
    inputs = [json.loads(line) for line in text.getvalue().splitlines()]
    policy = build_policy()
    names = [name for name, _ in rule_entrypoints([[m.path, m.source] for m in policy.modules if not m.is_test]) if not name.startswith("area:")]
    with EmbeddedEngine(policy) as engine:
        together = engine.evaluate_rules([(item, names) for item in inputs])
        alone = engine.evaluate_rules([(item, [name]) for item in inputs for name in names])
    assert all(isinstance(found, dict) for found in together)
    raised = 0
    for i, found in enumerate(together):
        for j, name in enumerate(names):
            assert found[name] == alone[i * len(names) + j][name], (i, name)
            raised += bool(isinstance(found[name], dict) and any(found[name].get(k) for k in ("deny", "escalate", "warn")))
    assert raised > 25  # the inputs raise findings in many packages
