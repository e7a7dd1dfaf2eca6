"""`clinimg serve`: the decision service, through HTTP on a loopback port — its own endpoint, the
OPA-compatible Data, Batch and Query APIs (driven by opa-python-client itself), auth, body limits,
strict JSON, the decision log, concurrency, and failing closed."""
from __future__ import annotations

import concurrent.futures
import http.client
import json
import signal
import uuid
from typing import Any

import pytest
import requests
from opa_client import OpaClient

from checker.engines.base import EngineFailure
from checker.engines.embedded import EmbeddedEngine
from checker.policy import PolicySet
from checker.server import DecisionService, EnginePool, ServeOptions, create_app
from tests.conftest import EXAMPLES
from tests.serving import BrokenEngine, running_app, running_server, serve_process

REQUESTS = sorted((EXAMPLES / "requests").glob("*.json"))
TOKEN = "s3cret-token-for-tests"
SECRET = "PATIENT-NAME-NEVER-ECHOED"


def load(path) -> dict[str, Any]:
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def policy():
    return PolicySet.build()


@pytest.fixture(scope="module")
def expected(policy):
    """The embedded engine's decision for every example request (no policy stamp)."""
    engine = EmbeddedEngine(policy)
    try:
        decisions = engine.decide([load(p) for p in REQUESTS])
    finally:
        engine.close()
    assert not any(isinstance(d, EngineFailure) for d in decisions)
    return {p.name: d for p, d in zip(REQUESTS, decisions)}


@pytest.fixture(scope="module")
def decision_log(tmp_path_factory):
    return tmp_path_factory.mktemp("serve") / "decisions.jsonl"


@pytest.fixture(scope="module")
def server(policy, decision_log):
    with running_server(policy, decision_log=str(decision_log), workers=2) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    c = OpaClient(host="127.0.0.1", port=server.port, timeout=30)
    yield c
    c.close_connection()


def post(server, path: str, body: Any = None, *, raw: bytes | None = None, headers: dict[str, str] | None = None) -> requests.Response:
    data = raw if raw is not None else json.dumps(body).encode()
    return requests.post(server.url + path, data=data, headers={"Content-Type": "application/json", **(headers or {})}, timeout=30)


# ---------------------------------------------------------------------------------------------
# Health and the service's own endpoint


def test_health(server, client):
    r = requests.get(server.url + "/health", timeout=10)
    assert r.status_code == 200 and r.json()["status"] == "ok"  # policy and workers: tests/acceptance/test_serve_platform.py
    assert client.check_health() is True


def test_check_decides_every_example_like_the_embedded_engine(server, expected, policy):
    for path in REQUESTS:
        r = post(server, "/v1/check", raw=path.read_bytes())
        assert r.status_code == 200, (path.name, r.text)
        assert r.json() == {**expected[path.name], "policy": policy.stamp()}, path.name
        uuid.UUID(r.headers["X-Decision-Id"])


# ---------------------------------------------------------------------------------------------
# OPA compatibility: opa-python-client's own calls


def test_opa_client_query_rule(client, expected):
    for path in REQUESTS:
        answer = client.query_rule(load(path), "clinimg", "decision")
        assert answer["result"] == expected[path.name], path.name
        uuid.UUID(answer["decision_id"])
        assert set(answer) == {"result", "decision_id"}


def test_opa_client_query_rule_with_provenance(client, policy):
    answer = client.query_rule(load(REQUESTS[0]), "clinimg", "decision", query_params={"provenance": True})
    assert answer["provenance"]["bundles"]["clinimg"]["revision"] == policy.digest


def test_opa_client_bulk_query(client, expected):
    inputs = [load(p) for p in REQUESTS]
    assert client.bulk_query_rule(inputs, "clinimg", "decision") == [expected[p.name] for p in REQUESTS]
    keyed = client.bulk_query_rule({p.stem: load(p) for p in REQUESTS[:3]}, "clinimg", "decision")
    assert keyed == {p.stem: expected[p.name] for p in REQUESTS[:3]}


def test_query_api_refuses_other_queries(server):
    for query in ["x := data.clinimg", "data.clinimg.decision", "x := data.clinimg.decision with input as {\"a\": 1} ; y := data.other",
                  "x := data.clinimg.decision with input as {\"a\": NaN}", "x := data.clinimg.decision with input as [1]"]:
        r = post(server, "/v1/query", {"query": query})
        assert r.status_code == 400, query
        assert r.json()["code"] == "invalid_parameter"


def test_batch_api(server, expected):
    inputs = {p.stem: load(p) for p in REQUESTS}
    r = post(server, "/v1/batch/data/clinimg/decision", {"inputs": inputs})
    assert r.status_code == 200
    body = r.json()
    uuid.UUID(body["batch_decision_id"])
    assert {k: v["result"] for k, v in body["responses"].items()} == {p.stem: expected[p.name] for p in REQUESTS}
    # one bad input: 207, each response with its status; the bad one has no result
    inputs["bad"] = {"type": "capture", "patient": {"id": SECRET, "age_years": "old"}}
    r = post(server, "/v1/batch/data/clinimg/decision", {"inputs": inputs})
    assert r.status_code == 207
    bad = r.json()["responses"]["bad"]
    assert "result" not in bad and bad["http_status_code"] == "400" and bad["problems"]
    assert SECRET not in r.text
    assert all(v["http_status_code"] == "200" for k, v in r.json()["responses"].items() if k != "bad")


def test_missing_input_gives_no_decision(server):
    for body in [{}, None]:
        r = post(server, "/v1/data/clinimg/decision", raw=b"" if body is None else json.dumps(body).encode())
        assert r.status_code == 200
        answer = r.json()
        assert "result" not in answer and answer["warning"]["code"] == "api_usage_warning"
        uuid.UUID(answer["decision_id"])


def test_unknown_paths_are_404_json(server):
    # (/v1/data/other/thing is OPA's undefined document, 200 without result, /v1/data/clinimg/config
    # the overlay, /v1/data/clinimg/rules/… the rule documents: tests/acceptance/test_outsider.py)
    for path in ["/v1/data/", "/v1/batch/data/clinimg", "/nope", "/v1/compile"]:
        r = post(server, path, {"input": load(REQUESTS[0])})
        assert r.status_code == 404, path
        assert r.json()["code"] == "resource_not_found"
    r = requests.get(server.url + "/v1/check", timeout=10)
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed" and r.headers["Allow"] == "POST"
    assert post(server, "/v1/policies", {}).status_code == 405  # OPA's policy list is GET (test_serve_platform.py)


# ---------------------------------------------------------------------------------------------
# Bad bodies: 400 with path and constraint, never the value


BAD_BODIES = {
    "not JSON": b'{"type": ',
    "a list": b"[1, 2, 3]",
    "a string": b'"hello"',
    "duplicate keys": b'{"type": "capture", "type": "disclosure"}',
    "NaN": b'{"type": "capture", "patient": {"age_years": NaN}}',
    "deep nesting": b"[" * 5000 + b"]" * 5000,
    "not UTF-8": b'{"type": "\xff\xfe"}',
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_malformed_and_wrong_type_bodies_are_400(server, name):
    body = BAD_BODIES[name]
    r = post(server, "/v1/check", raw=body)
    assert r.status_code == 400, r.text
    answer = r.json()
    assert answer["code"] == "invalid_parameter" and answer["message"]
    if "problems" in answer:
        assert all({"path", "constraint"} <= set(p) <= {"path", "constraint", "line"} for p in answer["problems"])  # (line: where check gives it)
    wrapped = b'{"input": ' + body + b"}"
    r = post(server, "/v1/data/clinimg/decision", raw=wrapped)
    assert r.status_code == 400, (name, r.text)


def test_input_of_wrong_type_is_400(server):
    r = post(server, "/v1/data/clinimg/decision", {"input": [1, 2]})
    assert r.status_code == 400
    assert r.json()["problems"] == [{"path": "$.input", "constraint": "must be a JSON object (a disclosure request)", "line": 1}]
    r = post(server, "/v1/data/clinimg/decision", {"input": {}, "extra": 1})
    assert r.status_code == 400


def test_schema_problems_name_path_and_constraint_never_the_value(server):
    request = load(REQUESTS[0])
    request["patient"]["age_years"] = SECRET
    request["actor"]["role"] = SECRET + "-role"
    for path, body in [("/v1/check", request), ("/v1/data/clinimg/decision", {"input": request})]:
        r = post(server, path, body)
        assert r.status_code == 400
        assert SECRET not in r.text
        problems = r.json()["problems"]
        prefix = "$" if path == "/v1/check" else "$.input"
        assert {p["path"] for p in problems} >= {f"{prefix}.patient.age_years", f"{prefix}.actor.role"}
        assert all(p["constraint"] for p in problems)


# ---------------------------------------------------------------------------------------------
# Size limit (413), on the declared length and on the streamed body


def test_oversized_declared_body_is_413(server):
    big = b'{"pad": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    r = post(server, "/v1/check", raw=big)
    assert r.status_code == 413 and r.json()["code"] == "request_too_large"


def test_oversized_streamed_body_is_413(server):
    def chunks():
        yield b'{"pad": "'
        for _ in range(40):
            yield b"x" * 65536  # 2.5 MiB in all, never declared
        yield b'"}'

    r = requests.post(server.url + "/v1/data/clinimg/decision", data=chunks(), headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 413
    # and the service is still fine
    assert post(server, "/v1/check", raw=REQUESTS[0].read_bytes()).status_code == 200


def test_small_limit(policy):
    with running_server(policy, workers=1, max_body_bytes=2048) as small:
        big = REQUESTS[0].read_bytes() + b" " * 4096
        assert post(small, "/v1/check", raw=big).status_code == 413
        assert post(small, "/v1/check", raw=REQUESTS[0].read_bytes()).status_code in (200, 413)
        conn = http.client.HTTPConnection("127.0.0.1", small.port, timeout=10)
        conn.putrequest("POST", "/v1/check")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        try:
            for _ in range(4):
                piece = b"x" * 1024
                conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered 413 and closed while the body was still streaming in
        assert conn.getresponse().status == 413
        conn.close()


# ---------------------------------------------------------------------------------------------
# Auth


@pytest.fixture(scope="module")
def guarded_server(policy):
    with running_server(policy, workers=1, token=TOKEN) as running:
        yield running


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer "])
def test_auth_rejects_missing_or_wrong_token(guarded_server, header):
    headers = {"Authorization": header} if header is not None else {}
    for path, body in [("/v1/check", load(REQUESTS[0])), ("/v1/data/clinimg/decision", {"input": load(REQUESTS[0])}),
                       ("/v1/batch/data/clinimg/decision", {"inputs": {"a": load(REQUESTS[0])}}), ("/v1/query", {"query": "x := data.clinimg.decision"})]:
        r = post(guarded_server, path, body, headers=headers)
        assert r.status_code == 401, (path, header)
        assert r.json()["code"] == "unauthorized"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_auth_accepts_the_token(guarded_server, expected):
    r = post(guarded_server, "/v1/check", raw=REQUESTS[0].read_bytes(), headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200
    client = OpaClient(host="127.0.0.1", port=guarded_server.port, token=TOKEN, timeout=30)
    try:
        assert client.query_rule(load(REQUESTS[1]), "clinimg", "decision")["result"] == expected[REQUESTS[1].name]
        assert client.check_health()
    finally:
        client.close_connection()
    # health needs no token
    assert requests.get(guarded_server.url + "/health", timeout=10).status_code == 200


# ---------------------------------------------------------------------------------------------
# The decision log


def test_decision_log_masks_ids_and_holds_no_bodies(server, decision_log, policy):
    request = load(REQUESTS[0])
    # (both APIs asked here: the log must not depend on which tests ran before on this server)
    assert post(server, "/v1/data/clinimg/decision", {"input": request}).status_code == 200
    r = post(server, "/v1/check", request)
    decision_id = r.headers["X-Decision-Id"]
    lines = [json.loads(line) for line in decision_log.read_text().splitlines()]
    [entry] = [e for e in lines if e["decision_id"] == decision_id]
    assert entry["path"] == "/v1/check"
    assert entry["outcome"] == r.json()["outcome"]
    assert entry["rules"] == sorted({f["rule"] for f in r.json()["findings"]})
    assert entry["policy"] == policy.digest
    assert entry["event_id"] == request["event_id"]
    assert entry["patient"].startswith("h:") and entry["actor"].startswith("h:")
    text = decision_log.read_text()
    assert request["patient"]["id"] not in text and request["actor"]["id"] not in text
    assert "consents" not in text and "message" not in text
    paths = {e["path"] for e in lines}
    assert {"/v1/check", "/v1/data/clinimg/decision"} <= paths


def test_decision_log_unmasked(policy, tmp_path):
    log = tmp_path / "d.jsonl"
    request = load(REQUESTS[0])
    with running_server(policy, workers=1, decision_log=str(log), log_unmasked=True) as srv:
        assert post(srv, "/v1/check", request).status_code == 200
    [entry] = [json.loads(line) for line in log.read_text().splitlines()]
    assert entry["patient"] == request["patient"]["id"] and entry["actor"] == request["actor"]["id"]


# ---------------------------------------------------------------------------------------------
# Concurrency: 300 requests from 6 threads, every answer right


def test_300_concurrent_requests_from_6_threads(server, expected, policy):
    bodies = [(p.name, p.read_bytes()) for p in REQUESTS]
    jobs = [bodies[i % len(bodies)] for i in range(300)]

    def one(job: tuple[str, bytes]) -> tuple[str, int, Any]:
        name, body = job
        if hash(name) % 2:
            r = requests.post(server.url + "/v1/check", data=body, timeout=60)
            return name, r.status_code, r.json()
        r = requests.post(server.url + "/v1/data/clinimg/decision", data=b'{"input": ' + body + b"}", timeout=60)
        answer = r.json()
        return name, r.status_code, {**answer.get("result", {}), "policy": policy.stamp()}

    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(one, jobs))
    assert len(results) == 300
    for name, status, body in results:
        assert status == 200, (name, body)
        assert body == {**expected[name], "policy": policy.stamp()}, name


# ---------------------------------------------------------------------------------------------
# Failing closed: an engine that cannot decide is a 500, never a permit


def test_engine_failure_is_500_never_a_permit(policy):
    service = DecisionService(policy, ServeOptions(workers=1), pool=EnginePool(policy, 1, factory=lambda p: BrokenEngine()))
    with running_app(create_app(service), service=service) as srv:
        r = post(srv, "/v1/check", raw=REQUESTS[0].read_bytes())
        assert r.status_code == 500 and r.json()["code"] == "engine_error" and "outcome" not in r.json()
        r = post(srv, "/v1/data/clinimg/decision", {"input": load(REQUESTS[0])})
        assert r.status_code == 500 and "result" not in r.json()
        r = post(srv, "/v1/batch/data/clinimg/decision", {"inputs": {"a": load(REQUESTS[0]), "b": load(REQUESTS[1])}})
        assert r.status_code == 500 and all("result" not in v for v in r.json()["responses"].values())
        r = post(srv, "/v1/query", {"query": "x := data.clinimg.decision", "input": load(REQUESTS[0])})
        assert r.status_code == 500 and "result" not in r.json()


# ---------------------------------------------------------------------------------------------
# The command itself


def test_serve_command_runs_and_stops(tmp_path):
    log = tmp_path / "d.jsonl"
    with serve_process("--decision-log", str(log)) as (url, proc):
        r = requests.post(url + "/v1/check", data=REQUESTS[0].read_bytes(), timeout=30)
        assert r.status_code == 200
    assert proc.returncode in (0, -signal.SIGTERM)  # uvicorn shuts down gracefully, then re-raises the signal
    assert len(log.read_text().splitlines()) == 1


def test_serve_refuses_rego_that_does_not_compile(cli, tmp_path):
    bad = tmp_path / "rules"
    bad.mkdir()
    (bad / "broken.rego").write_text("package clinimg.rules.local.broken\n\ndeny contains f if {\n")
    r = cli("serve", "--port", "0", "--policy-dir", str(bad), timeout=60)
    assert r.code == 2 and "broken.rego" in r.err and "Traceback" not in r.err
