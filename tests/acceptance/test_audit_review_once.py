"""A closed lifecycle is reviewed when an event closes it (or changes it while closed), not when a
chunk of the log happens to end; and engine errors are listed alike by one process and several.

Reviewed at the end of the chunk it closed in, an image closed and changed again (the hospital
camera's copy deleted after the transfer) was reviewed once when both events fell in one chunk,
twice when they did not, and again at the end of the run whenever a later event (an access
request) loaded it: an engine error on that review was listed once, twice or three times depending
on the chunk size. And one process listed engine errors in the order it decided, several in log
order.
"""
from __future__ import annotations

import json
import pathlib

import pytest

import checker.audit.runner as runner
from checker import api
from tests.conftest import run_cli

# A hospital rule whose finding breaks the local-rule contract (a number as its message) on every
# image review and on captures: an engine error each time, never a finding.
BROKEN_RULE = """# METADATA
# title: Broken on reviews
# custom:
#   id: local.broken_on_reviews
#   effect: deny
#   guide_section: Hospital policies and contracts
#   remedy: Fix the rule.
package clinimg.rules.local.broken_on_reviews

deny contains finding if {
\tinput.type in {"image_review", "capture"}
\tfinding := object.union({"rule": "local.broken_on_reviews", "guide": "g", "remedy": "r"}, {"message": count(input.event_id)})
}
"""

CAMERA = {"id": "cam-ward-3", "owner": "hospital", "passcode": True, "remote_wipe": True, "auto_upload": "off"}


def _event(n: int, patient: str, kind: str, at: str, image_id: str | None, **fields: object) -> str:
    actor = {"id": "nurse-1", "role": "nurse", **({"device": CAMERA} if kind == "capture" else {})}
    doc = {"schema_version": "1", "event_id": f"ev-once-{n:02d}", "type": kind, "occurred_at": at, "facility": "fac-1",
           "actor": actor, "patient": {"id": patient, "age_years": 50, "capacity": "full"}, **fields}
    if image_id is not None:
        doc.setdefault("image", {"id": image_id})
    return json.dumps(doc, separators=(",", ":"))


def _capture(n: int, patient: str, at: str, image_id: str) -> str:
    return _event(n, patient, "capture", at, image_id,
                  image={"id": image_id, "modality": "photo", "subject": "wound", "identifiable": False, "identifying_features": [],
                         "intimate": False, "deidentified": False, "metadata_present": [], "rare_condition": False, "source": "staff"},
                  purposes=["clinical_care"], capture_record={"who": "nurse-1", "when": at, "mode": "ward camera"})


def _lines() -> list[str]:
    lines = []
    for k, patient in enumerate(("pt-once-a", "pt-once-b", "pt-once-c")):
        image = f"img-once-{k}"
        lines += [
            _capture(10 * k + 1, patient, f"2026-11-0{2 + k}T08:00:00Z", image),
            _event(10 * k + 2, patient, "record_transfer", f"2026-11-0{2 + k}T09:00:00Z", image, method="secure_upload", linked_to_patient=True),
            _event(10 * k + 3, patient, "device_deletion", f"2026-11-0{2 + k}T10:00:00Z", image, device=CAMERA),
            _event(10 * k + 4, patient, "access_request", f"2026-11-0{2 + k}T11:00:00Z", None,
                   requester={"id": "patient", "kind": "patient"}, produced=[image]),
        ]
    return sorted(lines, key=lambda line: json.loads(line)["occurred_at"])


@pytest.fixture
def setup(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "broken_on_reviews.rego").write_text(BROKEN_RULE)
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(_lines()) + "\n")
    return log, rules


def test_engine_errors_do_not_depend_on_the_chunk_size(setup: tuple[pathlib.Path, pathlib.Path], monkeypatch: pytest.MonkeyPatch) -> None:
    log, rules = setup
    by_size = {}
    for size in (4096, 1):
        monkeypatch.setattr(runner, "BATCH", size)
        by_size[size] = api.audit([str(log)], policy_dirs=[rules], workers=1).engine_errors
    assert by_size[1] == by_size[4096]
    # Each capture and each image's review, once.
    assert sorted(e["event_id"] for e in by_size[1]) == sorted(["ev-once-01", "ev-once-11", "ev-once-21"] * 2)


def test_one_process_and_several_list_engine_errors_alike(setup: tuple[pathlib.Path, pathlib.Path]) -> None:
    log, rules = setup
    reports = [run_cli("audit", str(log), "--policy-dir", str(rules), "--format", "json", "--workers", w) for w in ("1", "3")]
    for r in reports:
        assert r.out, r.err
    one, several = (r.json() for r in reports)
    assert one["engine_errors"] == several["engine_errors"] and len(one["engine_errors"]) == 6
