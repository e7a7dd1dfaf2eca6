"""FHIR files in an audit: their events as a JSON Lines log the audit reads like any other, and
the report amended so that it speaks of the FHIR files (file, line, resource) and accounts for
every resource that did not become an event."""
from __future__ import annotations

import os
from typing import Any

import orjson

from .inbound import FhirEvent, FhirRead, read_fhir


class FhirLogs:
    """The events of FHIR files, written to `<scratch>/fhir-events.jsonl` in time order."""

    def __init__(self, paths: list[str], scratch_dir: str) -> None:
        self.path = os.path.join(scratch_dir, "fhir-events.jsonl")
        # line of the scratch log → where the event came from. Events are written as they are
        # made (memory holds the FHIR context, never the events): in the files' order, which the
        # audit's reader puts in time order on disk when it is not.
        self.origins: list[tuple[str, int, str]] = []
        with open(self.path, "wb") as out:
            def write(event: FhirEvent) -> None:
                self.origins.append((event.file, event.line, event.resource))
                out.write(orjson.dumps(event.doc) + b"\n")

            self.read: FhirRead = read_fhir(paths, on_event=write)

    def _origin(self, entry: dict[str, Any]) -> dict[str, Any]:
        if entry.get("file") != self.path or not 1 <= int(entry.get("line", 0)) <= len(self.origins):
            return entry
        file, line, resource = self.origins[entry["line"] - 1]
        out = {**entry, "file": file, "line": line}
        if "reason" in out:
            out["reason"] = f"{resource}: {out['reason']}"
        else:
            out["resource"] = resource
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
