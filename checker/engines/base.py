"""The engine interface. Batching, caching, worker processes and crash isolation live behind it."""
from __future__ import annotations

import dataclasses
from typing import Any, Protocol

ENTRYPOINT = "data.clinimg.decision"


@dataclasses.dataclass(frozen=True)
class EngineFailure:
    """The engine could not decide this one input. Callers report it; it is never a permit."""

    reason: str


Decision = dict[str, Any]


class Engine(Protocol):
    name: str

    def decide(self, inputs: list[dict[str, Any]]) -> list[Decision | EngineFailure]:
        """One result per input, in order."""
        ...

    def close(self) -> None: ...
