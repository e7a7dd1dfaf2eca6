"""Patients and images spilled to the store (State.spill, past CLINIMG_STATE_SPILL_AT records in
memory) give the same reports as a state held whole: in one process, in two, and night by night
with --state. A limit of a few records spills after nearly every chunk."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import copy

import pytest
import yaml

from checker.cases import CASES_DIR
from checker.loggen import write_log
from tests.conftest import ROOT

BASES = yaml.safe_load((CASES_DIR / "bases.yaml").read_text())
PATIENT = {"id": "pt-spill-1", "age_years": 54, "capacity": "full"}


def _event(kind: str, event_id: str, at: str, **changes: object) -> str:
    doc = copy.deepcopy(BASES[kind])
    doc.pop("consents", None)
    doc.pop("lifecycle", None)
    doc.update(event_id=event_id, occurred_at=at, patient=PATIENT, **changes)
    return json.dumps(doc)


# One patient's story around the generated traffic: a refusal and a capture days before it, a
# capture despite the refusal and a late save to the record days after it — both findings need
# the patient's and the image's records read back once they were spilled.
REFUSAL = {"status": "refused", "given_by": "patient", "purposes": [], "documented_in_record": True}

EVENTS = 9000  # more than one chunk (4,096 lines) in each of two partitions


def _audit(*args: str, spill: str | None) -> dict:
    env = dict(os.environ)
    env.pop("CLINIMG_STATE_SPILL_AT", None)
    if spill is not None:
        env["CLINIMG_STATE_SPILL_AT"] = spill
    proc = subprocess.run([sys.executable, "-m", "checker.cli", "audit", *args, "--format", "json"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout)
    report.pop("files", None)
    return report


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("spill") / "plain.jsonl"
    with open(path, "w") as fh:
        fh.write(_event("consent", "ev-spill-1", "2026-11-01T09:00:00+11:00", consent=REFUSAL) + "\n")
        fh.write(_event("capture", "ev-spill-2", "2026-11-01T10:00:00+11:00", image=dict(BASES["capture"]["image"], id="img-spill-1")) + "\n")
        write_log(fh, EVENTS, 7, malformed_rate=0.0)
        fh.write(_event("capture", "ev-spill-3", "2026-12-20T10:00:00+11:00", image=dict(BASES["capture"]["image"], id="img-spill-2")) + "\n")
        fh.write(_event("record_transfer", "ev-spill-4", "2026-12-20T11:00:00+11:00", image={"id": "img-spill-1"},
                        method="secure_upload", linked_to_patient=True) + "\n")
    return path


@pytest.mark.parametrize("workers", ["1", "2"])
def test_spilled_state_gives_the_same_report(log: pathlib.Path, workers: str) -> None:
    whole = _audit(str(log), "--workers", workers, spill=None)
    assert len(whole["findings"]) > 20
    found = {(f["rule"], f["event_id"]) for f in whole["findings"]}
    assert ("collection.consent_refused", "ev-spill-3") in found and ("storage.transfer_to_record", "ev-spill-2") in found
    assert _audit(str(log), "--workers", workers, spill="3") == whole


def test_spilled_state_night_by_night(log: pathlib.Path, tmp_path: pathlib.Path) -> None:
    lines = log.read_text().splitlines(keepends=True)
    nights = [tmp_path / f"night{i}.jsonl" for i in range(2)]
    half = len(lines) // 2
    nights[0].write_text("".join(lines[:half]))
    nights[1].write_text("".join(lines[half:]))
    reports = {}
    for spill in (None, "3"):
        state = tmp_path / f"state-{spill}.sqlite"
        reports[spill] = [_audit(str(n), "--state", str(state), "--workers", "1", spill=spill) for n in nights]
        for r in reports[spill]:
            r.pop("policy", None)  # previous digest aside, the same
    assert reports["3"] == reports[None]
