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


def contract_failure(decision: Decision) -> EngineFailure | None:
    """Fail closed on a decision that cannot be explained: the policy's own contract check
    (decide.rego's contract_violations, which names the rule) or — whatever the engine — a deny
    or escalate without a finding of that effect. Every engine passes its decisions through here."""
    violations = decision.get("contract_violations")
    if violations:
        named = "; ".join(str(v) for v in violations) if isinstance(violations, list) else "unnamed"
        return EngineFailure(f"a hospital rule breaks the local-rule contract (run clinimg policy check): {named}")
    outcome = decision.get("outcome")
    findings = decision.get("findings")
    if outcome in ("deny", "escalate") and not (
        isinstance(findings, list) and any(isinstance(f, dict) and f.get("effect") == outcome for f in findings)
    ):
        return EngineFailure(f"the policy answered {outcome} without a finding that says why")
    return None


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
