"""regopy really crashes on these policies; a crash costs at most the decision in hand."""
from __future__ import annotations

import copy
import pathlib

import pytest
import yaml

from checker.cases import CASES_DIR
from checker.engines.base import EngineFailure
from checker.engines.embedded import EmbeddedEngine
from checker.policy import PolicySet
from tests.conftest import EXAMPLES, ROOT, run_cli

FIXTURES = ROOT / "tests" / "fixtures"
BASES = yaml.safe_load((CASES_DIR / "bases.yaml").read_text())
DEEP = 200_000


def test_crash_on_one_input_costs_that_decision_only() -> None:
    policy = PolicySet.build({}, [FIXTURES / "crash_on_input"])
    crashing = dict(copy.deepcopy(BASES["capture"]), note="[" * DEEP + "]" * DEEP)
    with EmbeddedEngine(policy) as engine:
        results = engine.decide([BASES["capture"], crashing, BASES["disclosure"], crashing, BASES["consent"]])
    assert [type(r).__name__ for r in results] == ["dict", "EngineFailure", "dict", "EngineFailure", "dict"]
    assert "crashed" in results[1].reason and "SIGSEGV" in results[1].reason
    assert results[0]["outcome"] == results[2]["outcome"] == results[4]["outcome"] == "permit"


def test_check_reports_an_engine_crash_as_exit_2(tmp_path: pathlib.Path) -> None:
    request = tmp_path / "request.json"
    import json

    request.write_text(json.dumps(dict(BASES["capture"], note="[" * DEEP + "]" * DEEP)))
    result = run_cli("check", str(request), "--policy-dir", str(FIXTURES / "crash_on_input"))
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("clinimg: engine error, no decision (fail closed): the embedded engine crashed")
    assert "Traceback" not in result.err


def test_policy_that_crashes_the_compiler_is_found_before_use() -> None:
    # `with` is found lexically when the policy loads: no engine is started at all.
    result = run_cli("check", str(EXAMPLES / "requests" / "allowed_capture_wound_for_care.json"), "--policy-dir", str(FIXTURES / "crash_at_compile"))
    assert result.code == 2
    assert f"{FIXTURES / 'crash_at_compile' / 'crash.rego'}:12: `with` is not supported by the embedded engine" in result.err
    assert "regopy crashed" not in result.err
    assert "Traceback" not in result.err and result.out == ""


def test_a_compile_crash_is_traced_to_its_file_and_rule() -> None:
    # Past the lexical check (here: skipped), regopy really aborts; the engine then compiles the
    # hospital's modules one by one in child processes and names the file and the rule.
    from checker.errors import EngineError
    from checker.policy import load_modules

    policy = PolicySet.from_modules(load_modules([FIXTURES / "crash_at_compile"], check=False))
    with pytest.raises(EngineError) as caught:
        EmbeddedEngine(policy).start()
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("embedded engine failed to start: regopy crashed (")
    assert lines[1].startswith(f"{FIXTURES / 'crash_at_compile' / 'crash.rego'}:10: the embedded engine (regopy) aborts while compiling this rule")
    assert "--engine opa" in lines[1]


def test_engine_failure_is_never_a_permit() -> None:
    failure = EngineFailure("x")
    assert not isinstance(failure, dict)
