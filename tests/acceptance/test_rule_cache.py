"""The per-rule cache through the real CLI: on a log whose facts vary independently (loggen's
diverse mode), cached reports equal `--no-cache` ones byte for byte — with the shipped policy,
with a hospital's own rule and waivers, and with a rule a test adds that reads facts no shipped
rule reads (the cache must see them: they are derived from the Rego, not listed by hand)."""
from __future__ import annotations

import json
import pathlib

import pytest
import yaml

from checker.loggen import write_log, write_overlay
from tests.conftest import EXAMPLES, run_cli

EVENTS = 400

# A hospital rule reading what canonical keys used to drop or blur: the facility, the exact age,
# the actor's id (an id compared by its text), the time of the event, and a consent field.
NEW_FACTS_RULE = '''# METADATA
# title: Test rule reading new facts
# custom:
#   id: local.new_facts
#   effect: warn
package clinimg.rules.local.new_facts

warn contains finding if {
	input.facility == "facility-07"
	finding := {"rule": "local.new_facts", "message": "facility seven", "guide": "g", "remedy": "r"}
}

warn contains finding if {
	input.patient.age_years > 64
	startswith(input.actor.id, "admin-")
	finding := {"rule": "local.new_facts", "message": "admin with an older patient", "guide": "g", "remedy": "r"}
}

warn contains finding if {
	input.type == "capture"
	endswith(input.occurred_at, "7+11:00")
	finding := {"rule": "local.new_facts", "message": "a second ending in 7", "guide": "g", "remedy": "r"}
}

warn contains finding if {
	some c in object.get(input, "consents", [])
	c.identifiable_use == true
	c.given_by == "substitute_decision_maker"
	finding := {"rule": "local.new_facts", "message": "identifiable use by a substitute", "guide": "g", "remedy": "r"}
}
'''


@pytest.fixture(scope="module")
def diverse(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, pathlib.Path, list[dict]]:
    tmp = tmp_path_factory.mktemp("diverse")
    log = tmp / "diverse.jsonl"
    with open(log, "w") as fh:
        gen = write_log(fh, EVENTS, 11, diverse=True)
    overlay = tmp / "overlay.yaml"
    write_overlay(str(overlay), gen)
    events = []
    for line in log.read_text().splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            pass
    return log, overlay, events


def _both(*args: str) -> tuple[str, dict]:
    cached = run_cli("audit", *args, "--format", "json", "--workers", "1")
    fresh = run_cli("audit", *args, "--format", "json", "--workers", "1", "--no-cache")
    assert cached.code in (0, 1), cached.err
    assert cached.out == fresh.out
    return cached.out, cached.json()


def test_diverse_log_cached_equals_uncached(diverse) -> None:
    log, _, _ = diverse
    _, report = _both(str(log))
    assert len({f["rule"] for f in report["findings"]}) > 30  # the variety reaches most rules


def test_customised_diverse_log_cached_equals_uncached(diverse, tmp_path: pathlib.Path) -> None:
    log, overlay, _ = diverse
    local = ("--policy-dir", str(EXAMPLES / "local_rules"))
    _, report = _both(str(log), *local, "--policy-config", str(overlay))
    assert any(f["rule"] == "quality.diagnostic" and f["effect"] == "escalate" for f in report["findings"])  # the override
    # Waivers on findings the log really raises: applied ones take the finding away, expired and
    # self-approved ones do not — cached and uncached alike.
    base = yaml.safe_load(overlay.read_text())
    base["waivers"] = []
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(base))
    _, unwaived = _both(str(log), *local, "--policy-config", str(plain))
    targets = [f for f in unwaived["findings"] if f["event_id"].startswith("ev-")][:60:10]
    assert len(targets) == 6
    kinds = ["applied", "expired", "self_approved"] * 2
    base["waivers"] = [{"rule": f["rule"], "event_id": f["event_id"], "reason": "test",
                        "approved_by": f["actor_id"] if kind == "self_approved" else "privacy-officer-1",
                        "expires": "2026-01-01" if kind == "expired" else "2027-06-30"} for f, kind in zip(targets, kinds)]
    waived = tmp_path / "waived.yaml"
    waived.write_text(yaml.safe_dump(base))
    _, report = _both(str(log), *local, "--policy-config", str(waived))
    gone = {(f["rule"], f["event_id"]) for f in unwaived["findings"]} - {(f["rule"], f["event_id"]) for f in report["findings"]}
    assert gone == {(f["rule"], f["event_id"]) for f, kind in zip(targets, kinds) if kind == "applied"}


def test_a_rule_reading_new_facts_gets_exact_cached_answers(diverse, tmp_path: pathlib.Path) -> None:
    log, _, events = diverse
    (tmp_path / "new_facts.rego").write_text(NEW_FACTS_RULE)
    _, report = _both(str(log), "--policy-dir", str(tmp_path))
    found = {(f["event_id"], f["message"]) for f in report["findings"] if f["rule"] == "local.new_facts"}
    # What the rule must find, computed here from the events (consents: those on file when the
    # event happened, as the audit's state adds them — so only the event-only facts are checked
    # one by one; the consent clause is checked to fire at all).
    valid = [e for e in events if isinstance(e.get("actor"), dict) and isinstance(e.get("patient"), dict) and "T" in e.get("occurred_at", "")]
    expected_facility = {e["event_id"] for e in valid if e.get("facility") == "facility-07"}
    expected_admin = {e["event_id"] for e in valid if e["patient"].get("age_years", 0) > 64 and e["actor"]["id"].startswith("admin-")}
    expected_second = {e["event_id"] for e in valid if e["type"] == "capture" and e["occurred_at"].endswith("7+11:00")}
    assert expected_facility and expected_admin and expected_second
    assert {i for i, m in found if m == "facility seven"} == expected_facility
    assert {i for i, m in found if m == "admin with an older patient"} == expected_admin
    assert {i for i, m in found if m == "a second ending in 7"} == expected_second
    assert any(m == "identifiable use by a substitute" for _, m in found)
