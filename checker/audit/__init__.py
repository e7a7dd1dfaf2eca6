"""The nightly audit (SPEC §5)."""
from .reader import event_shape
from .run import audit
from .runner import AuditReport

# event_shape: a line's shape (ids, times, id lists and ages blanked), for the server's cache of
# schema verdicts, which is exact for the same reason the audit's is (README "Performance").
__all__ = ["AuditReport", "audit", "event_shape"]
