"""A Bundle written by hand the way a hospital's integration engineer would, from HL7 R4's
examples and docs/fhir.md (tests/fixtures/fhir/hand-written-bundle.json): a Patient with a
birthDate, a Consent whose provision has a purpose, a recipient actor and a period of a year, a
Media taken by a PractitionerRole, and an AuditEvent disclosing it (DICOM Export + ISO 21089
disclose) to the consented consultant."""
from __future__ import annotations

import json
import pathlib

from checker.cds import request_of
from tests.conftest import ROOT, run_cli

BUNDLE = ROOT / "tests" / "fixtures" / "fhir" / "hand-written-bundle.json"


def _with_period_end(tmp_path: pathlib.Path, end: str) -> pathlib.Path:
    bundle = json.loads(BUNDLE.read_text())
    consent = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Consent")
    consent["provision"]["period"]["end"] = end
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, indent=1))
    return path


def test_check_a_consent_still_in_force_covers_the_disclosure(tmp_path: pathlib.Path) -> None:
    # The Consent runs until November 2027; the disclosure is in November 2026. Its lapse is not
    # on file yet: it used to be sent as a withdrawn consent, a false deny (consent_withdrawn).
    result = run_cli("check", str(BUNDLE), "--format", "json")
    assert result.code == 0, result.out + result.err
    assert result.json()["outcome"] == "permit"
    # Teeth the other way: a period that had already ended does withdraw the consent.
    ended = run_cli("check", str(_with_period_end(tmp_path, "2026-11-20T09:20:00+11:00")), "--format", "json")
    assert ended.code == 1, ended.err
    assert "disclosure.consent_withdrawn" in [f["rule"] for f in ended.json()["findings"]]


def test_cds_hooks_request_shaped_like_the_spec_example_uses_the_consent_in_force() -> None:
    resources = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"] for e in json.loads(BUNDLE.read_text())["entry"]}
    body = {  # CDS Hooks 2.0: hook, hookInstance, context, prefetch (fhirServer optional, absent)
        "hook": "org.clinimg.image-disclosure", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "PractitionerRole/prr1", "patientId": "p1",
                    "disclosure": resources["AuditEvent/ae1"], "media": resources["Media/m1"]},
        "prefetch": {"patient": resources["Patient/p1"], "user": resources["PractitionerRole/prr1"],
                     "device": resources["Device/phone1"], "consultant": resources["PractitionerRole/prr2"],
                     "consents": {"resourceType": "Bundle", "type": "searchset", "total": 1,
                                  "entry": [{"resource": resources["Consent/c1"], "search": {"mode": "match"}}]}},
    }
    request = request_of("org.clinimg.image-disclosure", body)
    assert [c["status"] for c in request["consents"]] == ["granted"]


def test_audit_as_of_is_not_moved_to_a_consents_future_end() -> None:
    result = run_cli("audit", str(BUNDLE), "--format", "json")
    report = result.json()
    c = report["counts"]
    assert c["read"] == c["decided"] + c["invalid"] + c["duplicate"] == 3, result.err
    # the latest event (the disclosure, 09:30 +11:00), not the Consent's end in 2027
    assert report["as_of"].startswith("2026-11-19T22:30:00"), report["as_of"]
    rules = {f["rule"] for f in report["findings"]}
    assert "storage.transfer_to_record" not in rules and "consent.refusal_documented" not in rules, rules
    assert report["fhir"]["resources"]["Consent"]["events"] == 1


def test_audit_as_of_after_the_end_decides_the_lapse() -> None:
    result = run_cli("audit", str(BUNDLE), "--format", "json", "--as-of", "2027-12-01T00:00:00Z")
    report = result.json()
    c = report["counts"]
    assert c["read"] == c["decided"] + c["invalid"] + c["duplicate"] == 4, result.err
    assert report["fhir"]["resources"]["Consent"]["events"] == 2


def test_fhir_export_of_a_fhir_file_is_one_clear_line(tmp_path: pathlib.Path) -> None:
    # Read as JSON Lines, the pretty-printed Bundle was a "not valid JSON" error for each line.
    result = run_cli("fhir", "export", str(BUNDLE), "-o", str(tmp_path / "out.json"))
    assert result.code == 2
    assert result.err.strip().splitlines() == [f"clinimg: {BUNDLE}: is already FHIR (a Bundle or Bulk Data NDJSON); `clinimg fhir export` reads clinimg event logs (audit or check the FHIR file directly)"]
    assert not (tmp_path / "out.json").exists()


def test_cds_problems_name_where_in_the_body_the_resource_is_never_its_value() -> None:
    import pytest

    from checker.cds import CdsProblem

    resources = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"] for e in json.loads(BUNDLE.read_text())["entry"]}
    consent = json.loads(json.dumps(resources["Consent/c1"]))
    consent["status"] = "secret-status-value"
    media = json.loads(json.dumps(resources["Media/m1"]))
    media["reasonCode"] = [{"coding": [{"system": "http://hospital.example/purpose", "code": "Jane Citizen wound photo"}]}]
    body = {"hook": "org.clinimg.image-disclosure", "hookInstance": "x-1",
            "context": {"patientId": "p1", "disclosure": resources["AuditEvent/ae1"], "media": media},
            "prefetch": {"patient": resources["Patient/p1"],
                         "consents": {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": consent}]}}}
    with pytest.raises(CdsProblem) as caught:
        request_of("org.clinimg.image-disclosure", body)
    problems = caught.value.problems
    # the bare resource type ("Media") was the path before; now the JSON path of the resource
    assert {p["path"] for p in problems} == {"$.prefetch.consents.entry[0].resource", "$.context.media", "$.context.disclosure"}, problems
    assert all(p["path"].startswith("$.") for p in problems)
    assert "secret-status-value" not in json.dumps(problems) and "Jane Citizen" not in json.dumps(problems)
    # a code shaped like one is still named, for the integration engineer
    media["reasonCode"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "HMARKT"}]}]
    with pytest.raises(CdsProblem) as caught:
        request_of("org.clinimg.image-disclosure", body)
    assert "http://terminology.hl7.org/CodeSystem/v3-ActReason#HMARKT" in json.dumps(caught.value.problems)


def test_a_reference_type_that_is_free_text_is_never_echoed(tmp_path: pathlib.Path) -> None:
    bundle = json.loads(BUNDLE.read_text())
    media = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Media")
    media["subject"] = {"type": "Jane Citizen", "identifier": {"value": "x"}}
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, indent=1))
    result = run_cli("check", str(path))
    assert result.code == 2
    assert "Media.subject" in result.err and "resource of unknown type" in result.err, result.err
    assert "Jane" not in result.err + result.out


def test_cds_prefetch_of_another_patient_is_refused_not_decided() -> None:
    import pytest

    from checker.cds import CdsProblem

    resources = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"] for e in json.loads(BUNDLE.read_text())["entry"]}
    body = {"hook": "org.clinimg.image-disclosure", "hookInstance": "x-2",
            "context": {"patientId": "p1", "disclosure": resources["AuditEvent/ae1"], "media": resources["Media/m1"]},
            "prefetch": {"patient": resources["Patient/p1"], "user": resources["PractitionerRole/prr1"], "device": resources["Device/phone1"],
                         "consultant": resources["PractitionerRole/prr2"], "consents": None}}
    assert request_of("org.clinimg.image-disclosure", body)["patient"] == {"id": "Patient/p1", "age_years": 51.0}
    # The EHR's patient in context is someone else: its Patient (age, capacity) and its Consents
    # were prefetched, but the image is Patient/p1's. Decided, p1 lost their age (a child would
    # pass for an adult) and their consents read as "none on file".
    other = {**resources["Patient/p1"], "id": "p2", "birthDate": "2015-01-01"}
    body = {**body, "context": {**body["context"], "patientId": "p2"}, "prefetch": {**body["prefetch"], "patient": other}}
    with pytest.raises(CdsProblem) as caught:
        request_of("org.clinimg.image-disclosure", body)
    assert caught.value.status == 400
    assert {p["path"] for p in caught.value.problems} == {"$.prefetch.patient"}


def test_a_consent_resource_in_the_record_is_a_documented_consent(tmp_path: pathlib.Path) -> None:
    """A Consent kept in the hospital's FHIR store documents the consent in the health record; the
    consent.documented_in_record extension can still say it was not (e.g. a form not yet filed)."""
    report = run_cli("audit", str(BUNDLE), "--format", "json").json()
    assert "consent.documented" not in {f["rule"] for f in report["findings"]}
    bundle = json.loads(BUNDLE.read_text())
    consent = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Consent")
    consent["extension"] = [{"url": "https://clinimg.example/fhir/StructureDefinition/consent.documented_in_record", "valueBoolean": False}]
    undocumented = tmp_path / "undocumented.json"
    undocumented.write_text(json.dumps(bundle))
    report = run_cli("audit", str(undocumented), "--format", "json").json()
    assert ("consent.documented", "Media/m1") in {(f["rule"], f["event_id"]) for f in report["findings"]}
