"""How the per-rule cache asks the regopy worker (session 6): a new lib.basis is asked for together
with the packages using its value, keyed once the worker answered (rulecache.SPECULATE), and such a
request is answered by one query of the type's combined rule (_worker.combined_rules). Both must
change nothing but the cost: every package's answer equals its own entry point's, and every cached
answer the one the package gives for that very input."""
from __future__ import annotations

from typing import Any

import pytest

from checker.api import build_policy
from checker.engines import rulecache
from checker.engines._worker import COMBINED, combined_rules, effect_values, query_plan, regopy_times, rule_entrypoints
from checker.engines.canon import Canonicalizer
from checker.engines.embedded import EmbeddedEngine
from checker.engines.rulecache import EFFECTS, RuleCache, RuleSet
from checker.loggen import audit_inputs


@pytest.fixture(scope="module")
def setting() -> tuple[Any, RuleSet, list[dict[str, Any]], EmbeddedEngine]:
    policy = build_policy()
    with EmbeddedEngine(policy) as engine:
        rules = RuleSet([m.source for m in policy.modules if not m.is_test], Canonicalizer(engine.deadline_thresholds()))
        yield policy, rules, audit_inputs(500, 7), engine


def _effects(value: Any) -> Any:
    return {k: value[k] for k in (*EFFECTS, "obligation") if k in value} if isinstance(value, dict) else value


def test_the_combined_rule_answers_as_each_entry_point(setting: Any) -> None:
    policy, rules, docs, engine = setting
    modules = [[m.path, m.source] for m in policy.modules]
    _, combined = combined_rules(modules)
    assert set(combined) == {"capture", "disclosure"}  # the types lib.basis varies for
    entrypoints = dict(rule_entrypoints(modules))
    chosen = [d for d in docs if d.get("type") in combined][:60]
    assert {d["type"] for d in chosen} == {"capture", "disclosure"}
    requests = [(doc, list(rules.active(doc["type"]))) for doc in chosen]
    for doc, names in requests:
        assert "basis" in names and query_plan(names, entrypoints, doc["type"], combined) == [(COMBINED + doc["type"], names)]
    together = engine.evaluate_rules(requests)
    alone = engine.evaluate_rules([(doc, [name]) for doc, names in requests for name in names])
    at, raised = 0, 0
    for (doc, names), found in zip(requests, together):
        assert isinstance(found, dict)
        for name in names:
            assert found[name] == alone[at][name], (doc["type"], name)
            raised += bool(isinstance(found[name], dict) and any(found[name].get(k) for k in EFFECTS))
            at += 1
    assert raised > 40  # the inputs raise findings in many packages


def test_a_basis_asked_for_alone_is_not_combined() -> None:
    combined = {"capture": ("q/type_0", frozenset({"basis", "consent.a", "consent.b"}))}
    entrypoints = {"basis": "b", "consent.a": "a", "consent.b": "b2", "area:consent": "c"}
    assert query_plan(["basis"], entrypoints, "capture", combined) == [("basis", ["basis"])]
    # a name the combined rule does not answer: the plan as without it
    names = ["basis", "consent.a", "consent.b", "storage.x", "storage.y"]
    assert query_plan(names, entrypoints, "capture", combined)[0] == ("basis", ["basis"])


@pytest.mark.parametrize("speculate", [True, False])
def test_cached_answers_are_the_packages_own(setting: Any, speculate: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every answer RuleCache.results gives — evaluated, or from a key made before or after the
    worker told lib.basis — equals what the package's entry point says for that very input."""
    policy, rules, docs, engine = setting
    monkeypatch.setattr(rulecache, "SPECULATE", speculate)
    cache = RuleCache(rules)
    requests: list[int] = []

    def evaluate(batch: list[Any]) -> list[Any]:
        requests.append(len(batch))
        return engine.evaluate_rules(batch)

    got = [out for at in range(0, len(docs), 64) for out in cache.results(docs[at:at + 64], evaluate)]
    truth = engine.evaluate_rules([(doc, ["basis", *(n for n in rules.active(doc.get("type")) if n != "basis")]) for doc in docs])
    for doc, out, want in zip(docs, got, truth):
        assert out is not None and isinstance(want, dict)
        assert set(out) == set(want), doc.get("type")
        for name, value in want.items():
            assert out[name] == _effects(value), (doc.get("type"), name)
    hits = sum(len(out) for out in got) - cache.evaluated_packages
    assert hits > 3 * len(docs)  # the cache served many answers, which were checked above
    # With speculation a batch takes one round trip (more only for keys two inputs share);
    # without, lib.basis's users wait for a second.
    rounds = len(requests) / ((len(docs) + 63) // 64)
    assert (rounds < 1.6) if speculate else (rounds >= 2)
    # Every answer was cached under the key a later lookup makes: the same inputs again cost
    # (nearly) nothing — only answers that quote an id in their text are not shareable.
    first = cache.evaluated_packages
    again = [out for at in range(0, len(docs), 64) for out in cache.results(docs[at:at + 64], evaluate)]
    assert again == got
    assert cache.evaluated_packages - first < 0.01 * first, (first, cache.evaluated_packages - first)


def test_a_package_is_asked_for_by_its_effect_sets_only_when_they_are_partial_sets() -> None:
    modules = [
        ["a.rego", "package clinimg.rules.x.a\n\nhelper := 1\n\ndeny contains f if { f := helper }\n\nwarn contains 2 if true\n"],
        ["b.rego", "package clinimg.rules.x.b\n\ndefault deny := []\n"],  # a complete rule: may be undefined elsewhere
        ["c.rego", "package clinimg.rules.x.c\n\nwarn(x) := x\n"],  # a function: not in the document
        ["d.rego", "package clinimg.rules.x.d\n\nhelper := 1\n"],  # no effect at all
        ["d_test.rego", "package clinimg.rules.x.d_test\n\ntest_x if true\n"],
    ]
    values = effect_values(modules)
    assert values == {
        "x.a": '{"deny": data.clinimg.rules["x"]["a"]["deny"], "warn": data.clinimg.rules["x"]["a"]["warn"]}',
        "x.b": 'data.clinimg.rules["x"]["b"]',
        "x.c": 'data.clinimg.rules["x"]["c"]',
        "x.d": "{}",
    }


def test_effect_sets_asked_for_are_those_of_the_whole_package_documents(setting: Any) -> None:
    """The worker asks for each package's effect sets (_worker.effect_values), not its whole
    document (all its rules): what the per-rule cache keeps of a package — deny, escalate, warn,
    obligation — must be the same, for every package on diverse inputs of every type."""
    import regopy

    policy, rules, docs, engine = setting
    modules = [[m.path, m.source] for m in policy.modules]
    documents = {name: path for name, path in rule_entrypoints(modules) if not name.startswith("area:")}
    interp = regopy.Interpreter()
    for path, source in modules:
        interp.add_module(path, source)
    interp.add_data(policy.data)
    bundle = interp.build("x = 1", list(documents.values()))
    runner = regopy.Interpreter()
    disclosure = next(d for d in docs if d.get("type") == "disclosure")
    # (and one shared for the patient's care without consent: an obligation, rare in the log)
    chosen = docs + [{**disclosure, "purpose": "clinical_care", "consents": [], "recipient": {"kind": "clinician", "relationship": "treating_team"}}]
    names = [name for name in documents if name != "basis"]
    asked = engine.evaluate_rules([(doc, names) for doc in chosen])
    compared = raised = 0
    effects_seen: set[str] = set()
    for doc, found in zip(chosen, asked):
        assert isinstance(found, dict)
        runner.set_input(regopy_times(doc))
        for name in names:
            out = runner.query_bundle_entrypoint(bundle, documents[name])
            whole = out.results[0].expressions[0]
            assert found[name] == _effects(whole), (doc.get("type"), name)
            compared += 1
            effects_seen |= {k for k, v in found[name].items() if v}
            raised += bool(any(found[name].get(k) for k in EFFECTS))
    assert compared > 5000 and raised > 50
    assert effects_seen == {"deny", "escalate", "warn", "obligation"}  # every kind of effect was compared non-empty
