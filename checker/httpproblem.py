"""An HTTP error answer of `clinimg serve` (checker/server.py and the endpoints of its own modules:
checker/cds.py): status, OPA-style code and message, optional schema problems."""
from __future__ import annotations

from typing import Any


class Problem(Exception):
    """An HTTP error answer: status, OPA-style code and message, optional schema problems."""

    def __init__(self, status: int, code: str, message: str, problems: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.problems is not None:
            out["problems"] = self.problems
        return out
