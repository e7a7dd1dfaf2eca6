"""Events are decided in time order, ties by event_id (SPEC §5), whether the log is streamed (in
time order already), sorted (out of order), or given as several files.

Three ways the order used to depend on how the log was read:
- an invalid line between two lines of the same instant parted them, so a streamed log decided
  them in file order (a capture before the consent of the same second: consent_required), a
  sorted one in event_id order;
- an event whose `occurred_at` lies after its first 4096 bytes (an image path of 4096
  characters) had no time for ordering: decided first of all when sorted, in its file position
  when streamed (a deletion before the capture: the phone never deleted it);
- an event with a further property nesting an `occurred_at` of its own, before the event's: the
  nested time ordered it.
"""
from __future__ import annotations

import json
import pathlib

import pytest

from tests.conftest import run_cli

PATIENT = {"id": "pt-ord-1", "age_years": 40, "capacity": "full"}
ACTOR = {"id": "reg-1", "role": "registrar"}
PHONE = {"id": "ph-reg-1", "owner": "personal", "passcode": True, "remote_wipe": True, "auto_upload": "off"}


def _event(event_id: str, kind: str, at: str, image_id: str, *, time_last: bool = False, extra: dict | None = None, **fields: object) -> str:
    actor = dict(ACTOR, device=PHONE) if kind == "capture" else ACTOR
    doc = {**(extra or {}), "schema_version": "1", "event_id": event_id, "type": kind, "occurred_at": at, "facility": "fac-1",
           "actor": actor, "patient": PATIENT, "image": {"id": image_id}, **fields}
    if time_last:  # the event's own time written after everything else
        doc["occurred_at"] = doc.pop("occurred_at")
    return json.dumps(doc, separators=(",", ":"))


def _capture(event_id: str, at: str, image_id: str) -> str:
    return _event(event_id, "capture", at, image_id,
                  image={"id": image_id, "modality": "photo", "subject": "wound", "identifiable": False, "identifying_features": [],
                         "intimate": False, "deidentified": False, "metadata_present": [], "rare_condition": False, "source": "staff"},
                  purposes=["clinical_care"], capture_record={"who": "reg-1", "when": at, "mode": "personal smartphone camera"})


def _consent(event_id: str, at: str) -> str:
    return json.dumps({"schema_version": "1", "event_id": event_id, "type": "consent", "occurred_at": at, "facility": "fac-1",
                       "actor": ACTOR, "patient": PATIENT,
                       "consent": {"status": "granted", "given_by": "patient", "purposes": ["clinical_care"], "image_ids": [],
                                   "identifiable_use": True, "publication": False, "documented_in_record": True, "written_form": True,
                                   "informed_of": ["purpose", "use", "access", "sharing", "deidentification", "storage", "withdrawal_limits"]}},
                      separators=(",", ":"))


def _transfer(event_id: str, at: str, image_id: str) -> str:
    return _event(event_id, "record_transfer", at, image_id, method="secure_upload", linked_to_patient=True)


# The capture and its consent in the same second, an invalid line between them: the consent
# (ev-2) comes first by event_id.
TIE_PARTED = [_capture("ev-3", "2026-11-02T10:00:00Z", "img-1"), "not an event", _consent("ev-2", "2026-11-02T10:00:00Z"),
              _transfer("ev-4", "2026-11-02T11:00:00Z", "img-1"), _event("ev-5", "device_deletion", "2026-11-02T12:00:00Z", "img-1", device=PHONE)]
# The deletion from the phone written with its time after an image path of 4080 characters.
TIME_AFTER_4096 = [_consent("ev-1", "2026-11-02T09:00:00Z"), _capture("ev-2", "2026-11-02T10:00:00Z", "img-2"), _transfer("ev-3", "2026-11-02T11:00:00Z", "img-2"),
                   _event("ev-4", "device_deletion", "2026-11-02T12:00:00Z", "img-2", time_last=True, device=PHONE,
                          image={"id": "img-2", "file": "/records/" + "x" * 4080}),
                   _consent("ev-5", "2026-11-05T09:00:00Z")]
# The deletion carrying an ingest record of its own, with a time of its own, before the event's.
NESTED_TIME = [_consent("ev-1", "2026-11-02T09:00:00Z"), _capture("ev-2", "2026-11-02T10:00:00Z", "img-3"), _transfer("ev-3", "2026-11-02T11:00:00Z", "img-3"),
               _event("ev-4", "device_deletion", "2026-11-02T12:00:00Z", "img-3", device=PHONE,
                      extra={"x_ingest": {"occurred_at": "2026-11-01T00:00:00Z", "event_id": "ev-0"}}),
               _consent("ev-5", "2026-11-05T09:00:00Z")]

CASES = {"tie-parted-by-an-invalid-line": TIE_PARTED, "time-after-4096-bytes": TIME_AFTER_4096, "nested-time": NESTED_TIME}


def _findings(*paths: pathlib.Path) -> tuple[set[tuple[str, str]], dict]:
    result = run_cli("audit", *map(str, paths), "--format", "json")
    assert result.out, result.err
    report = result.json()
    return {(f["rule"], f["event_id"]) for f in report["findings"]}, report["counts"]


@pytest.mark.parametrize("name", CASES)
def test_streamed_sorted_and_split_logs_are_decided_alike(tmp_path: pathlib.Path, name: str) -> None:
    lines = CASES[name]
    streamed, backwards, first, second = (tmp_path / n for n in ("streamed.jsonl", "backwards.jsonl", "first.jsonl", "second.jsonl"))
    streamed.write_text("\n".join(lines) + "\n")
    backwards.write_text("\n".join(reversed(lines)) + "\n")  # out of order: sorted on disk
    first.write_text("\n".join(lines[0::2]) + "\n")  # two files, each in time order: merged
    second.write_text("\n".join(lines[1::2]) + "\n")
    found, counts = _findings(streamed)
    # Every image was saved within the hour and deleted from the phone after it; each consent
    # came before (or, by event_id, with) its capture: no lifecycle or consent finding at all.
    assert not {rule for rule, _ in found} & {"storage.delete_after_transfer", "storage.transfer_to_record", "collection.consent_required"}
    assert counts["decided"] == len([line for line in lines if line.startswith("{")])
    assert _findings(backwards) == (found, counts)
    assert _findings(first, second)[0] == found
