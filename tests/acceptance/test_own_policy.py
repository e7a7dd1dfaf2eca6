"""A hospital's own policy cannot be got wrong silently (issue 10): misspelt rule ids in an overlay,
local rules that break the finding contract, Rego the embedded engine cannot run — each is an
error naming the file (as the user gave it), the line and the fix, through the real CLI."""
from __future__ import annotations

import json
import pathlib
import random
import socket

import pytest

from checker.engines.base import EngineFailure
from checker.engines.embedded import EmbeddedEngine
from checker.engines.reference import available
from checker.policy import PolicySet, load_modules
from tests.acceptance.test_differential import OVERLAYS, variation
from tests.conftest import EXAMPLES, ROOT, run_cli

BAD_OVERLAYS = pathlib.Path("tests/fixtures/bad_overlays")  # relative: messages keep the user's path
BAD_RULES = pathlib.Path("tests/fixtures/bad_rules")
GOOD_RULES = pathlib.Path("tests/fixtures/good_rules")
LOCAL_EXAMPLE = "examples/local_rules"
PERMIT_REQUEST = str(EXAMPLES / "requests" / "allowed_capture_wound_for_care.json")
OVERLAY_ERRORS = {
    "disabled_typo.yaml": 'tests/fixtures/bad_overlays/disabled_typo.yaml:6: $.rules.disabled[1]: unknown rule id (did you mean "storage.auto_upload"?)',
    "override_typo.yaml": 'tests/fixtures/bad_overlays/override_typo.yaml:5: $.rules.effect_overrides["disclosure.non_profesional"]: unknown rule id (did you mean "disclosure.non_professional"?)',
    "waiver_typo.yaml": 'tests/fixtures/bad_overlays/waiver_typo.yaml:4: $.waivers[0].rule: unknown rule id (did you mean "storage.delete_after_transfer"?)',
}


def _sms_request(tmp_path: pathlib.Path) -> str:
    request = json.loads((EXAMPLES / "requests" / "disallowed_case1_post_on_facebook.json").read_text())
    request["channel"] = "sms"
    path = tmp_path / "sms.json"
    path.write_text(json.dumps(request))
    return str(path)


# ---------------------------------------------------------------------------------------------
# 1. Rule ids an overlay names are rules of the policy in force


@pytest.mark.parametrize("name", sorted(OVERLAY_ERRORS))
def test_validate_refuses_an_unknown_rule_id(name: str) -> None:
    r = run_cli("validate", str(BAD_OVERLAYS / name))
    assert r.code == 2
    assert OVERLAY_ERRORS[name] in r.err.splitlines()


@pytest.mark.parametrize("name", sorted(OVERLAY_ERRORS))
def test_check_refuses_an_unknown_rule_id(name: str) -> None:
    r = run_cli("check", PERMIT_REQUEST, "--policy-config", str(BAD_OVERLAYS / name))
    assert r.code == 2 and r.out == ""
    assert r.err == f"clinimg: {OVERLAY_ERRORS[name]}\n"


def test_audit_and_bundle_refuse_an_unknown_rule_id(tmp_path: pathlib.Path) -> None:
    overlay = str(BAD_OVERLAYS / "disabled_typo.yaml")
    r = run_cli("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--policy-config", overlay)
    assert r.code == 2 and OVERLAY_ERRORS["disabled_typo.yaml"] in r.err and r.out == ""
    r = run_cli("policy", "bundle", "--output", str(tmp_path / "b.tar.gz"), "--policy-config", overlay)
    assert r.code == 2 and OVERLAY_ERRORS["disabled_typo.yaml"] in r.err
    assert not (tmp_path / "b.tar.gz").exists()


def test_serve_refuses_an_unknown_rule_id_before_listening() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = run_cli("serve", "--port", str(port), "--policy-config", str(BAD_OVERLAYS / "waiver_typo.yaml"), timeout=60)
    assert r.code == 2 and OVERLAY_ERRORS["waiver_typo.yaml"] in r.err


def test_own_rules_and_obligations_are_known_ids_with_their_policy_dir() -> None:
    overlay = str(BAD_OVERLAYS / "local_rule_ids.yaml")
    r = run_cli("validate", overlay)
    assert r.code == 2 and '$.rules.effect_overrides["local.no_video_in_theatre"]: unknown rule id' in r.err
    r = run_cli("validate", overlay, "--policy-dir", LOCAL_EXAMPLE)
    assert r.code == 0, r.err
    r = run_cli("check", PERMIT_REQUEST, "--policy-config", overlay, "--policy-dir", LOCAL_EXAMPLE, "--format", "json")
    assert r.code == 0, r.err


def test_a_disabled_obligation_is_not_reported(tmp_path: pathlib.Path) -> None:
    request = str(EXAMPLES / "requests" / "allowed_secondary_purpose_share.json")
    before = run_cli("check", request, "--format", "json").json()
    assert "disclosure.notify_patient" in [o["id"] for o in before["obligations"]]
    overlay = tmp_path / "o.yaml"
    overlay.write_text("rules: {disabled: [disclosure.notify_patient]}\n")
    after = run_cli("check", request, "--format", "json", "--policy-config", str(overlay)).json()
    assert "disclosure.notify_patient" not in [o["id"] for o in after["obligations"]]


# ---------------------------------------------------------------------------------------------
# 2. The local-rule contract

STATIC_PROBLEMS = {
    "misnamed_set": "tests/fixtures/bad_rules/misnamed_set/denied.rego:3: package clinimg.rules.local.denied defines none of deny, escalate, warn, obligation, so it never reaches a decision (it defines `denied`: did you mean `deny`?)",
    "misnamed_beside": "tests/fixtures/bad_rules/misnamed_beside/warnings.rego:9: no decision reads the set `warnings`: did you mean `warn`? (a rule's sets are deny, escalate, warn, obligation)",
    "msg_not_message": "tests/fixtures/bad_rules/msg_not_message/msg.rego:8: a `deny` finding must have `message` (has `msg`: did you mean `message`?); findings carry rule, message, guide, remedy",
    "boolean_deny": "tests/fixtures/bad_rules/boolean_deny/boolean.rego:4: `deny` must be a set: write `deny contains finding if { … }`",
    "nested_package": "tests/fixtures/bad_rules/nested_package/nested.rego:2: package must be clinimg.rules.local.<rule> (one segment after 'local': deeper packages never reach a decision)",
    "wrong_rule_id": 'tests/fixtures/bad_rules/wrong_rule_id/wrong.rego:13: the finding\'s rule is "local.no_smss" but the METADATA id is "local.no_sms": a finding carries its own rule\'s id',
    "string_finding": 'tests/fixtures/bad_rules/string_finding/strings.rego:6: `deny` adds text, not an object: write {"rule": …, "message": …, "guide": …, "remedy": …}',
    "uses_with": "tests/fixtures/bad_rules/uses_with/with.rego:9: `with` is not supported by the embedded engine; rewrite the rule, or decide this policy on OPA with `--engine opa`",
}


@pytest.mark.parametrize("name", sorted(STATIC_PROBLEMS))
def test_policy_check_names_file_line_and_fix(name: str) -> None:
    r = run_cli("policy", "check", "--policy-dir", str(BAD_RULES / name))
    assert r.code == 2 and "policies compile" not in r.out
    assert r.err.splitlines() == [STATIC_PROBLEMS[name]]


@pytest.mark.parametrize("name", sorted(STATIC_PROBLEMS))
def test_every_command_loading_the_rule_refuses_it(name: str, tmp_path: pathlib.Path) -> None:
    r = run_cli("check", _sms_request(tmp_path), "--policy-dir", str(BAD_RULES / name))
    assert (r.code, r.out, r.err) == (2, "", f"clinimg: {STATIC_PROBLEMS[name]}\n")
    r = run_cli("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--policy-dir", str(BAD_RULES / name))
    assert r.code == 2 and STATIC_PROBLEMS[name] in r.err


def test_serve_and_bundle_refuse_a_rule_that_breaks_the_contract(tmp_path: pathlib.Path) -> None:
    rules = str(BAD_RULES / "misnamed_set")
    r = run_cli("serve", "--port", "0", "--policy-dir", rules, timeout=60)
    assert r.code == 2 and STATIC_PROBLEMS["misnamed_set"] in r.err
    r = run_cli("policy", "bundle", "--output", str(tmp_path / "b.tar.gz"), "--policy-dir", rules)
    assert r.code == 2 and STATIC_PROBLEMS["misnamed_set"] in r.err and not (tmp_path / "b.tar.gz").exists()


def test_syntax_error_is_reported_under_the_users_path() -> None:
    r = run_cli("policy", "check", "--policy-dir", str(BAD_RULES / "syntax_error"))
    assert r.code == 2
    lines = r.err.splitlines()
    assert lines and all(line.startswith("tests/fixtures/bad_rules/syntax_error/broken.rego:6: ") for line in lines), lines
    assert "local/" not in r.err
    r = run_cli("check", PERMIT_REQUEST, "--policy-dir", str(BAD_RULES / "syntax_error"))
    assert r.code == 2 and "tests/fixtures/bad_rules/syntax_error/broken.rego:6: " in r.err and "local/" not in r.err


def _no_decision(out: str) -> bool:
    """`check --format json` answered no decision: only the JSON error document for apps."""
    doc = json.loads(out)
    return "outcome" not in doc and "engine error" in doc["error"] and doc["exit_code"] == 2


def test_a_finding_that_breaks_the_contract_at_decision_time_is_an_engine_error(tmp_path: pathlib.Path) -> None:
    # object.union hides the missing `message` from any static check: the decision catches it.
    r = run_cli("policy", "check", "--policy-dir", str(BAD_RULES / "dynamic_msg"))
    assert r.code == 0
    r = run_cli("check", _sms_request(tmp_path), "--policy-dir", str(BAD_RULES / "dynamic_msg"), "--format", "json")
    assert r.code == 2 and _no_decision(r.out)
    assert "engine error" in r.err and "fail closed" in r.err
    assert "clinimg.rules.local.dynamic_msg: a deny finding lacks message" in r.err
    # Where the rule does not fire, decisions go on as before.
    r = run_cli("check", PERMIT_REQUEST, "--policy-dir", str(BAD_RULES / "dynamic_msg"))
    assert r.code == 0, r.err


def _unlinted(*dirs: pathlib.Path, config: dict | None = None) -> PolicySet:
    """The policy as a server built from it would hold it (no load-time lint): decision time
    must catch what the lint would have."""
    return PolicySet.from_modules(load_modules(list(dirs), check=False), config)


@pytest.mark.parametrize("name,problem", [
    ("msg_not_message", "clinimg.rules.local.sms_msg: a deny finding lacks message"),
    ("boolean_deny", "clinimg.rules.local.boolean_deny: deny is not a set"),
    ("string_finding", "clinimg.rules.local.string_finding: a deny finding is not an object"),
])
def test_decision_time_contract_on_the_embedded_engine(name: str, problem: str, tmp_path: pathlib.Path) -> None:
    request = json.loads(pathlib.Path(_sms_request(tmp_path)).read_text())
    with EmbeddedEngine(_unlinted(BAD_RULES / name)) as engine:
        [result] = engine.decide([request])
    assert isinstance(result, EngineFailure) and problem in result.reason


@pytest.mark.skipif(not available(), reason="reference OPA engine not installed (make test installs it)")
def test_decision_time_contract_on_opa(tmp_path: pathlib.Path) -> None:
    from checker.bundle import build_bundle
    from tests.serving import opa_stub_app, running_app

    policy = _unlinted(BAD_RULES / "dynamic_msg")
    with running_app(opa_stub_app(build_bundle(policy))) as opa:
        r = run_cli("check", _sms_request(tmp_path), "--engine", "opa", "--opa-url", opa.url, "--format", "json")
        assert r.code == 2 and _no_decision(r.out)
        assert "clinimg.rules.local.dynamic_msg: a deny finding lacks message" in r.err
        r = run_cli("check", PERMIT_REQUEST, "--engine", "opa", "--opa-url", opa.url)
        assert r.code == 0, r.err


def test_invariant_a_deny_or_escalate_always_has_its_finding() -> None:
    """Over generated inputs, overlays that move effects around, and local rules — one of which
    breaks the contract for some inputs: every deny/escalate has a finding of that effect, and
    every decision that could not have one is an engine error the policy itself named."""
    rng = random.Random(10)
    inputs = [variation(rng) for _ in range(150)]
    for request in inputs[::3]:
        if request.get("type") == "disclosure":
            request["channel"] = "sms"
    overlays = OVERLAYS[:1] + OVERLAYS[3:] + [{"rules": {"effect_overrides": {"local.no_sms": "escalate", "local.student_capture": "deny"}}}]
    outcomes: dict[str, int] = {}
    contract_errors = 0
    for config in overlays:
        policy = _unlinted(GOOD_RULES, pathlib.Path(LOCAL_EXAMPLE), BAD_RULES / "dynamic_msg", config=config)
        with EmbeddedEngine(policy) as engine:
            results = engine.decide(inputs)
        for result in results:
            if isinstance(result, EngineFailure):
                assert "breaks the local-rule contract" in result.reason, result.reason
                contract_errors += 1
                continue
            outcomes[result["outcome"]] = outcomes.get(result["outcome"], 0) + 1
            if result["outcome"] in ("deny", "escalate"):
                assert any(f["effect"] == result["outcome"] for f in result["findings"]), result
    assert contract_errors and outcomes.get("deny") and outcomes.get("escalate") and outcomes.get("permit")


# ---------------------------------------------------------------------------------------------
# 3. What the embedded engine cannot run is found before use


def test_with_in_a_local_rule_is_found_before_any_decision(tmp_path: pathlib.Path) -> None:
    r = run_cli("check", _sms_request(tmp_path), "--policy-dir", str(BAD_RULES / "uses_with"))
    assert r.code == 2 and "regopy crashed" not in r.err
    assert "tests/fixtures/bad_rules/uses_with/with.rego:9: `with` is not supported by the embedded engine" in r.err


def test_the_worked_example_passes_every_check() -> None:
    r = run_cli("policy", "check", "--policy-dir", LOCAL_EXAMPLE)
    assert (r.code, r.out) == (0, "policies compile\n"), r.err
    r = run_cli("rules", "--policy-dir", LOCAL_EXAMPLE)
    assert "local.no_video_in_theatre" in r.out


# ---------------------------------------------------------------------------------------------
# 4. Quick policy tests

FAILING = "tests/fixtures/failing_tests"


def test_only_local_runs_the_hospitals_tests_and_names_each_failure() -> None:
    r = run_cli("policy", "test", "--policy-dir", FAILING, "--only-local")
    assert r.code == 1
    assert r.out.splitlines() == [
        "FAIL tests/fixtures/failing_tests/sms_test.rego:10: test_sms_allowed: failed: its body is false or undefined",
        "FAIL [embedded] tests/fixtures/failing_tests/cases/sms.yaml::sms expected to be a channel finding: expected findings ['disclosure.channel'], found ['local.no_sms']",
        "FAIL [reference] tests/fixtures/failing_tests/cases/sms.yaml::sms expected to be a channel finding: expected findings ['disclosure.channel'], found ['local.no_sms']",
        "3 passed, 3 failed",
    ]


def test_k_selects_tests_and_cases_by_name() -> None:
    r = run_cli("policy", "test", "--policy-dir", FAILING, "--only-local", "-k", "sms_denied", "-v")
    assert (r.code, r.out) == (0, "PASS tests/fixtures/failing_tests/sms_test.rego:5: test_sms_denied\n1 passed, 0 failed\n")
    r = run_cli("policy", "test", "-k", "storage/passcode_test.rego::", "-v")
    assert r.code == 0 and r.out.splitlines()[-1].endswith(" passed, 0 failed")
    assert all("storage/passcode_test.rego" in line for line in r.out.splitlines()[:-1]) and len(r.out.splitlines()) > 2


def test_the_worked_example_passes_its_own_tests() -> None:
    # The whole run (shipped + own) is `make test`'s first step: `clinimg policy test --policy-dir examples/local_rules`.
    r = run_cli("policy", "test", "--policy-dir", LOCAL_EXAMPLE, "--only-local")
    assert (r.code, r.out) == (0, "9 passed, 0 failed\n")


# ---------------------------------------------------------------------------------------------
# 5. Policy history on the state store


def test_a_changed_policy_is_said_in_every_report_format(tmp_path: pathlib.Path) -> None:
    import xml.etree.ElementTree as ET

    state = str(tmp_path / "state.sqlite")
    week = str(EXAMPLES / "logs" / "week.jsonl")
    overlay = str(EXAMPLES / "overlay" / "hospital.yaml")
    first = run_cli("audit", week, "--state", state, "--format", "json")
    assert "policy changed" not in first.err and "previous_digest" not in first.json()["policy"]
    old = first.json()["policy"]["digest"]
    same = run_cli("audit", week, "--state", state, "--format", "json")
    assert "policy changed" not in same.err and same.json()["policy"] == first.json()["policy"]

    changed = run_cli("audit", week, "--state", state, "--format", "json", "--policy-config", overlay)
    policy = changed.json()["policy"]
    assert policy["previous_digest"] == old and policy["digest"] != old
    assert f"clinimg audit: the policy changed since the previous run on this state store: was {old}, now {policy['digest']}" in changed.err

    # Each later run compares with the run before it: back to the shipped policy, every format says so.
    line = f"The policy changed since the previous run on this state store: was {policy['digest']}, now {old}"
    text = run_cli("audit", week, "--state", state)
    assert line in text.out.splitlines()
    assert "the policy changed" not in run_cli("audit", week, "--state", state, "--format", "html").err  # unchanged again
    run_cli("audit", week, "--state", state, "--policy-config", overlay)
    page = run_cli("audit", week, "--state", state, "--format", "html").out
    assert f"<p><strong>{line}</strong></p>" in page
    run_cli("audit", week, "--state", state, "--policy-config", overlay)
    junit = ET.fromstring(run_cli("audit", week, "--state", state, "--format", "junit").out)
    props = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert props["policy.digest"] == old and props["policy.previous_digest"] == policy["digest"]
    assert any(s.get("name") == "policy.changed" for s in junit.iter("testsuite"))


def test_a_one_off_audit_has_no_history() -> None:
    r = run_cli("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--format", "json")
    assert "previous_digest" not in r.json()["policy"] and "policy changed" not in r.err


def test_a_server_answering_deny_without_a_reason_is_an_engine_error() -> None:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from tests.serving import running_app

    async def data(request):
        return JSONResponse({"decision_id": "x", "result": {"outcome": "deny", "basis": None, "findings": [], "obligations": [], "waivers": []}})

    app = Starlette(routes=[Route("/v1/data/{path:path}", data, methods=["POST"])])
    with running_app(app) as srv:
        r = run_cli("check", PERMIT_REQUEST, "--engine", "opa", "--opa-url", srv.url)
    assert r.code == 2 and r.out == ""
    assert "the policy answered deny without a finding that says why" in r.err


def test_policy_check_checks_an_overlay_against_the_rules() -> None:
    overlay = str(BAD_OVERLAYS / "local_rule_ids.yaml")
    r = run_cli("policy", "check", "--policy-config", overlay)
    assert r.code == 2 and '$.rules.effect_overrides["local.no_video_in_theatre"]: unknown rule id' in r.err
    r = run_cli("policy", "check", "--policy-config", overlay, "--policy-dir", LOCAL_EXAMPLE)
    assert (r.code, r.out) == (0, "policies compile\n"), r.err


def test_an_audit_lists_the_contract_breach_as_an_engine_error(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "week.jsonl"
    log.write_text((EXAMPLES / "logs" / "week.jsonl").read_text().replace('"channel":"social_media"', '"channel":"sms"'))
    r = run_cli("audit", str(log), "--policy-dir", str(BAD_RULES / "dynamic_msg"), "--format", "json")
    assert r.code == 1
    errors = r.json()["engine_errors"]
    assert [e["event_id"] for e in errors] == ["cs1-post"]
    assert "clinimg.rules.local.dynamic_msg: a deny finding lacks message" in errors[0]["reason"]
    assert "cs1-post" not in {f["event_id"] for f in r.json()["findings"] if f["rule"].startswith("local.")}


def test_paths_are_spelt_as_the_user_gave_them() -> None:
    r = run_cli("policy", "check", "--policy-dir", "./tests/fixtures/bad_rules/msg_not_message/")
    assert r.err.startswith("./tests/fixtures/bad_rules/msg_not_message/msg.rego:8: ")
    r = run_cli("check", PERMIT_REQUEST, "--policy-dir", "./tests/fixtures/bad_rules/syntax_error")
    assert "./tests/fixtures/bad_rules/syntax_error/broken.rego:6: " in r.err
