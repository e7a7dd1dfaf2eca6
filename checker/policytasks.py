"""`clinimg policy test` and `clinimg policy check`."""
from __future__ import annotations

import os
import pathlib
import re
from typing import Any, Callable, Iterable

from .engines import reference
from .errors import CheckerError
from .policy import PolicySet, load_modules
from .policylint import WITH_MESSAGE, lint, rule_ids
from .policytest import TestResult, discover, run_case_tests, run_rego_tests

_OPA_PROBLEM = re.compile(r"(\S+\.rego):(\d+): ([^\n]*)")


def run_policy_tests(policy_dirs: Iterable[str], *, verbose: bool, echo: Callable[..., Any], only_local: bool = False, pattern: str | None = None) -> int:
    """Run and report every test by name; returns the number failed.

    The Rego unit tests (_test.rego) run on one reference OPA engine in one query; the data cases
    (tests/cases, and each policy dir's cases/) on each engine, one engine per overlay config.
    only_local: just the hospital's own tests and cases. pattern: only tests and cases whose
    name (file::test, file::case) contains it."""
    from .cases import load_cases

    dirs = list(policy_dirs)  # as given: messages name files under the user's spelling
    if only_local and not dirs:
        raise CheckerError("--only-local needs --policy-dir (the hospital's own rules and tests)")
    modules = load_modules(dirs, include_tests=True)
    selected = [t for t in discover(modules) if (t.local or not only_local) and (pattern is None or pattern in t.name)]
    known = rule_ids(modules)
    cases = [] if only_local else load_cases(rule_ids=known)
    for d in dirs:
        if (pathlib.Path(d) / "cases").is_dir():
            cases += load_cases(pathlib.Path(d) / "cases", display=os.path.join(d, "cases"), rule_ids=known)
    cases = [c for c in cases if pattern is None or pattern in c.id]

    results: list[TestResult] = []
    if selected and reference.available():
        results += run_rego_tests(modules, selected)
    elif selected:
        echo(f"note: Rego unit tests (_test.rego) skipped — {reference.INSTALL_HINT}", err=True)

    from .engines.embedded import EmbeddedEngine

    policy_modules = [m for m in modules if not m.is_test]
    if cases:
        results += run_case_tests(cases, lambda config: EmbeddedEngine(PolicySet.from_modules(policy_modules, config)), "embedded")
        if reference.available():
            results += run_case_tests(cases, lambda config: reference.ReferenceEngine(PolicySet.from_modules(policy_modules, config)), "reference")
    failed = [r for r in results if not r.passed]
    for r in results:
        if not r.passed:
            echo(f"FAIL {r.name}: {r.detail}")
        elif verbose:
            echo(f"PASS {r.name}")
    if not results:
        # A `-k` typo or an own directory without tests must not read as a green run in CI.
        what = "no test or case name contains -k's text" if pattern is not None else "no tests found"
        raise CheckerError(f"policy test: {what}; nothing was tested")
    echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return len(failed)


def compile_check(policy_dirs: Iterable[str], policy_config: str | None = None) -> list[str]:
    """Every problem of the own Rego, as `file:line: message` with the paths the user gave: the
    local-rule contract (checker/policylint.py), then compiling on the embedded engine (a module
    that crashes it found in child processes, module by module), then on reference OPA (which
    also compiles the _test.rego files) when installed; with policy_config, the overlay too."""
    from .engines.embedded import EmbeddedEngine

    dirs = list(policy_dirs)  # as given: messages name files under the user's spelling
    modules = load_modules(dirs, include_tests=True, check=False)
    local = [m for m in modules if m.path.startswith("local")]
    lint_problems = lint(local, shipped=[m for m in modules if not m.path.startswith("local")])
    problems = [str(p) for p in lint_problems]
    # A module regopy is known to abort on is reported above; the rest are compiled.
    aborts = {p.file for p in lint_problems if p.message == WITH_MESSAGE}
    policy = PolicySet.from_modules(m for m in modules if not m.is_test and not (m.path.startswith("local") and m.origin in aborts))
    engine = EmbeddedEngine(policy)
    try:
        engine.start()  # starting the worker compiles the policy
    except CheckerError as exc:
        lines = str(exc).splitlines()
        problems += [line.replace("embedded engine: ", "") for line in lines[1:]] or [str(exc)]
    finally:
        engine.close()
    if reference.available():
        origins = {m.path: m.origin for m in modules if m.origin}
        try:
            opa = reference.new_opa([m for m in modules if not (m.path.startswith("local") and m.origin in aborts)])
            opa.eval_query("x := true")
            opa.close()
        except Exception as exc:
            for path, line, message in _OPA_PROBLEM.findall(str(exc)):
                problems.append(f"{origins.get(path, path)}:{line}: {message.strip()}")
    from .cases import load_cases

    known = rule_ids(modules)
    for d in dirs:  # the own data cases, read as `policy test` reads them
        try:
            load_cases(pathlib.Path(d) / "cases", display=os.path.join(d, "cases"), rule_ids=known)
        except CheckerError as exc:
            problems += str(exc).splitlines()
    if policy_config is not None:  # the overlay's rule ids against these rules
        from .overlay import load_overlay
        from .policylint import obligation_only_ids

        try:
            load_overlay(policy_config, rule_ids=rule_ids(modules), obligation_ids=obligation_only_ids(modules))
        except CheckerError as exc:
            problems += str(exc).splitlines()
    return list(dict.fromkeys(problems))
