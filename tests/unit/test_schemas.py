"""The JSON Schemas of schemas/: well-formed, cross-referenced by $id, and strict where SPEC says so."""
from __future__ import annotations

import copy
import json
import pathlib

import pytest
import referencing
import yaml
from jsonschema import Draft202012Validator

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "schemas"
BASE_URI = "https://clinimg.example/schemas/"
NAMES = ["defs", "event", "request", "decision", "overlay"]


def _load(name: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


SCHEMAS = {name: _load(name) for name in NAMES}
REGISTRY = referencing.Registry().with_resources(
    (schema["$id"], referencing.Resource.from_contents(schema)) for schema in SCHEMAS.values()
)
BASES = yaml.safe_load((ROOT / "tests" / "cases" / "bases.yaml").read_text(encoding="utf-8"))


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        SCHEMAS[name], registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def errors(name: str, document) -> list:
    return list(validator(name).iter_errors(document))


def leaf_errors(name: str, document) -> list:
    """Every error, with the branches of allOf/anyOf/oneOf/if-then expanded."""
    out, todo = [], errors(name, document)
    while todo:
        e = todo.pop()
        if e.context:
            todo.extend(e.context)
        else:
            out.append(e)
    return out


def base(kind: str) -> dict:
    return copy.deepcopy(BASES[kind])


# The SPEC §4 example, with the waiver's date as the string the overlay loader turns it into.
SPEC_OVERLAY = yaml.safe_load(
    """
hospital: Example Public Hospital
jurisdiction: NSW                  # picks retention defaults
personal_devices: allowed          # allowed | prohibited | with_approval
written_consent_required: false
secure_transfer_system: true       # false → a hard copy must go into the record
deadlines: {record_transfer_hours: 24, device_deletion_hours: 24, receipt_deletion_hours: 24, breach_report_hours: 72}
approved_channels: [hospital_secure_app, health_record_upload, in_person_display]
capture_roles: [intern, resident, registrar, consultant, nurse, clinical_photographer]
retention: {adult_years: 7, minor_until_age: 25}
rules: {disabled: [], effect_overrides: {"quality.diagnostic": "escalate"}}
waivers:
  - {rule: storage.delete_after_transfer, event_id: "e-123", reason: "litigation hold",
     approved_by: "privacy-officer-7", expires: "2027-01-01"}
"""
)

SPEC_DECISION = {
    "outcome": "deny",
    "basis": None,
    "findings": [
        {
            "rule": "disclosure.non_professional",
            "effect": "deny",
            "message": "Images may only be shared in a professional context.",
            "guide": "Privacy and confidentiality",
            "remedy": "Do not post the image; share it only with the treating team through an approved channel.",
            "event_id": "e-42",
        }
    ],
    "obligations": [
        {
            "id": "storage.delete_after_transfer",
            "text": "Delete the image from the device once it is saved to the health record.",
        }
    ],
    "policy": {"version": "0.1.0", "digest": "sha256:" + "0" * 64},
}


# ---------------------------------------------------------------------------------------------
# The schemas themselves


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_valid_draft_2020_12(name):
    schema = SCHEMAS[name]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{BASE_URI}{name}.schema.json"
    assert schema.get("title") and schema.get("description")


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


@pytest.mark.parametrize("name", NAMES)
def test_every_ref_resolves(name):
    resolver = REGISTRY.resolver(base_uri=SCHEMAS[name]["$id"])
    for ref in _refs(SCHEMAS[name]):
        assert ref.startswith(BASE_URI) or ref.startswith("#"), ref
        resolver.lookup(ref)  # raises if unresolvable


def test_event_types_are_specs_eleven():
    types = SCHEMAS["defs"]["$defs"]["event_type"]["enum"]
    assert sorted(types) == sorted(k for k in BASES if k != "image_review")
    branches = {b["if"]["properties"]["type"]["const"] for b in SCHEMAS["event"]["allOf"]}
    assert branches == set(types)


# ---------------------------------------------------------------------------------------------
# Requests and events


@pytest.mark.parametrize("kind", sorted(k for k in BASES if k != "image_review"))
def test_every_base_validates_as_request(kind):
    assert errors("request", BASES[kind]) == []


@pytest.mark.parametrize("kind", sorted(k for k in BASES if k != "image_review"))
def test_every_base_without_extras_validates_as_event(kind):
    event = {k: v for k, v in base(kind).items() if k not in ("consents", "lifecycle")}
    assert errors("event", event) == []


def test_image_review_is_not_a_request():
    assert errors("request", BASES["image_review"])


def test_image_review_lifecycle_is_well_typed():
    lifecycle = {"$ref": BASE_URI + "defs.schema.json#/$defs/lifecycle"}
    v = Draft202012Validator(lifecycle, registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert list(v.iter_errors(BASES["image_review"]["lifecycle"])) == []


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-11-20T09:00:00",  # no offset
        "2026-11-20 09:00:00+11:00",  # space, not T
        "2026-11-20T09:00+11:00",  # no seconds
        "2026-11-20",  # date only
        "2026-02-30T09:00:00Z",  # no such day
        "2026-11-20T24:00:00Z",
        "2026-11-20T09:00:00+1100",  # offset without colon
        "2026-11-20T09:00:00Z\n",  # trailing newline
        "20261120T090000Z",
    ],
)
def test_timestamp_requires_full_rfc3339_with_offset(stamp):
    request = base("capture")
    request["occurred_at"] = stamp
    assert errors("request", request)


@pytest.mark.parametrize(
    "stamp", ["2026-11-20T09:00:00Z", "2026-11-20T09:00:00.123+11:00", "2026-11-19T22:00:00-05:30"]
)
def test_timestamp_accepts_rfc3339(stamp):
    request = base("capture")
    request["occurred_at"] = stamp
    request["capture_record"]["when"] = stamp
    assert errors("request", request) == []


def test_unknown_role_is_an_error():
    request = base("disclosure")
    request["actor"]["role"] = "surgeon"
    found = leaf_errors("request", request)
    assert [list(e.absolute_path) for e in found] == [["actor", "role"]]
    assert found[0].validator == "enum"


def test_misspelt_image_key_is_an_error():
    request = base("disclosure")
    request["image"]["identifyable"] = True
    found = leaf_errors("request", request)
    assert [(list(e.absolute_path), e.validator) for e in found] == [(["image"], "additionalProperties")]


@pytest.mark.parametrize("obj", ["actor", "patient", "image", "recipient"])
def test_envelope_objects_reject_unknown_keys(obj):
    request = base("disclosure")
    request[obj]["name"] = "Jane Citizen"
    assert errors("request", request)


def test_device_and_consent_reject_unknown_keys():
    request = base("capture")
    request["actor"]["device"]["pin"] = True
    assert errors("request", request)
    request = base("consent")
    request["consent"]["signed"] = True
    assert errors("request", request)
    request = base("disclosure")
    request["consents"][0]["purpose"] = ["clinical_care"]
    assert errors("request", request)


def test_top_level_allows_extensions():
    request = base("disclosure")
    request["x_hospital_ward"] = "4B"
    assert errors("request", request) == []


def test_capture_missing_image_is_an_error():
    request = base("capture")
    del request["image"]
    found = leaf_errors("request", request)
    assert [e.validator for e in found] == ["required"]
    assert "image" in found[0].message


def test_missing_facts_the_policy_judges_are_not_schema_errors():
    # collection.capture_details, storage.hard_copy / patient_link and
    # patient_provided.owner_agreement fire on these: the schema must let them through.
    capture = base("capture")
    del capture["capture_record"]
    transfer = base("record_transfer")
    del transfer["method"], transfer["linked_to_patient"]
    provided = base("patient_provided")
    del provided["owner_agreed_to_copy"], provided["retention_explained"]
    for request in (capture, transfer, provided):
        assert errors("request", request) == []


def test_capture_missing_purposes_is_not_a_schema_error():
    request = base("capture")
    del request["purposes"]
    assert errors("request", request) == []


@pytest.mark.parametrize(
    "kind, field",
    [
        ("consent", "consent"),
        ("disclosure", "recipient"),
        ("disclosure", "channel"),
        ("disclosure", "purpose"),
        ("device_deletion", "device"),
        ("receipt", "sender"),
        ("device_posture", "device"),
        ("record_deletion", "reason"),
        ("access_request", "requester"),
        ("breach_report", "related_event_id"),
        ("patient_provided", "image"),
        ("capture", "actor"),
        ("capture", "patient"),
        ("capture", "occurred_at"),
    ],
)
def test_key_fields_are_required(kind, field):
    request = base(kind)
    del request[field]
    assert errors("request", request)


def test_disclosure_image_needs_an_id():
    request = base("disclosure")
    del request["image"]["id"]
    assert errors("request", request)


def test_images_produced_is_a_count_or_ids():
    request = base("access_request")
    for good in (0, 3, [], ["img-1", "img-2"], True, False):  # (a boolean: SPEC §3 gives no type)
        request["images_produced"] = good
        assert errors("request", request) == [], good
    for bad in (-1, 1.5, "img-1", [""], None):
        request["images_produced"] = bad
        assert errors("request", request), bad


def test_intended_recipient_is_an_id_or_object():
    request = base("disclosure")
    for good in ("dr-9", {"id": "dr-9"}):
        request["intended_recipient"] = good
        assert errors("request", request) == []
    request["intended_recipient"] = {"name": "dr-9"}
    assert errors("request", request)


def test_schema_version_must_be_one():
    request = base("capture")
    request["schema_version"] = 1
    assert errors("request", request)


def test_record_deletion_reason_is_any_reason_in_words_but_not_blank():
    # SPEC §3 names `reason` without a list of values: any reason is read.
    request = base("record_deletion")
    request["reason"] = "patient asked for it to be removed"
    assert errors("request", request) == []
    for blank in ("", "  ", 7):
        request["reason"] = blank
        assert errors("request", request)


def test_patient_age_bounds():
    request = base("capture")
    request["patient"]["age_years"] = 131
    assert errors("request", request)
    request["patient"]["age_years"] = -1
    assert errors("request", request)


def test_id_length_bounds():
    request = base("capture")
    request["event_id"] = ""
    assert errors("request", request)
    request["event_id"] = "e" * 201
    assert errors("request", request)


def test_lifecycle_rejects_misspelt_keys():
    request = base("record_deletion")
    request["lifecycle"]["years_in_recrod"] = 9
    assert errors("request", request)


# ---------------------------------------------------------------------------------------------
# Overlay


def test_spec_overlay_example_validates():
    assert errors("overlay", SPEC_OVERLAY) == []


def test_empty_overlay_validates():
    assert errors("overlay", {}) == []


@pytest.mark.parametrize(
    "patch, path",
    [
        ({"deadlines": {"record_transfer_hour": 24}}, ["deadlines"]),
        ({"retention": {"adult_year": 7}}, ["retention"]),
        ({"rules": {"disable": []}}, ["rules"]),
        ({"quality": {"min_resolution": 2}}, ["quality"]),
        ({"hopsital": "x"}, []),
    ],
)
def test_misspelt_overlay_key_is_an_error(patch, path):
    overlay = {**copy.deepcopy(SPEC_OVERLAY), **patch}
    found = leaf_errors("overlay", overlay)
    assert [(list(e.absolute_path), e.validator) for e in found] == [(path, "additionalProperties")]


def test_misspelt_waiver_key_is_an_error():
    overlay = copy.deepcopy(SPEC_OVERLAY)
    overlay["waivers"][0]["approver"] = overlay["waivers"][0].pop("approved_by")
    assert errors("overlay", overlay)


@pytest.mark.parametrize(
    "patch",
    [
        {"jurisdiction": "NZ"},
        {"personal_devices": "sometimes"},
        {"deadlines": {"record_transfer_hours": 0}},
        {"deadlines": {"breach_report_hours": "72"}},
        {"approved_channels": ["sms", "sms"]},
        {"approved_channels": ["carrier_pigeon"]},
        {"capture_roles": ["surgeon"]},
        {"retention": {"adult_years": 0}},
        {"retention": {"minor_until_age": 17}},
        {"retention": {"minor_until_age": 31}},
        {"retention": {"adult_years": 7.5}},
        {"quality": {"min_resolution_mp": -1}},
        {"rules": {"disabled": ["Storage.Passcode"]}},
        {"rules": {"effect_overrides": {"quality": "warn"}}},
        {"rules": {"effect_overrides": {"quality.diagnostic": "off"}}},
        {"waivers": [{"rule": "storage.passcode", "event_id": "e-1", "reason": "r", "approved_by": "p"}]},
    ],
)
def test_bad_overlay_values_are_errors(patch):
    overlay = {**copy.deepcopy(SPEC_OVERLAY), **patch}
    assert errors("overlay", overlay)


@pytest.mark.parametrize("expires", ["2027-1-1", "20270101", "2027-02-30", "01/01/2027", "2027-01-01T00:00:00Z"])
def test_waiver_expiry_must_be_a_date(expires):
    overlay = copy.deepcopy(SPEC_OVERLAY)
    overlay["waivers"][0]["expires"] = expires
    assert errors("overlay", overlay)


# ---------------------------------------------------------------------------------------------
# Decision


def test_spec_decision_example_validates():
    assert errors("decision", SPEC_DECISION) == []


def test_decision_with_waivers_and_null_basis_validates():
    decision = copy.deepcopy(SPEC_DECISION)
    del decision["policy"]  # the Rego entry point's value has no policy
    decision["waivers"] = [
        {"rule": "storage.delete_after_transfer", "event_id": "e-123", "approved_by": "privacy-officer-7", "status": "applied"}
    ]
    decision["findings"][0].update(image_id="img-1", patient_id="pt-001", actor_id="dr-7")
    assert errors("decision", decision) == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(outcome="allow"),
        lambda d: d.update(basis="because"),
        lambda d: d.pop("findings"),
        lambda d: d.pop("basis"),
        lambda d: d["findings"][0].update(effect="info"),
        lambda d: d["findings"][0].pop("remedy"),
        lambda d: d["obligations"][0].pop("text"),
        lambda d: d["policy"].update(digest="md5:abc"),
        lambda d: d.update(waivers=[{"rule": "a.b", "event_id": "e", "approved_by": "p", "status": "ignored"}]),
    ],
)
def test_bad_decisions_are_errors(mutate):
    decision = copy.deepcopy(SPEC_DECISION)
    mutate(decision)
    assert errors("decision", decision)
