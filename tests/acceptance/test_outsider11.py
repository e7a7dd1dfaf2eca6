"""Outside acceptance, session 11: inputs written from SPEC.md and the guide, through the real
CLI (and `clinimg serve` as a process). Each test is a defect that run found; it fails on the
code before the fix."""
from __future__ import annotations

import json
import pathlib

from tests.conftest import EXAMPLES, run_cli

FACEBOOK = EXAMPLES / "requests" / "disallowed_case1_post_on_facebook.json"
WEEK = EXAMPLES / "logs" / "week.jsonl"


def _pretty_request() -> str:
    return json.dumps(json.loads(FACEBOOK.read_text()), indent=2)


def _line_of(text: str, needle: str) -> int:
    return next(n for n, t in enumerate(text.split("\n"), 1) if needle in t)


# -- line ends: a lone \r ends a line everywhere a person's text is numbered ----------------------


def test_serve_numbers_body_lines_as_check_does_whatever_the_line_ends(tmp_path: pathlib.Path) -> None:
    # `serve` counted a body's lines by \n alone: a body saved with \r line ends had every problem
    # at line 1, where `check` names its real line. And a byte that is not UTF-8 was at line 1 in
    # both (the decoding error's line counted \n alone).
    import requests

    from tests.serving import serve_process

    text = _pretty_request()
    facility = _line_of(text, '"facility"')
    duplicated = text.replace('"facility"', '"facility": "x", "facility"')
    syntax = text.replace('"facility"', '"facility",,')
    not_utf8 = text.encode().replace(b'"facility"', b'"fac\xffility"')
    with serve_process() as (url, _):
        for end in ("\n", "\r\n", "\r"):
            answer = requests.post(url + "/v1/check", data=duplicated.replace("\n", end).encode(), timeout=60).json()
            assert answer["problems"] == [{"path": "$.facility", "constraint": f'line {facility}: duplicate key "facility"', "line": facility}], (end, answer)
            answer = requests.post(url + "/v1/check", data=syntax.replace("\n", end).encode(), timeout=60).json()
            assert answer["problems"][0]["constraint"].startswith(f"line {facility}: not valid JSON"), (end, answer)
            body = not_utf8.replace(b"\n", end.encode())
            answer = requests.post(url + "/v1/check", data=body, timeout=60).json()
            assert answer["message"].startswith(f"body is not UTF-8 (line {facility},"), (end, answer)
            # the Data API reads bodies the same way
            wrapped = ("{\n\"input\": " + duplicated + "\n}").replace("\n", end)
            answer = requests.post(url + "/v1/data/clinimg/decision", data=wrapped.encode(), timeout=60).json()
            assert answer["problems"] == [{"path": "$.input.facility", "constraint": f'line {facility + 1}: duplicate key "facility"', "line": facility + 1}], (end, answer)
            # and `check` names the same lines
            request = tmp_path / "r.json"
            request.write_bytes(body)
            assert run_cli("check", str(request)).err.startswith(f"clinimg: {request}:{facility}: $: not UTF-8 text"), end


def test_an_overlay_with_a_control_character_is_named_at_its_line_whatever_the_line_ends(tmp_path: pathlib.Path) -> None:
    overlay = tmp_path / "hospital.yaml"
    overlay.write_bytes(b"hospital: Example\rjurisdiction: NSW\rwritten_consent_required: false\x07\r")
    result = run_cli("validate", str(overlay))
    assert result.code == 2 and result.err.startswith(f"{overlay}:3: $.written_consent_required: the policy overlay holds a control character"), result.err
    overlay.write_bytes(b"hospital: Example\rjurisdiction: NSW\rwritten_consent_required: \xff\r")
    result = run_cli("validate", str(overlay))
    assert result.code == 2 and result.err.startswith(f"{overlay}:3: $: the policy overlay is not UTF-8"), result.err


def test_serve_refuses_an_event_log_behind_blank_lines_as_its_decision_log(tmp_path: pathlib.Path) -> None:
    # Only the first 64 KiB were looked at: an event log that began with blank lines was "empty",
    # and serve appended its decisions to it.
    log = tmp_path / "week.jsonl"
    log.write_bytes(b"\n" * 70000 + WEEK.read_bytes())
    before = log.read_bytes()
    result = run_cli("serve", "--port", "0", "--decision-log", str(log), timeout=30)
    assert result.code == 2 and "holds something other than a decision log" in result.err, result.err
    assert log.read_bytes() == before


# -- times: RFC 3339's grammar (a T between date and time), and the error says what to write ------


def test_a_time_in_a_near_miss_form_is_refused_with_what_to_write_never_the_value(tmp_path: pathlib.Path) -> None:
    # SPEC §3: RFC 3339 with offset. The grammar (5.6) joins date and time with a T; its note that
    # an application "may choose" a space is not what the schema's `date-time`, OPA's
    # time.parse_rfc3339_ns or FHIR's dateTime read: a space stays an error. It was said twice
    # (the pattern's long description, then "is not a valid date-time") and never what to change.
    example = "an RFC 3339 date-time is needed, e.g. 2026-11-20T09:00:00+11:00 or 2026-11-20T09:00:00Z"
    forms = {
        "2026-11-18 19:05:00+11:00": "has a space between the date and the time (RFC 3339 joins them with a T)",
        "2026-11-18T19:05:00": "has no offset (Z for UTC, or the local offset: a time without one is a different instant in every time zone)",
        "2026-11-18T19:05+11:00": "has no seconds",
        "2026-11-18T19:05:00+1100": "has an offset without its colon (+hh:mm)",
        "2026-11-18": "is a date alone (a time needs the time of day and an offset)",
    }
    request = json.loads(FACEBOOK.read_text())
    lines = []
    for number, (stamp, why) in enumerate(forms.items(), 1):
        path = tmp_path / f"r{number}.json"
        path.write_text(json.dumps({**request, "occurred_at": stamp}, indent=2))
        line = _line_of(path.read_text(), '"occurred_at"')
        result = run_cli("check", str(path))
        assert result.code == 2 and result.err.strip() == f"clinimg: {path}:{line}: $.occurred_at: {why}: {example}", result.err
        assert stamp not in result.err
        lines.append(json.dumps({**request, "event_id": f"e-{number}", "occurred_at": stamp}))
    log = tmp_path / "times.jsonl"
    log.write_text("\n".join(lines + [json.dumps({**request, "event_id": "e-ok"})]) + "\n")
    report = run_cli("audit", str(log), "--format", "json").json()
    assert report["counts"] == {"read": 6, "decided": 1, "invalid": 5, "duplicate": 0}
    assert [p["reason"] for p in report["invalid"]] == [f"$.occurred_at: {why}: {example}" for why in forms.values()]
    validate = run_cli("validate", str(log))
    assert validate.code == 2 and validate.err.splitlines()[:5] == [
        f"{log}:{n}: $.occurred_at: {why}: {example}" for n, why in enumerate(forms.values(), 1)]
    assert not any(stamp in validate.err + json.dumps(report["invalid"]) for stamp in forms)


# -- the overlay: what a person writes that would silently never apply, or apply when it must not --


def test_a_waiver_id_with_spaces_around_it_is_refused_not_a_self_approval_let_through(tmp_path: pathlib.Path) -> None:
    # A quoted id with a space around it (a copy from a spreadsheet): `approved_by: "student-17 "`
    # was never equal to the event's actor, so a self-approved waiver applied — the deny became a
    # permit. `event_id: " cs1-post"` met no event, silently.
    request = json.loads(FACEBOOK.read_text())
    actor, event = request["actor"]["id"], request["event_id"]
    overlay = tmp_path / "o.yaml"
    for key, value, said in (
            ("approved_by", actor + " ", "the approver's id, not blank, with no space or line break before or after it"),
            ("approved_by", "\n" + actor, "the approver's id, not blank, with no space or line break before or after it"),
            ("event_id", " " + event, "an event id, not blank, with no space or line break before or after it")):
        waiver = {"rule": "disclosure.non_professional", "event_id": event, "reason": "under review", "approved_by": actor,
                  "expires": "2030-01-01", key: value}
        overlay.write_text("hospital: Example\nwaivers:\n  - " + json.dumps(waiver) + "\n")
        for args in (("validate", str(overlay)), ("check", str(FACEBOOK), "--policy-config", str(overlay)),
                     ("audit", str(WEEK), "--policy-config", str(overlay))):
            result = run_cli(*args)
            assert result.code == 2, (key, args, result.out)
            assert f"{overlay}:3: $.waivers[0].{key}: does not match {said}" in result.out + result.err, result.out + result.err
    # the waiver as meant: self-approved, so it does not apply (deny), and the decision says so
    waiver = {"rule": "disclosure.non_professional", "event_id": event, "reason": "under review", "approved_by": actor, "expires": "2030-01-01"}
    overlay.write_text("hospital: Example\nwaivers:\n  - " + json.dumps(waiver) + "\n")
    result = run_cli("check", str(FACEBOOK), "--policy-config", str(overlay), "--format", "json")
    assert result.code == 1 and [w["status"] for w in result.json()["waivers"]] == ["self_approved"], result.out


# -- odd characters: named at their JSON path, said what they are, never echoed --------------------


def test_a_raw_control_character_is_named_at_the_path_of_the_string_that_holds_it(tmp_path: pathlib.Path) -> None:
    # A note pasted with its line break, a tab from a spreadsheet, a NUL: "$: not valid JSON:
    # Invalid control character at (column 25)" — at `$`, whatever string held it.
    import requests

    from tests.serving import serve_process

    request = json.loads(FACEBOOK.read_text())
    secret = "pt-SECRET-77"
    request["patient"]["id"] = secret
    text = json.dumps(request, indent=2)
    line = _line_of(text, secret)
    cases = {
        "\t": "$.patient.id: holds a tab (U+0009) written raw: JSON needs it escaped (\\u0009, or \\t)",
        "\x07": "$.patient.id: holds a control character (U+0007) written raw: JSON needs it escaped (\\u0007)",
        "\x00": "$.patient.id: holds a NUL (U+0000), which is not accepted: remove it",
    }
    path = tmp_path / "r.json"
    for raw, said in cases.items():
        path.write_text(text.replace(secret, secret + raw))
        result = run_cli("check", str(path))
        assert result.code == 2 and result.err.strip() == f"clinimg: {path}:{line}: {said}", result.err
        assert secret not in result.err
    # a line break inside a value of a log line: the line is invalid, with its path; the others decided
    broken = json.loads(WEEK.read_text().splitlines()[0])
    log = tmp_path / "l.jsonl"
    log.write_text(json.dumps(broken).replace('"facility": "', '"facility": "\t') + "\n" + WEEK.read_text().splitlines()[1] + "\n")
    report = run_cli("audit", str(log), "--format", "json").json()
    assert report["invalid"] == [{"file": str(log), "line": 1, "reason": "$.facility: holds a tab (U+0009) written raw: JSON needs it escaped (\\u0009, or \\t)"}]
    assert run_cli("validate", str(log)).err.splitlines()[0] == f"{log}:1: $.facility: holds a tab (U+0009) written raw: JSON needs it escaped (\\u0009, or \\t)"
    with serve_process() as (url, _):
        answer = requests.post(url + "/v1/check", data=text.replace(secret, secret + "\x07").encode(), timeout=60).json()
        assert answer["problems"] == [{"path": "$.patient.id", "constraint": f"line {line}: holds a control character (U+0007) written raw: JSON needs it escaped (\\u0007)", "line": line}]


def test_a_byte_order_mark_inside_a_document_says_so(tmp_path: pathlib.Path) -> None:
    # Two files joined (`cat a.json b.json`), the second saved with a BOM: "Expecting property
    # name enclosed in double quotes" at a place where a person sees nothing at all.
    text = _pretty_request()
    line = _line_of(text, '"facility"')
    path = tmp_path / "r.json"
    path.write_text(text.replace('"facility"', '\ufeff"facility"'))
    result = run_cli("check", str(path))
    assert result.code == 2 and result.err.startswith(
        f"clinimg: {path}:{line}: $: not valid JSON: a byte order mark (U+FEFF) inside the text, not at its start (files joined?)"), result.err


# -- the command line: what a script's unset variable does, what --help shows -----------------------


def test_an_empty_file_name_is_said_as_such_not_read_as_the_current_directory(tmp_path: pathlib.Path) -> None:
    # `clinimg audit "$LOG"` with LOG unset: ".: is a directory, not an event log".
    said = ": a file name is empty (an unset variable?); give the file, or - for standard input"
    for args, what in ((("audit", ""), "LOGS"), (("audit", str(WEEK), " "), "LOGS"), (("check", ""), "REQUEST"),
                       (("validate", str(FACEBOOK), ""), "FILES"), (("fhir", "export", ""), "LOGS")):
        result = run_cli(*args)
        assert result.code == 2 and result.err.strip() == f"clinimg: {what}{said}", (args, result.err)
    result = run_cli("check", "", "--format", "json")
    assert result.code == 2 and result.json()["error"] == f"REQUEST{said}"
    for args in (("audit", "runs", "--state", ""), ("audit", "report", "--state", "", "--last")):
        result = run_cli(*args)
        assert result.code == 2 and result.err.strip() == "clinimg: --state: the file name is empty (an unset variable?); give the state store's file"
    for args, what in ((("inspect", ""), "FILES"), (("deidentify", "", "-o", str(tmp_path / "x.jpg")), "SOURCE")):
        result = run_cli(*args)
        assert result.code == 2 and result.err.strip() == f"clinimg: {what}: a file name is empty (an unset variable?); give the file", result.err


def test_audit_help_shows_the_options_spec_names() -> None:
    # SPEC §6: `clinimg audit LOG.jsonl…` with --as-of, --state, --format, --output, --policy-config.
    # `clinimg audit --help` listed only -h and the subcommands.
    result = run_cli("audit", "--help")
    assert result.code == 0
    for option in ("--as-of", "--state", "--format [fhir|html|json|junit|text]", "--output", "--policy-config", "--quarantine"):
        assert option in result.out, option
    assert "runs" in result.out and "report" in result.out
    assert "1 deny findings or events the engine could not decide" in " ".join(result.out.split())  # (exit 1 for engine errors too)


def test_an_invisible_character_where_json_expects_something_is_named_by_code_point(tmp_path: pathlib.Path) -> None:
    # A log padded with NUL bytes after a crash, a no-break space pasted from a word processor, a
    # Unicode line separator after an object: "Expecting value (column 1)" at a place that looks
    # right. Every line still accounted for.
    week = WEEK.read_text().splitlines()[:3]
    log = tmp_path / "l.jsonl"
    log.write_bytes(("\n".join([week[0], "\x00" * 16, week[1].replace('":"', '":\u00a0"', 1), week[2] + "\u2028"]) + "\n").encode())
    report = run_cli("audit", str(log), "--format", "json").json()
    assert report["counts"] == {"read": 4, "decided": 1, "invalid": 3, "duplicate": 0}
    assert [(p["line"], p["reason"].split(": the character there is ")[1]) for p in report["invalid"]] == [
        (2, "a NUL (U+0000): NUL bytes (a file padded after a crash or a full disk?)"),
        (3, "U+00A0 (no-break space), which JSON does not take there"),
        (4, "U+2028 (line separator), which JSON does not take there")]
    validate = run_cli("validate", str(log))
    assert validate.code == 2 and all(": the character there is " in line for line in validate.err.splitlines()[:3])


def test_a_waiver_expiry_that_is_no_date_is_one_problem_saying_the_form(tmp_path: pathlib.Path) -> None:
    # "2030-01-01T00:00:00Z" was two problems at the same path (the pattern's and the format's);
    # "2030-02-30" was "is not a valid date", no form said.
    overlay = tmp_path / "o.yaml"
    for expires, said in (("2030-02-30", "is not a valid date: a calendar date YYYY-MM-DD the calendar has, e.g. 2027-01-31"),
                          ("2030-01-01T00:00:00Z", "does not match a calendar date YYYY-MM-DD")):
        overlay.write_text("hospital: Example\nwaivers:\n  - {rule: storage.auto_upload, event_id: e1, reason: hold, approved_by: po-7, "
                           f"expires: {expires}}}\n")
        result = run_cli("validate", str(overlay))
        assert result.code == 2 and result.err.splitlines() == [f"{overlay}:3: $.waivers[0].expires: {said}", "1 error(s) in 1 document(s)"], result.err


def test_a_fhir_bundle_saved_with_lone_carriage_returns_names_its_problems_at_their_lines(tmp_path: pathlib.Path) -> None:
    # A Bundle with \r line ends had every unmapped resource and every JSON error at line 1.
    lines = tmp_path / "w.jsonl"
    lines.write_text("\n".join(WEEK.read_text().splitlines()[:8]) + "\n")
    bundle = json.loads(run_cli("fhir", "export", str(lines)).out)
    consent = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Consent")
    consent["status"] = "bogus"
    text = json.dumps(bundle, indent=1)
    broken = text.replace('"bogus"', '"bogus",,')
    for name, body in (("mapped", text), ("syntax", broken)):
        said = []
        for end in ("\n", "\r"):
            path = tmp_path / f"{name}{len(said)}.json"
            path.write_text(body.replace("\n", end))
            result = run_cli("validate", str(path))
            assert result.code == 2, result.err
            said.append(result.err.splitlines()[0].removeprefix(str(path)))
        assert said[0] == said[1] and not said[0].startswith(":1:"), said


# -- SPEC §3 as a scenario writer reads it -----------------------------------------------------------


def test_images_produced_written_as_a_boolean_is_decided_not_an_invalid_line(tmp_path: pathlib.Path) -> None:
    # SPEC §3: access_request — `produced` (bool), `images_produced` (no type given). Case Study
    # Four written from it — a subpoena answered with the record and `images_produced: false` —
    # was an invalid line: the audit's deny never came, and `check` said bad input.
    lines = [json.loads(line) for line in WEEK.read_text().splitlines()]
    capture = next(e for e in lines if e["type"] == "capture")
    subpoena = {"schema_version": "1", "event_id": "ar-1", "type": "access_request", "occurred_at": "2026-11-23T10:00:00+11:00",
                "facility": capture["facility"], "actor": {"id": "records-1", "role": "admin"}, "patient": capture["patient"],
                "requester": {"id": "district-court", "kind": "court"}, "legal_basis": "subpoena", "produced": True}
    outcomes = {}
    for produced in (False, True):
        log = tmp_path / f"l{produced}.jsonl"
        log.write_text(json.dumps(capture) + "\n" + json.dumps({**subpoena, "images_produced": produced}) + "\n")
        report = run_cli("audit", str(log), "--format", "json").json()
        assert report["counts"]["invalid"] == 0, report["invalid"]
        outcomes[produced] = sorted(f["rule"] for f in report["findings"] if f["event_id"] == "ar-1")
        request = tmp_path / f"r{produced}.json"
        request.write_text(json.dumps({**subpoena, "images_produced": produced, "lifecycle": {"patient_image_ids": [capture["image"]["id"]]}}))
        assert run_cli("check", str(request)).code == (1 if produced is False else 3)
    assert "access.production" in outcomes[False] and "access.production" not in outcomes[True]


# -- outputs: what the nights depend on is never replaced by a report -----------------------------


def test_no_output_replaces_a_state_store_an_event_log_or_rego_it_was_not_given_as_input(tmp_path: pathlib.Path) -> None:
    # `clinimg audit tonight.jsonl -o state.sqlite` (--state forgotten), `-o yesterday.jsonl`, a
    # bundle or FHIR export over a log: each replaced months of state or a night's events with a
    # report. Now refused before anything is written; a report over a report is still replaced.
    store = tmp_path / "state.sqlite"
    assert run_cli("audit", str(WEEK), "--state", str(store)).code == 1
    yesterday = tmp_path / "yesterday.jsonl"
    yesterday.write_bytes(b"\n" + WEEK.read_bytes())
    rego = tmp_path / "mine.rego"
    rego.write_bytes((EXAMPLES / "local_rules" / "no_video_in_theatre.rego").read_bytes())
    kept = {p: p.read_bytes() for p in (store, yesterday, rego)}
    said = "refused, nothing was written (clinimg never replaces one with an output: give another file name, or remove it first if it is really to go)"
    for target, holds in ((store, "an SQLite database (a --state store?)"), (yesterday, "a log of events"), (rego, "Rego (a policy file)")):
        for args in (("audit", str(WEEK), "-o", str(target)), ("policy", "bundle", "-o", str(target)),
                     ("fhir", "export", str(WEEK), "-o", str(target)), ("audit", "report", "--state", str(store), "--last", "-o", str(target))):
            if target == store and args[1] == "report":
                continue  # (that one is the store named twice: refused as an input)
            result = run_cli(*args)
            assert result.code == 2 and result.err.strip() == f"clinimg: --output: the file there holds {holds}; {said}", (args, result.err)
    result = run_cli("audit", str(WEEK), "--quarantine", str(store))
    assert result.code == 2 and "--quarantine: the file there holds an SQLite database" in result.err
    assert {p: p.read_bytes() for p in kept} == kept
    report = tmp_path / "report.json"
    for _ in range(2):
        assert run_cli("audit", str(WEEK), "--format", "json", "-o", str(report)).code == 1
    # a quarantine is written again on a re-run of the night (it may hold event-like lines)
    quarantine = tmp_path / "bad.jsonl"
    quarantine.write_text(WEEK.read_text().splitlines()[0] + "\n")
    assert run_cli("audit", str(WEEK), "--quarantine", str(quarantine)).code == 1 and quarantine.read_text() == ""


def test_as_of_in_a_near_miss_form_says_what_is_wrong_in_it() -> None:
    result = run_cli("audit", str(WEEK), "--as-of", "2026-11-30 02:00:00+11:00")
    assert result.code == 2 and result.err.strip() == (
        "clinimg: --as-of: not an RFC 3339 date-time with offset (e.g. 2026-11-24T02:00:00+11:00): it has a space between the date "
        "and the time (RFC 3339 joins them with a T)")


# -- nothing lost in silence: two events given one id ---------------------------------------------


def test_a_different_event_reusing_an_event_id_is_said_to_be_one_not_a_harmless_repeat(tmp_path: pathlib.Path) -> None:
    # SPEC §5: a line that repeats an event_id is reported. A line sent twice is harmless; another
    # event given the same id (two devices' counters, an export's bug) was reported in the same
    # words — "not decided again" — though it was never decided at all.
    lines = WEEK.read_text().splitlines()
    other = json.loads(lines[3])
    other["event_id"] = json.loads(lines[2])["event_id"]
    log = tmp_path / "l.jsonl"
    log.write_text("\n".join(lines[:4] + [lines[2], json.dumps(other)]) + "\n")
    report = run_cli("audit", str(log), "--format", "json").json()
    assert report["counts"] == {"read": 6, "decided": 4, "invalid": 0, "duplicate": 2}
    reasons = {d["line"]: d["reason"] for d in report["duplicates"]}
    assert reasons[5].startswith("repeats the event_id of an event already decided")
    assert reasons[6] == ("repeats the event_id of another event (a different time, type, actor, facility, patient or image; in this run, "
                          "or an earlier one on --state): two events cannot share an id, so this one was not decided — give it its own id")
    # and across nights, from the state store
    store = tmp_path / "s.sqlite"
    first = tmp_path / "n1.jsonl"
    first.write_text("\n".join(lines[:4]) + "\n")
    run_cli("audit", str(first), "--state", str(store))
    second = tmp_path / "n2.jsonl"
    second.write_text(json.dumps(other) + "\n" + lines[4] + "\n")
    report = run_cli("audit", str(second), "--state", str(store), "--format", "json").json()
    assert [d["reason"] for d in report["duplicates"]] == [reasons[6]]


def test_serve_says_an_empty_body_or_the_data_apis_wrapper_on_v1_check_for_what_it_is() -> None:
    # An empty body was "not valid JSON: Expecting value (column 1)" (check says "empty"); the Data
    # API's {"input": …} sent to /v1/check was a list of every envelope field "is required".
    import requests

    from tests.serving import serve_process

    with serve_process() as (url, _):
        empty = requests.post(url + "/v1/check", data=b" \r\n", timeout=60)
        assert empty.status_code == 400 and empty.json()["message"] == "body is empty: no JSON document (a request is one JSON object)"
        wrapped = requests.post(url + "/v1/check", data=b'{"input": ' + FACEBOOK.read_bytes() + b"}", timeout=60)
        assert wrapped.status_code == 400 and wrapped.json()["problems"] == [{"path": "$.input", "constraint": "unknown key (the Data API's wrapper)", "line": 1}]
        assert "POST it to /v1/data/clinimg/decision" in wrapped.json()["message"]
        utf16 = requests.post(url + "/v1/check", data=FACEBOOK.read_text().encode("utf-16"), timeout=60)
        assert utf16.status_code == 400 and "UTF-16 text" in utf16.json()["message"], utf16.text  # (as check says it)
        assert requests.post(url + "/v1/check", data=FACEBOOK.read_bytes(), timeout=60).json()["outcome"] == "deny"


# -- fail closed: an answer whose outcome its findings contradict is no decision -------------------


def test_an_opa_answer_whose_outcome_its_findings_contradict_is_an_engine_error_not_a_permit() -> None:
    # SPEC §2: deny if any finding denies. An OPA server on an older or altered bundle answering
    # `permit` beside a deny finding was taken as it came: PERMIT, exit 0, the deny shown under it.
    import http.server
    import threading

    answers = {
        "permit beside a deny": {"outcome": "permit", "findings": [{"rule": "disclosure.non_professional", "effect": "deny", "message": "m", "guide": "g", "remedy": "r"}]},
        "escalate beside a deny": {"outcome": "escalate", "findings": [
            {"rule": "disclosure.non_professional", "effect": "deny", "message": "m", "guide": "g", "remedy": "r"},
            {"rule": "collection.emergency", "effect": "escalate", "message": "m", "guide": "g", "remedy": "r"}]},
        "an unknown effect": {"outcome": "permit", "findings": [{"rule": "disclosure.non_professional", "effect": "block", "message": "m", "guide": "g", "remedy": "r"}]},
    }
    current: dict[str, object] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"result": {"basis": None, "obligations": [], "waivers": [], **current}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        for name, answer in answers.items():
            current.clear()
            current.update(answer)
            result = run_cli("check", str(FACEBOOK), "--engine", "opa", "--opa-url", url, "--format", "json", timeout=60)
            assert result.code == 2, (name, result.out)
            assert result.json()["error"].startswith("engine error, no decision (fail closed): the policy answered "), (name, result.out)
        # a consistent answer is taken
        current.clear()
        current.update({"outcome": "deny", "findings": answers["permit beside a deny"]["findings"]})
        assert run_cli("check", str(FACEBOOK), "--engine", "opa", "--opa-url", url, timeout=60).code == 1
    finally:
        server.shutdown()


def test_a_control_character_in_an_overlay_is_named_at_its_json_path(tmp_path: pathlib.Path) -> None:
    # It was named at `$` whatever the entry: the line alone.
    overlay = tmp_path / "o.yaml"
    said = "the policy overlay holds a control character YAML does not allow"
    for body, where in (("hospital: Exa\x07mple\n", "2: $.hospital"),
                        ("rules:\n  disabled:\n    - storage.passcode\n    - storage.remote_wipe\x07\n", "5: $.rules.disabled[1]"),
                        ("waivers:\n  - {rule: disclosure.non_professional, event_id: \"cs1\x01post\", reason: hold, approved_by: po-7, "
                         "expires: 2030-01-01}\n", "3: $.waivers[0].event_id"),
                        ("# a comment \x07\nhospital: X\n", "2: $")):
        overlay.write_text("jurisdiction: NSW\n" + body)
        for args in (("validate", str(overlay)), ("check", str(FACEBOOK), "--policy-config", str(overlay))):
            result = run_cli(*args)
            assert result.code == 2 and f"{overlay}:{where}: {said}" in result.err, (args, result.err)


def test_an_output_named_as_a_directory_that_does_not_exist_is_refused(tmp_path: pathlib.Path) -> None:
    # `-o reports/` (the directory not made yet) wrote a file named "reports"; `--state state/` a
    # store named "state". Each is now refused and nothing is written.
    said = "names a directory (it ends with /), which does not exist; give a file name, nothing was written"
    for option, args in (("--output", ("audit", str(WEEK), "-o")), ("--state", ("audit", str(WEEK), "--state")),
                         ("--quarantine", ("audit", str(WEEK), "--quarantine")), ("--output", ("policy", "bundle", "-o")),
                         ("--output", ("fhir", "export", str(WEEK), "-o"))):
        target = tmp_path / "missing"
        result = run_cli(*args, str(target) + "/")
        assert result.code == 2 and result.err.strip() == f"clinimg: {option}: {said}", (args, result.err)
        assert not target.exists()


def test_an_own_rego_file_saved_with_lone_carriage_returns_is_read_as_its_lines(tmp_path: pathlib.Path) -> None:
    # Rego ends lines at \n only: a rule saved with \r line ends was one line — its first comment
    # ran to the end of the file — and refused as "package must be clinimg.rules.local.<rule>".
    rules = tmp_path / "rules"
    rules.mkdir()
    source = (EXAMPLES / "local_rules" / "no_video_in_theatre.rego").read_text()
    (rules / "no_video_in_theatre.rego").write_bytes(source.replace("\n", "\r").encode())
    request = json.loads((EXAMPLES / "requests" / "allowed_capture_wound_for_care.json").read_text())
    request["image"]["modality"] = "video"
    request["circumstances"] = {**request.get("circumstances", {}), "in_theatre": True}
    path = tmp_path / "r.json"
    path.write_text(json.dumps(request))
    assert run_cli("policy", "check", "--policy-dir", str(rules)).code == 0
    result = run_cli("check", str(path), "--policy-dir", str(rules), "--format", "json")
    assert "local.no_video_in_theatre" in [f["rule"] for f in result.json()["findings"]], result.out + result.err


_NUMERIC_FACILITY_RULE = """# METADATA
# title: Facility numbers
# custom:
#   id: local.facility_number
#   effect: deny
#   guide_section: Hospital policies and contracts
#   remedy: Ask the privacy officer.
package clinimg.rules.local.facility_number

deny contains finding if {
	to_number(input.facility) > 3
	finding := {
		"rule": "local.facility_number",
		"message": "This facility may not do this.",
		"guide": "Hospital policies and contracts",
		"remedy": "Ask the privacy officer.",
	}
}
"""


def test_a_builtin_that_fails_in_a_hospital_rule_is_an_engine_error_on_every_engine_never_a_permit(tmp_path: pathlib.Path) -> None:
    # SPEC §5/§7: fail closed, and both engines give identical decisions. A hospital rule whose
    # builtin fails on an input (to_number of a facility name) was undefined on the embedded
    # engine — its deny silently gone, PERMIT, exit 0 — and an engine error on the reference
    # engine, whose message quoted the input value.
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "facility_number.rego").write_text(_NUMERIC_FACILITY_RULE)
    request = json.loads((EXAMPLES / "requests" / "allowed_capture_wound_for_care.json").read_text())
    request["facility"] = "st-SECRET-ward"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(request))
    engines = ["embedded"]
    try:
        import opa_bindings  # noqa: F401 - the reference engine, where installed

        engines.append("opa-inprocess")
    except ImportError:
        pass
    for engine in engines:
        result = run_cli("check", str(path), "--policy-dir", str(rules), "--engine", engine, "--format", "json")
        assert result.code == 2, (engine, result.out)
        assert result.json()["error"].startswith("engine error, no decision (fail closed)"), (engine, result.out)
        assert "SECRET" not in result.out + result.err, engine
    log = tmp_path / "l.jsonl"
    log.write_text(json.dumps(request) + "\n")
    report = run_cli("audit", str(log), "--policy-dir", str(rules), "--format", "json")
    # (the event's decision and its image's lifecycle review: each an engine error)
    assert report.code == 1 and {e["event_id"] for e in report.json()["engine_errors"]} == {request["event_id"]}
    # a number that reads is decided as before
    request["facility"] = "7"
    path.write_text(json.dumps(request))
    assert "local.facility_number" in [f["rule"] for f in run_cli("check", str(path), "--policy-dir", str(rules), "--format", "json").json()["findings"]]
