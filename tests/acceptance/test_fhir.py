"""FHIR R4 in and out (issue 11, points 1 and 2), through the real CLI.

Fixtures in tests/fixtures/fhir are written in the shape of HL7's published R4 examples
(Patient/example, Media/example, consent-example-*, auditevent-example-disclosure,
provenance-example: text narrative, meta, extensions, contained resources, references by
urn:uuid, by Type/id and by absolute URL with _history)."""
from __future__ import annotations

import json
import pathlib

import pytest

from checker.fhir import read_fhir, read_fhir_document
from checker.fhir.inbound import age_at
from tests.conftest import EXAMPLES, ROOT, run_cli

FHIR = ROOT / "tests" / "fixtures" / "fhir"
WEEK_BUNDLE = FHIR / "week-bundle.json"
HL7_BULK = sorted(str(p) for p in (FHIR / "hl7-bulk").glob("*.ndjson"))


def _audit(*args: str) -> tuple[int, dict]:
    result = run_cli("audit", *args, "--format", "json")
    assert result.out, result.err
    return result.code, result.json()


def _balanced(report: dict) -> None:
    c = report["counts"]
    assert c["read"] == c["decided"] + c["invalid"] + c["duplicate"]


def test_audit_reads_a_bundle_and_names_what_it_cannot_map() -> None:
    code, report = _audit(str(WEEK_BUNDLE))
    _balanced(report)
    assert code == 1
    assert report["files"] == [str(WEEK_BUNDLE)]
    pairs = {(f["rule"], f["event_id"]) for f in report["findings"]}
    # the nested deny provision of Consent/c-1 refuses teaching; AuditEvent/d-2 shares for teaching
    assert ("disclosure.consent_refused", "AuditEvent/d-2") in pairs
    assert not any(f["event_id"] == "AuditEvent/d-1" and f["effect"] == "deny" for f in report["findings"])
    [invalid] = report["invalid"]
    assert invalid["file"] == str(WEEK_BUNDLE) and invalid["line"] == 205 and "Observation/bp" in invalid["reason"]
    fhir = report["fhir"]
    assert fhir["resources"]["Consent"] == {"read": 1, "events": 2, "context": 0, "unmapped": 0}
    assert fhir["resources"]["Patient"]["context"] == 1
    assert fhir["unmapped"] == [{"file": str(WEEK_BUNDLE), "line": 205, "resource": "Observation/bp", "path": "Observation",
                                 "reason": "resource type Observation is not mapped to a clinimg event (see docs/fhir.md)"}]


def test_bundle_mapping_of_the_capture() -> None:
    read = read_fhir([str(WEEK_BUNDLE)])
    capture = next(e.doc for e in read.events if e.doc["type"] == "capture")
    assert capture["patient"] == {"id": "Patient/pt-19", "age_years": 54.0, "capacity": "full"}  # birthDate 1972-05-30, event 2026-11-24
    assert capture["actor"]["id"] == "Practitioner/dr-7" and capture["actor"]["role"] == "intern"  # PractitionerRole by urn:uuid
    assert capture["actor"]["device"]["owner"] == "personal"
    assert capture["image"] == {"id": "Media/img-3", "modality": "photo", "resolution_mp": 12.193, "subject": "wound", "identifiable": False}
    assert capture["purposes"] == ["clinical_care"] and capture["occurred_at"] == "2026-11-24T02:00:00+11:00"
    disclosure = next(e.doc for e in read.events if e.doc["event_id"] == "AuditEvent/d-1")
    assert disclosure["recipient"] == {"id": "Practitioner/dr-9", "kind": "clinician", "relationship": "consulted", "within_facility": True}
    shared = next(e.doc for e in read.events if e.doc["event_id"] == "AuditEvent/d-2")
    assert shared["image"]["id"] == "Media/img-3"  # an absolute URL with _history resolves to the Media


def test_hl7_example_shapes_as_bulk_ndjson_every_resource_accounted_and_no_value_echoed() -> None:
    code, report = _audit(*HL7_BULK)
    _balanced(report)
    fhir = report["fhir"]
    for kind, row in fhir["resources"].items():
        assert row["read"] >= row["context"] + row["unmapped"], kind
    listed = {(u["file"].rsplit("/", 1)[-1], u["line"]) for u in fhir["unmapped"]}
    assert ("AuditEvent.ndjson", 1) in listed  # HMARKT disclosure of a Patient, not an image
    assert ("Observation.ndjson", 3) in listed  # not JSON
    assert ("Media.ndjson", 1) in listed  # no role for the operator: never guessed
    reasons = {u["resource"]: u for u in fhir["unmapped"]}
    assert reasons["Media/example"]["reason"].startswith("the event it maps to is not valid: $.actor.role")
    assert reasons["Consent/consent-example-pkb"]["path"] == "Consent.provision.provision[0].securityLabel"
    assert reasons["Observation/broken"]["path"] == "Observation.code"
    text = json.dumps(report)
    for value in ("Chalmers", "SomeIdiot", "12345", "marketing.land", "Grahame"):
        assert value not in text
    assert len(report["invalid"]) == len(fhir["unmapped"])


def test_consent_semantics_opt_out_period_end_and_unknown_purposes() -> None:
    read = read_fhir(HL7_BULK)
    by_id = {e.doc["event_id"]: e.doc for e in read.events}
    # consent-example-Out: OPTOUT with an untyped provision is a refusal (never a grant)
    assert by_id["Consent/consent-example-Out"]["consent"]["status"] == "refused"
    # consent-example-basic: a grant whose period ends lapses then (a withdrawal)
    lapse = by_id["Consent/consent-example-basic#end"]
    assert lapse["consent"]["status"] == "withdrawn" and lapse["occurred_at"] == "2019-01-01T00:00:00Z"
    assert by_id["Consent/consent-example-basic"]["consent"]["written_form"] is True  # sourceAttachment


def test_age_from_partial_birth_dates_is_the_youngest_possible() -> None:
    assert age_at("2008-06", "2026-06-15T00:00:00Z") == 17.0  # born as late as 30 June 2008
    assert age_at("2008", "2026-12-30T00:00:00Z") == 17.0
    assert age_at("2008-01-01", "2026-01-01T00:00:00Z") == 18.0
    assert age_at(None, "2026-01-01T00:00:00Z") is None


def test_duplicates_and_a_bundle_mixed_with_clinimg_events(tmp_path: pathlib.Path) -> None:
    bundle = json.loads(WEEK_BUNDLE.read_text())
    media = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Media")
    bundle["entry"].append(json.loads(json.dumps(media)))
    path = tmp_path / "twice.json"
    path.write_text(json.dumps(bundle, indent=1))
    log = tmp_path / "events.jsonl"
    log.write_text((EXAMPLES / "logs" / "week.jsonl").read_text())
    code, report = _audit(str(path), str(log))
    _balanced(report)
    [dup] = report["duplicates"]
    assert dup["file"] == str(path) and dup["resource"] == "Media/img-3" and dup["line"] > 1
    assert set(report["files"]) == {str(path), str(log)}
    assert report["counts"]["decided"] == 464 + 6


def test_check_decides_a_fhir_bundle_and_refuses_one_it_cannot_fully_map() -> None:
    result = run_cli("check", str(FHIR / "disclosure-request.json"), "--format", "json")
    assert result.code == 1, result.err
    assert [f["rule"] for f in result.json()["findings"]] == ["disclosure.consent_refused"]
    refused = run_cli("check", str(WEEK_BUNDLE))
    assert refused.code == 2
    assert f"{WEEK_BUNDLE}:205: Observation:" in refused.err and "nothing decided" in refused.err


def test_round_trip_events_to_fhir_to_audit_gives_the_same_findings(tmp_path: pathlib.Path) -> None:
    from fhir.resources.R4B.bundle import Bundle

    week = str(EXAMPLES / "logs" / "week.jsonl")
    exported = run_cli("fhir", "export", week, "-o", str(tmp_path / "week.fhir.json"))
    assert exported.code == 0, exported.err
    bundle = json.loads((tmp_path / "week.fhir.json").read_text())
    Bundle.model_validate(bundle)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"Media", "Consent", "AuditEvent", "Provenance"}
    _, plain = _audit(week)
    _, via_fhir = _audit(str(tmp_path / "week.fhir.json"))
    assert via_fhir["findings"] == plain["findings"] and len(plain["findings"]) == 13  # week.expected.yaml's findings
    assert via_fhir["counts"] == plain["counts"]
    bulk = run_cli("fhir", "export", week, "--bulk", str(tmp_path / "bulk"))
    assert bulk.code == 0, bulk.err
    _, via_bulk = _audit(*sorted(str(p) for p in (tmp_path / "bulk").glob("*.ndjson")))
    assert via_bulk["findings"] == plain["findings"]


def test_fhir_export_refuses_invalid_lines_and_writes_nothing(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "bad.jsonl"
    log.write_text('{"schema_version": "1"}\n')
    result = run_cli("fhir", "export", str(log), "-o", str(tmp_path / "out.json"))
    assert result.code == 2 and f"{log}:1: $.actor: is required" in result.err and "1 invalid line(s); nothing exported" in result.err
    assert not (tmp_path / "out.json").exists()


def test_format_fhir_writes_findings_as_a_valid_bundle() -> None:
    from fhir.resources.R4B.bundle import Bundle

    result = run_cli("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--format", "fhir")
    bundle = json.loads(result.out)
    Bundle.model_validate(bundle)
    issues = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DetectedIssue"]
    assert len(issues) == 13 and {i["severity"] for i in issues} <= {"high", "moderate", "low"}
    [run] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "AuditEvent"]
    assert run["type"]["code"] == "110101"
    check = run_cli("check", str(EXAMPLES / "requests" / "disallowed_case1_post_on_facebook.json"), "--format", "fhir")
    assert check.code == 1
    found = json.loads(check.out)
    Bundle.model_validate(found)
    assert found["meta"]["tag"][0]["code"] == "deny"
    assert "disclosure.non_professional" in {e["resource"]["code"]["coding"][0]["code"] for e in found["entry"]}


@pytest.mark.parametrize("resource, path", [
    ({"resourceType": "Media", "status": "completed", "content": {}, "createdDateTime": "2026-13-45T00:00:00Z"}, "Media.createdDateTime"),
    ({"resourceType": "Consent", "status": "active", "scope": {}, "category": [], "patient": {"reference": "Patient/x"}, "secretField": "Jane Citizen"}, "Consent.secretField"),
])
def test_invalid_fhir_names_the_path_never_the_value(resource: dict, path: str) -> None:
    read = read_fhir_document("r.json", {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]})
    [u] = read.unmapped
    assert u.path == path and u.reason.startswith("not valid FHIR R4")
    assert "Jane" not in u.reason and "2026-13-45" not in u.reason


def test_validate_lists_what_would_not_map() -> None:
    result = run_cli("validate", str(WEEK_BUNDLE))
    assert result.code == 2 and f"{WEEK_BUNDLE}:205: Observation/bp: Observation: resource type Observation is not mapped" in result.err
    assert run_cli("validate", str(FHIR / "disclosure-request.json")).code == 0


def test_a_single_pretty_printed_resource_file(tmp_path: pathlib.Path) -> None:
    """A resource file as HL7 publishes it (pretty JSON, one resource): read as FHIR, accounted."""
    line = (FHIR / "hl7-bulk" / "Media.ndjson").read_text().splitlines()[0]
    path = tmp_path / "media-example.json"
    path.write_text(json.dumps(json.loads(line), indent=2))
    code, report = _audit(str(path))
    _balanced(report)
    assert code == 2  # nothing decided: the one resource is listed, not guessed
    [u] = report["fhir"]["unmapped"]
    assert u["resource"] == "Media/example" and u["line"] == 1


def test_a_blank_line_in_bulk_ndjson_is_counted_and_named(tmp_path: pathlib.Path) -> None:
    """Every line is decided or reported: a blank line inside an NDJSON export is an invalid line
    with its number, as in a clinimg log (the newline that ends the file is no line)."""
    source = next(p for p in HL7_BULK if p.endswith("Patient.ndjson"))
    lines = pathlib.Path(source).read_text().splitlines()
    ndjson = tmp_path / "Patient.ndjson"
    ndjson.write_text(lines[0] + "\n\n" + "\n".join(lines[1:]) + "\n")
    code, report = _audit(str(ndjson))
    _balanced(report)
    assert report["counts"]["invalid"] == 1
    assert [(u["line"], u["reason"]) for u in report["fhir"]["unmapped"]] == [(2, "a blank line (Bulk Data NDJSON holds one resource a line)")]


@pytest.mark.parametrize("line_end", [b"\r\n", b"\r"])
def test_bulk_ndjson_lines_end_at_crlf_or_a_lone_cr_as_in_a_clinimg_log(tmp_path: pathlib.Path, line_end: bytes) -> None:
    """A Bulk Data export written with \\r\\n or \\r alone (old Mac tools, some exports): lines end
    where a clinimg log's do (audit/reader.physical_lines). With \\r alone the whole export was read
    as one document: one 'Extra data' problem, every resource in it lost, nothing decided."""
    week = str(EXAMPLES / "logs" / "week.jsonl")
    assert run_cli("fhir", "export", week, "--bulk", str(tmp_path / "bulk")).code == 0
    _, plain = _audit(week)
    rewritten = []
    for path in sorted((tmp_path / "bulk").glob("*.ndjson")):
        lines = path.read_bytes().splitlines()
        assert len(lines) > 1
        if path.name.startswith("AuditEvent"):  # a blank line among them is still counted, with its number
            lines.insert(1, b"")
        out = tmp_path / path.name
        out.write_bytes(line_end.join(lines) + line_end)
        rewritten.append(str(out))
    code, via_bulk = _audit(*rewritten)
    _balanced(via_bulk)
    assert via_bulk["findings"] == plain["findings"]
    assert [(pathlib.Path(u["file"]).name, u["line"]) for u in via_bulk["fhir"]["unmapped"]] == [("AuditEvent.ndjson", 2)]
    assert via_bulk["counts"]["decided"] == plain["counts"]["decided"]


def test_validate_reads_fhir_piped_in_as_it_reads_a_fhir_file() -> None:
    """`validate -` spools stdin and tells a log from a request by content, but never sniffed it for
    FHIR: a Bundle piped in was checked as a clinimg request ("$.actor: is required", …, exit 2),
    while `check -` decided the same bytes."""
    for bundle, code in ((FHIR / "disclosure-request.json", 0), (WEEK_BUNDLE, 2)):
        from_file = run_cli("validate", str(bundle))
        piped = run_cli("validate", "-", stdin=bundle.read_text())
        assert (piped.code, from_file.code) == (code, code)
        assert piped.out + piped.err == (from_file.out + from_file.err).replace(str(bundle), "<stdin>")
    assert run_cli("validate", "-", stdin=(EXAMPLES / "logs" / "week.jsonl").read_text()).out.strip() == "464 document(s) valid"
