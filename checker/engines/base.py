"""The engine interface. Batching, caching, worker processes and crash isolation live behind it."""
from __future__ import annotations

import dataclasses
import threading
from typing import Any, Callable, Protocol

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


def run_in_threads(tasks: list[Callable[[], None]]) -> None:
    """Run each task in its own thread (they wait on worker processes or sockets, not the GIL)
    and re-raise the first error once all have ended."""
    errors: list[BaseException] = []

    def guarded(task: Callable[[], None]) -> None:
        try:
            task()
        except BaseException as exc:  # surfaced below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(task,), daemon=True) for task in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
