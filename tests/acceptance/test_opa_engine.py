"""`--engine opa`: decisions from an OPA server through opa-python-client — against `clinimg serve`
(Batch API) and against real OPA serving the bundle (Data and Query APIs) — identical to the
embedded engine; clear one-line errors when the server is down, refuses the token or lacks the
policies; bounded retries and timeouts; TLS verified by default."""
from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys

import pytest
import requests

from checker import __version__
from checker.api import build_policy
from checker.bundle import build_bundle
from checker.engines.base import EngineFailure
from checker.engines.embedded import EmbeddedEngine
from checker.engines.opa import OpaServerEngine
from checker.engines.reference import available
from checker.errors import EngineError
from checker.policy import PolicySet, RegoModule
from tests.conftest import EXAMPLES, run_cli
from tests.serving import opa_stub_app, running_app, running_server

REQUESTS = sorted((EXAMPLES / "requests").glob("*.json"))
OVERLAY = EXAMPLES / "overlay" / "hospital.yaml"
TOKEN = "opa-engine-test-token"
EXIT = {"permit": 0, "deny": 1, "escalate": 3}


def load(path):
    return json.loads(path.read_text())


def embedded(policy, inputs):
    with EmbeddedEngine(policy) as engine:
        return engine.decide(inputs)


@pytest.fixture(scope="module")
def policy():
    return build_policy()


@pytest.fixture(scope="module")
def expected(policy):
    return {p.name: d for p, d in zip(REQUESTS, embedded(policy, [load(p) for p in REQUESTS]))}


@pytest.fixture(scope="module")
def server(policy):
    with running_server(policy, workers=2) as running:
        yield running


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Through the real CLI, against `clinimg serve`


def test_cli_engine_opa_decides_every_example_as_embedded(server, policy, expected):
    for path in REQUESTS:
        decision = expected[path.name]
        r = run_cli("check", str(path), "--engine", "opa", "--opa-url", server.url, "--format", "json")
        assert r.code == EXIT[decision["outcome"]], (path.name, r.err)
        got = r.json()
        assert got.pop("policy") == {"version": __version__, "digest": policy.digest, "engine": "opa"}
        assert got == decision, path.name


def test_engine_opa_with_the_hospital_overlay(expected):
    """A server started with the overlay decides as the embedded engine with it: every example
    through the engine, and through the CLI each one the overlay changes."""
    policy = build_policy(OVERLAY)
    inputs = [load(p) for p in REQUESTS]
    want = embedded(policy, inputs)
    with running_server(policy, workers=2) as srv:
        with OpaServerEngine(srv.url) as engine:
            assert engine.decide(inputs) == want
        changed = [(p, d) for p, d in zip(REQUESTS, want) if d != expected[p.name]]
        assert changed  # the overlay matters for some examples
        for path, decision in changed:
            r = run_cli("check", str(path), "--engine", "opa", "--opa-url", srv.url, "--format", "json")
            assert r.code == EXIT[decision["outcome"]], (path.name, r.err)
            got = r.json()
            assert got.pop("policy") == {"version": __version__, "digest": policy.digest, "engine": "opa"}
            assert got == decision, path.name
    r = run_cli("check", str(REQUESTS[0]), "--format", "json", "--policy-config", str(OVERLAY))
    assert r.json()["policy"] == policy.stamp()


def test_cli_text_report_names_the_server_stamp(server, policy):
    r = run_cli("check", str(REQUESTS[0]), "--engine", "opa", "--opa-url", server.url)
    assert f"Policy {__version__} {policy.digest}" in r.out


def test_cli_audit_engine_opa_gives_the_embedded_report(server, policy, tmp_path):
    log = str(EXAMPLES / "logs" / "week.jsonl")
    a, b = tmp_path / "opa.json", tmp_path / "embedded.json"
    r1 = run_cli("audit", log, "--engine", "opa", "--opa-url", server.url, "--format", "json", "--output", str(a))
    r2 = run_cli("audit", log, "--format", "json", "--output", str(b))
    assert r1.code == r2.code, r1.err
    ra, rb = json.loads(a.read_text()), json.loads(b.read_text())
    assert ra.pop("policy") == {"version": __version__, "digest": policy.digest, "engine": "opa"}
    rb.pop("policy")
    assert ra["engine_errors"] == []
    assert ra == rb


def test_server_down_is_exit_2_with_one_clear_line():
    url = f"http://127.0.0.1:{free_port()}"
    r = run_cli("check", str(REQUESTS[0]), "--engine", "opa", "--opa-url", url, "--opa-timeout", "2")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert "not answering" in lines[0] and url in lines[0] and "fail closed" in lines[0]
    assert r.out == ""


def test_token_refused_then_accepted(policy):
    with running_server(policy, workers=1, token=TOKEN) as srv:
        r = run_cli("check", str(REQUESTS[0]), "--engine", "opa", "--opa-url", srv.url)
        assert r.code == 2 and len(r.err.strip().splitlines()) == 1
        assert "HTTP 401" in r.err and "--opa-token" in r.err
        r = run_cli("check", str(REQUESTS[0]), "--engine", "opa", "--opa-url", srv.url, "--opa-token", "wrong")
        assert r.code == 2 and "HTTP 401" in r.err
        r = run_cli("check", str(REQUESTS[0]), "--engine", "opa", "--opa-url", srv.url, "--opa-token", TOKEN, "--format", "json")
        assert r.code in EXIT.values() and r.json()["outcome"]
        env_proc = subprocess.run(
            [sys.executable, "-m", "checker.cli", "check", str(REQUESTS[0]), "--engine", "opa", "--opa-url", srv.url],
            capture_output=True, text=True, cwd=str(EXAMPLES.parent), env={**os.environ, "CLINIMG_OPA_TOKEN": TOKEN}, timeout=120,
        )
        assert env_proc.returncode in EXIT.values(), env_proc.stderr


def test_usage_errors():
    r = run_cli("check", str(REQUESTS[0]), "--engine", "opa")
    assert r.code == 2 and "--opa-url" in r.err
    r = run_cli("check", str(REQUESTS[0]), "--engine", "opa", "--opa-url", "ftp://x")
    assert r.code == 2 and "http://" in r.err
    r = run_cli("check", str(REQUESTS[0]), "--engine", "opa", "--opa-url", "http://127.0.0.1:1", "--policy-config", str(OVERLAY))
    assert r.code == 2 and "--policy-config" in r.err and "bundle" in r.err
    r = run_cli("check", str(REQUESTS[0]), "--opa-url", "http://127.0.0.1:1")
    assert r.code == 2 and "--engine opa" in r.err


def test_insecure_is_said_loudly(server):
    r = run_cli("check", str(REQUESTS[0]), "--engine", "opa", "--opa-url", server.url, "--opa-insecure")
    assert "WARNING" in r.err and "NOT verified" in r.err


# ---------------------------------------------------------------------------------------------
# The engine object


def test_engine_batches_against_serve(server, expected, policy):
    inputs = [load(p) for p in REQUESTS] * 30  # 300 inputs: two batch round trips
    with OpaServerEngine(server.url, batch=256) as engine:
        got = engine.decide(inputs)
        assert engine._mode == "batch"
        assert engine.stamp() == {"version": __version__, "digest": policy.digest, "engine": "opa"}
    assert got == [expected[p.name] for p in REQUESTS] * 30


def test_bulk_query_mode_against_serve(server, expected):
    with OpaServerEngine(server.url) as engine:
        engine._mode = "bulk"  # opa-python-client's bulk_query_rule (POST /v1/query)
        assert engine.decide([load(p) for p in REQUESTS]) == [expected[p.name] for p in REQUESTS]
        assert engine._mode == "bulk"


def test_one_bad_input_is_one_failure(server, expected):
    bad = load(REQUESTS[0])
    bad["patient"]["age_years"] = "old"
    inputs = [load(REQUESTS[0]), bad, load(REQUESTS[1])]
    with OpaServerEngine(server.url) as engine:
        got = engine.decide(inputs)
    assert got[0] == expected[REQUESTS[0].name] and got[2] == expected[REQUESTS[1].name]
    assert isinstance(got[1], EngineFailure)


def test_tls_verified_by_default():
    engine = OpaServerEngine("https://127.0.0.1:1")
    assert engine._client._session.verify is True
    assert engine._client.root_url.startswith("https://")
    engine.close()
    insecure = OpaServerEngine("https://127.0.0.1:1", verify_tls=False)
    assert insecure._client._session.verify is False
    insecure.close()


def test_https_to_a_plain_server_is_a_clear_error(server):
    with OpaServerEngine(server.url.replace("http://", "https://"), retries=0, timeout=5) as engine:
        with pytest.raises(EngineError) as info:
            engine.decide([load(REQUESTS[0])])
    assert len(str(info.value).splitlines()) == 1


def _flaky_app(fail_first: int, delay: float = 0.0):
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    calls = {"n": 0}

    async def data(request):
        calls["n"] += 1
        if delay:
            await asyncio.sleep(delay)
        if calls["n"] <= fail_first:
            return JSONResponse({"code": "unavailable", "message": "busy"}, status_code=503)
        # A deny carries the finding that denies: a deny without one is an engine error (fail closed).
        finding = {"rule": "disclosure.non_professional", "effect": "deny", "message": "m", "guide": "g", "remedy": "r"}
        return JSONResponse({"decision_id": "x", "result": {"outcome": "deny", "basis": None, "findings": [finding], "obligations": [], "waivers": []}})

    return Starlette(routes=[Route("/v1/data/{path:path}", data, methods=["POST"])]), calls


def test_bounded_retries():
    app, calls = _flaky_app(fail_first=2)
    with running_app(app) as srv:
        with OpaServerEngine(srv.url, retries=2) as engine:
            assert engine.decide([load(REQUESTS[0])])[0]["outcome"] == "deny"
        assert calls["n"] == 3
        calls["n"] = 0
        with OpaServerEngine(srv.url, retries=1) as engine:
            [result] = engine.decide([load(REQUESTS[0])])
        assert isinstance(result, EngineFailure) and "503" in result.reason  # never a permit
        assert calls["n"] == 2


def test_timeout_is_a_clear_error():
    app, calls = _flaky_app(fail_first=0, delay=1.0)
    with running_app(app) as srv:
        with OpaServerEngine(srv.url, retries=1, timeout=0.2) as engine:
            with pytest.raises(EngineError, match="timed out"):
                engine.decide([load(REQUESTS[0])])
        assert calls["n"] == 2


# ---------------------------------------------------------------------------------------------
# Against real OPA (the OPA Go engine behind OPA's REST API, loaded from the bundle)

needs_opa = pytest.mark.skipif(not available(), reason="reference OPA engine not installed (make test installs it)")


@needs_opa
@pytest.mark.parametrize("overlay", [None, OVERLAY], ids=["guide", "hospital-overlay"])
def test_engine_on_real_opa_serving_the_bundle(overlay):
    policy = build_policy(overlay)
    inputs = [load(p) for p in REQUESTS]
    want = embedded(policy, inputs)
    with running_app(opa_stub_app(build_bundle(policy), token=TOKEN)) as opa:
        with OpaServerEngine(opa.url, token=TOKEN) as engine:
            got = engine.decide(inputs)
            assert engine._mode == "bulk"  # no Batch API on open-source OPA: the client's bulk query
            assert engine.stamp()["digest"] == policy.digest  # the bundle's revision
        assert got == want
        r = run_cli("check", str(REQUESTS[4]), "--engine", "opa", "--opa-url", opa.url, "--opa-token", TOKEN, "--format", "json")
        assert r.code == EXIT[want[4]["outcome"]], r.err
        assert r.json()["policy"]["digest"] == policy.digest


@needs_opa
def test_server_without_clinimg_policies_is_a_clear_error():
    other = PolicySet((RegoModule("other/allow.rego", "package other\n\nallow := true\n"),), {"clinimg": {"config": {}}}, "0", "sha256:" + "0" * 64)
    with running_app(opa_stub_app(build_bundle(other))) as opa:
        with OpaServerEngine(opa.url) as engine:
            with pytest.raises(EngineError, match="no clinimg policies"):
                engine.decide([load(p) for p in REQUESTS[:3]])
        r = run_cli("check", str(REQUESTS[0]), "--engine", "opa", "--opa-url", opa.url)
        assert r.code == 2 and "no clinimg policies" in r.err and len(r.err.strip().splitlines()) == 1


def test_health_of_the_server_through_the_client(server):
    from opa_client import OpaClient

    client = OpaClient(host="127.0.0.1", port=server.port)
    try:
        assert client.check_health()
        assert client.wait_for_ready(timeout=5, interval=0.1)
    finally:
        client.close_connection()
    assert requests.get(server.url + "/health", timeout=5).json()["status"] == "ok"


def test_batches_larger_than_the_server_takes_are_split(policy, expected):
    inputs = [load(p) for p in REQUESTS] * 6
    with running_server(policy, workers=1, max_body_bytes=16 * 1024) as small:
        with OpaServerEngine(small.url) as engine:
            got = engine.decide(inputs)
    assert got == [expected[p.name] for p in REQUESTS] * 6


@needs_opa
def test_cli_audit_on_real_opa_serving_the_bundle_gives_the_embedded_report(tmp_path):
    """Every input an audit sends — events and lifecycle image reviews — is decidable by a real
    OPA serving `clinimg policy bundle` (issue 14), with the default --opa-timeout."""
    policy = build_policy(None)
    log = str(EXAMPLES / "logs" / "week.jsonl")
    with running_app(opa_stub_app(build_bundle(policy), token=TOKEN)) as opa:
        r1 = run_cli("audit", log, "--engine", "opa", "--opa-url", opa.url, "--opa-token", TOKEN, "--format", "json")
    # --no-cache: the embedded fact-set cache lists access.production's missing images in the
    # order of its placeholders, not sorted as the Rego says (a cache bug, noted in issue 14's report).
    r2 = run_cli("audit", log, "--format", "json", "--no-cache")
    assert r1.code == r2.code == 1, r1.err
    got, want = r1.json(), r2.json()
    assert got["engine_errors"] == []
    got.pop("policy"), want.pop("policy")
    assert got == want
