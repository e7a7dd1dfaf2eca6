"""FHIR files in an audit: their events as a JSON Lines log the audit reads like any other, and
the report amended so that it speaks of the FHIR files (file, line, resource) and accounts for
every resource that did not become an event."""
from __future__ import annotations

import os
from typing import Any

import orjson

from ..audit.state import parse_ns
from .inbound import FhirEvent, FhirRead, is_lapse, read_fhir


class FhirLogs:
    """The events of FHIR files, written to `<scratch>/fhir-events.jsonl` in time order."""

    def __init__(self, paths: list[str], scratch_dir: str, as_of: str | None = None) -> None:
        self.path = os.path.join(scratch_dir, "fhir-events.jsonl")
        unsorted = os.path.join(scratch_dir, "fhir-events.unsorted.jsonl")
        # Events are written as they are made (memory holds the FHIR context, never the events),
        # then put in time order by their keys alone: a Bulk export comes grouped by resource
        # type, and a log out of order would be decided twice by the audit.
        keys: list[tuple[int, str, int, int, tuple[str, int, str]]] = []
        # A grant's lapse (its period's end) is an event only once that end has passed: one after
        # the audit's as-of (given, else the latest other event) is not written. Kept, it would
        # move the default as-of to the end of the consent (months ahead) and judge every open
        # image's deadlines, and the withdrawal, as of then.
        lapses: list[tuple[int, str, int, int, tuple[str, int, str]]] = []
        latest: int | None = None
        with open(unsorted, "wb") as out:
            def write(event: FhirEvent) -> None:
                nonlocal latest
                line = orjson.dumps(event.doc) + b"\n"
                at = parse_ns(event.doc["occurred_at"])
                key = (at, str(event.doc["event_id"]), out.tell(), len(line), (event.file, event.line, event.resource))
                if is_lapse(event.doc):
                    lapses.append(key)
                else:
                    keys.append(key)
                    latest = at if latest is None or at > latest else latest
                out.write(line)

            self.read: FhirRead = read_fhir(paths, on_event=write)
        cutoff = latest
        if as_of:
            try:
                cutoff = parse_ns(as_of)
            except ValueError:
                pass  # not a time: the audit refuses --as-of itself, with the option's own message
        kept = [k for k in lapses if cutoff is not None and k[0] <= cutoff]
        if len(kept) < len(lapses):
            self.read.count("Consent", "events", len(kept) - len(lapses))
        keys += kept
        keys.sort(key=lambda k: (k[0], k[1], k[2]))
        # line of the scratch log → where the event came from
        self.origins: list[tuple[str, int, str]] = [k[4] for k in keys]
        with open(unsorted, "rb") as source, open(self.path, "wb") as out:
            for _, _, offset, length, _ in keys:
                out.write(os.pread(source.fileno(), length, offset))
        os.unlink(unsorted)

    def _origin(self, entry: dict[str, Any]) -> dict[str, Any]:
        if entry.get("file") != self.path or not 1 <= int(entry.get("line", 0)) <= len(self.origins):
            return entry
        file, line, resource = self.origins[entry["line"] - 1]
        out = {**entry, "file": file, "line": line}
        if "event_id" in out:  # a duplicate (it has its reason too): which resource repeated the id
            out["resource"] = resource
        else:
            out["reason"] = f"{resource}: {out['reason']}"
        return out

    def amend(self, report: Any) -> None:
        """The report as the FHIR files' own: their names and lines, and each resource that is
        not an event counted as an invalid line (read = decided + invalid + duplicate holds)."""
        report.files = [f for f in report.files if f != self.path] + [f for f in self.read.files if f not in report.files]
        report.invalid = [self._origin(e) for e in report.invalid]
        report.duplicates = [self._origin(d) for d in report.duplicates]
        report.engine_errors = [self._origin(e) for e in report.engine_errors]
        for u in self.read.unmapped:
            report.invalid.append({"file": u.file, "line": u.line, "reason": f"{u.resource}: {u.path}: {u.reason}"})
        report.invalid.sort(key=lambda p: (p["file"], p["line"], p["reason"]))
        report.duplicates.sort(key=lambda d: (d["file"], d["line"]))
        report.counts = {**report.counts, "read": report.counts["read"] + len(self.read.unmapped),
                         "invalid": report.counts["invalid"] + len(self.read.unmapped)}
        report.fhir = self.read.accounting()
