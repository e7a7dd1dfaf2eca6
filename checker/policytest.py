"""`clinimg policy test`: the Rego unit tests on real OPA, the data-driven cases on every engine.

The `_test.rego` files use `with input as …`, the OPA-standard idiom that segfaults regopy, so they
only ever run on the reference OPA engine. The data-driven cases (tests/cases) run on the embedded
engine, and on the reference engine when it is installed.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable, Iterable

from .policy import RegoModule, with_origins

_TEST_RULE = re.compile(r"^(test_\w+)\s*(?:if\b|:?=|\{)", re.M)


@dataclasses.dataclass(frozen=True)
class TestResult:
    name: str  # file:line: test (Rego) or [engine] file::case (data case)
    passed: bool
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class RegoTest:
    package: str
    rule: str
    file: str  # as the user gave it (shipped: relative to the policies directory)
    line: int
    local: bool

    @property
    def name(self) -> str:  # what -k matches
        return f"{self.file}::{self.rule}"


def discover(modules: Iterable[RegoModule]) -> list[RegoTest]:
    """Every test rule, in file order, each name once per package."""
    found: list[RegoTest] = []
    for m in modules:
        if not m.is_test:
            continue
        seen: set[str] = set()
        for match in _TEST_RULE.finditer(m.source):
            name = match.group(1)
            if name in seen:
                continue
            seen.add(name)
            line = m.source.count("\n", 0, match.start()) + 1
            found.append(RegoTest(m.package, name, m.origin or m.path, line, m.path.startswith("local")))
    return found


def run_rego_tests(modules: list[RegoModule], tests: list[RegoTest], data: dict[str, Any] | None = None) -> list[TestResult]:
    """The given tests on one reference OPA engine, in one query: each test's value is gathered
    by a comprehension (undefined: empty), so the policies are compiled and prepared once, not
    once a test (325 tests: 0.4 s instead of 85 s). A query that fails as a whole (a test that
    errors at evaluation) is retried a test at a time, so the error is pinned on its test."""
    from .engines.reference import new_opa

    try:
        opa = new_opa(modules, data)
        opa.eval_query("x := true")  # compiles every module: a syntax error shows up here
    except Exception as exc:
        return [TestResult("compile", False, with_origins(_short(exc), modules))]
    try:
        try:
            values = _values(opa, tests)
        except Exception:
            values = None
        results = []
        for i, test in enumerate(tests):
            if values is not None:
                value, error = values[i], ""
            else:
                try:
                    value, error = _values(opa, [test])[0], ""
                except Exception as exc:
                    value, error = [], with_origins(_short(exc), modules)
            passed = value == [True]
            detail = "" if passed else error or ("failed: its body is false or undefined" if not value else "failed: its value is not true")
            results.append(TestResult(f"{test.file}:{test.line}: {test.rule}", passed, detail))
        return results
    finally:
        opa.close()


def _values(opa: Any, tests: list[RegoTest]) -> list[list[Any]]:
    if not tests:
        return []
    query = "r := [" + ", ".join(f"[x | x := data.{t.package}.{t.rule}]" for t in tests) + "]"
    rows = opa.eval_query(query)
    return rows[0]["r"]


def run_case_tests(cases: list[Any], engine_factory: Callable[[dict[str, Any]], Any], label: str) -> list[TestResult]:
    """The data cases on one engine kind: one engine per overlay config, deciding its cases in a
    batch."""
    from .cases import run_cases

    def decide_with(config: dict[str, Any], inputs: list[dict[str, Any]]) -> list[Any]:
        engine = engine_factory(config)
        try:
            return engine.decide(inputs)
        finally:
            engine.close()

    out = []
    for case, decision in run_cases(cases, decide_with):
        problems = case.problems(decision)
        out.append(TestResult(f"[{label}] {case.id}", not problems, "; ".join(problems)))
    return out


def _short(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return " | ".join(lines[:6])[:800] if lines else type(exc).__name__
