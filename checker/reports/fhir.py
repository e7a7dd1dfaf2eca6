"""`--format fhir`: findings as a FHIR R4 Bundle (checker/fhir/outbound.py), for audit and check."""
from __future__ import annotations

import json
from typing import IO, Any


def _text(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, sort_keys=True, ensure_ascii=False, indent=2) + "\n"


class FhirAuditReporter:
    """The audit's findings as DetectedIssue resources, and an AuditEvent recording the run."""

    name = "fhir"
    binary = False

    def write(self, report: dict[str, Any], out: "IO[bytes]") -> None:
        out.write(self.render(report).encode("utf-8"))

    def render(self, report: dict[str, Any]) -> str:
        from ..fhir.outbound import findings_bundle

        bundle = findings_bundle(list(report["findings"]), policy=report.get("policy") or {}, when=report["as_of"], counts=report.get("counts"))
        return _text(bundle)


class FhirCheckReporter:
    """One decision's findings as DetectedIssue resources (no time: the same decision, the same bytes)."""

    name = "fhir"

    def render(self, decision: dict[str, Any]) -> str:
        from ..fhir.outbound import findings_bundle

        bundle = findings_bundle(decision.get("findings", []), policy=decision.get("policy") or {}, when=None, outcome=decision.get("outcome"))
        return _text(bundle)
