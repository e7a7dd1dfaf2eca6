"""An image deleted from the health record keeps the lifecycle findings it earned before.

It used not to: an image deleted from the record was never reviewed, so a transfer 27 hours after
the capture, or a device copy kept for 29 hours after the transfer, were found only when one of
the audit's chunks happened to end between the late event and the deletion — a nine-line log lost
them, a long log (or a parallel run, whose chunks end elsewhere) found some of them.
"""
from __future__ import annotations

import pathlib

import pytest

from tests.conftest import run_cli
from tests.lifecycle import PHONE, Events

PATIENT = {"id": "pt-del-1", "age_years": 40, "capacity": "full"}
EVENTS = Events("ev-del-", PATIENT)
_event, _capture = EVENTS.event, EVENTS.capture


def _lines(deleted: bool) -> list[str]:
    lines = [
        # img-late: saved to the record 27 h after the capture, then deleted from the record.
        _capture(1, "2026-11-02T00:00:00Z", "img-late"),
        _event(2, "record_transfer", "2026-11-03T03:00:00Z", "img-late", method="secure_upload", linked_to_patient=True),
        _event(3, "device_deletion", "2026-11-03T04:00:00Z", "img-late", device=PHONE),
        # img-kept: saved at once, but the phone kept its copy 29 h after the transfer.
        _capture(4, "2026-11-04T00:00:00Z", "img-kept"),
        _event(5, "record_transfer", "2026-11-04T01:00:00Z", "img-kept", method="secure_upload", linked_to_patient=True),
        _event(6, "device_deletion", "2026-11-05T06:00:00Z", "img-kept", device=PHONE),
    ]
    if deleted:
        lines += [
            _event(7, "record_deletion", "2026-11-06T00:00:00Z", "img-late", reason="other"),
            _event(8, "record_deletion", "2026-11-06T00:00:01Z", "img-kept", reason="other"),
        ]
    return lines


def _late_findings(log: pathlib.Path, *extra: str) -> set[tuple[str, str]]:
    result = run_cli("audit", str(log), "--format", "json", *extra)
    assert result.out, result.err
    rules = {"storage.transfer_to_record", "storage.delete_after_transfer"}
    return {(f["rule"], f["image_id"]) for f in result.json()["findings"] if f["rule"] in rules}


EXPECTED = {("storage.transfer_to_record", "img-late"), ("storage.delete_after_transfer", "img-kept")}


@pytest.mark.parametrize("extra", [(), ("--no-cache",), ("--workers", "2")])
def test_deletion_from_the_record_does_not_erase_earlier_lateness(tmp_path: pathlib.Path, extra: tuple[str, ...]) -> None:
    log = tmp_path / "deleted.jsonl"
    log.write_text("\n".join(_lines(deleted=True)) + "\n")
    assert _late_findings(log, *extra) == EXPECTED


def test_the_same_findings_with_and_without_the_deletion(tmp_path: pathlib.Path) -> None:
    kept, deleted = tmp_path / "kept.jsonl", tmp_path / "deleted.jsonl"
    kept.write_text("\n".join(_lines(deleted=False)) + "\n")
    deleted.write_text("\n".join(_lines(deleted=True)) + "\n")
    assert _late_findings(kept) == _late_findings(deleted) == EXPECTED


def test_an_image_never_saved_stops_being_overdue_when_deleted(tmp_path: pathlib.Path) -> None:
    """Deleted from the record before it was ever saved there: overdue until the deletion (here 3 h,
    within the deadline), not for ever after."""
    log = tmp_path / "never.jsonl"
    log.write_text("\n".join([
        _capture(1, "2026-11-02T00:00:00Z", "img-never"),
        _event(2, "record_deletion", "2026-11-02T03:00:00Z", "img-never", reason="other"),
        _capture(3, "2026-11-09T00:00:00Z", "img-other"),
        _event(4, "record_transfer", "2026-11-09T01:00:00Z", "img-other", method="secure_upload", linked_to_patient=True),
        _event(5, "device_deletion", "2026-11-09T02:00:00Z", "img-other", device=PHONE),
    ]) + "\n")
    assert ("storage.transfer_to_record", "img-never") not in _late_findings(log)
