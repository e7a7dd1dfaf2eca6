"""`clinimg policy test` and `clinimg policy check`."""
from __future__ import annotations

import pathlib
from typing import Any, Callable, Iterable

from .engines import reference
from .errors import CheckerError
from .policy import PolicySet, load_modules
from .policytest import TestResult, run_case_tests, run_rego_tests


def run_policy_tests(policy_dirs: Iterable[str], *, verbose: bool, echo: Callable[..., Any]) -> int:
    """Run and report every test by name; returns the number failed."""
    dirs = [pathlib.Path(d) for d in policy_dirs]
    results: list[TestResult] = []
    if reference.available():
        results += run_rego_tests(load_modules(dirs, include_tests=True))
    else:
        echo(f"note: Rego unit tests (_test.rego) skipped — {reference.INSTALL_HINT}", err=True)

    from .engines.embedded import EmbeddedEngine

    results += run_case_tests(lambda config: EmbeddedEngine(PolicySet.build(config, dirs)), "embedded")
    if reference.available():
        results += run_case_tests(lambda config: reference.ReferenceEngine(PolicySet.build(config, dirs)), "reference")
    failed = [r for r in results if not r.passed]
    for r in results:
        if not r.passed:
            echo(f"FAIL {r.name}: {r.detail}")
        elif verbose:
            echo(f"PASS {r.name}")
    echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return len(failed)


def compile_check(policy_dirs: Iterable[str]) -> list[str]:
    """Compile every module on the embedded engine (and on reference OPA when installed)."""
    from .engines.embedded import EmbeddedEngine

    dirs = [pathlib.Path(d) for d in policy_dirs]
    policy = PolicySet.build({}, dirs)
    problems: list[str] = []
    engine = EmbeddedEngine(policy)
    try:
        engine.start()  # starting the worker compiles the policy
    except CheckerError as exc:
        problems += [line.replace("embedded engine: ", "") for line in str(exc).splitlines()[1:]] or [str(exc)]
    finally:
        engine.close()
    if reference.available():
        try:
            opa = reference.new_opa(load_modules(dirs, include_tests=True))
            opa.eval_query("x := true")
        except Exception as exc:
            text = str(exc)
            for line in text.splitlines():
                line = line.strip()
                if ".rego:" in line:
                    problems.append(line.split(": ", 1)[-1] if line.startswith(("parse_error", "prepare_error")) else line)
    return list(dict.fromkeys(problems))
