"""Bad input: one clear line naming file, line and JSON path; exit 2; no traceback; nothing
executed; bounded time; and never the offending value (it may be patient data)."""
from __future__ import annotations

import json
import pathlib

import pytest

from tests.conftest import EXAMPLES, run_cli

GOOD = json.loads((EXAMPLES / "requests" / "allowed_capture_wound_for_care.json").read_text())
CANARIES = ["Jane-Canary-Doe", "MRN-CANARY-778899", "canary@example.org"]


def _write(tmp_path: pathlib.Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def _assert_clean_failure(result, *expected_fragments: str) -> None:
    assert result.code == 2, (result.code, result.out, result.err)
    assert "Traceback" not in result.err and "Traceback" not in result.out
    assert result.err.strip(), "an error line is printed"
    for fragment in expected_fragments:
        assert fragment in result.err, (fragment, result.err)
    for canary in CANARIES:
        assert canary not in result.err and canary not in result.out


def _variant(**changes) -> dict:
    doc = json.loads(json.dumps(GOOD))
    for dotted, value in changes.items():
        target = doc
        *parents, last = dotted.split("__")
        for key in parents:
            target = target[key]
        target[last] = value
    return doc


def test_missing_file(tmp_path: pathlib.Path) -> None:
    _assert_clean_failure(run_cli("check", str(tmp_path / "nope.json")), "nope.json", "cannot read")


def test_directory_instead_of_file(tmp_path: pathlib.Path) -> None:
    _assert_clean_failure(run_cli("check", str(tmp_path)), "is a directory")


def test_not_json(tmp_path: pathlib.Path) -> None:
    path = _write(tmp_path, "r.json", '{\n  "event_id": "x",\n  Jane-Canary-Doe\n}')
    _assert_clean_failure(run_cli("check", path), f"{path}:3: $: not valid JSON")


def test_not_utf8(tmp_path: pathlib.Path) -> None:
    p = tmp_path / "r.json"
    p.write_bytes(b'{"a": "\xff\xfe"}')
    _assert_clean_failure(run_cli("check", str(p)), "not UTF-8")


def test_duplicate_keys(tmp_path: pathlib.Path) -> None:
    path = _write(tmp_path, "r.json", '{"event_id": "MRN-CANARY-778899", "event_id": "b"}')
    _assert_clean_failure(run_cli("check", path), "duplicate key \"event_id\"")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan(tmp_path: pathlib.Path, constant: str) -> None:
    doc = json.dumps(GOOD).replace('"age_years": 54', f'"age_years": {constant}')
    _assert_clean_failure(run_cli("check", _write(tmp_path, "r.json", doc)), "is not a JSON number")


def test_deep_nesting(tmp_path: pathlib.Path) -> None:
    path = _write(tmp_path, "r.json", "[" * 100_000 + "]" * 100_000)
    _assert_clean_failure(run_cli("check", path, timeout=20), "nested deeper than")


def test_huge_integer(tmp_path: pathlib.Path) -> None:
    doc = json.dumps(GOOD).replace('"age_years": 54', '"age_years": ' + "9" * 10_000)
    _assert_clean_failure(run_cli("check", _write(tmp_path, "r.json", doc)), "$.patient.age_years: integer too large (beyond 64 bits)")


def test_timestamp_without_offset(tmp_path: pathlib.Path) -> None:
    doc = json.dumps(_variant(occurred_at="2026-11-20T09:00:00"), indent=2)
    result = run_cli("check", _write(tmp_path, "r.json", doc))
    _assert_clean_failure(result, "r.json:5: $.occurred_at:")


def test_schema_break_names_path_and_constraint_not_value(tmp_path: pathlib.Path) -> None:
    doc = _variant(patient__age_years="Jane-Canary-Doe", actor__role="MRN-CANARY-778899")
    result = run_cli("check", _write(tmp_path, "r.json", json.dumps(doc, indent=2)))
    _assert_clean_failure(result, "$.patient.age_years: must be of type number", "$.actor.role: must be one of:")
    assert all(line.startswith("clinimg: ") and ".json:" in line for line in result.err.splitlines())


def test_unknown_enum_value(tmp_path: pathlib.Path) -> None:
    doc = _variant(image__subject="canary@example.org")
    _assert_clean_failure(run_cli("check", _write(tmp_path, "r.json", json.dumps(doc))), "$.image.subject: must be one of:")


def test_misspelt_field_in_an_event_object(tmp_path: pathlib.Path) -> None:
    doc = _variant()
    doc["image"]["identifyable"] = True
    _assert_clean_failure(run_cli("check", _write(tmp_path, "r.json", json.dumps(doc))), "$.image.identifyable: unknown key")


def test_canaries_in_every_string_field_never_echoed(tmp_path: pathlib.Path) -> None:
    doc = _variant(event_id=CANARIES[0], facility=CANARIES[1], occurred_at=CANARIES[2])
    doc["patient"]["capacity"] = CANARIES[0]
    doc["image"]["modality"] = CANARIES[1]
    doc["purposes"] = [CANARIES[2]]
    result = run_cli("check", _write(tmp_path, "r.json", json.dumps(doc, indent=2)))
    _assert_clean_failure(result, "$.occurred_at", "$.patient.capacity", "$.image.modality", "$.purposes[0]")
    result = run_cli("validate", _write(tmp_path, "log.jsonl", json.dumps(doc) + "\n"))
    _assert_clean_failure(result, "log.jsonl:1: $.occurred_at")


def test_validate_lists_every_error_with_line(tmp_path: pathlib.Path) -> None:
    good = json.dumps(GOOD)
    bad_role = json.dumps(_variant(actor__role="janitor"))
    log = _write(tmp_path, "events.jsonl", "\n".join([good, "not json", bad_role, good]) + "\n")
    result = run_cli("validate", log)
    _assert_clean_failure(result, "events.jsonl:2: $: not valid JSON", "events.jsonl:3: $.actor.role: must be one of")


def test_validate_ok(tmp_path: pathlib.Path) -> None:
    result = run_cli("validate", str(EXAMPLES / "requests" / "allowed_capture_wound_for_care.json"))
    assert result.code == 0 and "1 document(s) valid" in result.out


# --- the YAML overlay ---------------------------------------------------------------------------

REQUEST = str(EXAMPLES / "requests" / "allowed_capture_wound_for_care.json")


def test_overlay_misspelt_key(tmp_path: pathlib.Path) -> None:
    overlay = _write(tmp_path, "h.yaml", "hospital: X\ndeadlines:\n  record_transfer_hour: 24\n")
    _assert_clean_failure(run_cli("check", REQUEST, "--policy-config", overlay), "h.yaml:3: $.deadlines.record_transfer_hour: unknown key")


def test_overlay_bad_value_not_echoed(tmp_path: pathlib.Path) -> None:
    overlay = _write(tmp_path, "h.yaml", "hospital: X\npersonal_devices: Jane-Canary-Doe\n")
    _assert_clean_failure(run_cli("check", REQUEST, "--policy-config", overlay), "h.yaml:2: $.personal_devices: must be one of")


def test_overlay_alias_bomb(tmp_path: pathlib.Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "a" if i == 0 else "bcdefghi"[i - 1]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    overlay = _write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    _assert_clean_failure(run_cli("check", REQUEST, "--policy-config", overlay, timeout=20), "bomb.yaml", "refused")


def test_overlay_python_tag_is_not_executed(tmp_path: pathlib.Path) -> None:
    marker = tmp_path / "pwned"
    overlay = _write(tmp_path, "evil.yaml", f'hospital: !!python/object/apply:os.system ["touch {marker}"]\n')
    _assert_clean_failure(run_cli("check", REQUEST, "--policy-config", overlay), "evil.yaml:1:")
    assert not marker.exists()


def test_overlay_missing(tmp_path: pathlib.Path) -> None:
    _assert_clean_failure(run_cli("check", REQUEST, "--policy-config", str(tmp_path / "none.yaml")), "none.yaml", "cannot read")


def test_traceback_only_on_request(tmp_path: pathlib.Path) -> None:
    result = run_cli("--traceback", "check", str(tmp_path / "nope.json"))
    assert result.code == 2 and "Traceback" in result.err
