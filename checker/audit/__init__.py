"""The nightly audit (SPEC §5)."""
from .runner import AuditReport, audit

__all__ = ["AuditReport", "audit"]
