"""The OpenAPI 3.1 document of `clinimg serve` (GET /openapi.json): every endpoint, its body and
its answers. Request bodies are described as JSON objects whose full form is the project's JSON
Schema (schemas/request.schema.json, named in each description) — the server checks them
against it and answers 400 with the problems."""
from __future__ import annotations

from typing import Any

from . import __version__

_ERROR = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "problems": {"type": "array", "items": {"type": "object", "properties": {"path": {"type": "string"}, "constraint": {"type": "string"}, "line": {"type": "integer", "minimum": 1}}}},
    },
}
_JSON_OBJECT = {"type": "object"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "bad body: not JSON, not acceptable JSON, or not a valid request (problems: path, constraint and the body's line, never the value)",
            401: "missing or wrong bearer token", 404: "no such path", 405: "method not allowed", 408: "the body did not arrive in time",
            412: "a prefetch the service needs is missing", 413: "body too large", 415: "Content-Encoding other than gzip",
            500: "the engine could not decide: no decision (fail closed)", 503: "every engine worker busy, or shutting down"}
    return {str(c): _json({"$ref": "#/components/schemas/Error"}, text[c]) for c in codes}


_POST_ERRORS = (400, 401, 404, 405, 408, 413, 415, 500, 503)


def _static_types() -> list[str]:
    from .web import STATIC_TYPES

    return sorted(set(STATIC_TYPES.values()))


def openapi_document(service: Any) -> dict[str, Any]:
    security = [{"bearer": []}] if service.options.token else []
    decision = {"$ref": "#/components/schemas/Decision"}
    request_body = {"required": True, "content": {"application/json": {"schema": _JSON_OBJECT}},
                    "description": "a disclosure request: schemas/request.schema.json (SPEC §3, docs/input.md)"}

    def post(summary: str, body: dict[str, Any], ok: dict[str, Any], extra: tuple[int, ...] = ()) -> dict[str, Any]:
        return {"post": {"summary": summary, "security": security, "requestBody": body,
                         "responses": {**ok, **_errors(*sorted(set(_POST_ERRORS + extra)))}}}

    paths: dict[str, Any] = {
        "/v1/check": post("Decide one proposed capture or disclosure", request_body,
                          {"200": {**_json(decision, "the decision with its policy stamp"),
                                   "headers": {"X-Decision-Id": {"schema": {"type": "string"}}}}}),
        "/v1/data/{path}": {**post("OPA Data API: data.clinimg.decision (or a path within it, e.g. clinimg/decision/outcome) for {\"input\": request}; "
                                   "the overlay at clinimg/config; any other document the policies define (clinimg/rules/storage/passcode, a rule, an area) "
                                   "evaluated for the input; a path no policy defines is OPA's undefined document: no result",
                                   {"required": True, "content": {"application/json": {"schema": {"type": "object", "properties": {"input": _JSON_OBJECT}}}}},
                                   {"200": _json({"type": "object", "properties": {"result": {"description": "the decision, or the value at the path within it"}, "decision_id": {"type": "string"},
                                                                                   "warning": _JSON_OBJECT, "provenance": _JSON_OBJECT}}, "OPA's answer")}),
                            "parameters": [{"name": "path", "in": "path", "required": True, "schema": {"type": "string"}, "description": "clinimg/decision, or a path within it; clinimg/config…; another document of the policies"},
                                           {"name": "provenance", "in": "query", "required": False, "schema": {"type": "boolean"}}]},
        "/v1/batch/data/{path}": {**post("OPA Batch API", {"required": True, "content": {"application/json": {"schema": {
                                             "type": "object", "properties": {"inputs": {"type": "object", "additionalProperties": _JSON_OBJECT}}}}}},
                                         {"200": _json(_JSON_OBJECT, "every input decided"), "207": _json(_JSON_OBJECT, "some inputs failed")}),
                                  "parameters": [{"name": "path", "in": "path", "required": True, "schema": {"type": "string"}},
                                                 {"name": "provenance", "in": "query", "required": False, "schema": {"type": "boolean"}}]},
        "/v1/query": post("OPA Query API, for `x := data.clinimg.decision with input as {…}` only",
                          {"required": True, "content": {"application/json": {"schema": {"type": "object", "properties": {"query": {"type": "string"}, "input": _JSON_OBJECT}}}}},
                          {"200": _json(_JSON_OBJECT, "{\"result\": [{var: decision}]}, or {} without input")}),
        "/v1/policies": {"get": {"summary": "OPA's policy list (opa-python-client check_connection / list_policies)", "security": security,
                                 "responses": {"200": _json({"type": "object", "required": ["result"], "properties": {"result": {"type": "array", "items": {
                                     "type": "object", "required": ["id", "raw"], "properties": {"id": {"type": "string"}, "raw": {"type": "string"}}}}}}, "the policy modules"),
                                     **_errors(401)}}},
        "/health": {"get": {"summary": "Up, the policy digest, the engine workers' state (no token)",
                            "responses": {"200": _json({"type": "object", "required": ["status", "policy", "workers"], "properties": {
                                "status": {"type": "string", "enum": ["ok", "degraded"]},
                                "policy": {"type": "object", "required": ["digest"], "properties": {"version": {"type": "string"}, "digest": {"type": "string"}}},
                                "workers": {"type": "object", "properties": {k: {"type": "integer", "minimum": 0} for k in ("size", "idle", "busy", "alive")}}}}, "up")}}},
        "/metrics": {"get": {"summary": "Prometheus metrics (text exposition format)", "security": security,
                             "responses": {"200": {"description": "metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}, **_errors(401)}}},
        "/openapi.json": {"get": {"summary": "This document", "responses": {"200": _json(_JSON_OBJECT, "OpenAPI 3.1")}}},
        "/": {"get": {"summary": "The clinician's page (checker/web.py; no token to load it, it asks through POST /v1/check)",
                      "responses": {"200": {"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}}}}},
        "/static/{name}": {"get": {"summary": "The page's script and style sheet",
                                   "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                                   "responses": {"200": {"description": "the file", "content": {media.split(";")[0]: {"schema": {"type": "string"}} for media in _static_types()}},
                                                 **_errors(404)}}},
        "/cds-services": {"get": {"summary": "CDS Hooks discovery", "security": security,
                                  "responses": {"200": _json({"type": "object", "required": ["services"], "properties": {"services": {"type": "array", "items": {
                                      "type": "object", "required": ["hook", "id", "description"]}}}}, "the CDS services"), **_errors(401)}}},
        "/cds-services/{service_id}": {**post("CDS Hooks call: cards for a proposed disclosure or capture (checker/cds.py)",
                                              {"required": True, "content": {"application/json": {"schema": {
                                                  "type": "object", "required": ["hook", "hookInstance", "context"],
                                                  "properties": {"hook": {"type": "string"}, "hookInstance": {"type": "string"}, "context": _JSON_OBJECT,
                                                                 "prefetch": _JSON_OBJECT, "fhirServer": {"type": "string"}}}}}},
                                              {"200": _json({"type": "object", "required": ["cards"], "properties": {"cards": {"type": "array", "items": {"$ref": "#/components/schemas/Card"}}}}, "cards")},
                                              (412,)),
                                       "parameters": [{"name": "service_id", "in": "path", "required": True,
                                                       "schema": {"type": "string", "enum": ["org.clinimg.image-capture", "org.clinimg.image-disclosure"]}}]},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "clinimg decision service", "version": __version__,
                 "description": "Decisions on clinical images taken on personal mobile devices (AMA/MIIAA guide): README 'Decision service', docs/fhir.md."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": _ERROR,
                "Decision": {"type": "object", "required": ["outcome", "findings"], "properties": {
                    "outcome": {"type": "string", "enum": ["permit", "deny", "escalate"]},
                    "basis": {"type": ["string", "null"]},
                    "findings": {"type": "array", "items": {"type": "object", "required": ["rule", "effect", "message"], "properties": {
                        "rule": {"type": "string"}, "effect": {"type": "string", "enum": ["deny", "escalate", "warn"]}, "message": {"type": "string"},
                        "guide": {"type": "string"}, "remedy": {"type": "string"}}}},
                    "obligations": {"type": "array"}, "waivers": {"type": "array"}, "policy": _JSON_OBJECT}},
                "Card": {"type": "object", "required": ["summary", "indicator", "source"], "properties": {
                    "uuid": {"type": "string"}, "summary": {"type": "string", "maxLength": 140},
                    "indicator": {"type": "string", "enum": ["info", "warning", "critical"]}, "detail": {"type": "string"},
                    "source": {"type": "object", "required": ["label"], "properties": {"label": {"type": "string"}, "url": {"type": "string"}, "topic": _JSON_OBJECT}}}},
            },
        },
    }
