"""Outside acceptance, session 12: inputs written from SPEC.md and the guide, through the real
CLI (and `clinimg serve` as a process). Each test is a defect that run found; it fails on the
code before the fix."""
from __future__ import annotations

import json
import pathlib

import pytest

from tests.conftest import EXAMPLES, run_cli

SMS = EXAMPLES / "requests" / "disallowed_send_to_family_by_sms.json"


def _own_rule(directory: pathlib.Path, name: str, rule_id: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.rego").write_text(
        "# METADATA\n"
        "# title: No SMS\n"
        "# custom:\n"
        f"#   id: {rule_id}\n"
        "#   effect: deny\n"
        "#   guide_section: Hospital policies and contracts\n"
        "#   remedy: Use the secure app.\n"
        f"package clinimg.rules.local.{name}\n"
        "\n"
        "deny contains finding if {\n"
        '\tinput.channel == "sms"\n'
        f'\tfinding := {{"rule": "{rule_id}", "message": "No SMS here.", "guide": "Hospital policies and contracts", "remedy": "Use the secure app."}}\n'
        "}\n"
    )


# -- an own rule's id is its own ------------------------------------------------------------------


def test_an_own_rule_taking_a_shipped_or_another_own_rules_id_is_refused(tmp_path: pathlib.Path) -> None:
    # SPEC §4: own rules "appear in decisions and reports like shipped rules" — so an own rule
    # that reused a shipped id (a copy-pasted METADATA block) or another own rule's id was taken
    # for that rule without a word: the overlay's `disabled`/effect_overrides/waivers of the id
    # reached both, and the report counted two rules as one. `policy check` said "policies compile".
    shipped = tmp_path / "shipped"
    _own_rule(shipped, "no_sms", "disclosure.non_professional")
    problem = f'{shipped}/no_sms.rego:4: rule id "disclosure.non_professional" is a shipped rule\'s id'
    checked = run_cli("policy", "check", "--policy-dir", str(shipped))
    assert checked.code == 2 and checked.err.startswith(problem), checked.err
    assert len(checked.err.splitlines()) == 1  # the METADATA id and the literal: one problem
    decided = run_cli("check", str(SMS), "--policy-dir", str(shipped))
    assert (decided.code, decided.out) == (2, "") and decided.err.startswith("clinimg: " + problem)

    twice = tmp_path / "twice"
    _own_rule(twice, "no_sms", "local.no_sms")
    _own_rule(twice, "no_texts", "local.no_sms")
    checked = run_cli("policy", "check", "--policy-dir", str(twice))
    assert checked.code == 2
    assert checked.err.splitlines() == [f'{twice}/no_texts.rego:4: rule id "local.no_sms" is also the id of package clinimg.rules.local.no_sms ({twice}/no_sms.rego): each own rule needs an id of its own']
    assert run_cli("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--policy-dir", str(twice)).code == 2

    # an own rule without METADATA whose literal takes a shipped id: the same
    (twice / "no_texts.rego").write_text(
        "package clinimg.rules.local.no_texts\n\n"
        'deny contains {"rule": "consent.documented", "message": "No.", "guide": "g", "remedy": "r"} if {\n\tinput.channel == "sms"\n}\n'
    )
    checked = run_cli("policy", "check", "--policy-dir", str(twice))
    assert checked.code == 2 and checked.err.startswith(f'{twice}/no_texts.rego:3: rule id "consent.documented" is a shipped rule\'s id')
    # ids of their own pass
    _own_rule(twice, "no_texts", "local.no_texts")
    assert run_cli("policy", "check", "--policy-dir", str(twice)).code == 0
    # one package written in two --policy-dir directories: Rego merged both into one rule
    other = tmp_path / "other"
    _own_rule(other, "no_sms", "local.no_sms")
    (other / "no_sms.rego").write_text((other / "no_sms.rego").read_text().replace('"sms"', '"messaging_app"'))
    checked = run_cli("policy", "check", "--policy-dir", str(twice), "--policy-dir", str(other))
    assert checked.code == 2 and checked.err.splitlines() == [
        f"{other}/no_sms.rego:8: package clinimg.rules.local.no_sms is also written in another --policy-dir ({twice}/no_sms.rego): "
        "Rego would merge the two into one rule; keep each own rule in one directory"]
    # (the same directory given twice is the same files)
    assert run_cli("policy", "check", "--policy-dir", str(twice), "--policy-dir", str(twice)).code == 0


# -- options: given twice, or where they do nothing -----------------------------------------------


def test_an_option_given_twice_with_different_values_is_refused_not_the_last_taken(tmp_path: pathlib.Path) -> None:
    # click keeps the last value of a repeated option without a word: `audit … -o night.html …
    # --output=night.txt` wrote only the second file, and `check --format json … --format text`
    # gave text to the app that asked for JSON.
    week = str(EXAMPLES / "logs" / "week.jsonl")
    first, second = tmp_path / "night.html", tmp_path / "night.txt"
    r = run_cli("audit", week, "-o", str(first), "--format", "html", f"--output={second}")
    assert r.code == 2 and "-o / --output is given twice with different values; give it once" in r.err
    assert str(first) not in r.err and not first.exists() and not second.exists()  # (never the values)
    r = run_cli("check", str(SMS), "--format", "json", "--format", "text")
    assert (r.code, r.out) == (2, "") and "--format is given twice with different values" in r.err
    r = run_cli("audit", week, "--as-of", "2026-11-22T00:00:00Z", "--as-of=2026-11-23T00:00:00Z", "-o", str(first))
    assert r.code == 2 and "--as-of is given twice" in r.err and not first.exists()
    # the same value twice is harmless; a repeatable option repeats
    r = run_cli("audit", week, "-o", str(first), f"--output={first}", "--policy-dir", str(EXAMPLES / "local_rules"), "--policy-dir", str(EXAMPLES / "local_rules"))
    assert r.code == 1 and first.exists(), r.err


def test_an_option_that_would_do_nothing_is_refused_not_ignored(tmp_path: pathlib.Path) -> None:
    # `--opa-url` without `--engine opa` was refused, but `--opa-token`, `--opa-insecure` and
    # `--opa-timeout` were ignored without a word: the embedded engine decided, and the person who
    # meant the hospital's OPA server never learnt it was not asked.
    for option in (["--opa-token", "t0ken"], ["--opa-insecure"], ["--opa-timeout", "9"]):
        r = run_cli("check", str(SMS), *option)
        assert (r.code, r.out, r.err) == (2, "", f"clinimg: {option[0]} needs --engine opa (and --opa-url)\n"), option
    r = run_cli("audit", str(EXAMPLES / "logs" / "week.jsonl"), "--opa-token", "t0ken")
    assert r.code == 2 and r.err == "clinimg: --opa-token needs --engine opa (and --opa-url)\n"
    # serve's --log-unmasked without a decision log: the service ran, and no decision was logged
    r = run_cli("serve", "--port", "0", "--log-unmasked", timeout=60)
    assert (r.code, r.err) == (2, "clinimg: --log-unmasked needs --decision-log FILE: without it no decision is logged at all\n")


# -- serve names the line of each problem, as check does ------------------------------------------


def test_serve_gives_each_schema_problem_the_line_check_gives_it(tmp_path: pathlib.Path) -> None:
    # `check --format json` gives every problem {"path", "constraint", "line"}; `serve` gave the
    # same schema problems without a line (and its parse problems only inside the constraint's
    # text), so an app showing a person where to look had nothing to show on the HTTP side.
    import requests

    from tests.serving import serve_process

    document = json.loads(SMS.read_text())
    document["actor"]["role"] = "doctor"
    document["channel"] = 5
    text = json.dumps(document, indent=2)
    path = tmp_path / "bad.json"
    path.write_text(text)
    from_check = run_cli("check", str(path), "--format", "json")
    assert from_check.code == 2
    wanted = from_check.json()["problems"]
    assert [p["path"] for p in wanted] == ["$.actor.role", "$.channel"] and all(p["line"] > 1 for p in wanted)
    with serve_process() as (url, _):
        answer = requests.post(url + "/v1/check", data=text.encode(), timeout=60)
        assert answer.status_code == 400 and answer.json()["problems"] == wanted
        # the Data API and the Batch API: lines of the body as posted (the request a line lower)
        wrapped = "{\n\"input\": " + text + "\n}"
        answer = requests.post(url + "/v1/data/clinimg/decision", data=wrapped.encode(), timeout=60).json()
        assert answer["problems"] == [{**p, "path": "$.input" + p["path"][1:], "line": p["line"] + 1} for p in wanted]
        batch = "{\"inputs\": {\n\"a\": " + text + "\n}}"
        answer = requests.post(url + "/v1/batch/data/clinimg/decision", data=batch.encode(), timeout=60).json()
        assert answer["responses"]["a"]["problems"] == [{**p, "path": "$.inputs.a" + p["path"][1:], "line": p["line"] + 1} for p in wanted]
        # a problem of the JSON itself carries its line as a field too
        duplicated = text.replace('"facility"', '"facility": "x", "facility"')
        [problem] = requests.post(url + "/v1/check", data=duplicated.encode(), timeout=60).json()["problems"]
        assert problem["line"] == next(n for n, t in enumerate(text.split("\n"), 1) if '"facility"' in t)
        assert "line" in requests.get(url + "/openapi.json", timeout=60).json()["components"]["schemas"]["Error"]["properties"]["problems"]["items"]["properties"]


# -- an own rule's METADATA says what its decisions do --------------------------------------------


def test_own_metadata_whose_effect_disagrees_with_its_set_or_is_no_effect_is_a_policy_check_problem(tmp_path: pathlib.Path) -> None:
    # The set a finding is added to decides its effect; the METADATA `effect` is what `clinimg
    # rules` (and the hospital reading it) believes. `effect: warn` on a rule adding to `deny`
    # listed the rule as a warning while every decision denied; `effect: denied` and `effect:
    # [deny]` were listed as they were written (Python's "['deny']"). `policy check` said
    # "policies compile" to all three.
    rules = tmp_path / "rules"
    _own_rule(rules, "no_sms", "local.no_sms")
    source = (rules / "no_sms.rego").read_text()
    for written, problem in (
        ("warn", "METADATA effect is warn but the rule adds to `deny`: the set decides, so `clinimg rules` and reports would say warn where decisions say otherwise; make them agree"),
        ("denied", "METADATA effect must be one of deny, escalate, warn, obligation (did you mean deny?)"),
        ("[deny]", "METADATA effect must be text (not empty, a list or a number)"),
    ):
        (rules / "no_sms.rego").write_text(source.replace("#   effect: deny", f"#   effect: {written}"))
        checked = run_cli("policy", "check", "--policy-dir", str(rules))
        assert (checked.code, checked.err) == (2, f"{rules}/no_sms.rego:5: {problem}\n"), written
        assert run_cli("rules", "--policy-dir", str(rules)).code == 2, written
    # METADATA with an id and no effect or guide section: listed from its findings, not blank
    (rules / "no_sms.rego").write_text(source.replace("#   effect: deny\n", "").replace("#   guide_section: Hospital policies and contracts\n", ""))
    assert run_cli("policy", "check", "--policy-dir", str(rules)).code == 0
    [own] = [r for r in run_cli("rules", "--policy-dir", str(rules), "--format", "json").json() if r["id"] == "local.no_sms"]
    assert (own["effect"], own["section"]) == ("deny", "Hospital policies and contracts")


def test_fhir_export_with_both_output_and_bulk_is_refused_not_the_output_dropped(tmp_path: pathlib.Path) -> None:
    # `--bulk DIR` writes "instead" of the Bundle: with `-o bundle.json` as well, the NDJSON files
    # were written and the Bundle asked for was not, without a word (exit 0).
    bundle, bulk = tmp_path / "bundle.json", tmp_path / "bulk"
    r = run_cli("fhir", "export", str(EXAMPLES / "logs" / "week.jsonl"), "-o", str(bundle), "--bulk", str(bulk))
    assert (r.code, r.out) == (2, "") and r.err == "clinimg: --output and --bulk: give one — --output for one Bundle, --bulk DIR for Bulk Data NDJSON files\n"
    assert not bundle.exists() and not bulk.exists()
    # --bulk under a file (a log's name taken for a folder): was an internal error (NotADirectoryError)
    r = run_cli("fhir", "export", str(EXAMPLES / "logs" / "week.jsonl"), "--bulk", str(EXAMPLES / "logs" / "week.jsonl" / "fhir"))
    assert (r.code, r.out, r.err) == (2, "", "clinimg: --bulk: cannot create the directory (not a directory); nothing was written\n")


# -- the overlay: one waiver a finding ------------------------------------------------------------


def test_two_waivers_of_one_finding_are_refused_naming_both(tmp_path: pathlib.Path) -> None:
    # A renewal appended under the old waiver, or a copy-paste: two waivers of the same rule and
    # event, with different approvers and expiries, were both taken; which one held (an expired
    # one beside a live one, a self-approval beside another's) showed nowhere.
    overlay = tmp_path / "hospital.yaml"
    overlay.write_text(
        "waivers:\n"
        "  - {rule: storage.delete_after_transfer, event_id: cs2-record, reason: litigation hold, approved_by: privacy-officer-7, expires: 2026-01-01}\n"
        "  - {rule: storage.delete_after_transfer, event_id: cs2-other, reason: litigation hold, approved_by: privacy-officer-7, expires: 2027-01-01}\n"
        "  - rule: storage.delete_after_transfer\n"
        "    event_id: cs2-record\n"
        "    reason: renewed\n"
        "    approved_by: privacy-officer-9\n"
        "    expires: 2027-06-30\n"
    )
    problem = f"{overlay}:4: $.waivers[2]: waives the same finding (rule and event_id) as $.waivers[0]; keep one (which approver and expiry hold would be nowhere to be seen)\n"
    for command in (["check", str(SMS)], ["audit", str(EXAMPLES / "logs" / "week.jsonl")]):
        r = run_cli(*command, "--policy-config", str(overlay))
        assert (r.code, r.out, r.err) == (2, "", "clinimg: " + problem), command
    r = run_cli("validate", str(overlay))
    assert r.code == 2 and r.err.splitlines()[0] == problem.strip()


def test_image_option_and_image_file_naming_different_files_are_refused(tmp_path: pathlib.Path) -> None:
    # `check --image a.jpg` on a request whose image.file names b.jpg read a.jpg and dropped
    # b.jpg without a word: the decision rested on a file the request did not name.
    import shutil

    real = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "images" / "real"
    shutil.copy(real / "Canon.jpg", tmp_path / "named.jpg")
    shutil.copy(real / "Apple.jpg", tmp_path / "other.jpg")
    request = json.loads((EXAMPLES / "requests" / "allowed_send_to_consulted_surgeon.json").read_text())
    request["image"]["file"] = "named.jpg"  # (relative to the request's directory)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(request))
    r = run_cli("check", str(path), "--image", str(tmp_path / "other.jpg"))
    assert (r.code, r.out) == (2, "")
    assert r.err == "clinimg: --image and the request's $.image.file name different files; give one of them (the same file in both is fine)\n"
    # the same file both ways is read as before
    both = run_cli("check", str(path), "--image", str(tmp_path / "named.jpg"), "--format", "json")
    alone = run_cli("check", str(path), "--format", "json")
    assert both.code == alone.code != 2 and both.json()["findings"] == alone.json()["findings"]


def test_an_own_rule_saved_with_crlf_keeps_its_metadata(tmp_path: pathlib.Path) -> None:
    # A rule edited on Windows (CRLF line ends): its METADATA block was not found (`# METADATA\r`),
    # so `clinimg rules` listed it without title, passage or remedy, and a finding whose rule is
    # not the METADATA id passed `policy check`.
    rules = tmp_path / "rules"
    rules.mkdir()
    example = (EXAMPLES / "local_rules" / "no_video_in_theatre.rego").read_text()
    (rules / "no_video_in_theatre.rego").write_bytes(example.replace("\n", "\r\n").encode())
    [own] = [r for r in run_cli("rules", "--policy-dir", str(rules), "--format", "json").json() if r["id"].startswith("local.")]
    assert own["title"] == "No video in theatre without the clinical photographer"
    assert own["remedy"] == "Ask the clinical photography service to record the procedure."
    wrong = (pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "bad_rules" / "wrong_rule_id" / "wrong.rego").read_text()
    (rules / "no_video_in_theatre.rego").unlink()
    (rules / "wrong.rego").write_bytes(wrong.replace("\n", "\r\n").encode())
    checked = run_cli("policy", "check", "--policy-dir", str(rules))
    assert checked.code == 2 and 'the finding\'s rule is "local.no_smss" but the METADATA id is "local.no_sms"' in checked.err


def test_an_opa_url_that_is_no_url_is_one_line_and_an_ipv6_loopback_is_reached() -> None:
    # `--opa-url http://[::1` (the bracket not closed) was an internal error (ValueError);
    # `http://[::1]:8181` was joined again as `http://::1:8181`, so `clinimg serve --host ::1`
    # could never be asked; `http://a b` reached the HTTP client ("query failed (InvalidURL)").
    import re
    import subprocess
    import sys

    from tests.serving import stop_serve_process

    r = run_cli("check", str(SMS), "--engine", "opa", "--opa-url", "http://[::1")
    assert (r.code, r.err) == (2, "clinimg: --opa-url is not a URL (an IPv6 address is written in brackets: http://[::1]:8181)\n")
    r = run_cli("check", str(SMS), "--engine", "opa", "--opa-url", "http://a b")
    assert (r.code, r.err) == (2, "clinimg: --opa-url is not a URL (its host name has a character a host name cannot have)\n")
    import socket

    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    proc = subprocess.Popen([sys.executable, "-m", "checker.cli", "serve", "--host", "::1", "--port", "0", "--workers", "1"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        found = re.search(r"listening on http://\[::1\]:(\d+)", proc.stderr.readline())
        assert found
        r = run_cli("check", str(SMS), "--engine", "opa", "--opa-url", f"http://[::1]:{found.group(1)}", "--format", "json", "--opa-timeout", "30")
        assert r.code == 1 and r.json()["outcome"] == "deny", r.err
    finally:
        stop_serve_process(proc)


def test_serve_gives_every_problem_of_a_body_its_line() -> None:
    # Beside schema problems (above): the shape problems of the Data, Batch and Query APIs' bodies
    # (an unexpected key, inputs not an object) carried no line either.
    import requests

    from tests.serving import serve_process

    with serve_process() as (url, _):
        for path, body, where, line in (
            ("/v1/data/clinimg/decision", '{\n"input": {},\n"inptu": 1}', "$.inptu", 3),
            ("/v1/batch/data/clinimg/decision", '{\n\n"inputs": [1]}', "$.inputs", 3),
            ("/v1/query", '{"query": "r0 := data.clinimg.decision",\n"inputs": 1}', "$.inputs", 2),
            ("/v1/check", '{\n"input": {}}', "$.input", 2),
        ):
            answer = requests.post(url + path, data=body.encode(), timeout=60)
            assert answer.status_code == 400, (path, answer.text)
            [problem] = answer.json()["problems"]
            assert (problem["path"], problem["line"]) == (where, line), (path, problem)


def test_check_json_gives_its_error_document_for_option_errors_too() -> None:
    # `check --format json` promises an error as a JSON document on stdout as well; errors of the
    # options — `--opa-url` without `--engine opa` (checked before the request is read) and click's
    # own usage errors (a value out of range, an unknown option) — left stdout empty.
    for options, message in (
        (["--opa-url", "http://127.0.0.1:8181"], "--opa-url needs --engine opa"),
        (["--max-request-bytes", "5"], "Invalid value for '--max-request-bytes': 5 is not in the range 1024<=x<=67108864."),
        (["--bogus"], "No such option '--bogus'."),
    ):
        r = run_cli("check", str(SMS), *options, "--format", "json")
        assert r.code == 2 and r.json() == {"error": message, "exit_code": 2, "problems": []}, (options, r.out, r.err)
        assert run_cli("check", str(SMS), *options).out == ""  # (text: stdout stays empty)


# -- an id with a space around it is another id ---------------------------------------------------


def test_an_id_padded_with_spaces_is_refused_not_another_patient_whose_withdrawal_never_counts(tmp_path: pathlib.Path) -> None:
    # `"patient": {"id": "pt-9 "}` (a spreadsheet's trailing space) was valid, and another patient
    # than "pt-9": a consent WITHDRAWN under it never met the later disclosure under "pt-9", which
    # the earlier grant then permitted. Every id is now refused with a space or line break around
    # it — as waiver ids already were — at its path, and the audit decides the rest.
    request = json.loads((EXAMPLES / "requests" / "allowed_send_to_consulted_surgeon.json").read_text())
    base = {k: request[k] for k in ("schema_version", "facility", "actor", "patient")}
    grant = {**base, "event_id": "e-grant", "type": "consent", "occurred_at": "2026-11-20T08:00:00+11:00",
             "consent": {**request["consents"][0], "purposes": ["clinical_care", "teaching"], "identifiable_use": True, "written_form": True}}
    capture = {**base, "event_id": "e-capture", "type": "capture", "occurred_at": "2026-11-20T08:10:00+11:00",
               "image": {k: v for k, v in request["image"].items() if k != "purposes"}, "purposes": ["clinical_care", "teaching"],
               "capture_record": {"who": request["actor"]["id"], "when": "2026-11-20T08:10:00+11:00", "mode": "personal phone"},
               "circumstances": {"urgent": False, "child_distressed": False, "in_theatre": False}}
    withdrawal = {**grant, "event_id": "e-withdraw", "occurred_at": "2026-11-20T09:00:00+11:00",
                  "patient": {**base["patient"], "id": base["patient"]["id"] + " "}, "consent": {**grant["consent"], "status": "withdrawn"}}
    teaching = {**base, "event_id": "e-teach", "type": "disclosure", "occurred_at": "2026-11-20T10:00:00+11:00", "image": {"id": request["image"]["id"]},
                "purpose": "teaching", "recipient": {"id": "students", "kind": "student", "relationship": "none", "within_facility": True},
                "channel": "in_person_display"}
    log = tmp_path / "night.jsonl"
    log.write_text("".join(json.dumps(e) + "\n" for e in (grant, capture, withdrawal, teaching)))
    report = run_cli("audit", str(log), "--format", "json")
    assert report.json()["invalid"] == [{"file": str(log), "line": 3, "reason": "$.patient.id: does not match an id with no space or line break before or after it "
                                         "(padded, it is another id: a consent or a deletion logged under it never meets the other events of its patient or image)"}]
    assert report.json()["counts"] == {"read": 4, "decided": 3, "invalid": 1, "duplicate": 0}
    assert base["patient"]["id"] + " " not in report.out + report.err  # (never the value)
    # check and validate say it at the line of the path
    request["event_id"] = " " + request["event_id"]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(request, indent=1))
    r = run_cli("check", str(path), "--format", "json")
    assert r.code == 2 and [(p["path"], p["line"]) for p in r.json()["problems"]] == [("$.event_id", 3)]
    # an id with a space inside it stays an id
    request["event_id"] = "ex dis 1"
    path.write_text(json.dumps(request))
    assert run_cli("check", str(path)).code == 0
