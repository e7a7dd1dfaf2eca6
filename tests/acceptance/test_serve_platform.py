"""`clinimg serve` as a CDS Hooks service and for the platform team (issue 11, points 3 and 4):
CDS Hooks discovery and calls (request and response shapes of the CDS Hooks 2.0 specification),
Prometheus /metrics, /health, /openapi.json with a bounded schemathesis run, and
opa-python-client's check_connection()."""
from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
import requests
from opa_client.opa import OpaClient

from checker.policy import PolicySet
from checker.server import DecisionService, EnginePool, ServeOptions, create_app
from tests.conftest import EXAMPLES, ROOT
from tests.serving import BrokenEngine, running_app, running_server

TOKEN = "platform-token-for-tests"
CDS = json.loads((ROOT / "tests" / "fixtures" / "fhir" / "cds-disclosure.json").read_text())
DISCLOSURE = "/cds-services/org.clinimg.image-disclosure"
CAPTURE = "/cds-services/org.clinimg.image-capture"
REQUEST = (EXAMPLES / "requests" / "disallowed_case1_post_on_facebook.json").read_bytes()
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def policy():
    return PolicySet.build()


@pytest.fixture(scope="module")
def server(policy):
    with running_server(policy, workers=2, token=TOKEN) as running:
        yield running


def call(server, path: str, body: Any) -> requests.Response:
    return requests.post(server.url + path, json=body, headers=AUTH, timeout=60)


def _permitted_call() -> dict[str, Any]:
    """The fixture's disclosure made a clinical-care one to a consulted clinician: permitted."""
    body = copy.deepcopy(CDS)
    disclosure = body["context"]["disclosure"]
    disclosure["purposeOfEvent"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}]}]
    disclosure["extension"] = [{"url": "https://clinimg.example/fhir/StructureDefinition/channel", "valueCode": "hospital_secure_app"}]
    disclosure["agent"][1]["extension"] = [
        {"url": "https://clinimg.example/fhir/StructureDefinition/recipient.kind", "valueCode": "clinician"},
        {"url": "https://clinimg.example/fhir/StructureDefinition/recipient.relationship", "valueCode": "consulted"}]
    return body


def _assert_card_shape(card: dict[str, Any]) -> None:
    """CDS Hooks 2.0 Card: summary (< 140 characters), indicator, source.label required."""
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) <= 140
    assert card["indicator"] in ("info", "warning", "critical")
    assert isinstance(card["source"]["label"], str) and card["source"]["label"]
    assert re.fullmatch(r"[0-9a-f-]{36}", card["uuid"])
    assert isinstance(card.get("detail", ""), str)


# ---------------------------------------------------------------------------------------------
# CDS Hooks


def test_discovery_lists_the_services_with_prefetch_templates(server):
    assert requests.get(server.url + "/cds-services", timeout=10).status_code == 401
    r = requests.get(server.url + "/cds-services", headers=AUTH, timeout=10)
    assert r.status_code == 200
    services = {s["id"]: s for s in r.json()["services"]}
    assert set(services) == {"org.clinimg.image-disclosure", "org.clinimg.image-capture"}
    for service in services.values():
        assert {"hook", "id", "description", "prefetch"} <= set(service)
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert service["prefetch"]["consents"].startswith("Consent?patient={{context.patientId}}")


def test_a_refused_disclosure_is_a_critical_card_with_guide_and_remedy(server):
    r = call(server, DISCLOSURE, CDS)
    assert r.status_code == 200, r.text
    assert r.headers["X-Decision-Id"]
    cards = r.json()["cards"]
    assert len(cards) == 1
    [card] = cards
    _assert_card_shape(card)
    assert card["indicator"] == "critical" and card["summary"].startswith("Do not go ahead: the patient refused consent")
    assert "**Guide:** Right to refuse consent" in card["detail"] and "**Instead:** Do not use or disclose" in card["detail"]
    assert card["source"]["topic"]["code"] == "disclosure.consent_refused"


def test_a_permitted_disclosure_is_an_info_card(server):
    r = call(server, DISCLOSURE, _permitted_call())
    assert r.status_code == 200, r.text
    cards = r.json()["cards"]
    for card in cards:
        _assert_card_shape(card)
    assert cards[0]["indicator"] == "info" and cards[0]["summary"].startswith("Permitted")
    assert not any(c["indicator"] == "critical" for c in cards)


def test_capture_hook(server):
    body = copy.deepcopy(CDS)
    body["hook"] = "org.clinimg.image-capture"
    body["context"] = {"userId": body["context"]["userId"], "patientId": "pt-19", "capture": body["context"]["media"]}
    r = call(server, CAPTURE, body)
    assert r.status_code == 200, r.text
    for card in r.json()["cards"]:
        _assert_card_shape(card)
    # the Media records no capture mode (Media.deviceName): the capture-details rule says so
    assert any(c["source"].get("topic", {}).get("code") == "collection.capture_details" for c in r.json()["cards"])


def test_cds_needs_the_token_and_the_prefetch_and_never_echoes_values(server):
    assert requests.post(server.url + DISCLOSURE, json=CDS, timeout=30).status_code == 401
    no_prefetch = {k: v for k, v in CDS.items() if k != "prefetch"}
    r = call(server, DISCLOSURE, no_prefetch)
    assert r.status_code == 412 and {p["path"] for p in r.json()["problems"]} == {"$.prefetch.patient", "$.prefetch.consents"}
    wrong_hook = {**CDS, "hook": "patient-view"}
    assert call(server, DISCLOSURE, wrong_hook).status_code == 400
    unknown = call(server, "/cds-services/org.example.other", CDS)
    assert unknown.status_code == 404
    body = copy.deepcopy(CDS)
    body["context"]["disclosure"]["purposeOfEvent"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HMARKT"}]}]
    body["prefetch"]["patient"]["name"] = [{"family": "Secretname-Citizen"}]
    r = call(server, DISCLOSURE, body)
    assert r.status_code == 400 and "HMARKT" in r.text and "Secretname" not in r.text


def test_cds_problems_name_json_paths_and_a_prefetch_of_another_patient_is_refused(server):
    body = copy.deepcopy(CDS)
    body["context"]["disclosure"]["purposeOfEvent"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HMARKT"}]}]
    r = call(server, DISCLOSURE, body)
    assert r.status_code == 400 and [p["path"] for p in r.json()["problems"]] == ["$.context.disclosure"], r.text
    # The EHR's patient in context (its Patient and Consents prefetched) is not the image's.
    body = copy.deepcopy(CDS)
    body["context"]["patientId"] = body["prefetch"]["patient"]["id"] = "pt-other"
    r = call(server, DISCLOSURE, body)
    assert r.status_code == 400 and [p["path"] for p in r.json()["problems"]] == ["$.prefetch.patient"], r.text


def test_consents_null_means_none_on_file(server):
    body = copy.deepcopy(CDS)
    body["prefetch"]["consents"] = None
    r = call(server, DISCLOSURE, body)
    assert r.status_code == 200
    # no refusal on file, but no consent to teaching either: still not to be shared, for another reason
    topics = {c["source"].get("topic", {}).get("code") for c in r.json()["cards"]}
    assert r.json()["cards"][0]["indicator"] == "critical" and "disclosure.consent_refused" not in topics


# ---------------------------------------------------------------------------------------------
# Platform


def _metrics(server) -> str:
    r = requests.get(server.url + "/metrics", headers=AUTH, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return r.text


def _value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_decisions_latency_and_cache_across_workers(server):
    assert requests.get(server.url + "/metrics", timeout=10).status_code == 401
    before = _metrics(server)
    for _ in range(3):
        assert requests.post(server.url + "/v1/check", data=REQUEST, headers=AUTH, timeout=30).status_code == 200
    call(server, DISCLOSURE, CDS)
    after = _metrics(server)
    assert _value(after, "clinimg_decisions_total", endpoint="/v1/check", outcome="deny") == _value(before, "clinimg_decisions_total", endpoint="/v1/check", outcome="deny") + 3
    assert _value(after, "clinimg_decisions_total", endpoint="/cds-services/org.clinimg.image-disclosure", outcome="deny") >= 1
    assert _value(after, "clinimg_request_duration_seconds_count", endpoint="/v1/check") >= 3
    assert 'clinimg_request_duration_seconds_bucket{endpoint="/v1/check",le="0.005"}' in after
    lookups, misses = _value(after, "clinimg_cache_lookups_total"), _value(after, "clinimg_cache_misses_total")
    assert lookups >= 4 and misses < lookups  # the same request three times: cache hits
    assert _value(after, "clinimg_cache_hit_ratio") == pytest.approx(1 - misses / lookups)
    assert _value(after, "clinimg_engine_workers", state="alive") == 2
    assert 'clinimg_policy_info{digest="sha256:' in after


def test_health_states_the_policy_digest_and_workers(server, policy):
    r = requests.get(server.url + "/health", timeout=10)  # no token needed
    body = r.json()
    assert r.status_code == 200 and body["status"] == "ok"
    assert body["policy"]["digest"] == policy.digest
    assert body["workers"]["size"] == 2 and body["workers"]["alive"] == 2


def test_engine_errors_are_counted_and_cds_fails_closed(policy):
    service = DecisionService(policy, ServeOptions(workers=1), pool=EnginePool(policy, 1, factory=lambda p: BrokenEngine()))
    with running_app(create_app(service), service=service) as srv:
        assert requests.post(srv.url + "/v1/check", data=REQUEST, timeout=30).status_code == 500
        r = requests.post(srv.url + DISCLOSURE, json=CDS, timeout=30)
        assert r.status_code == 500 and "cards" not in r.json()
        text = requests.get(srv.url + "/metrics", timeout=30).text
        assert _value(text, "clinimg_engine_errors_total", endpoint="/v1/check") == 1
        assert _value(text, "clinimg_decisions_total", endpoint="/v1/check", outcome="error") == 1


def test_opa_python_client_check_connection_and_policies(server):
    client = OpaClient(host="127.0.0.1", port=server.port, token=TOKEN, timeout=30)
    try:
        assert client.check_connection() is True
        listed = requests.get(server.url + "/v1/policies", headers=AUTH, timeout=10).json()["result"]
        assert any(p["id"].endswith("decide.rego") and "package clinimg" in p["raw"] for p in listed)
    finally:
        client.close_connection()
    assert requests.get(server.url + "/v1/policies", timeout=10).status_code == 401


def test_openapi_describes_every_route(server):
    doc = requests.get(server.url + "/openapi.json", timeout=10).json()  # no token needed
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) >= {"/v1/check", "/v1/data/{path}", "/v1/batch/data/{path}", "/v1/query", "/v1/policies", "/health", "/metrics",
                                 "/openapi.json", "/cds-services", "/cds-services/{service_id}", "/", "/static/{name}"}
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert doc["paths"]["/v1/check"]["post"]["security"] == [{"bearer": []}]


# ---------------------------------------------------------------------------------------------
# schemathesis, bounded: generated requests for every operation; no 5xx, every status and
# content type documented, bodies as the document says.


def test_schemathesis_against_the_openapi_document(server):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

    doc = requests.get(server.url + "/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(doc)
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = operation.as_strategy()

        @given(case=strategy)
        @settings(max_examples=6, deadline=None, database=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def run(case: Any) -> None:
            response = case.call(base_url=server.url, headers=AUTH, timeout=30)
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance])

        run()
        checked += 1
    assert checked == sum(1 for ops in doc["paths"].values() for method in ops if method in ("get", "post")) == 12
