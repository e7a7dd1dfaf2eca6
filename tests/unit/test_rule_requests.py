"""How the per-rule cache asks the regopy worker (session 6): a new lib.basis is asked for together
with the packages using its value, keyed once the worker answered (rulecache.SPECULATE), and such a
request is answered by one query of the type's combined rule (_worker.combined_rules). Both must
change nothing but the cost: every package's answer equals its own entry point's, and every cached
answer the one the package gives for that very input."""
from __future__ import annotations

import io
from typing import Any

import pytest

from checker.api import build_policy
from checker.audit.reader import EventParser, InputProblem, LogLine
from checker.audit.state import State
from checker.engines import rulecache
from checker.engines._worker import COMBINED, combined_rules, query_plan, rule_entrypoints
from checker.engines.canon import Canonicalizer
from checker.engines.embedded import EmbeddedEngine
from checker.engines.rulecache import EFFECTS, RuleCache, RuleSet
from checker.loggen import write_log


def _audit_inputs(events: int, seed: int) -> list[dict[str, Any]]:
    """The inputs an audit builds for a diverse log's events (with each patient's consents)."""
    text = io.StringIO()
    write_log(text, events, seed, diverse=True, malformed_rate=0)
    parser, state, docs = EventParser(), State(), []
    for number, line in enumerate(text.getvalue().splitlines(), start=1):
        parsed = parser.parse(LogLine("gen", number, line.encode()))
        if isinstance(parsed, InputProblem):
            continue
        docs.append(state.input_for(parsed.doc, parsed.occurred_ns))
        if parsed.doc["type"] == "breach_report":
            state.apply_breach_report(parsed.doc, parsed.occurred_ns)
        else:
            state.apply(parsed.doc, parsed.occurred_ns)
    return docs


@pytest.fixture(scope="module")
def setting() -> tuple[Any, RuleSet, list[dict[str, Any]], EmbeddedEngine]:
    policy = build_policy()
    with EmbeddedEngine(policy) as engine:
        rules = RuleSet([m.source for m in policy.modules if not m.is_test], Canonicalizer(engine.deadline_thresholds()))
        yield policy, rules, _audit_inputs(500, 7), engine


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
