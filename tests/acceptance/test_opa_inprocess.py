"""`--engine opa-inprocess` (opt-in): the reference OPA in this process, behind the same per-rule
cache as the default regopy engine. It must decide exactly as regopy does — every data case,
whole decisions and the per-rule path alike; a diverse audit's report byte for byte, plain and
customised, cached and not, in one process and in two — fail closed on an evaluation error, and
say how to install it when the binding is missing."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest
import requests

from checker.cases import load_cases
from checker.engines.factory import audit_engine
from checker.engines.opa_inprocess import OpaInProcessEngine
from checker.engines.reference import available
from checker.loggen import write_log, write_overlay
from checker.policy import PolicySet
from tests.case_decisions import REGOPY_CASES, regopy_case_decisions
from tests.conftest import EXAMPLES, ROOT, run_cli
from tests.serving import running_server

pytestmark = pytest.mark.skipif(not available(), reason="reference OPA engine not installed (make test installs it)")

EVENTS = 400


@pytest.fixture(scope="module")
def diverse(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, pathlib.Path]:
    tmp = tmp_path_factory.mktemp("diverse")
    log = tmp / "diverse.jsonl"
    with open(log, "w") as fh:
        gen = write_log(fh, EVENTS, 23, diverse=True)
    overlay = tmp / "overlay.yaml"
    write_overlay(str(overlay), gen)
    return log, overlay


def _audit(*args: str) -> str:
    done = run_cli("audit", *args, "--format", "json")
    assert done.code in (0, 1), done.err
    return done.out


@pytest.mark.parametrize("customised", [False, True], ids=["plain", "customised"])
def test_a_diverse_audit_reports_the_same_bytes_on_both_engines(diverse, customised: bool) -> None:
    log, overlay = diverse
    extra = ("--policy-dir", str(EXAMPLES / "local_rules"), "--policy-config", str(overlay)) if customised else ()
    regopy = _audit(str(log), *extra, "--workers", "1")
    assert _audit(str(log), *extra, "--workers", "1", "--engine", "opa-inprocess") == regopy
    assert _audit(str(log), *extra, "--workers", "1", "--engine", "opa-inprocess", "--no-cache") == regopy
    # two partitions, each with its own in-process OPA (the partition's configuration names it)
    assert _audit(str(log), *extra, "--workers", "2", "--engine", "opa-inprocess") == regopy
    report = json.loads(regopy)
    assert len({f["rule"] for f in report["findings"]}) > 25  # the variety reaches most rules
    if customised:
        assert any(f["rule"].startswith("local.") for f in report["findings"])


@pytest.mark.xdist_group(REGOPY_CASES)
def test_every_data_case_is_decided_as_regopy_decides_it() -> None:
    """Whole decisions, and decisions made by the per-rule cache from the engine's per-rule
    answers (the audit's and serve's path), equal regopy's on every data case."""
    compared = 0
    for config, inputs, ours in regopy_case_decisions():  # decided once, shared with test_differential
        policy = PolicySet.build(json.loads(config))
        assert all(isinstance(d, dict) for d in ours)
        whole = OpaInProcessEngine(policy)
        cached = audit_engine(policy, True, engine="opa-inprocess")
        try:
            assert whole.decide(inputs) == ours
            assert cached.decide(inputs) == ours
            compared += len(inputs)
        finally:
            whole.close()
            cached.close()
    assert compared == len(load_cases()) > 100


FAILING_RULE = '''# METADATA
# title: A rule whose helper has two values for a capture
# custom:
#   id: local.conflict
#   effect: deny
#   guide_section: Ask for advice
#   remedy: Fix the rule.
package clinimg.rules.local.conflict

label := "one" if input.type == "capture"

label := "two" if input.type == "capture"

deny contains finding if {
	label == "three"
	finding := {"rule": "local.conflict", "message": "never", "guide": "Ask for advice", "remedy": "Fix the rule."}
}
'''


def test_an_evaluation_error_fails_closed(tmp_path: pathlib.Path) -> None:
    """A rule OPA cannot evaluate (a complete rule with two values) is an engine error — for the
    whole decision and for the per-rule path alike — never a permit."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "conflict.rego").write_text(FAILING_RULE)
    policy = PolicySet.build(None, [str(rules)])
    capture = json.loads((EXAMPLES / "requests" / "allowed_capture_wound_for_care.json").read_text())
    for engine in (OpaInProcessEngine(policy), audit_engine(policy, True, engine="opa-inprocess")):
        try:
            (decision,) = engine.decide([capture])
        finally:
            engine.close()
        assert not isinstance(decision, dict), decision
        assert "conflict" in decision.reason or "eval" in decision.reason
    request = tmp_path / "capture.json"
    request.write_text(json.dumps(capture))
    done = run_cli("check", str(request), "--policy-dir", str(rules), "--engine", "opa-inprocess")
    assert done.code == 2, (done.code, done.out, done.err)
    assert "permit" not in done.out.lower()


def test_without_the_binding_it_says_how_to_install_it(tmp_path: pathlib.Path) -> None:
    fake = tmp_path / "opa_bindings"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('not here')\n")
    request = sorted((EXAMPLES / "requests").glob("*.json"))[0]
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    for args in (["check", str(request)], ["audit", str(EXAMPLES / "logs" / "week.jsonl")]):
        done = subprocess.run([sys.executable, "-m", "checker.cli", *args, "--engine", "opa-inprocess"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
        assert done.returncode == 2, done.stderr
        assert "pip install --ignore-requires-python opa-golib-python-bindings" in done.stderr
        assert "Traceback" not in done.stderr


def test_serve_decides_on_it_as_on_regopy() -> None:
    bodies = [json.loads(p.read_text()) for p in sorted((EXAMPLES / "requests").glob("*.json"))]
    answers = {}
    for engine in ("embedded", "opa-inprocess"):
        with running_server(workers=1, engine=engine) as server:
            found = []
            for body in bodies:
                reply = requests.post(f"{server.url}/v1/data/clinimg/decision", json={"input": body}, timeout=30)
                assert reply.status_code == 200, reply.text
                found.append(reply.json()["result"])
            answers[engine] = found
    assert answers["opa-inprocess"] == answers["embedded"]
    assert {a["outcome"] for a in answers["embedded"]} >= {"permit", "deny"}
