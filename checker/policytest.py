"""`clinimg policy test`: the Rego unit tests on real OPA, the data-driven cases on every engine.

The `_test.rego` files use `with input as …`, the OPA-standard idiom that segfaults regopy, so they
only ever run on the reference OPA engine. The data-driven cases (tests/cases) run on the embedded
engine, and on the reference engine when it is installed.
"""
from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Callable, Iterable

from .policy import RegoModule

_TEST_RULE = re.compile(r"^(test_\w+)\s*(?:if\b|:?=|\{)", re.M)


@dataclasses.dataclass(frozen=True)
class TestResult:
    name: str
    passed: bool
    detail: str = ""


def discover(modules: Iterable[RegoModule]) -> list[tuple[str, str]]:
    """(package, rule) for every test rule, in file order, each name once."""
    found: list[tuple[str, str]] = []
    for m in modules:
        if not m.is_test:
            continue
        for name in dict.fromkeys(_TEST_RULE.findall(m.source)):
            found.append((m.package, name))
    return found


def run_rego_tests(modules: list[RegoModule], data: dict[str, Any] | None = None) -> list[TestResult]:
    from .engines.reference import new_opa

    try:
        opa = new_opa(modules, data)
        opa.eval_query("x := true")  # compiles every module: a syntax error shows up here
    except Exception as exc:
        return [TestResult("compile", False, _short(exc))]
    results = []
    for package, rule in discover(modules):
        name = f"data.{package}.{rule}"
        try:
            rows = opa.eval_query(f"x := {name}")
            passed = bool(rows) and rows[0].get("x") is True
            results.append(TestResult(name, passed, "" if passed else "false or undefined"))
        except Exception as exc:
            results.append(TestResult(name, False, _short(exc)))
    opa.close()
    return results


def run_case_tests(engine_factory: Callable[[dict[str, Any]], Any], label: str) -> list[TestResult]:
    from .cases import load_cases, run_cases

    def decide_with(config: dict[str, Any], inputs: list[dict[str, Any]]) -> list[Any]:
        engine = engine_factory(config)
        try:
            return engine.decide(inputs)
        finally:
            engine.close()

    out = []
    for case, decision in run_cases(load_cases(), decide_with):
        problems = case.problems(decision)
        out.append(TestResult(f"[{label}] {case.id}", not problems, "; ".join(problems)))
    return out


def _short(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return " | ".join(lines[:6])[:800] if lines else type(exc).__name__
