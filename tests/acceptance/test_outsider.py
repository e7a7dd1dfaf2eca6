"""An outside acceptance run (session 7): inputs written from SPEC.md and the guide alone, by
someone who never saw the code, through the real CLI. Each test is a defect that run found."""
from __future__ import annotations

import json
import pathlib

import pytest

from tests.conftest import EXAMPLES, run_cli

FACEBOOK = EXAMPLES / "requests" / "disallowed_case1_post_on_facebook.json"


def _week_lines(n: int = 6) -> list[str]:
    return (EXAMPLES / "logs" / "week.jsonl").read_text().splitlines()[:n]


# -- integers nobody means: a careless export, a fuzzer, a unit mix-up -------------------------


def test_an_integer_beyond_64_bits_in_a_log_line_is_that_line_invalid_not_the_audit_stopped(tmp_path: pathlib.Path) -> None:
    # Before: `clinimg: internal error (TypeError)`, exit 2, no report — the audit's cache could
    # not serialise the number; and past 4,300 digits "$: not acceptable JSON (ValueError)".
    lines = _week_lines()
    big = json.loads(lines[1])
    big.setdefault("image", {})["resolution_mp"] = 2**70
    huge = json.loads(lines[2])
    huge_text = json.dumps(huge)[:-1] + ', "x_site_code": ' + "9" * 5000 + "}"
    log = tmp_path / "big.jsonl"
    log.write_text("\n".join([lines[0], json.dumps(big), huge_text] + lines[3:]) + "\n")
    audit = run_cli("audit", str(log), "--format", "json")
    assert "internal error" not in audit.err and "Traceback" not in audit.err, audit.err
    report = audit.json()
    assert report["counts"] == {"read": 6, "decided": 4, "invalid": 2, "duplicate": 0}
    reasons = {p["line"]: p["reason"] for p in report["invalid"]}
    assert reasons == {2: "$.image.resolution_mp: integer too large (beyond 64 bits) is not accepted",
                       3: "$.x_site_code: integer too large (beyond 64 bits) is not accepted"}
    validate = run_cli("validate", str(log))
    assert validate.code == 2 and f"{log}:2: $.image.resolution_mp: integer too large" in validate.out + validate.err
    assert "9999" not in audit.out + validate.out + validate.err


def test_a_huge_integer_in_a_request_names_its_path_and_line(tmp_path: pathlib.Path) -> None:
    request = json.loads(FACEBOOK.read_text())
    text = json.dumps(request, indent=2).replace(f'"age_years": {request["patient"]["age_years"]}', '"age_years": ' + "7" * 5000)
    path = tmp_path / "r.json"
    path.write_text(text)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if '"age_years"' in t)
    result = run_cli("check", str(path))
    assert result.code == 2
    assert result.err.strip() == f"clinimg: {path}:{line}: $.patient.age_years: integer too large (beyond 64 bits) is not accepted"


def test_a_duplicate_key_is_named_at_its_path_and_the_line_of_the_second_key(tmp_path: pathlib.Path) -> None:
    # Before: `r.json:1: $: duplicate key "purpose"` — the first line of the document.
    request = json.loads(FACEBOOK.read_text())
    text = json.dumps(request, indent=2)
    lines = text.splitlines()
    at = next(n for n, t in enumerate(lines) if t.startswith('  "purpose"'))
    lines.insert(at + 1, '  "purpose": "clinical_care",')
    path = tmp_path / "r.json"
    path.write_text("\n".join(lines))
    result = run_cli("check", str(path))
    assert result.code == 2
    assert result.err.strip() == f'clinimg: {path}:{at + 2}: $.purpose: duplicate key "purpose"'


def test_an_overlay_integer_beyond_64_bits_is_a_schema_error_not_an_internal_error(tmp_path: pathlib.Path) -> None:
    # Before: 400 digits passed `validate` and stopped `audit` (internal error (OverflowError));
    # 5,000 digits were an internal error (ValueError) everywhere.
    for digits in (400, 5000):
        overlay = tmp_path / f"o{digits}.yaml"
        overlay.write_text("hospital: Example\ndeadlines:\n  record_transfer_hours: " + "9" * digits + "\n")
        for args in (("validate", str(overlay)), ("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--policy-config", str(overlay))):
            result = run_cli(*args)
            assert result.code == 2, (args, result.out, result.err)
            assert f"{overlay}:3: $.deadlines.record_transfer_hours: integer too large (beyond 64 bits) is not accepted" in result.out + result.err
            assert "internal error" not in result.err


# -- an overlay naming an obligation as if it were a finding ------------------------------------


def test_an_effect_override_or_waiver_of_an_obligation_is_refused_not_silently_ignored(tmp_path: pathlib.Path) -> None:
    # SPEC §4: effect_overrides change a rule's effect, waivers waive a finding. An obligation
    # (disclosure.notify_patient, or a hospital's own) has neither: before, `notify_patient: deny`
    # was accepted and the share stayed a permit — the hospital believed it had a deny.
    overlay = tmp_path / "o.yaml"
    overlay.write_text(
        "hospital: Example\n"
        "rules:\n"
        "  disabled: [local.tell_supervisor]\n"  # disabling an obligation is fine
        "  effect_overrides: {disclosure.notify_patient: deny}\n"
        "waivers:\n"
        "  - {rule: local.tell_supervisor, event_id: e-1, reason: x, approved_by: po-1, expires: 2027-01-01}\n"
        "  - {rule: local.student_capture, event_id: e-1, reason: x, approved_by: po-1, expires: 2027-01-01}\n"
    )
    rules = str(pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "good_rules")
    expected = [
        f'{overlay}:4: $.rules.effect_overrides["disclosure.notify_patient"]: disclosure.notify_patient is an obligation (what the actor must still do), not a finding: it has no effect to override; to drop it, list it in rules.disabled',
        f"{overlay}:6: $.waivers[0].rule: local.tell_supervisor is an obligation (what the actor must still do), not a finding: a waiver applies to findings only; to drop it, list it in rules.disabled",
    ]
    share = str(EXAMPLES / "requests" / "allowed_secondary_purpose_share.json")
    for args in (("validate", str(overlay)), ("check", share, "--policy-config", str(overlay)),
                 ("policy", "check", "--policy-config", str(overlay))):
        result = run_cli(*args, "--policy-dir", rules)
        assert result.code == 2, (args, result.out, result.err)
        said = [line.removeprefix("clinimg: ") for line in (result.out + result.err).splitlines() if line.removeprefix("clinimg: ").startswith(str(overlay))]
        assert said == expected, (args, result.out + result.err)
    # the same overlay without the two mistakes is accepted: disabling an obligation, waiving a finding
    overlay.write_text("\n".join(line for n, line in enumerate(overlay.read_text().splitlines(), 1) if n not in (4, 6)) + "\n")
    assert run_cli("validate", str(overlay), "--policy-dir", rules).code == 0


# -- serve's OPA Data API answers as OPA does ---------------------------------------------------


def test_serve_data_api_answers_paths_within_the_decision_and_undefined_documents_as_opa(tmp_path: pathlib.Path) -> None:
    # SPEC §6: an OPA-compatible POST /v1/data/{path}. OPA answers data.clinimg.decision.outcome
    # with that value, and a path nothing defines with 200 and no `result`; clinimg serve said
    # 404 to both. The answers are compared with the real OPA engine's on the same bundle.
    import requests
    from opa_bindings import OpaEngine, OpaUndefinedError

    from checker.bundle import load_into_opa, read_bundle
    from tests.serving import serve_process

    bundle = tmp_path / "b.tar.gz"
    assert run_cli("policy", "bundle", "--output", str(bundle)).code == 0
    opa = OpaEngine()
    opa.print_handler = lambda message, location: None
    load_into_opa(read_bundle(bundle.read_bytes()), opa)
    request = json.loads(FACEBOOK.read_text())

    with serve_process() as (url, _):
        def serve(path: str) -> requests.Response:
            return requests.post(f"{url}/v1/data/{path}", json={"input": request}, timeout=30)

        for path in ("clinimg/decision", "clinimg/decision/outcome", "clinimg/decision/basis", "clinimg/decision/findings",
                     "hospital/other_policy", "other", "clinimg/no_such_rule", "clinimg/rules/storage/no_such_rule"):
            answer = serve(path)
            assert answer.status_code == 200, (path, answer.text)
            try:
                expected = {"result": opa.eval_document(path.replace("/", "."), request)}
            except OpaUndefinedError:
                expected = {}
            got = answer.json()
            assert {k: v for k, v in got.items() if k == "result"} == expected, path
            assert "decision_id" in got
        assert serve("clinimg/decision/findings/0/rule").json()["result"] == "disclosure.non_professional"
        assert "result" not in serve("clinimg/decision/findings/99").json()
        # (OPA's type checker refuses this one outright: undefined is the answer that permits nothing)
        assert "result" not in serve("clinimg/decision/no_such_field").json()
        # (data.clinimg.config is answered since session 8: test_serve_data_api_answers_the_overlay_as_opa;
        # the rule packages since session 9: test_serve_data_api_answers_rule_documents_as_opa)
        # a path within the decision still needs a valid request
        bad = requests.post(f"{url}/v1/data/clinimg/decision/outcome", json={"input": {"type": "capture"}}, timeout=30)
        assert bad.status_code == 400 and bad.json()["problems"]


# -- the audit says which waivers met a finding -------------------------------------------------


def test_the_audit_report_lists_each_waiver_that_met_a_finding_applied_or_not(tmp_path: pathlib.Path) -> None:
    # SPEC §4: a waiver is never honoured when approved by the event's actor (nor past its
    # expiry). `check` says so in its decision; the audit said nothing at all: a waived finding
    # vanished without trace and a refused waiver was invisible, in every format.
    overlay = tmp_path / "o.yaml"
    overlay.write_text(
        "hospital: Example\n"
        "waivers:\n"
        "  - {rule: disclosure.non_professional, event_id: cs1-post, reason: under review, approved_by: privacy-officer-7, expires: 2027-01-01}\n"
        "  - {rule: storage.delete_after_transfer, event_id: cs2-record, reason: mine, approved_by: intern-cs2, expires: 2027-01-01}\n"
        "  - {rule: storage.shown_from_device, event_id: cs2-show, reason: old, approved_by: privacy-officer-7, expires: 2026-01-01}\n"
        "  - {rule: storage.passcode, event_id: no-such-event, reason: unused, approved_by: privacy-officer-7, expires: 2027-01-01}\n"
    )
    week = str(EXAMPLES / "logs" / "week.jsonl")
    expected = [
        {"approved_by": "privacy-officer-7", "event_id": "cs1-post", "rule": "disclosure.non_professional", "status": "applied"},
        {"approved_by": "intern-cs2", "event_id": "cs2-record", "rule": "storage.delete_after_transfer", "status": "self_approved"},
        {"approved_by": "privacy-officer-7", "event_id": "cs2-show", "rule": "storage.shown_from_device", "status": "expired"},
    ]
    state = tmp_path / "s.sqlite"
    report = run_cli("audit", week, "--policy-config", str(overlay), "--format", "json", "--state", str(state)).json()
    assert report["waivers"] == expected
    rules_found = {(f["rule"], f["event_id"]) for f in report["findings"]}
    assert ("disclosure.non_professional", "cs1-post") not in rules_found  # applied: not reported
    assert {("storage.delete_after_transfer", "cs2-record"), ("storage.shown_from_device", "cs2-show")} <= rules_found
    # one process or several list them alike
    assert run_cli("audit", week, "--policy-config", str(overlay), "--format", "json", "--workers", "2").json()["waivers"] == expected

    # (the other formats rendered from the night the store kept: the same report, no second audit)
    text = run_cli("audit", "report", "--state", str(state), "--last").out
    assert "  waiver applied: disclosure.non_professional  event cs1-post  (approved by privacy-officer-7)" in text
    assert "  waiver NOT applied: approved by the event's own actor: storage.delete_after_transfer  event cs2-record  (approved by intern-cs2)" in text
    assert "  waiver NOT applied: expired: storage.shown_from_device  event cs2-show  (approved by privacy-officer-7)" in text
    junit = run_cli("audit", "report", "--state", str(state), "--last", "--format", "junit").out
    assert '<property name="waiver" value="self_approved storage.delete_after_transfer cs2-record intern-cs2"/>' in junit
    html = run_cli("audit", "report", "--state", str(state), "--last", "--format", "html").out
    assert "<h2 id='waivers'>" in html and "NOT applied: expired" in html
    assert run_cli("audit", "report", "--state", str(state), "--last", "--format", "json").json()["waivers"] == expected


# -- intended_recipient written as SPEC writes a recipient --------------------------------------


def test_intended_recipient_in_the_shape_of_a_recipient_is_accepted_and_a_bad_one_named(tmp_path: pathlib.Path) -> None:
    # SPEC §3 gives `recipient` as {id, kind, relationship, within_facility} and names
    # `intended_recipient` beside it without a shape of its own: an outsider writes the same
    # shape. It was refused ("$.intended_recipient: does not match any allowed form") — so the
    # wrong-recipient breach could not be checked at all — and any slip in it got that same
    # message, naming nothing.
    request = json.loads((EXAMPLES / "requests" / "allowed_send_to_consulted_surgeon.json").read_text())
    meant = {**request["recipient"], "id": request["recipient"]["id"] + "-meant"}
    path = tmp_path / "r.json"
    path.write_text(json.dumps({**request, "intended_recipient": meant}))
    result = run_cli("check", str(path), "--format", "json")
    assert result.code == 1, result.err
    assert "disclosure.wrong_recipient" in [f["rule"] for f in result.json()["findings"]]
    path.write_text(json.dumps({**request, "intended_recipient": dict(request["recipient"])}))  # the one meant
    assert run_cli("check", str(path)).code == 0

    for value, said in (({"id": "dr-9", "name": "Dr Nine"}, "$.intended_recipient.name: unknown key (not in the schema; check the spelling)"),
                        ({"kind": "clinician"}, "$.intended_recipient.id: is required"),
                        (7, "$.intended_recipient: must be of type object or string")):
        path.write_text(json.dumps({**request, "intended_recipient": value}))
        result = run_cli("check", str(path))
        assert result.code == 2 and result.err.strip() == f"clinimg: {path}:1: {said}", result.err


# -- a capture record left empty is the rule's finding, not bad input ---------------------------


def test_an_empty_or_null_part_of_the_capture_record_is_a_capture_details_finding(tmp_path: pathlib.Path) -> None:
    # RULES.md: collection.capture_details denies when who took the image, when, and the mode of
    # capture are not all recorded. A blank " " did that, but "" or null — what an app sends for
    # an unfilled field — was bad input: exit 2 from check, and in an audit an invalid line, so
    # the capture's missing record never became a finding.
    request = json.loads((EXAMPLES / "requests" / "allowed_capture_wound_for_care.json").read_text())
    week = _week_lines(40)
    at = next(n for n, line in enumerate(week) if json.loads(line)["type"] == "capture")
    for part, value in (("who", ""), ("when", ""), ("mode", ""), ("who", None), ("when", None), ("mode", None)):
        record = {**request["capture_record"], part: value}
        path = tmp_path / "r.json"
        path.write_text(json.dumps({**request, "capture_record": record}))
        result = run_cli("check", str(path), "--format", "json")
        assert result.code == 1, (part, value, result.err)
        assert [f["rule"] for f in result.json()["findings"]] == ["collection.capture_details"], (part, value)
        assert part in result.json()["findings"][0]["message"]
        if (part, value) not in (("mode", ""), ("who", None)):  # (two audits are enough: the same schema)
            continue
        event = json.loads(week[at])
        event["capture_record"] = {**event["capture_record"], part: value}
        log = tmp_path / "w.jsonl"
        log.write_text("\n".join(week[:at] + [json.dumps(event)] + week[at + 1:]) + "\n")
        report = run_cli("audit", str(log), "--format", "json").json()
        assert report["counts"]["invalid"] == 0, (part, value, report["invalid"])
        assert ("collection.capture_details", event["event_id"]) in {(f["rule"], f["event_id"]) for f in report["findings"]}


# -- what a clinician must still do after a capture ---------------------------------------------


def test_a_permitted_capture_for_clinical_care_owes_the_transfer_and_deletion_obligations(tmp_path: pathlib.Path) -> None:
    # SPEC §2: obligations are what the actor must still do (document, notify, delete, transfer)
    # when the action goes ahead; its own example is storage.delete_after_transfer. A permitted
    # capture on a personal phone had no obligations at all: nothing told the clinician to put
    # the image in the record, or to delete it from the phone, until the audit denied both.
    capture = EXAMPLES / "requests" / "allowed_capture_wound_for_care.json"
    decision = run_cli("check", str(capture), "--format", "json").json()
    assert decision["outcome"] == "permit"
    owed = {o["id"]: o["text"] for o in decision["obligations"]}
    assert sorted(owed) == ["storage.delete_after_transfer", "storage.transfer_to_record"]
    assert "within 24 hours" in owed["storage.transfer_to_record"] and "secure transfer system" in owed["storage.transfer_to_record"]
    overlay = tmp_path / "o.yaml"
    overlay.write_text("hospital: Example\nsecure_transfer_system: false\ndeadlines: {record_transfer_hours: 12}\n")
    text = run_cli("check", str(capture), "--policy-config", str(overlay)).out
    assert "You must still:" in text and "within 12 hours" in text and "hard copy" in text
    # on the hospital's own device there is nothing to delete from a personal phone
    request = json.loads(capture.read_text())
    request["actor"]["device"] = {**request["actor"]["device"], "owner": "hospital"}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(request))
    assert [o["id"] for o in run_cli("check", str(path), "--format", "json").json()["obligations"]] == ["storage.transfer_to_record"]
    # the hospital may switch them off with the rule (one id: the obligation and its audit rule)
    overlay.write_text("hospital: Example\nrules: {disabled: [storage.transfer_to_record, storage.delete_after_transfer]}\n")
    assert run_cli("check", str(capture), "--policy-config", str(overlay), "--format", "json").json()["obligations"] == []


# -- an own rule written without METADATA -------------------------------------------------------


def test_an_own_rule_without_metadata_is_listed_like_any_rule(tmp_path: pathlib.Path) -> None:
    # SPEC §4: own rules "appear in decisions and reports like shipped rules". One written from
    # SPEC alone (no METADATA block: SPEC asks for none) decided, but `clinimg rules` did not list
    # it and JUnit had no testcase for it until it fired.
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "no_sms.rego").write_text(
        "package clinimg.rules.local.no_sms\n\n"
        'deny contains {"rule": "local.no_sms", "message": "No SMS here.", "guide": "Hospital messaging policy", "remedy": "Use the secure app."} if {\n'
        '\tinput.channel == "sms"\n}\n'
    )
    listed = run_cli("rules", "--policy-dir", str(rules), "--format", "json")
    assert listed.code == 0, listed.err
    [own] = [r for r in listed.json() if r["id"].startswith("local.")]
    assert (own["id"], own["effect"], own["section"]) == ("local.no_sms", "deny", "Hospital messaging policy")
    assert "local.no_sms" in run_cli("rules", "--policy-dir", str(rules)).out
    junit = run_cli("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--policy-dir", str(rules), "--format", "junit").out
    assert '<testcase classname="local" name="local.no_sms"/>' in junit  # in force, found nothing: passes


def test_an_own_finding_whose_effect_contradicts_its_set_is_a_policy_check_problem(tmp_path: pathlib.Path) -> None:
    # A finding written with SPEC §2's `effect` key, added to a set of another effect: the set
    # decides, so "effect": "warn" in `deny` denied without a word. Matching ones stay fine.
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "sms.rego").write_text(
        "package clinimg.rules.local.sms\n\n"
        "deny contains finding if {\n"
        '\tinput.channel == "sms"\n'
        '\tfinding := {"rule": "local.sms", "effect": "warn", "message": "m", "guide": "g", "remedy": "r"}\n'
        "}\n"
    )
    said = f'{rules / "sms.rego"}:5: the finding says "effect": "warn" but is added to `deny`, and the set decides the effect: add it to `warn` instead, or drop its `effect`'
    for args in (("policy", "check"), ("check", str(FACEBOOK))):
        result = run_cli(*args, "--policy-dir", str(rules))
        assert result.code == 2 and said in result.out + result.err, (args, result.out, result.err)
    (rules / "sms.rego").write_text((rules / "sms.rego").read_text().replace('"effect": "warn"', '"effect": "deny"'))
    assert run_cli("policy", "check", "--policy-dir", str(rules)).code == 0


# -- a late log on an incremental store ---------------------------------------------------------


def test_a_late_log_on_the_state_store_is_said_not_silently_decided_out_of_order(tmp_path: pathlib.Path) -> None:
    # SPEC §5: state is built from events in time order, logs in any order. Night by night, a
    # log that arrives late (events older than what earlier runs on --state decided) cannot be
    # put back in order: the subpoena of Case Study Four, decided the night before the capture's
    # log arrived, never found the missing images (access.production) — and nothing said so.
    events = [json.loads(line) for line in (EXAMPLES / "logs" / "week.jsonl").read_text().splitlines()]
    cs4 = [e for e in events if e["event_id"].startswith("cs4-")]
    subpoena = [e for e in cs4 if e["type"] == "access_request"]
    earlier = [e for e in cs4 if e["type"] != "access_request"]
    assert subpoena and earlier and max(e["occurred_at"] for e in earlier) < subpoena[0]["occurred_at"]  # (same offsets)
    first, late = tmp_path / "first.jsonl", tmp_path / "late.jsonl"
    first.write_text("".join(json.dumps(e) + "\n" for e in subpoena))
    late.write_text("".join(json.dumps(e) + "\n" for e in earlier))
    state = tmp_path / "s.sqlite"
    assert "late_events" not in run_cli("audit", str(first), "--state", str(state), "--format", "json").json()
    result = run_cli("audit", str(late), "--state", str(state), "--format", "json")
    report = result.json()
    assert report["late_events"] == {"count": len(earlier), "before": report["late_events"]["before"]}
    assert f"{len(earlier)} event(s) older than the latest event earlier runs on --state decided" in result.err
    text = run_cli("audit", "report", "--state", str(state), "--last").out
    assert f"LATE EVENTS: {len(earlier)} event(s) of this run are older" in text
    # in time order (one run, or nights in order) nothing is late
    in_order = tmp_path / "s2.sqlite"
    run_cli("audit", str(late), "--state", str(in_order))
    again = run_cli("audit", str(first), "--state", str(in_order), "--format", "json")
    assert "late_events" not in again.json() and "older than" not in again.err


def test_text_that_is_not_utf8_is_named_by_its_line(tmp_path: pathlib.Path) -> None:
    # "r.json: not UTF-8 text (byte 119)" named no line (the brief: file, line and JSON path).
    request = json.dumps(json.loads(FACEBOOK.read_text()), indent=2).encode()
    at = request.index(b'"facility"')
    path = tmp_path / "r.json"
    path.write_bytes(request[:at] + b"\xff" + request[at:])
    line = request[:at].count(b"\n") + 1
    result = run_cli("check", str(path))
    assert result.code == 2 and result.err.strip() == f"clinimg: {path}:{line}: $: not UTF-8 text (byte {at})"
    overlay = tmp_path / "o.yaml"
    overlay.write_bytes(b"hospital: Example\nrules:\n  disabled: [\xff]\n")
    result = run_cli("validate", str(overlay))
    assert result.code == 2 and f"{overlay}:3: $: the policy overlay is not UTF-8 (byte 38)" in result.out + result.err


def test_an_own_rego_file_saved_with_a_bom_or_not_utf8_is_read_or_named_by_line(tmp_path: pathlib.Path) -> None:
    # Windows Notepad saves UTF-8 with a BOM: the embedded engine then failed with
    # "rules/sms.rego:9: Invalid import declaration" (a line with nothing wrong); bytes that are
    # not UTF-8 were "cannot read Rego file (UnicodeDecodeError)", naming no line.
    rules = tmp_path / "rules"
    rules.mkdir()
    source = (
        "package clinimg.rules.local.sms\n\nimport rego.v1\n\n"
        'deny contains {"rule": "local.sms", "message": "No SMS.", "guide": "Hospital policy", "remedy": "Use the app."} if {\n'
        '\tinput.channel == "social_media"\n}\n'
    )
    (rules / "sms.rego").write_bytes(b"\xef\xbb\xbf" + source.replace("\n", "\r\n").encode())
    assert run_cli("policy", "check", "--policy-dir", str(rules)).code == 0
    decided = run_cli("check", str(FACEBOOK), "--policy-dir", str(rules), "--format", "json")
    assert "local.sms" in [f["rule"] for f in decided.json()["findings"]], decided.err
    (rules / "sms.rego").write_bytes(source.replace("No SMS.", "No SMS \xff.").encode("latin-1"))
    result = run_cli("check", str(FACEBOOK), "--policy-dir", str(rules))
    assert result.code == 2 and result.err.strip() == f"clinimg: {rules / 'sms.rego'}:5: the Rego file is not UTF-8 text (byte 104)", result.err


def test_a_utf16_file_says_so(tmp_path: pathlib.Path) -> None:
    # Windows tools save "Unicode" text as UTF-16: every entry point said only "not UTF-8 (byte 0)".
    hint = "the file is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8"
    request = tmp_path / "r.json"
    request.write_bytes(FACEBOOK.read_text().encode("utf-16"))
    result = run_cli("check", str(request))
    assert result.code == 2 and result.err.strip() == f"clinimg: {request}:1: $: not UTF-8 text (byte 0): {hint}"
    log = tmp_path / "w.jsonl"
    log.write_bytes("\n".join(_week_lines(3)).encode("utf-16"))
    report = run_cli("audit", str(log), "--format", "json").json()
    assert report["invalid"][0]["reason"] == f"not UTF-8 (byte 0): {hint}"
    validated = run_cli("validate", str(log))
    assert f"{log}:1: $: not UTF-8 (byte 0): {hint}" in validated.out + validated.err
    overlay = tmp_path / "o.yaml"
    overlay.write_bytes("hospital: Example\n".encode("utf-16"))
    validated = run_cli("validate", str(overlay))
    assert validated.code == 2 and hint in validated.out + validated.err


# -- session 8: a second outside run ------------------------------------------------------------


def _lower_case_time(stamp: str) -> str:
    """The same instant as RFC 3339 (5.6) also allows it: a lower-case `t`, and `z` for UTC."""
    import datetime

    utc = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)
    return utc.strftime("%Y-%m-%dt%H:%M:%Sz")


def test_lower_case_t_and_z_in_times_are_read_by_validate_check_audit_and_serve(tmp_path: pathlib.Path) -> None:
    # SPEC §3: times are RFC 3339 with offset; RFC 3339 5.6 allows "t" and "z". The schema's
    # pattern refused them (validate, check: exit 2; audit: every line invalid) while --as-of and
    # the Rego read them: one log, two verdicts.
    request = json.loads((EXAMPLES / "requests" / "allowed_capture_wound_for_care.json").read_text())
    lower = json.loads(json.dumps(request))
    lower["occurred_at"] = _lower_case_time(request["occurred_at"])
    lower["capture_record"]["when"] = _lower_case_time(request["capture_record"]["when"])
    for consent in lower.get("consents", []):
        if "given_at" in consent:
            consent["given_at"] = _lower_case_time(consent["given_at"])
    path = tmp_path / "r.json"
    path.write_text(json.dumps(lower))
    expected = run_cli("check", str(EXAMPLES / "requests" / "allowed_capture_wound_for_care.json"), "--format", "json")
    got = run_cli("check", str(path), "--format", "json")
    assert got.code == expected.code == 0, got.err
    assert got.json() == expected.json()
    assert run_cli("validate", str(path)).code == 0
    # a time that is no time is named as such (it said `must be ""`: the form for "not recorded")
    path.write_text(json.dumps({**lower, "capture_record": {**lower["capture_record"], "when": "20 Nov 9am"}}))
    result = run_cli("check", str(path))
    assert result.code == 2 and result.err.strip() == (f"clinimg: {path}:1: $.capture_record.when: is not a valid date-time: an RFC 3339 date-time with seconds and an offset, "
                                                 "e.g. 2026-11-20T09:00:00+11:00 or 2026-11-20T09:00:00Z"), result.err

    week = (EXAMPLES / "logs" / "week.jsonl").read_text().splitlines()
    log = tmp_path / "w.jsonl"
    log.write_text("".join(json.dumps({**json.loads(line), "occurred_at": _lower_case_time(json.loads(line)["occurred_at"])}) + "\n" for line in week))
    assert run_cli("validate", str(log)).code == 0
    plain = run_cli("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--format", "json").json()
    report = run_cli("audit", str(log), "--format", "json").json()
    assert report["counts"] == plain["counts"] and report["counts"]["invalid"] == 0
    assert [(f["rule"], f["event_id"]) for f in report["findings"]] == [(f["rule"], f["event_id"]) for f in plain["findings"]]
    # one spelling from there on: what FHIR's dateTime and the HTML page read
    assert all("T" in f["occurred_at"] and not f["occurred_at"].endswith("z") for f in report["findings"])
    fhir = run_cli("audit", str(log), "--format", "fhir")
    import re

    stamps = re.findall(r'DateTime": "([^"]+)"', fhir.out)
    assert fhir.code == 1 and stamps and all("T" in s and not s.endswith("z") for s in stamps)

    import requests

    from tests.serving import serve_process

    with serve_process() as (url, _):
        answer = requests.post(f"{url}/v1/check", json=lower, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["outcome"] == "permit"


def test_a_waiver_expires_where_its_date_begins_in_the_hospitals_timezone(tmp_path: pathlib.Path) -> None:
    # SPEC §4: `expires: 2027-01-01`, a date. A Sydney hospital (its overlay says `timezone:
    # Australia/Sydney`) means its own New Year; the waiver ran on until UTC midnight, eleven
    # hours later — a finding at 09:00 on New Year's morning was still waived.
    request = json.loads(FACEBOOK.read_text())
    overlay = tmp_path / "o.yaml"
    waiver = "waivers:\n  - {rule: disclosure.non_professional, event_id: cs1-post, reason: review, approved_by: po-7, expires: 2027-01-01}\n"
    path = tmp_path / "r.json"

    def status(occurred_at: str, zone: str | None) -> str:
        overlay.write_text("hospital: Example\n" + (f"timezone: {zone}\n" if zone else "") + waiver)
        path.write_text(json.dumps({**request, "occurred_at": occurred_at}))
        [listed] = run_cli("check", str(path), "--policy-config", str(overlay), "--format", "json").json()["waivers"]
        return listed["status"]

    assert status("2027-01-01T09:00:00+11:00", "Australia/Sydney") == "expired"
    assert status("2026-12-31T23:59:00+11:00", "Australia/Sydney") == "applied"
    assert status("2027-01-01T09:00:00+11:00", None) == "applied"  # no timezone: the date at UTC
    # (New York's New Year begins at 05:00 UTC: before it, in force whatever the clock in Sydney)
    assert status("2027-01-01T04:30:00+00:00", "America/New_York") == "applied"
    assert status("2027-01-01T05:00:00+00:00", "America/New_York") == "expired"

    # the audit judges a lifecycle finding as of --as-of, in the same zone
    overlay.write_text("hospital: Example\ntimezone: Australia/Sydney\nwaivers:\n"
                       "  - {rule: storage.delete_after_transfer, event_id: cs2-record, reason: r, approved_by: po-7, expires: 2026-12-01}\n")
    report = run_cli("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--policy-config", str(overlay),
                     "--as-of", "2026-12-01T09:00:00+11:00", "--format", "json").json()
    assert [w["status"] for w in report["waivers"]] == ["expired"]
    assert ("storage.delete_after_transfer", "cs2-record") in {(f["rule"], f["event_id"]) for f in report["findings"]}


def test_logs_joined_from_files_that_each_open_with_a_bom_are_read_whole(tmp_path: pathlib.Path) -> None:
    # `cat monday.jsonl tuesday.jsonl` of files saved by Notepad or PowerShell: each part opens
    # with a UTF-8 byte order mark, which the audit accepted only at the start of the file. Every
    # line after the first part's was invalid ("not valid JSON: Expecting value (column 1)").
    lines = _week_lines(40)
    parts = [lines[:15], lines[15:30], lines[30:]]
    log = tmp_path / "joined.jsonl"
    log.write_bytes(b"".join(b"\xef\xbb\xbf" + "".join(line + "\n" for line in part).encode() for part in parts))
    plain = tmp_path / "plain.jsonl"
    plain.write_text("".join(line + "\n" for line in lines))
    expected = run_cli("audit", str(plain), "--format", "json").json()
    for workers in ("1", "2"):
        report = run_cli("audit", str(log), "--format", "json", "--workers", workers).json()
        assert report["counts"] == {"read": 40, "decided": 40, "invalid": 0, "duplicate": 0}, report["invalid"]
        assert report["findings"] == expected["findings"]
    assert run_cli("validate", str(log)).code == 0
    # an invalid line after a mark is quarantined as it was, mark and all
    log.write_bytes(log.read_bytes() + b"\xef\xbb\xbf{\"broken\n")
    quarantine = tmp_path / "q.jsonl"
    report = run_cli("audit", str(log), "--format", "json", "--quarantine", str(quarantine)).json()
    assert report["counts"]["invalid"] == 1 and quarantine.read_bytes() == b"\xef\xbb\xbf{\"broken\n"


def test_a_misspelt_top_level_key_of_a_request_or_event_is_named_not_ignored(tmp_path: pathlib.Path) -> None:
    # SPEC §3 names `consents`, `circumstances`, `purposes`…; the top level admits extensions, so
    # `consnets` was taken for one: the consent on file was never read and the share denied for
    # want of a consent the request holds; `circumstance: {in_theatre: true}` was a capture
    # outside theatre. Now an unknown key that is a known one misspelt (and that one absent) is
    # named, with the spelling meant; a key of one's own still passes.
    request = json.loads((EXAMPLES / "requests" / "allowed_send_to_consulted_surgeon.json").read_text())
    path = tmp_path / "r.json"
    path.write_text(json.dumps({("consnets" if k == "consents" else k): v for k, v in request.items()}, indent=2))
    result = run_cli("check", str(path))
    line = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if '"consnets"' in t)
    assert result.code == 2 and result.err.strip() == f'clinimg: {path}:{line}: $.consnets: unknown key (did you mean "consents"?)', result.err
    path.write_text(json.dumps({**request, "x_site_code": "w4", "reported_at": "x"}))  # own keys: as before
    assert run_cli("check", str(path)).code == 0

    week = _week_lines(60)
    at = next(n for n, line in enumerate(week) if json.loads(line)["type"] == "capture" and "circumstances" in json.loads(line))
    event = json.loads(week[at])
    event["circumstance"] = event.pop("circumstances")
    log = tmp_path / "w.jsonl"
    log.write_text("\n".join(week[:at] + [json.dumps(event)] + week[at + 1:]) + "\n")
    report = run_cli("audit", str(log), "--format", "json").json()
    assert report["invalid"] == [{"file": str(log), "line": at + 1, "reason": '$.circumstance: unknown key (did you mean "circumstances"?)'}]
    assert f'{log}:{at + 1}: $.circumstance: unknown key (did you mean "circumstances"?)' in "".join(run_cli("validate", str(log)).err)


def test_own_data_cases_are_read_strictly_and_yml_files_run(tmp_path: pathlib.Path) -> None:
    # README "Write your own rule": a hospital's cases/ beside its Rego, run by `policy test`.
    # Mistakes in them passed in silence: `outcomes: deny` (a typo) was never compared, a patch's
    # `circumstance:` was never read, so the case passed without testing the rule; `findings:
    # local.x` was compared as its letters; a file named `.yml` was never run at all.
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(EXAMPLES / "local_rules", rules)
    for case in (rules / "cases").iterdir():
        case.unlink()
    cases = rules / "cases" / "theatre.yml"
    cases.write_text(
        "- name: filming in theatre is escalated\n"
        "  base: capture\n"
        "  patch: {image: {modality: video}, circumstance: {in_theatre: true}, actor: {role: registrar}}\n"
        "  findings: []\n"
        "  outcomes: deny\n"
        "- name: a photo is not its business\n"
        "  base: capture\n"
        "  findings: local.no_video_in_theatre\n"
    )
    expected = [
        f'{rules}/cases/theatre.yml:5: $[0].outcomes: unknown key (did you mean "outcome"?)',
        f'{rules}/cases/theatre.yml:3: $[0].patch.circumstance: unknown key (did you mean "circumstances"?)',
        f"{rules}/cases/theatre.yml:8: $[1].findings: must be a list of rule ids, e.g. [local.no_sms] (an empty list [] for none)",
    ]
    for args in (("policy", "test", "--only-local"), ("policy", "check")):
        result = run_cli(*args, "--policy-dir", str(rules))
        assert result.code == 2, (args, result.out, result.err)
        said = [line.removeprefix("clinimg: ") for line in (result.out + result.err).splitlines() if "theatre.yml" in line]
        assert said == expected, (args, said)
    # written right, the .yml file runs — and its first case now fails, as it should
    cases.write_text(cases.read_text().replace("circumstance:", "circumstances:").replace("outcomes: deny", "outcome: deny")
                     .replace("findings: local.no_video_in_theatre", "findings: []"))
    result = run_cli("policy", "test", "--only-local", "--policy-dir", str(rules))
    assert result.code == 1, result.out + result.err
    assert "FAIL [embedded] " in result.out and "theatre.yml::filming in theatre is escalated" in result.out
    assert "PASS" not in result.out or "a photo is not its business" not in [l for l in result.out.splitlines() if l.startswith("FAIL")]
    # a case's overlay naming a rule that does not exist disables (or waives) nothing
    cases.write_text("- name: off in theatre\n  base: capture\n  config: {rules: {disabled: [local.no_video_in_thatre]}}\n  findings: []\n")
    for args in (("policy", "test", "--only-local"), ("policy", "check")):
        result = run_cli(*args, "--policy-dir", str(rules))
        assert result.code == 2 and (f'{rules}/cases/theatre.yml:3: $[0].config.rules.disabled[0]: unknown rule id '
                                     '(did you mean "local.no_video_in_theatre"?)') in result.out + result.err, (args, result.out + result.err)
    # an input no command would accept tests nothing: YAML's unquoted `off` is false, not "off"
    cases.write_text("- name: uploads off\n  base: capture\n  patch: {actor: {device: {auto_upload: off}}}\n  findings: []\n")
    result = run_cli("policy", "check", "--policy-dir", str(rules))
    assert result.code == 2 and (f'{rules}/cases/theatre.yml:3: $[0].patch.actor.device.auto_upload: must be one of: "off", "cloud_backup", '
                                 '"social_media" (YAML reads an unquoted off, on, yes or no as a boolean: write "off" in quotes)') in result.out + result.err


def test_a_waiver_with_a_blank_reason_or_approver_is_refused(tmp_path: pathlib.Path) -> None:
    # SPEC §4: a waiver has a reason and an approver. `reason: "   "` or `approved_by: " "` (a
    # form's empty fields, a template not filled in) were accepted: a finding waived for no
    # reason, approved by nobody — and a blank approver is never the event's actor, so it applied.
    overlay = tmp_path / "o.yaml"
    good = {"rule": "disclosure.non_professional", "event_id": "cs1-post", "reason": "under review", "approved_by": "po-7", "expires": "2027-01-01"}
    for key, said in (("reason", "a reason in words, not blank (a waiver with no reason is no waiver)"),
                      ("approved_by", "the approver's id, not blank"), ("event_id", "an event id, not blank")):
        overlay.write_text("hospital: Example\nwaivers:\n  - " + json.dumps({**good, key: "   "}) + "\n")
        for args in (("validate", str(overlay)), ("check", str(FACEBOOK), "--policy-config", str(overlay))):
            result = run_cli(*args)
            assert result.code == 2, (key, args, result.out)
            assert f"{overlay}:3: $.waivers[0].{key}: does not match {said}" in result.out + result.err, (key, result.out + result.err)
    overlay.write_text("hospital: Example\nwaivers:\n  - " + json.dumps(good) + "\n")
    assert run_cli("validate", str(overlay)).code == 0


def test_an_as_of_out_of_range_is_refused_and_one_before_the_log_is_said(tmp_path: pathlib.Path) -> None:
    # SPEC §5: lifecycle rules are decided as of --as-of. A year typed wrong passed in silence:
    # `--as-of 9999-…` (no instant of the store or of OPA holds it) was taken, and `2016-…` for
    # 2026 made every deadline still to come — the overdue transfers and deletions vanished from
    # the report with no word why.
    week = str(EXAMPLES / "logs" / "week.jsonl")
    result = run_cli("audit", week, "--as-of", "9999-11-22T00:00:00Z")
    assert result.code == 2 and result.err.strip() == "clinimg: --as-of: outside the years 1700 to 2259 (the times events may have)"
    early = run_cli("audit", week, "--as-of", "2016-11-22T00:00:00+11:00", "--format", "json")
    assert early.code == 1
    assert ("--as-of 2016-11-21T13:00:00Z is earlier than the latest event of the logs (2026-11-21T21:33:35Z): "
            "deadlines are judged as of that earlier time") in early.err
    # as an event's time must be: seconds, and a T (or t) between date and time
    for slip in ("2026-11-30 00:00:00Z", "2026-11-30T00:00Z"):
        result = run_cli("audit", week, "--as-of", slip)
        assert result.code == 2 and "--as-of: not an RFC 3339 date-time with offset" in result.err, slip
    later = run_cli("audit", week, "--as-of", "2026-12-22T00:00:00+11:00", "--format", "json")
    assert later.code == 1 and "earlier than" not in later.err


def test_serve_data_api_answers_the_overlay_as_opa(tmp_path: pathlib.Path) -> None:
    # SPEC §6: an OPA-compatible POST /v1/data/{path}; the platform team reads the overlay in
    # force at data.clinimg.config (the bundle's data). clinimg serve said 404 where OPA answers
    # it, with or without input. Compared with the real OPA engine on the same bundle.
    import requests
    from opa_bindings import OpaEngine, OpaUndefinedError

    from checker.bundle import load_into_opa, read_bundle
    from tests.serving import serve_process

    overlay = tmp_path / "o.yaml"
    overlay.write_text("hospital: Example\ntimezone: Australia/Sydney\ndeadlines: {record_transfer_hours: 12}\n"
                       "waivers:\n  - {rule: storage.passcode, event_id: e-1, reason: r, approved_by: po-7, expires: 2027-01-01}\n")
    bundle = tmp_path / "b.tar.gz"
    assert run_cli("policy", "bundle", "--output", str(bundle), "--policy-config", str(overlay)).code == 0
    opa = OpaEngine()
    opa.print_handler = lambda message, location: None
    load_into_opa(read_bundle(bundle.read_bytes()), opa)
    request = json.loads(FACEBOOK.read_text())

    with serve_process("--policy-config", str(overlay)) as (url, _):
        for path in ("clinimg/config", "clinimg/config/deadlines/record_transfer_hours", "clinimg/config/waivers/0",
                     "clinimg/config/no_such_key", "clinimg/config/waivers/7"):
            ref = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in path.split("/")).lstrip(".")
            try:
                expected = {"result": opa.eval_document(ref, request)}
            except OpaUndefinedError:
                expected = {}
            for body in ({"input": request}, {}):
                answer = requests.post(f"{url}/v1/data/{path}", json=body, timeout=30)
                assert answer.status_code == 200, (path, answer.text)
                assert {k: v for k, v in answer.json().items() if k == "result"} == expected, path
                assert ("warning" in answer.json()) == ("input" not in body)
        assert requests.post(f"{url}/v1/data/clinimg/config/hospital", json={}, timeout=30).json()["result"] == "Example"


def test_a_line_break_inside_an_id_never_breaks_a_line_of_the_text_report(tmp_path: pathlib.Path) -> None:
    # SPEC §5: free text from the input never reaches a terminal unescaped. Escape characters
    # were escaped, but a newline (or U+2028) inside an event or patient id went out as it was:
    # the id wrote a line of its own into the nightly text report — a forged "[deny]" line for
    # the compliance team, or the rest of the finding pushed out of sight.
    event = json.loads(FACEBOOK.read_text())
    event.pop("consents")
    event["event_id"] = "e-1\n  [deny] storage.passcode  event forged"
    event["patient"]["id"] = "pt-1\u2028x"
    log = tmp_path / "w.jsonl"
    log.write_text(json.dumps(event) + "\n")
    result = run_cli("audit", str(log))
    assert result.code == 1
    assert "\u2028" not in result.out
    finding_lines = [line for line in result.out.splitlines() if "[deny]" in line]
    assert finding_lines == ["  [deny] disclosure.non_professional  event e-1\\x0a  [deny] storage.passcode  event forged at 2026-11-18T19:05:00+11:00"
                             "  image img-2002  patient pt-1\\u2028x  actor student-17 (medical_student)"]


def test_a_compressed_log_is_named_as_such_not_read_as_lines_of_garbage(tmp_path: pathlib.Path) -> None:
    # SPEC §5 reads JSON Lines; logrotate leaves yesterday's as .gz. Given beside tonight's, its
    # bytes were read as dozens of "not UTF-8" lines — the day's events not one decided — while
    # the exit status spoke of the other log alone (0 or 1). Now the run stops before deciding
    # anything (exit 2) and says what the file is; validate and check say it too.
    import gzip

    week = EXAMPLES / "logs" / "week.jsonl"
    packed = tmp_path / "week.jsonl.gz"
    packed.write_bytes(gzip.compress(week.read_bytes()))
    state = tmp_path / "s.sqlite"
    result = run_cli("audit", str(week), str(packed), "--state", str(state))
    assert result.code == 2 and result.out == ""
    assert result.err.strip() == (f"clinimg: {packed}: the event log is gzip-compressed (.gz), not JSON Lines: decompress it first "
                                  f"(e.g. zcat {packed} | clinimg audit -); nothing was audited")
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "checker.cli", "audit", "-"], input=packed.read_bytes(), capture_output=True)
    assert proc.returncode == 2 and b"<stdin>: the event log is gzip-compressed (.gz), not JSON Lines: decompress it first" in proc.stderr
    validated = run_cli("validate", str(packed))
    assert validated.code == 2 and f"{packed}:1: $: not UTF-8 text (byte 1): the file is gzip-compressed (.gz); decompress it first" in validated.err


def test_validate_reads_a_log_piped_on_stdin_as_a_log_and_an_empty_request_says_so(tmp_path: pathlib.Path) -> None:
    # `zcat week.jsonl.gz | clinimg validate -`: a log on standard input was read as one JSON
    # document — "<stdin>:2: $: not valid JSON: Extra data" — though `validate FILE` tells a log
    # from a request by its content. And an empty request said "Expecting value (column 1)".
    week = "\n".join(_week_lines(20)) + "\n"
    result = run_cli("validate", "-", stdin=week)
    assert result.code == 0 and result.out.strip() == "20 document(s) valid", result.err
    broken = week.replace('"occurred_at"', '"occured_at"', 1)
    result = run_cli("validate", "-", stdin=broken)
    assert result.code == 2 and result.err.splitlines()[0].startswith("<stdin>:1: $.occured_at: unknown key"), result.err
    assert run_cli("validate", "-", stdin=FACEBOOK.read_text()).code == 0
    for command in (("validate", "-"), ("check", "-")):
        result = run_cli(*command, stdin="")
        assert result.code == 2 and "<stdin>:1: $: empty: no JSON document (a request is one JSON object)" in result.err, result.err


def test_a_duplicate_line_is_reported_with_its_reason(tmp_path: pathlib.Path) -> None:
    # SPEC §5: "A line that is not JSON, fails the schema, or repeats an event_id is reported with
    # file, line number and reason." Invalid lines had a reason; duplicates had none.
    lines = _week_lines(5)
    log = tmp_path / "w.jsonl"
    log.write_text("\n".join(lines + [lines[2]]) + "\n")
    for workers in ("1", "2"):
        report = run_cli("audit", str(log), "--format", "json", "--workers", workers).json()
        assert report["duplicates"] == [{"file": str(log), "line": 6, "event_id": json.loads(lines[2])["event_id"],
                                         "reason": "repeats the event_id of an event already decided (in this run, or an earlier one on --state): not decided again"}]


def test_a_policy_dir_without_rules_is_refused_not_silently_the_shipped_policy(tmp_path: pathlib.Path) -> None:
    # SPEC §4: own rules in a local package appear in decisions like shipped ones. A --policy-dir
    # naming the wrong directory (or one the rules were not yet copied into) decided without them,
    # exit 0, with the shipped policy's digest: nothing said the hospital's rules were missing.
    empty = tmp_path / "rules"
    empty.mkdir()
    (empty / "README.txt").write_text("our rules\n")
    said = f"clinimg: --policy-dir {empty}: holds no .rego file, so none of the hospital's own rules; give the directory that holds them"
    for args in (("check", str(FACEBOOK)), ("audit", str(EXAMPLES / "logs" / "week.jsonl")), ("rules",)):
        result = run_cli(*args, "--policy-dir", str(empty))
        assert result.code == 2 and result.err.strip() == said, (args, result.err)
    # (`policy test` takes a directory of data cases alone: cases for the shipped rules)
    (empty / "cases").mkdir()
    (empty / "cases" / "shipped.yaml").write_text("- name: a plain capture\n  base: capture\n  findings: []\n")
    assert run_cli("policy", "test", "--only-local", "--policy-dir", str(empty)).code == 0
    assert run_cli("check", str(FACEBOOK), "--policy-dir", str(empty)).err.strip() == said
    (empty / "only_test.rego").write_text("package clinimg.rules.local.x_test\n\ntest_nothing if { true }\n")
    result = run_cli("check", str(FACEBOOK), "--policy-dir", str(empty))
    assert result.code == 2 and "holds only tests (_test.rego)" in result.err, result.err


def test_check_given_a_log_says_to_audit_it(tmp_path: pathlib.Path) -> None:
    # SPEC §6: check decides one request; audit reads logs. Given a log, check said only
    # "not valid JSON: Extra data (column 1)" at line 2 — of a file whose every line is valid.
    log = tmp_path / "tonight.json"
    log.write_text("\n".join(_week_lines(3)) + "\n")
    result = run_cli("check", str(log))
    assert result.code == 2 and result.err.strip() == (
        f"clinimg: {log}:2: $: not valid JSON: Extra data (column 1): this is a log of events, one a line (JSON Lines): "
        "`clinimg audit` reads logs; a request is one JSON document")


def test_validate_reads_own_data_cases_as_cases_and_names_a_rego_file(tmp_path: pathlib.Path) -> None:
    # SPEC §6: `clinimg validate FILE…`, every error with its path. A hospital's data cases
    # (DIR/cases/*.yaml) were read as an overlay ("$: must be of type object"), and a .rego file as
    # JSON ("not valid JSON: Expecting value").
    cases = tmp_path / "rules" / "cases"
    cases.mkdir(parents=True)
    good = cases / "sms.yaml"
    good.write_text("- name: a plain capture\n  base: capture\n  findings: []\n")
    bad = cases / "typo.yaml"
    bad.write_text("- name: typo\n  base: capture\n  patch: {circumstance: {in_theatre: true}}\n  findings: []\n")
    rego = tmp_path / "rules" / "sms.rego"
    rego.write_text("package clinimg.rules.local.sms\n")
    assert run_cli("validate", str(good)).code == 0
    result = run_cli("validate", str(bad), str(rego))
    assert result.code == 2
    assert result.err.splitlines()[:2] == [
        f'{bad}:3: $[0].patch.circumstance: unknown key (did you mean "circumstances"?)',
        f"{rego}: a Rego file, not a document validate checks: `clinimg policy check --policy-dir DIR` compiles and checks own rules",
    ]


# -- session 9 ---------------------------------------------------------------------------------


def test_a_record_deletion_with_a_reason_in_words_is_decided_not_dropped(tmp_path: pathlib.Path) -> None:
    # SPEC §3: `record_deletion` has `reason`, with no list of values. A reason in words was an
    # invalid line ("must be one of: …"): the deletion vanished from the audit, and with it the
    # deny for deleting an image from the record before its retention period ended.
    from tests.lifecycle import Events

    events = Events("ev-why-", {"id": "pt-why-1", "age_years": 40, "capacity": "full"})
    lines = [
        events.capture(1, "2026-11-02T00:00:00Z", "img-why"),
        events.event(2, "record_transfer", "2026-11-02T01:00:00Z", "img-why", method="secure_upload", linked_to_patient=True),
        events.event(3, "record_deletion", "2026-11-03T00:00:00Z", "img-why", reason="patient asked for it to be removed"),
    ]
    log = tmp_path / "why.jsonl"
    log.write_text("\n".join(lines) + "\n")
    report = run_cli("audit", str(log), "--format", "json").json()
    assert report["counts"] == {"read": 3, "decided": 3, "invalid": 0, "duplicate": 0}, report["invalid"]
    assert ("retention.minimum_period", "ev-why-3") in {(f["rule"], f["event_id"]) for f in report["findings"]}
    assert run_cli("validate", str(log)).code == 0
    # a blank reason is still no reason
    log.write_text("\n".join(lines[:2] + [lines[2].replace("patient asked for it to be removed", " ")]) + "\n")
    blank = run_cli("audit", str(log), "--format", "json").json()
    assert [(p["line"], p["reason"]) for p in blank["invalid"]] == [(3, "$.reason: does not match a reason in words, not blank")]


def test_a_disclosure_request_with_the_captures_purposes_at_the_top_level_reads_them(tmp_path: pathlib.Path) -> None:
    # SPEC §3: a disclosure request carries "the `image` as captured (`purposes`, flags)". Written
    # where a capture writes them — `purposes` at the top level — they were silently ignored: a
    # disclosure for teaching of an image taken for teaching was judged as if the patient had
    # never been told of it (basis `consent` instead of `primary_purpose`; with no consent on
    # file, no_basis said "it is not what the image was taken for").
    request = json.loads((EXAMPLES / "requests" / "allowed_secondary_purpose_share.json").read_text())
    request.pop("intended_recipient")
    request.update(purpose="teaching", recipient={"id": "st-1", "kind": "student", "relationship": "none", "within_facility": True})
    in_image = tmp_path / "in_image.json"
    in_image.write_text(json.dumps(request))
    request["purposes"] = request["image"].pop("purposes")
    top = tmp_path / "top.json"
    top.write_text(json.dumps(request))
    expected = run_cli("check", str(in_image), "--format", "json").json()
    assert (expected["outcome"], expected["basis"]) == ("permit", "primary_purpose")
    got = run_cli("check", str(top), "--format", "json")
    assert (got.code, got.json()["outcome"], got.json()["basis"]) == (0, "permit", "primary_purpose")
    request["consents"] = []
    top.write_text(json.dumps(request))
    refused = run_cli("check", str(top), "--format", "json").json()
    [finding] = refused["findings"]
    assert finding["rule"] == "disclosure.no_basis" and "the image was taken for this purpose, but the patient never consented" in finding["message"]


def test_a_log_with_old_mac_line_ends_is_read_line_by_line(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # SPEC §5: every input line is accounted for. A log whose lines end with a carriage return
    # alone (classic Mac OS, some exports) was one giant invalid line ("line longer than 1 MiB"
    # or "not valid JSON"): every event in it undecided. Now a lone \r ends a line, as \n and
    # \r\n do, for audit (one process or partitions, in order or not, file or stdin) and validate.
    week = (EXAMPLES / "logs" / "week.jsonl").read_bytes().splitlines()
    expected = run_cli("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--format", "json").json()
    lines = week[:40] + [b'{"event_id": "broken'] + week[40:]
    shuffled = lines[:5] + lines[300:] + lines[5:300]  # out of order: the sorted re-read by offset
    for name, body in (("cr.jsonl", b"\r".join(lines) + b"\r"), ("mixed.jsonl", b"\n".join(lines[:100]) + b"\n" + b"\r".join(lines[100:])),
                       ("shuffled.jsonl", b"\r".join(shuffled))):
        log = tmp_path / name
        log.write_bytes(body)
        broken = 1 + (shuffled if name == "shuffled.jsonl" else lines).index(b'{"event_id": "broken')
        for extra in ((), ("--workers", "2")):
            report = run_cli("audit", str(log), "--format", "json", *extra).json()
            assert report["counts"] == {"read": len(week) + 1, "decided": len(week), "invalid": 1, "duplicate": 0}, (name, extra)
            assert [p["line"] for p in report["invalid"]] == [broken], (name, extra)
            assert report["findings"] == expected["findings"], (name, extra)
        validate = run_cli("validate", str(log))
        assert validate.code == 2 and f"{log}:{broken}: " in validate.out + validate.err
        assert f"in {len(week) + 1} document(s)" in validate.out + validate.err
    piped = run_cli("audit", "-", "--format", "json", stdin=(b"\r".join(lines)).decode())
    assert piped.json()["counts"]["decided"] == len(week)
    # partitions handing their pass over to a fresh process every 150 lines resume at a \r line end
    monkeypatch.setenv("CLINIMG_PARTITION_SLICE_LINES", "150")
    monkeypatch.setenv("CLINIMG_PARTITION_SLICE_MB", "0")  # (by lines alone, whatever memory they hold)
    sliced = run_cli("audit", str(tmp_path / "cr.jsonl"), "--format", "json", "--workers", "2").json()
    assert sliced["findings"] == expected["findings"] and sliced["counts"]["invalid"] == 1


def test_the_audit_report_lists_the_waivers_that_met_no_finding(tmp_path: pathlib.Path) -> None:
    # SPEC §4: waivers name a rule and an event. One whose event id is mistyped, whose rule does
    # not fire on that event (or is disabled) waives nothing — and the report said nothing of it:
    # the privacy officer believed it in force. Now listed as `unused_waivers` (every format,
    # one process or several, and the report kept in the store), beside `waivers`, unchanged.
    overlay = tmp_path / "o.yaml"
    overlay.write_text(
        "hospital: Example\n"
        "rules: {disabled: [storage.remote_wipe]}\n"
        "waivers:\n"
        "  - {rule: disclosure.non_professional, event_id: cs1-post, reason: under review, approved_by: privacy-officer-7, expires: 2027-01-01}\n"
        "  - {rule: disclosure.non_professional, event_id: cs1-psot, reason: typo, approved_by: privacy-officer-7, expires: 2027-01-01}\n"
        "  - {rule: storage.passcode, event_id: cs1-post, reason: wrong rule, approved_by: privacy-officer-7, expires: 2027-01-01}\n"
        "  - {rule: storage.remote_wipe, event_id: cs2-show, reason: disabled anyway, approved_by: privacy-officer-7, expires: 2026-01-01}\n"
    )
    week = str(EXAMPLES / "logs" / "week.jsonl")
    unused = [
        {"rule": "disclosure.non_professional", "event_id": "cs1-psot", "approved_by": "privacy-officer-7", "expires": "2027-01-01"},
        {"rule": "storage.passcode", "event_id": "cs1-post", "approved_by": "privacy-officer-7", "expires": "2027-01-01"},
        {"rule": "storage.remote_wipe", "event_id": "cs2-show", "approved_by": "privacy-officer-7", "expires": "2026-01-01"},
    ]
    state = tmp_path / "s.sqlite"
    report = run_cli("audit", week, "--policy-config", str(overlay), "--format", "json", "--state", str(state)).json()
    assert report["unused_waivers"] == unused
    assert report["waivers"] == [{"approved_by": "privacy-officer-7", "event_id": "cs1-post", "rule": "disclosure.non_professional", "status": "applied"}]
    assert run_cli("audit", week, "--policy-config", str(overlay), "--format", "json", "--workers", "2").json()["unused_waivers"] == unused
    text = run_cli("audit", "report", "--state", str(state), "--last").out
    assert "  waiver met no finding: disclosure.non_professional  event cs1-psot  (approved by privacy-officer-7, expires 2027-01-01)" in text
    junit = run_cli("audit", "report", "--state", str(state), "--last", "--format", "junit").out
    assert '<property name="unused_waiver" value="storage.passcode cs1-post privacy-officer-7 2027-01-01"/>' in junit
    html = run_cli("audit", "report", "--state", str(state), "--last", "--format", "html").out
    assert "<h2 id='unused-waivers'>" in html and "cs1-psot" in html
    # an overlay without waivers: an empty list, as `waivers`
    assert run_cli("audit", week, "--format", "json").json()["unused_waivers"] == []


def test_serve_data_api_answers_rule_documents_as_opa(tmp_path: pathlib.Path) -> None:
    # SPEC §6: an OPA-compatible POST /v1/data/{path}; SPEC §1: the platform team runs the same
    # policies on OPA. OPA answers data.clinimg.rules.storage.passcode (a rule package: its
    # effect sets for the input), an area, a rule, lib; clinimg serve said 404 to all of them.
    # Compared with the real OPA engine on the same bundle, hospital rules included.
    import requests
    from opa_bindings import OpaEngine, OpaUndefinedError

    from checker.bundle import load_into_opa, read_bundle
    from tests.serving import serve_process

    rules = str(pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "good_rules")
    bundle = tmp_path / "b.tar.gz"
    assert run_cli("policy", "bundle", "--output", str(bundle), "--policy-dir", rules).code == 0
    opa = OpaEngine()
    opa.print_handler = lambda message, location: None
    load_into_opa(read_bundle(bundle.read_bytes()), opa)
    request = json.loads(FACEBOOK.read_text())

    with serve_process("--policy-dir", rules) as (url, _):
        def serve(path: str, body: dict | None = None) -> requests.Response:
            return requests.post(f"{url}/v1/data/{path}", json={"input": request} if body is None else body, timeout=60)

        for path in ("clinimg/rules/storage/passcode", "clinimg/rules/disclosure/non_professional", "clinimg/rules/disclosure/non_professional/deny",
                     "clinimg/rules/disclosure", "clinimg/rules/local", "clinimg/lib/basis", "clinimg/rules/storage/passcode/no_such_rule",
                     "clinimg/rules/no_such_area"):
            answer = serve(path)
            assert answer.status_code == 200, (path, answer.text)
            try:
                expected = {"result": opa.eval_document(path.replace("/", "."), request)}
            except OpaUndefinedError:
                expected = {}
            assert {k: v for k, v in answer.json().items() if k == "result"} == expected, path
        non_professional = serve("clinimg/rules/disclosure/non_professional").json()["result"]
        assert [f["rule"] for f in non_professional["deny"]] == ["disclosure.non_professional"]
        assert serve("clinimg/rules/disclosure/non_professional/deny/0/rule").json()["result"] == "disclosure.non_professional"
        assert serve("clinimg/rules/storage/passcode").json()["result"] == {"deny": []}
        # a function is no document (OPA's type checker refuses it): undefined, never evaluated
        assert "result" not in serve("clinimg/lib/time_ns").json()
        # no input: no evaluation (as for the decision), a bad input: 400 with its problems
        assert "result" not in serve("clinimg/rules/storage/passcode", {}).json()
        bad = serve("clinimg/rules/storage/passcode", {"input": {"type": "capture"}})
        assert bad.status_code == 400 and bad.json()["problems"]
        # and the decision is still the decision
        assert serve("clinimg/decision/outcome").json()["result"] == "deny"


def test_validate_names_an_empty_or_compressed_log_as_audit_does(tmp_path: pathlib.Path) -> None:
    # SPEC §6: validate is the schema check of what audit reads. An empty .jsonl was "0
    # document(s) valid", exit 0 (audit refuses it: an empty log is not a clean night), and a
    # gzip-compressed log named .jsonl one "not UTF-8" error per line of garbage (84 for the week).
    import gzip

    empty = tmp_path / "tonight.jsonl"
    empty.write_bytes(b"")
    packed = tmp_path / "week.jsonl"
    packed.write_bytes(gzip.compress((EXAMPLES / "logs" / "week.jsonl").read_bytes()))
    result = run_cli("validate", str(empty), str(packed))
    assert result.code == 2
    said = [line for line in (result.out + result.err).splitlines() if line.startswith(str(tmp_path))]
    assert said == [f"{empty}: empty: no event (a log holds one JSON object a line)",
                    f"{packed}: the event log is gzip-compressed (.gz), not JSON Lines: decompress it first"]
    assert run_cli("audit", str(empty)).code == 2 and run_cli("audit", str(packed)).code == 2


def test_no_output_ever_overwrites_a_file_of_the_shipped_policy(tmp_path: pathlib.Path) -> None:
    # Outputs that are inputs are refused (the overlay, own Rego, the logs) — but the shipped
    # policy is an input of every run too: `policy bundle --output …/lib.rego` or `audit -o`
    # there replaced a file of the policy, and every later run decided without it (or failed).
    from checker.policy import SHIPPED_POLICY_DIR

    target = SHIPPED_POLICY_DIR / "clinimg" / "rules" / "storage" / "passcode.rego"
    kept = target.read_bytes()
    try:
        for args in (("policy", "bundle", "--output", str(target)),
                     ("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--output", str(target))):
            result = run_cli(*args)
            assert result.code == 2, args
            assert "clinimg: --output: is the same file as a file of the shipped policy; refused, nothing was written" in result.err
            assert target.read_bytes() == kept, args
    finally:
        target.write_bytes(kept)


def test_rules_shows_the_catalogue_as_the_hospitals_overlay_leaves_it(tmp_path: pathlib.Path) -> None:
    # SPEC §6 `clinimg rules`: the catalogue as the policies define it; SPEC §4: the overlay
    # disables rules and overrides effects. `rules --policy-config` (as check and audit take it)
    # was a usage error: a privacy officer could not list what the hospital's policy enforces.
    overlay = tmp_path / "o.yaml"
    overlay.write_text('hospital: X\nrules: {disabled: [storage.passcode], effect_overrides: {"quality.diagnostic": "escalate"}}\n')
    plain = {e["id"]: e for e in run_cli("rules", "--format", "json").json()}
    result = run_cli("rules", "--policy-config", str(overlay), "--format", "json")
    assert result.code == 0, result.err
    in_force = {e["id"]: e for e in result.json()}
    assert in_force.keys() == plain.keys()
    assert in_force["quality.diagnostic"] == {**plain["quality.diagnostic"], "effect": "escalate", "default_effect": plain["quality.diagnostic"]["effect"]}
    assert in_force["storage.passcode"] == {**plain["storage.passcode"], "disabled": True}
    assert all(in_force[k] == plain[k] for k in plain if k not in ("quality.diagnostic", "storage.passcode"))
    text = run_cli("rules", "--policy-config", str(overlay)).out.splitlines()
    assert any(line.startswith("storage.passcode ") and line.endswith("(disabled by the overlay)") for line in text)
    assert any(line.startswith("quality.diagnostic ") and "escalate" in line and line.endswith("(overlay; METADATA: warn)") for line in text)
    # a bad overlay is named as everywhere else
    overlay.write_text("hospital: X\nrules: {disabled: [storage.pascode]}\n")
    bad = run_cli("rules", "--policy-config", str(overlay))
    assert bad.code == 2 and f"{overlay}:2: $.rules.disabled[0]" in bad.err


def test_audit_output_to_dev_stdout_on_a_pipe_writes_the_report_there(tmp_path: pathlib.Path) -> None:
    # `--output /dev/stdout` (a cron job's habit, or a script piping the report on) was refused
    # with "cannot create a file in its directory": /dev/stdout links to /proc/self/fd/1, which
    # realpath cannot follow to the pipe, so a temporary file was made beside it.
    result = run_cli("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--output", "/dev/stdout", "--format", "json")
    assert result.code == 1, result.err
    assert result.json()["counts"]["decided"] == 464


def test_unused_waivers_night_by_night_leave_out_the_events_an_earlier_night_decided(tmp_path: pathlib.Path) -> None:
    # With --state, tonight's log holds only tonight's events: a waiver of an event an earlier
    # night decided (met then, or already listed then as unused) was listed again as unused
    # every night after — the privacy officer's list of stale waivers grew with every night.
    # Now a waiver is listed only while its event is not one an earlier run decided.
    week = _week_lines(464)
    night1, night2 = tmp_path / "n1.jsonl", tmp_path / "n2.jsonl"
    night1.write_text("\n".join(week[:100]) + "\n")
    night2.write_text("\n".join(week[100:]) + "\n")
    overlay = tmp_path / "o.yaml"
    overlay.write_text(
        "hospital: Example\n"
        "waivers:\n"
        "  - {rule: disclosure.non_professional, event_id: cs1-post, reason: met night 1, approved_by: po-7, expires: 2027-01-01}\n"
        "  - {rule: storage.passcode, event_id: cs1-post, reason: wrong rule, approved_by: po-7, expires: 2027-01-01}\n"
        "  - {rule: disclosure.non_professional, event_id: cs1-psot, reason: typo, approved_by: po-7, expires: 2027-01-01}\n"
        "  - {rule: storage.passcode, event_id: cs2-show, reason: night 2 event, approved_by: po-7, expires: 2027-01-01}\n"
    )

    def unused(*waivers: tuple[str, str]) -> list[dict[str, str]]:
        return [{"rule": r, "event_id": e, "approved_by": "po-7", "expires": "2027-01-01"} for r, e in waivers]

    state = tmp_path / "s.sqlite"
    for workers in ("1", "2"):
        state.unlink(missing_ok=True)
        nightly = [run_cli("audit", str(log), "--state", str(state), "--policy-config", str(overlay), "--format", "json",
                           "--workers", workers).json() for log in (night1, night2, night2)]
        first, second, again = nightly
        assert first["waivers"] == [{"approved_by": "po-7", "event_id": "cs1-post", "rule": "disclosure.non_professional", "status": "applied"}]
        assert first["unused_waivers"] == unused(("storage.passcode", "cs1-post"), ("disclosure.non_professional", "cs1-psot"),
                                                 ("storage.passcode", "cs2-show"))
        assert second["unused_waivers"] == unused(("disclosure.non_professional", "cs1-psot"), ("storage.passcode", "cs2-show"))
        # night 2 again (every line a duplicate): its events, too, an earlier run decided
        assert again["counts"]["duplicate"] == len(week) - 100
        assert again["unused_waivers"] == unused(("disclosure.non_professional", "cs1-psot"))
    # without a state store every run is the first: the whole list, as before
    assert run_cli("audit", str(night2), "--policy-config", str(overlay), "--format", "json").json()["unused_waivers"] == unused(
        ("disclosure.non_professional", "cs1-post"), ("storage.passcode", "cs1-post"), ("disclosure.non_professional", "cs1-psot"),
        ("storage.passcode", "cs2-show"))


def test_serve_accepts_gzip_bodies_as_opa_does_and_bounds_what_they_unfold_to() -> None:
    # OPA's server decompresses a request body sent with Content-Encoding: gzip (bounded by its
    # decoding limits); clinimg serve, "OPA-compatible" (SPEC §6), answered 415 to every one.
    # Now gzip is read, never unfolding past --max-body-bytes (a gzip bomb is a 413, as a body
    # that large); a broken stream is a 400; other codings stay 415.
    import gzip

    import requests

    from tests.serving import serve_process

    request = json.loads(FACEBOOK.read_text())
    plain = json.dumps(request).encode()
    zipped = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    with serve_process("--max-body-bytes", "65536") as (url, _):
        expected = requests.post(url + "/v1/check", data=plain, timeout=60)
        assert expected.status_code == 200 and expected.json()["outcome"] == "deny"
        answer = requests.post(url + "/v1/check", data=gzip.compress(plain), headers=zipped, timeout=60)
        assert (answer.status_code, answer.json()) == (200, expected.json())
        # two gzip members, as Go's reader takes them; and OPA's Data API
        halves = gzip.compress(plain[:100]) + gzip.compress(plain[100:])
        assert requests.post(url + "/v1/check", data=halves, headers=zipped, timeout=60).json() == expected.json()
        data = requests.post(url + "/v1/data/clinimg/decision", data=gzip.compress(json.dumps({"input": request}).encode()),
                             headers={**zipped, "Content-Encoding": "GZIP"}, timeout=60)
        assert data.status_code == 200 and data.json()["result"] == {k: v for k, v in expected.json().items() if k != "policy"}
        # 64 KiB of whitespace before the request: 65 KiB unfolded from a few hundred bytes
        bomb = gzip.compress(b" " * 66560 + plain)
        assert len(bomb) < 1024
        too_big = requests.post(url + "/v1/check", data=bomb, headers=zipped, timeout=60)
        assert too_big.status_code == 413 and too_big.json()["message"] == "the body is larger than 65536 bytes once decompressed"
        for broken in (gzip.compress(plain)[:-8], plain, gzip.compress(plain) + b"junk"):
            answer = requests.post(url + "/v1/check", data=broken, headers=zipped, timeout=60)
            assert answer.status_code == 400 and answer.json()["code"] == "invalid_parameter", answer.text
        assert requests.post(url + "/v1/check", data=plain, headers={**zipped, "Content-Encoding": "br"}, timeout=60).status_code == 415
        # and the service still answers
        assert requests.post(url + "/v1/check", data=plain, timeout=60).json() == expected.json()


def test_validate_checks_a_decision_and_an_overlay_written_as_json_by_their_own_schemas(tmp_path: pathlib.Path) -> None:
    # SPEC §6: `clinimg validate FILE…` — schema check only. A decision kept from `check --format
    # json` and an overlay written as JSON (YAML reads JSON: --policy-config takes it) were checked
    # as requests: "$.actor: is required" and so on, never what was wrong in them; a YAML overlay
    # piped in was "not valid JSON".
    decision = run_cli("check", str(FACEBOOK), "--format", "json")
    kept = tmp_path / "decision.json"
    kept.write_text(decision.out)
    assert run_cli("validate", str(kept)).code == 0
    broken = json.loads(decision.out)
    broken["outcome"] = "allow"
    kept.write_text(json.dumps(broken, indent=2))
    result = run_cli("validate", str(kept))
    line = next(n for n, t in enumerate(kept.read_text().splitlines(), 1) if '"outcome"' in t)
    assert result.code == 2 and result.err.splitlines()[0] == f'{kept}:{line}: $.outcome: must be one of: "permit", "deny", "escalate"'
    overlay = tmp_path / "overlay.json"
    overlay.write_text(json.dumps({"hospital": "Example", "rules": {"disabled": ["storage.pascode"]}}, indent=2))
    expected = '$.rules.disabled[0]: unknown rule id (did you mean "storage.passcode"?)'
    result = run_cli("validate", str(overlay))
    assert result.code == 2 and result.err.splitlines()[0] == f"{overlay}:5: {expected}"
    assert run_cli("check", str(FACEBOOK), "--policy-config", str(overlay)).err.strip() == f"clinimg: {overlay}:5: {expected}"
    piped = run_cli("validate", "-", stdin="hospital: Example\nrules: {disabled: [storage.pascode]}\n")
    assert piped.code == 2 and piped.err.splitlines()[0] == f"<stdin>:2: {expected}"
    piped = run_cli("validate", "-", stdin=overlay.read_text())
    assert piped.code == 2 and piped.err.splitlines()[0] == f"<stdin>:5: {expected}"
    # a request is still checked as a request
    request = tmp_path / "r.json"
    request.write_text(json.dumps({k: v for k, v in json.loads(FACEBOOK.read_text()).items() if k != "actor"}))
    assert run_cli("validate", str(request)).err.splitlines()[0] == f"{request}:1: $.actor: is required"


def test_an_overlay_may_not_switch_off_the_fail_closed_guard(tmp_path: pathlib.Path) -> None:
    # RULES.md "Guards": request.event_type denies a decision input that names no known event type
    # — an OPA client that forgot the input, on the bundle (SPEC §6/§7; the CLI and serve refuse
    # such input first). An overlay disabling it, making it a warning or waiving it was accepted,
    # and the bundle built with it answered {} with a permit: fail open by configuration.
    from checker.api import build_policy, make_engine

    lines = {
        "disabled": ("rules: {disabled: [request.event_type]}\n", "$.rules.disabled[0]", "disabled"),
        "override": ("rules: {effect_overrides: {request.event_type: warn}}\n", '$.rules.effect_overrides["request.event_type"]', "given another effect"),
        "waiver": ("waivers:\n  - {rule: request.event_type, event_id: e-1, reason: x, approved_by: po-7, expires: 2030-01-01}\n", "$.waivers[0].rule", "waived"),
    }
    for name, (yaml_text, path, what) in lines.items():
        overlay = tmp_path / f"{name}.yaml"
        overlay.write_text("hospital: Example\n" + yaml_text)
        line = 3 if name == "waiver" else 2
        said = (f"{overlay}:{line}: {path}: request.event_type is a guard (fail closed: an input that does not say what happened is denied): "
                f"it cannot be {what}")
        for args in (("validate", str(overlay)), ("check", str(FACEBOOK), "--policy-config", str(overlay)),
                     ("policy", "bundle", "--policy-config", str(overlay), "--output", str(tmp_path / "b.tar.gz")),
                     ("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--policy-config", str(overlay))):
            result = run_cli(*args)
            assert result.code == 2 and said in result.out + result.err, (args, result.err)
        assert not (tmp_path / "b.tar.gz").exists()
    # the guard itself, with the shipped policies: {} and an unknown type are denied
    engine = make_engine(build_policy(None, []), "embedded", None)
    try:
        assert [(d["outcome"], [f["rule"] for f in d["findings"]]) for d in engine.decide([{}, {"type": "nonsense"}])] == [
            ("deny", ["request.event_type"])] * 2
    finally:
        engine.close()


def test_serve_never_appends_its_decision_log_to_an_event_log_or_a_report(tmp_path: pathlib.Path) -> None:
    # `serve --decision-log week.jsonl` (the night's event log named by mistake) appended decision
    # lines to it: the next audit found them as invalid lines, and the log was no longer what the
    # apps logged. An existing file must already be a decision log (or empty); a new one is made.
    import requests

    from tests.serving import serve_process

    log = tmp_path / "week.jsonl"
    log.write_bytes((EXAMPLES / "logs" / "week.jsonl").read_bytes())
    report = tmp_path / "r.json"
    report.write_text(run_cli("check", str(FACEBOOK), "--format", "json").out)
    for named in (log, report):
        before = named.read_bytes()
        result = run_cli("serve", "--port", "0", "--decision-log", str(named))
        assert result.code == 2 and result.err.strip() == (
            f"clinimg: --decision-log: {named} holds something other than a decision log (its first line is not a decision); "
            "refused, nothing was appended: give a new file or an earlier decision log")
        assert named.read_bytes() == before
    decisions = tmp_path / "decisions.jsonl"
    for _ in range(2):  # a new file, then the same decision log again: appended to
        with serve_process("--decision-log", str(decisions)) as (url, _):
            assert requests.post(url + "/v1/check", data=FACEBOOK.read_bytes(), timeout=60).status_code == 200
    assert [json.loads(line)["outcome"] for line in decisions.read_text().splitlines()] == ["deny", "deny"]
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with serve_process("--decision-log", str(empty)) as (url, _):
        assert requests.post(url + "/v1/check", data=FACEBOOK.read_bytes(), timeout=60).status_code == 200
    assert json.loads(empty.read_text())["outcome"] == "deny"


def test_serve_refuses_an_empty_token_instead_of_answering_anyone(monkeypatch: pytest.MonkeyPatch) -> None:
    # `clinimg serve --token "$TOKEN"` with TOKEN unset, or CLINIMG_SERVE_TOKEN set but empty:
    # the server started without authentication and said nothing (on loopback not even the
    # warning) — every decision endpoint open to whoever reached it.
    import requests

    from tests.serving import serve_process

    said = ("clinimg: --token (or CLINIMG_SERVE_TOKEN): the token is empty (an unset variable?), so anyone would be answered; "
            "give the token, or leave both out")
    for token in ("", "  "):
        result = run_cli("serve", "--port", "0", "--token", token, timeout=30)
        assert result.code == 2 and result.err.strip() == said
    monkeypatch.setenv("CLINIMG_SERVE_TOKEN", "")
    result = run_cli("serve", "--port", "0")
    assert result.code == 2 and result.err.strip() == said
    # a token with whitespace around it (read from a file) is the token, as the credential is read
    monkeypatch.delenv("CLINIMG_SERVE_TOKEN")
    with serve_process("--token", " s3cret\n") as (url, _):
        assert requests.post(url + "/v1/check", data=FACEBOOK.read_bytes(), timeout=60).status_code == 401
        answer = requests.post(url + "/v1/check", data=FACEBOOK.read_bytes(), headers={"Authorization": "Bearer s3cret"}, timeout=60)
        assert answer.status_code == 200 and answer.json()["outcome"] == "deny"
