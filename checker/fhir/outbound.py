"""FHIR R4 out: clinimg events as FHIR resources (`clinimg fhir export`), and an audit's or a
check's findings as a FHIR Bundle (`--format fhir`). Every resource is validated by its
`fhir.resources` model before it is written.

Events: each becomes the resource docs/fhir.md maps it from (Media, Consent, AuditEvent,
Provenance), with standard elements where FHIR has them; every fact they do not carry is written
as a clinimg field extension. Which facts those are is found by reading the resource back with
the importer (checker/fhir/inbound.py) and comparing: so export → import gives the event back,
field for field (tests/acceptance/test_fhir.py audits both and compares the findings).
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Iterable

from ..errors import CheckerError
from . import codes
from .inbound import Index, Mapper, NotMapped, RawResource, Resource, validated

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def fhir_id(value: str) -> str:
    """A FHIR logical id for a clinimg id (which may hold any text): itself when it fits, else a digest."""
    return value if _FHIR_ID.match(value) else "h-" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:40]


def _ref(rtype: str, value: str) -> dict[str, Any]:
    return {"type": rtype, "identifier": {"system": codes.ID_SYSTEM, "value": value}}


def _purpose_coding(purpose: str) -> dict[str, str]:
    if purpose in codes.PURPOSE_V3:
        return {"system": codes.V3_ACT_REASON, "code": codes.PURPOSE_V3[purpose]}
    return {"system": codes.PURPOSE_SYSTEM, "code": purpose}


def _person_ref(actor: dict[str, Any]) -> dict[str, Any]:
    return _ref("Practitioner", str(actor.get("id", "")))


# ---------------------------------------------------------------------------------------------
# Events → resources (standard elements)


def _standard(doc: dict[str, Any]) -> dict[str, Any]:
    etype = doc.get("type")
    event_id = str(doc["event_id"])
    ident = [{"system": codes.EVENT_ID_SYSTEM, "value": event_id}]
    patient = _ref("Patient", str((doc.get("patient") or {}).get("id", "")))
    actor = doc.get("actor") or {}
    image_id = str((doc.get("image") or {}).get("id", ""))
    when = doc["occurred_at"]
    base = {"id": fhir_id(event_id)}
    if etype == "capture":
        image = doc.get("image") or {}
        resource: dict[str, Any] = {
            "resourceType": "Media", **base,
            "identifier": ident + [{"system": codes.ID_SYSTEM, "value": image_id}],
            "status": "completed",
            "subject": patient, "createdDateTime": when, "operator": _person_ref(actor),
            "content": {"title": "clinical image"},
        }
        if image.get("modality") in codes.MODALITY_MEDIA:
            resource["type"] = {"coding": [{"system": codes.MEDIA_TYPE, "code": codes.MODALITY_MEDIA[image["modality"]]}]}
        if doc.get("purposes"):
            resource["reasonCode"] = [{"coding": [_purpose_coding(p)]} for p in doc["purposes"]]
        return resource
    if etype == "consent":
        consent = doc.get("consent") or {}
        status = {"granted": "active", "refused": "rejected", "withdrawn": "inactive"}.get(consent.get("status"), "active")
        resource = {
            "resourceType": "Consent", **base, "identifier": ident, "status": status,
            "scope": {"coding": [{"system": codes.CONSENT_SCOPE, "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": codes.CONSENT_CATEGORY_LOINC, "code": "59284-0"}]}],
            "patient": patient, "dateTime": when,
            "provision": {"type": "permit" if consent.get("status") == "granted" else "deny"},
        }
        if consent.get("given_by") == "patient":
            resource["performer"] = [patient]
        elif consent.get("given_by") in ("parent_guardian", "substitute_decision_maker"):
            code = "GUARD" if consent["given_by"] == "parent_guardian" else "POWATT"
            resource["contained"] = [{"resourceType": "RelatedPerson", "id": "giver", "patient": patient,
                                      "relationship": [{"coding": [{"system": codes.V3_ROLE_CODE, "code": code}]}]}]
            resource["performer"] = [{"reference": "#giver"}]
        if actor.get("role") and actor.get("role") != "admin":
            resource.setdefault("performer", []).append(_person_ref(actor))
        if consent.get("purposes"):
            resource["provision"]["purpose"] = [_purpose_coding(p) for p in consent["purposes"]]
        if consent.get("image_ids"):
            resource["provision"]["data"] = [{"meaning": "related", "reference": _ref("Media", str(i))} for i in consent["image_ids"]]
        return resource
    if etype == "record_transfer":
        return {
            "resourceType": "Provenance", **base,  # (no identifier element: a field extension keeps the event id)
            "target": [_ref("Media", image_id)], "occurredDateTime": when, "recorded": when,
            "agent": [{"who": _person_ref(actor)}],
            "extension": [{"url": codes.FIELD_PREFIX + "patient.id", "valueString": str((doc.get("patient") or {}).get("id", ""))}],
        }
    # Everything else is an AuditEvent (IHE BALP style: DICOM type, ISO 21089 subtype)
    kind_codes = {
        "disclosure": ((codes.DCM, "110106", "Export"), (codes.ISO_LIFECYCLE, "disclose")),
        "receipt": ((codes.DCM, "110107", "Import"), (codes.ISO_LIFECYCLE, "receive")),
        "device_deletion": ((codes.AUDIT_EVENT_TYPE, "rest", "RESTful Operation"), (codes.ISO_LIFECYCLE, "destroy")),
        "record_deletion": ((codes.AUDIT_EVENT_TYPE, "rest", "RESTful Operation"), (codes.ISO_LIFECYCLE, "destroy")),
    }
    entity = [{"what": patient, "type": {"system": codes.AUDIT_ENTITY_TYPE, "code": "1"}, "role": {"system": codes.OBJECT_ROLE, "code": "1"}}]
    if image_id:
        entity.append({"what": _ref("Media", image_id), "type": {"system": codes.AUDIT_ENTITY_TYPE, "code": "2"}})
    resource = {
        "resourceType": "AuditEvent", **base, "recorded": when, "period": {"start": when}, "outcome": "0",
        "source": {"site": str(doc.get("facility", "")), "observer": {"display": "clinimg"}},
        "entity": entity,
    }
    source_agent = {"type": {"coding": [{"system": codes.DCM, "code": "110153", "display": "Source Role ID"}]}, "who": _person_ref(actor), "requestor": True}
    if etype in kind_codes:
        (tsys, tcode, tdisplay), (ssys, scode) = kind_codes[etype]
        resource["type"] = {"system": tsys, "code": tcode, "display": tdisplay}
        resource["subtype"] = [{"system": ssys, "code": scode}]
        resource["action"] = "D" if etype.endswith("deletion") else ("C" if etype == "receipt" else "R")
    else:
        resource["type"] = {"system": codes.EVENT_TYPE_SYSTEM, "code": str(etype)}
        resource["subtype"] = [{"system": codes.EVENT_TYPE_SYSTEM, "code": str(etype)}]
    if etype == "disclosure":
        recipient = doc.get("recipient") or {}
        resource["agent"] = [source_agent, {"type": {"coding": [{"system": codes.DCM, "code": "110152", "display": "Destination Role ID"}]},
                                            "who": _ref("Practitioner" if recipient.get("kind") == "clinician" else "RelatedPerson", str(recipient.get("id", ""))),
                                            "requestor": False}]
        if doc.get("purpose"):
            resource["purposeOfEvent"] = [{"coding": [_purpose_coding(doc["purpose"])]}]
    elif etype == "receipt":
        agents = [{"type": {"coding": [{"system": codes.DCM, "code": "110152", "display": "Destination Role ID"}]}, "who": _person_ref(actor), "requestor": True}]
        sender = (doc.get("sender") or {}).get("id")
        if sender:
            agents.append({"type": {"coding": [{"system": codes.DCM, "code": "110153", "display": "Source Role ID"}]}, "who": _ref("Practitioner", str(sender)), "requestor": False})
        resource["agent"] = agents
    else:
        resource["agent"] = [source_agent]
        if etype == "device_deletion" and isinstance(doc.get("device"), dict):
            resource["agent"].append({"who": _ref("Device", str(doc["device"].get("id", ""))), "requestor": False})
    return resource


# ---------------------------------------------------------------------------------------------
# The facts standard elements do not carry: field extensions


def _leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """{dotted path: value} — objects are walked, lists and scalars are leaves."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_leaves(v, f"{prefix}.{k}" if prefix else k))
        return out
    return {prefix: value} if prefix else {}


def _extension(dotted: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"url": codes.FIELD_PREFIX + dotted, "valueBoolean": value}
    if isinstance(value, str):
        return {"url": codes.FIELD_PREFIX + dotted, "valueString": value}
    return {"url": codes.JSON_FIELD_PREFIX + dotted, "valueString": json.dumps(value, sort_keys=True, ensure_ascii=False)}


def _read_back(resource: dict[str, Any]) -> dict[str, Any] | None:
    item = RawResource("<export>", 1, resource)
    model, why = validated(item)
    if model is None:
        raise CheckerError(f"internal: an exported {resource['resourceType']} is not valid FHIR: {why[0][0]}: {why[0][1]}")
    res = Resource(model, resource, item)
    index = Index()
    index.add(res)
    try:
        docs = Mapper(index).map(res)
    except NotMapped:
        return None
    return docs[0] if docs else None


def event_resource(doc: dict[str, Any]) -> dict[str, Any]:
    """One event as one FHIR resource (a JSON dict), valid under fhir.resources, that the
    importer reads back as this very event."""
    resource = _standard(doc)
    back = _read_back(resource) or {}
    want, got = _leaves(doc), _leaves(back)
    extensions = [_extension(k, v) for k, v in want.items() if k not in got or got[k] != v or type(got[k]) is not type(v)]
    extensions += [{"url": codes.JSON_FIELD_PREFIX + k, "valueString": "null"} for k in got if k not in want and not any(k.startswith(w + ".") for w in want)]
    if extensions:
        resource["extension"] = resource.get("extension", []) + extensions
    back = _read_back(resource)
    if back != doc:
        raise CheckerError(f"event {json.dumps(str(doc.get('event_id'))[:60])}: cannot be written as FHIR without loss (a clinimg bug)")
    return resource


def events_bundle(docs: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The events as a FHIR `collection` Bundle."""
    entries = []
    for doc in docs:
        resource = event_resource(doc)
        entries.append({"fullUrl": f"urn:uuid:{_uuid(resource['resourceType'] + '/' + str(doc['event_id']))}", "resource": resource})
    return _validated_bundle({"resourceType": "Bundle", "type": "collection", "entry": entries}, entries_validated=True)


def _uuid(text: str) -> str:
    h = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def _validated_bundle(bundle: dict[str, Any], *, entries_validated: bool = False) -> dict[str, Any]:
    """The Bundle, validated by fhir.resources (a bug raises: what clinimg writes is valid R4).
    With `entries_validated` (each resource already was), only the envelope and entry shells
    are: a model of 20,000 resources at once took a gigabyte."""
    from fhir.resources.R4B.bundle import Bundle

    if entries_validated:
        shells = [{k: v for k, v in e.items() if k != "resource"} for e in bundle.get("entry", [])]
        Bundle.model_validate({**bundle, "entry": shells[:1]})
    else:
        Bundle.model_validate(bundle)
    return bundle


# ---------------------------------------------------------------------------------------------
# Findings → a Bundle of DetectedIssue (one per finding) and an AuditEvent for the run


_SEVERITY = {"deny": "high", "escalate": "moderate", "warn": "low"}


def findings_bundle(findings: list[dict[str, Any]], *, policy: dict[str, Any], when: str | None, counts: dict[str, int] | None = None,
                    outcome: str | None = None) -> dict[str, Any]:
    """Findings as DetectedIssue resources (severity high / moderate / low for deny / escalate /
    warn; code = the rule id in clinimg's rule code system; detail the message, mitigation the
    remedy; implicated: the event's resource by its clinimg event id), and one AuditEvent that
    records the audit itself (DICOM 110101 "Audit Log Used")."""
    entries = []
    for i, f in enumerate(findings):
        issue: dict[str, Any] = {
            "resourceType": "DetectedIssue",
            "id": f"finding-{i + 1}",
            "status": "final",
            "code": {"coding": [{"system": codes.RULE_SYSTEM, "code": str(f["rule"])}], "text": str(f["rule"])},
            "severity": _SEVERITY.get(str(f.get("effect")), "low"),
            "detail": str(f.get("message", "")),
            "reference": f"{codes.BASE}/guide#{re.sub(r'[^A-Za-z0-9]+', '-', str(f.get('guide', ''))).strip('-').lower()}",
            "extension": [{"url": codes.FIELD_PREFIX + "finding.effect", "valueString": str(f.get("effect"))},
                          {"url": codes.FIELD_PREFIX + "finding.guide", "valueString": str(f.get("guide", ""))}],
        }
        if f.get("remedy"):
            issue["mitigation"] = [{"action": {"text": str(f["remedy"])}}]
        if f.get("patient_id"):
            issue["patient"] = _ref("Patient", str(f["patient_id"]))
        if f.get("event_id"):
            issue["implicated"] = [{"identifier": {"system": codes.EVENT_ID_SYSTEM, "value": str(f["event_id"])}}]
        if f.get("occurred_at"):
            issue["identifiedDateTime"] = str(f["occurred_at"])
        entries.append({"fullUrl": f"urn:uuid:{_uuid('finding/' + str(i) + json.dumps(f, sort_keys=True))}", "resource": issue})
    if when is None:  # a check's decision: the findings alone, the outcome as the Bundle's tag
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
        if outcome:
            bundle["meta"] = {"tag": [{"system": f"{codes.BASE}/CodeSystem/outcome", "code": outcome}]}
        return _validated_bundle(bundle)
    audit = {
        "resourceType": "AuditEvent",
        "id": "clinimg-run",
        "type": {"system": codes.DCM, "code": "110101", "display": "Audit Log Used"},
        "action": "E", "recorded": when, "outcome": "0" if not any(f.get("effect") == "deny" for f in findings) else "4",
        "outcomeDesc": f"{len(findings)} finding(s)" + (f"; read {counts['read']} = decided {counts['decided']} + invalid {counts['invalid']} + duplicate {counts['duplicate']}" if counts else ""),
        "agent": [{"type": {"coding": [{"system": codes.DCM, "code": "110150", "display": "Application"}]},
                   "who": {"display": f"clinimg {policy.get('version', '')}"}, "requestor": False}],
        "source": {"observer": {"display": "clinimg"}},
        "entity": [{"what": {"identifier": {"system": f"{codes.BASE}/policy-digest", "value": str(policy.get("digest", ""))}},
                    "type": {"system": codes.AUDIT_ENTITY_TYPE, "code": "2"}}],
    }
    entries.append({"fullUrl": "urn:uuid:" + _uuid("run/" + when + str(policy.get("digest"))), "resource": audit})
    return _validated_bundle({"resourceType": "Bundle", "type": "collection", "timestamp": when, "entry": entries})
