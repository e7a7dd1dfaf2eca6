"""CDS Hooks (https://cds-hooks.hl7.org, 2.0) on `clinimg serve`: an EHR asks before a clinical
image is sent, shown or taken, and shows clinimg's answer as cards.

- `GET /cds-services` — discovery: the services, their hooks and prefetch templates.
- `POST /cds-services/org.clinimg.image-disclosure` — `context.disclosure`: the proposed
  disclosure as a FHIR R4 AuditEvent (docs/fhir.md), optionally `context.media`: the image as
  captured (a Media); `prefetch.patient`: the Patient; `prefetch.consents`: a Bundle of the
  patient's Consents (or null: none on file); any other prefetch (`user`: the PractitionerRole
  acting, a Device, …) joins the resources the request is mapped from.
- `POST /cds-services/org.clinimg.image-capture` — `context.capture`: the proposed capture as a
  FHIR R4 Media; the same prefetch.

The resources are mapped by checker/fhir (validated with fhir.resources), the request is
schema-checked and decided like `POST /v1/check`, and the answer is `{"cards": […]}`: one card
per deny (indicator `critical`), escalate (`warning`) or warn (`info`) finding, or one `info`
card when the action is permitted (with what must still be done). Bearer-token rules are those
of every decision endpoint. A missing prefetch the service needs is 412 (the spec's answer when
it cannot get the data; clinimg never fetches from the FHIR server itself); a request it cannot
map is 400 naming the paths, never the values; an engine that cannot decide is 500, never a card
that permits.
"""
from __future__ import annotations

import uuid
from typing import Any, Callable

from .errors import CheckerError

HOOK_DISCLOSURE = "org.clinimg.image-disclosure"
HOOK_CAPTURE = "org.clinimg.image-capture"
# patient and consents are required; any other prefetch (user: who acts, as a PractitionerRole
# with a clinimg role; a Device; the Media) joins the resources the request is mapped from.
PREFETCH = {"patient": "Patient/{{context.patientId}}", "consents": "Consent?patient={{context.patientId}}", "user": "{{context.userId}}"}
SERVICES: dict[str, dict[str, Any]] = {
    HOOK_DISCLOSURE: {
        "hook": HOOK_DISCLOSURE,
        "id": HOOK_DISCLOSURE,
        "title": "clinimg: may this clinical image be sent or shown?",
        "description": "Decides a proposed disclosure of a clinical image (context.disclosure: a FHIR R4 AuditEvent, "
                       "context.media: the image as captured) against the AMA/MIIAA guide and the hospital's policy.",
        "prefetch": PREFETCH,
        "usageRequirements": "context.disclosure is required; prefetch patient and consents (a Bundle, or null when none).",
    },
    HOOK_CAPTURE: {
        "hook": HOOK_CAPTURE,
        "id": HOOK_CAPTURE,
        "title": "clinimg: may this clinical image be taken?",
        "description": "Decides a proposed capture of a clinical image (context.capture: a FHIR R4 Media) against the "
                       "AMA/MIIAA guide and the hospital's policy.",
        "prefetch": PREFETCH,
        "usageRequirements": "context.capture is required; prefetch patient and consents (a Bundle, or null when none).",
    },
}
_CONTEXT_KEY = {HOOK_DISCLOSURE: "disclosure", HOOK_CAPTURE: "capture"}
_INDICATOR = {"deny": "critical", "escalate": "warning", "warn": "info"}
_LEAD = {"deny": "Do not go ahead: ", "escalate": "Seek advice first: ", "warn": "Note: "}
SOURCE_LABEL = "clinimg (AMA/MIIAA clinical images guide)"
MAX_SUMMARY = 140


class CdsProblem(Exception):
    def __init__(self, status: int, message: str, problems: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = problems


def discovery() -> dict[str, Any]:
    return {"services": [SERVICES[k] for k in sorted(SERVICES)]}


def _resource(value: Any, path: str, kind: str) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get("resourceType") != kind:
        raise CdsProblem(400, f"{path} must be a FHIR R4 {kind}", [{"path": path, "constraint": f"a {kind} resource"}])
    return value


def request_of(service_id: str, body: Any) -> dict[str, Any]:
    """The clinimg request a CDS Hooks call proposes (raises CdsProblem)."""
    from .fhir import read_fhir_document, request_from_events

    if not isinstance(body, dict):
        raise CdsProblem(400, "the body must be a CDS Hooks request (a JSON object)", [{"path": "$", "constraint": "a JSON object"}])
    problems = []
    if body.get("hook") != SERVICES[service_id]["hook"]:
        problems.append({"path": "$.hook", "constraint": f"must be {SERVICES[service_id]['hook']}"})
    if not isinstance(body.get("hookInstance"), str) or not body.get("hookInstance"):
        problems.append({"path": "$.hookInstance", "constraint": "a required string"})
    context = body.get("context")
    if not isinstance(context, dict):
        problems.append({"path": "$.context", "constraint": "a required object"})
    prefetch = body.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, dict):
        problems.append({"path": "$.prefetch", "constraint": "an object"})
    if problems:
        raise CdsProblem(400, "not a CDS Hooks request for this service", problems)
    assert isinstance(context, dict)
    prefetch = prefetch or {}
    missing = [k for k in ("patient", "consents") if k not in prefetch]
    if missing:
        raise CdsProblem(412, f"prefetch {', '.join(missing)} missing: send them (templates in GET /cds-services); this service does not fetch from the FHIR server",
                         [{"path": f"$.prefetch.{k}", "constraint": "required"} for k in missing])
    key = _CONTEXT_KEY[service_id]
    proposed = _resource(context.get(key), f"$.context.{key}", "AuditEvent" if key == "disclosure" else "Media")
    # Each resource with where it sits in the body: a problem names that JSON path.
    placed: list[tuple[Any, str]] = [(_resource(prefetch["patient"], "$.prefetch.patient", "Patient"), "$.prefetch.patient")]
    consents = prefetch.get("consents")
    if isinstance(consents, dict) and consents.get("resourceType") == "Bundle":
        placed += [(e.get("resource"), f"$.prefetch.consents.entry[{i}].resource") for i, e in enumerate(consents.get("entry") or [])
                   if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
    elif isinstance(consents, list):
        placed += [(r, f"$.prefetch.consents[{i}]") for i, r in enumerate(consents)]
    elif consents is not None:
        raise CdsProblem(400, "prefetch.consents must be a Bundle of Consent resources (or null: none on file)",
                         [{"path": "$.prefetch.consents", "constraint": "a Bundle, a list of Consents, or null"}])
    for name in sorted(k for k in prefetch if k not in ("patient", "consents")):
        value = prefetch[name]
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            placed += [(e.get("resource"), f"$.prefetch.{name}.entry[{i}].resource") for i, e in enumerate(value.get("entry") or [])
                       if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
        elif isinstance(value, dict) and isinstance(value.get("resourceType"), str):
            placed.append((value, f"$.prefetch.{name}"))
        elif value is not None:
            raise CdsProblem(400, f"prefetch.{name} must be a FHIR resource, a Bundle, or null", [{"path": f"$.prefetch.{name}", "constraint": "a FHIR resource or Bundle"}])
    if key == "disclosure" and context.get("media") is not None:
        placed.append((_resource(context.get("media"), "$.context.media", "Media"), "$.context.media"))
    placed.append((proposed, f"$.context.{key}"))
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r, _ in placed]}
    read = read_fhir_document("cds-request", bundle)
    if read.unmapped:
        where: dict[str, str] = {}
        for r, at in placed:
            label = f"{r.get('resourceType')}/{r.get('id')}" if isinstance(r, dict) and isinstance(r.get("id"), str) else None
            if label is not None:
                where.setdefault(label, at)
        raise CdsProblem(400, "the request's FHIR resources cannot all be mapped (docs/fhir.md); nothing decided",
                         [{"path": where.get(u.resource, "$"), "constraint": f"{u.resource}: {u.path}: {u.reason}"} for u in read.unmapped])
    try:
        request = request_from_events("cds-request", [e.doc for e in read.events])
    except CheckerError as exc:
        raise CdsProblem(400, str(exc).replace("cds-request: ", ""), [{"path": f"$.context.{key}", "constraint": "one proposed action"}]) from None
    # The prefetched Patient and Consents are those of context.patientId: deciding another
    # patient's action with them would read that patient's consents as "none on file" and lose
    # their age and capacity (a child taken for an adult) — fail closed instead.
    patient = prefetch["patient"]
    mismatch = []
    if isinstance(context.get("patientId"), str) and isinstance(patient.get("id"), str) and context["patientId"] != patient["id"]:
        mismatch.append({"path": "$.context.patientId", "constraint": "is not the id of the prefetched Patient"})
    if _patient_key(patient) != request["patient"]["id"]:
        mismatch.append({"path": "$.prefetch.patient", "constraint": f"is not the patient of $.context.{key} (its subject or patient entity)"})
    if mismatch:
        raise CdsProblem(400, "the prefetched Patient and Consents are not those of the patient the proposed action is about; nothing decided", mismatch)
    return request


def _patient_key(patient: dict[str, Any]) -> str:
    """The clinimg id the mapping gives a Patient (docs/fhir.md, References and ids): its clinimg
    identifier, else Patient/id."""
    from .fhir.codes import EVENT_ID_SYSTEM, ID_SYSTEM

    identifiers = [i for i in patient.get("identifier") or [] if isinstance(i, dict) and isinstance(i.get("value"), str) and i["value"]]
    for system in (ID_SYSTEM, EVENT_ID_SYSTEM):
        for i in identifiers:
            if i.get("system") == system:
                return str(i["value"])
    return f"Patient/{patient.get('id')}"


def _short(text: str) -> str:
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1].rstrip() + "…"


def cards(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """CDS Hooks cards for a decision: each finding a card, or one info card for a permit."""
    out = []
    source = {"label": SOURCE_LABEL}
    for f in decision.get("findings", []):
        effect = str(f.get("effect"))
        detail = [str(f.get("message", "")), "", f"**Guide:** {f.get('guide', '')} (AMA/MIIAA, *Clinical images and the use of personal mobile devices*)",
                  "", f"**Instead:** {f.get('remedy', '')}", "", f"Rule `{f.get('rule')}`."]
        message = str(f.get("message", ""))
        lead = _LEAD.get(effect, "")
        out.append({"uuid": str(uuid.uuid4()), "summary": _short(lead + (message[:1].lower() + message[1:] if lead else message)),
                    "indicator": _INDICATOR.get(effect, "info"), "detail": "\n".join(detail),
                    "source": {**source, "topic": {"system": "https://clinimg.example/fhir/CodeSystem/rule", "code": str(f.get("rule"))}}})
    if decision.get("outcome") == "permit":
        obligations = decision.get("obligations") or []
        detail = "This image may be used as proposed" + (f" (basis: {decision.get('basis')})." if decision.get("basis") else ".")
        if obligations:
            detail += "\n\n**Still to do:**\n" + "\n".join(f"- {o.get('text', '')}" for o in obligations)
        out.insert(0, {"uuid": str(uuid.uuid4()), "summary": _short("Permitted" + (": " + obligations[0].get("text", "") if obligations else ": no rule of the guide or the hospital's policy stands in the way.")),
                       "indicator": "info", "detail": detail, "source": source})
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda c: order[c["indicator"]])


def cds_routes(service: Any, *, guarded: Callable[..., Any], answer: Callable[..., Any], read_body: Callable[..., Any]) -> list[Any]:
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from .engines.base import EngineFailure
    from .httpproblem import Problem

    def call(service_id: str, body: bytes) -> tuple[int, dict[str, Any], str | None]:
        document = service.parse_json(body)
        try:
            request = request_of(service_id, document)
        except CdsProblem as p:
            raise Problem(p.status, "invalid_parameter" if p.status == 400 else "precondition_failed", p.message, p.problems) from None
        problems = service.request_problems(request)
        if problems:
            raise Problem(400, "invalid_parameter", "the proposed action maps to a request that is not valid (schemas/request.schema.json)", problems)
        decision_id, result = service.decide(f"/cds-services/{service_id}", request)
        if isinstance(result, EngineFailure):
            raise Problem(500, "engine_error", "the engine could not decide: no decision (fail closed)")
        return 200, {"cards": cards(result)}, decision_id

    async def discover(request: Request) -> Response:
        return answer(200, discovery())

    async def hook(request: Request) -> Response:
        service_id = request.path_params["service_id"]
        if service_id not in SERVICES:
            raise Problem(404, "resource_not_found", f"no CDS service with that id (GET /cds-services lists {', '.join(sorted(SERVICES))})")
        body = await read_body(request)
        status, out, decision_id = await run_in_threadpool(call, service_id, body)
        return answer(status, out, {"X-Decision-Id": decision_id} if decision_id else None)

    return [
        Route("/cds-services", guarded(discover), methods=["GET"]),
        Route("/cds-services/{service_id}", guarded(hook), methods=["POST"]),
    ]
