"""Golden examples (gatekeeper-library style): every request in examples/requests decides as
examples/requests/expected.yaml says, through the real CLI, with the documented exit code."""
from __future__ import annotations

import pathlib

import pytest
import yaml

from tests.conftest import EXAMPLES, run_cli

REQUESTS = EXAMPLES / "requests"
EXPECTED = yaml.safe_load((REQUESTS / "expected.yaml").read_text())
OVERLAY = EXAMPLES / "overlay" / "hospital.yaml"
EXIT = {"permit": 0, "deny": 1, "escalate": 3}


def _cases() -> list[tuple[str, dict, bool]]:
    cases = [(name, exp, False) for name, exp in EXPECTED.items() if name != "overlay"]
    cases += [(name, exp, True) for name, exp in EXPECTED["overlay"].items()]
    return cases


def test_every_request_has_an_expectation() -> None:
    files = {p.name for p in REQUESTS.glob("*.json")}
    assert files == {n for n in EXPECTED if n != "overlay"}
    prefix = {"permit": "allowed_", "deny": "disallowed_", "escalate": "escalate_"}
    for name in files:
        assert name.startswith(prefix[EXPECTED[name]["outcome"]])


@pytest.mark.parametrize("name,expected,with_overlay", _cases(), ids=lambda v: v if isinstance(v, str) else None)
def test_example_decides_as_expected(name: str, expected: dict, with_overlay: bool) -> None:
    args = ["check", str(REQUESTS / name), "--format", "json"]
    if with_overlay:
        args += ["--policy-config", str(OVERLAY)]
    result = run_cli(*args)
    assert result.err == ""
    decision = result.json()
    assert decision["outcome"] == expected["outcome"]
    assert sorted(f["rule"] for f in decision["findings"]) == sorted(expected["findings"])
    if "obligations" in expected:
        assert [o["id"] for o in decision["obligations"]] == expected["obligations"]
    assert result.code == EXIT[expected["outcome"]]
    assert decision["policy"]["digest"].startswith("sha256:")
    for finding in decision["findings"]:
        assert finding["message"] and finding["guide"] and finding["remedy"]


def test_text_format_leads_with_the_outcome() -> None:
    result = run_cli("check", str(REQUESTS / "disallowed_case1_post_on_facebook.json"))
    assert result.code == 1
    first, *rest = result.out.splitlines()
    assert first.startswith("DENY")
    body = "\n".join(rest)
    assert "disclosure.non_professional" in body
    assert "Guide: Privacy and confidentiality" in body
    assert "Instead:" in body


def test_same_input_same_bytes() -> None:
    path = str(REQUESTS / "disallowed_case2_show_from_phone.json")
    first = run_cli("check", path, "--format", "json").out
    second = run_cli("check", "-", "--format", "json", stdin=pathlib.Path(path).read_text()).out
    assert first == second


def test_local_rule_joins_the_decision() -> None:
    result = run_cli("check", str(REQUESTS / "disallowed_case1_film_resuscitation.json"), "--format", "json", "--policy-dir", str(EXAMPLES / "local_rules"))
    rules = [f["rule"] for f in result.json()["findings"]]
    assert rules == ["collection.consent_required", "local.no_video_in_theatre"]


def test_example_overlay_validates() -> None:
    result = run_cli("validate", str(OVERLAY), *map(str, sorted(REQUESTS.glob("*.json"))))
    assert result.code == 0, result.err
