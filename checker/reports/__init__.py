"""Report writers: one small class per format, looked up by name (feeds click.Choice)."""
from __future__ import annotations

from .audit import AUDIT_REPORTER_BY_NAME
from .check import CHECK_REPORTER_BY_NAME, terminal_safe

__all__ = ["AUDIT_REPORTER_BY_NAME", "CHECK_REPORTER_BY_NAME", "terminal_safe"]
