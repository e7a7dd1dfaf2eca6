"""A waiver's expiry is judged at one time per decision, whatever the engine and however the log
is audited.

Two faults made waived lifecycle findings come and go:
- regopy's time.parse_rfc3339_ns is undefined for a time written `...Z`; decide.rego compares the
  waiver's expiry with the review's `as_of` (which the audit writes in UTC, `Z`) or the event's
  `occurred_at`, so on the embedded engine no waiver ever expired there: a deny OPA reported was
  waived (engines/_worker.py, regopy_times).
- a closed lifecycle was judged as of whenever its review happened to run — the end of the chunk
  it closed in, the end of the run, the end of a night — so an image closed before its waiver
  expired was waived in one run and reported in another (the whole log at once vs nightly runs,
  one process vs several, chunks of 4096 lines vs fewer). It is now judged as of the event that
  closed it (State.review_time).
"""
from __future__ import annotations

import pathlib

import pytest

import checker.audit.runner as runner
from checker import api
from tests.conftest import run_cli
from tests.lifecycle import PHONE, Events

PATIENT = {"id": "pt-wv-1", "age_years": 40, "capacity": "full"}

OVERLAY = """waivers:
- rule: storage.transfer_to_record
  event_id: ev-wv-1
  reason: the secure upload system was down
  approved_by: privacy-officer-1
  expires: '2026-11-05'
- rule: storage.transfer_to_record
  event_id: ev-wv-7
  reason: the secure upload system was down
  approved_by: privacy-officer-1
  expires: '2026-11-05'
- rule: collection.consent_required
  event_id: ev-wv-10
  reason: an expired waiver
  approved_by: privacy-officer-1
  expires: '2026-11-01'
"""


EVENTS = Events("ev-wv-", PATIENT)
_event, _capture, _transfer = EVENTS.event, EVENTS.capture, EVENTS.transfer


# Night 1 (to 3 November): img-closed is saved 27 h late, then deleted from the phone — closed
# while its waiver (to 5 November) is in force. img-open is saved 27 h late too and stays on the
# phone: open, so judged as of the last event, after its waiver expired.
NIGHT_1 = [
    _capture(1, "2026-11-02T00:00:00Z", "img-closed"),
    _transfer(2, "2026-11-03T03:00:00Z", "img-closed"),
    _event(3, "device_deletion", "2026-11-03T04:00:00Z", "img-closed", device=PHONE),
    _capture(7, "2026-11-02T00:00:00Z", "img-open"),
    _transfer(8, "2026-11-03T03:00:00Z", "img-open"),
]
# Night 2: another image, on time, after both waivers expired; a capture with a waiver that
# expired before it.
NIGHT_2 = [
    _capture(4, "2026-11-06T00:00:00Z", "img-later"),
    _transfer(5, "2026-11-06T01:00:00Z", "img-later"),
    _event(6, "device_deletion", "2026-11-06T02:00:00Z", "img-later", device=PHONE),
    _capture(10, "2026-11-06T03:00:00Z", "img-last"),
]


def _write(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path, pathlib.Path, pathlib.Path]:
    whole, night1, night2, overlay = (tmp_path / n for n in ("whole.jsonl", "night1.jsonl", "night2.jsonl", "waivers.yaml"))
    whole.write_text("\n".join(NIGHT_1 + NIGHT_2) + "\n")
    night1.write_text("\n".join(NIGHT_1) + "\n")
    night2.write_text("\n".join(NIGHT_2) + "\n")
    overlay.write_text(OVERLAY)
    return whole, night1, night2, overlay


def _waived_rules(findings: list[dict]) -> set[tuple[str, str]]:
    return {(f["rule"], f["event_id"]) for f in findings if f["rule"] in ("storage.transfer_to_record", "collection.consent_required")}


# What the guide's deadlines and the overlay's waivers give: img-open's lateness is reported (its
# waiver expired before it was judged), img-closed's is waived (it closed while the waiver held),
# and the capture whose waiver had expired (an event logged in UTC) keeps its finding.
EXPECTED = {("storage.transfer_to_record", "ev-wv-7"), ("collection.consent_required", "ev-wv-10"),
            ("collection.consent_required", "ev-wv-1"), ("collection.consent_required", "ev-wv-7"),
            ("collection.consent_required", "ev-wv-4")}


@pytest.mark.parametrize("extra", [(), ("--workers", "2"), ("--no-cache",)])
def test_expired_waivers_do_not_hide_findings_on_the_embedded_engine(tmp_path: pathlib.Path, extra: tuple[str, ...]) -> None:
    whole, _, _, overlay = _write(tmp_path)
    result = run_cli("audit", str(whole), "--format", "json", "--policy-config", str(overlay), *extra)
    assert result.out, result.err
    assert _waived_rules(result.json()["findings"]) == EXPECTED


def test_nightly_runs_find_what_one_run_finds(tmp_path: pathlib.Path) -> None:
    whole, night1, night2, overlay = _write(tmp_path)
    state = tmp_path / "state.sqlite"
    found: set[tuple[str, str]] = set()
    for night in (night1, night2):
        result = run_cli("audit", str(night), "--format", "json", "--policy-config", str(overlay), "--state", str(state))
        assert result.out, result.err
        found |= _waived_rules(result.json()["findings"])
    assert found == EXPECTED


def test_chunk_size_does_not_change_the_findings(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole, _, _, overlay = _write(tmp_path)
    by_size = {}
    for size in (4096, 1):
        monkeypatch.setattr(runner, "BATCH", size)
        by_size[size] = _waived_rules(api.audit([str(whole)], policy_config=overlay, workers=1).findings)
    assert by_size[4096] == by_size[1] == EXPECTED
