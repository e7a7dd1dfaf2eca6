"""The engine interface. Batching, caching, worker processes and crash isolation live behind it."""
from __future__ import annotations

import dataclasses
import json
import re
import threading
from typing import Any, Callable, Protocol

import orjson

@dataclasses.dataclass(frozen=True)
class EngineFailure:
    """The engine could not decide this one input. Callers report it; it is never a permit."""

    reason: str


Decision = dict[str, Any]


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def without_values(text: str) -> str:
    """An engine's own error message with every quoted string blanked: OPA quotes the input
    value a builtin choked on (`to_number: … parsing "pt-Jane Citizen": invalid syntax`), and
    error messages never echo the offending value (SPEC §5: it may be patient data)."""
    return _QUOTED.sub('"…"', text)


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
    for finding in findings if isinstance(findings, list) else ():
        # a finding whose rule or message is blank (computed at decision time) explains nothing
        if isinstance(finding, dict) and not all(isinstance(finding.get(k), str) and finding[k].strip() for k in ("rule", "message")):
            return EngineFailure(f"a {finding.get('effect', '')} finding has an empty rule or message: a hospital rule computes it (run clinimg policy check)")
    if outcome in ("deny", "escalate") and not (
        isinstance(findings, list) and any(isinstance(f, dict) and f.get("effect") == outcome for f in findings)
    ):
        return EngineFailure(f"the policy answered {outcome} without a finding that says why")
    # SPEC §2: deny if any finding denies, else escalate if any escalates, else permit. An answer
    # that says otherwise (an OPA server on an older or altered bundle) is not taken as a permit.
    effects = {f.get("effect") for f in findings if isinstance(f, dict)} if isinstance(findings, list) else set()
    if effects - {"deny", "escalate", "warn"}:
        return EngineFailure("the policy answered a finding whose effect is not deny, escalate or warn")
    expected = "deny" if "deny" in effects else "escalate" if "escalate" in effects else "permit"
    if outcome != expected:
        return EngineFailure(f"the policy answered {outcome} though its findings make it {expected} (SPEC §2): outcome and findings disagree")
    return None


class Engine(Protocol):
    """What the runner, the API and the server ask of an engine (BaseEngine has the defaults)."""

    name: str

    def start(self) -> None:
        """Compile the policy now: a policy that does not compile fails here (EngineError), not
        on the first decision."""
        ...

    def stamp(self) -> dict[str, str] | None:
        """The policy this engine decides with, when it is not the caller's own (an OPA server's
        bundle revision); None: the caller's policy's stamp."""
        ...

    def shortcuts(self) -> Any:
        """The engine's canonicaliser (engines/canon.Canonicalizer: fast keys from a line's
        shape, hours as intervals) when it answers inputs from fast keys (`known`), else None."""
        ...

    def shortcut_ok(self, kind: Any, event_id: Any) -> bool:
        """May an input of this type and event id be answered from a fast key?"""
        ...

    def known(self, fast_key: Any) -> Decision | None:
        """The decision of an input with this fast key, when one was made before (and needs no
        identifiers mapped back); None otherwise."""
        ...

    def decide(self, inputs: list[dict[str, Any]]) -> list[Decision | EngineFailure]:
        """One result per input, in order."""
        ...

    def evaluate_document(self, item: dict[str, Any], segments: list[str]) -> "tuple[bool, Any] | EngineFailure":
        """The document data.<segments> for this input, as OPA's Data API answers it: (True,
        value), or (False, None) when it is undefined. Only for a package of the policy, or a rule
        of one (the server checks): `serve`'s POST /v1/data/clinimg/rules/… (never cached)."""
        ...

    def cache_stats(self) -> dict[str, int]:
        """{"lookups": inputs asked for, "misses": inputs evaluated, "alive": processes answering}
        so far — serve's /metrics hit ratio and /health; an engine with no cache evaluates
        everything it is asked (the default counts nothing)."""
        ...

    def close(self) -> None: ...


class BaseEngine:
    """The engine protocol's defaults: nothing to start ahead, the caller's policy, no fast keys."""

    name = "engine"

    def start(self) -> None:
        return None

    def stamp(self) -> dict[str, str] | None:
        return None

    def shortcuts(self) -> Any:
        return None

    def shortcut_ok(self, kind: Any, event_id: Any) -> bool:
        return False

    def known(self, fast_key: Any) -> Decision | None:
        return None

    def evaluate_document(self, item: dict[str, Any], segments: list[str]) -> "tuple[bool, Any] | EngineFailure":
        return EngineFailure(f"the {self.name} engine evaluates only data.clinimg.decision")

    def cache_stats(self) -> dict[str, int]:
        return {"lookups": 0, "misses": 0, "alive": 1}


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


def wire_loads(text: str) -> Any:
    """A line of the engine workers' protocol → its value: orjson (several times json's speed on
    the per-rule traffic), else json, which also takes what orjson refuses and regopy writes —
    control characters raw inside strings (an id holding ESC, quoted in a finding) — and
    integers past 64 bits."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text, strict=False)


def wire_dumps(value: Any) -> str:
    """A value → a line of the engine workers' protocol (orjson, else json)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # (orjson.JSONEncodeError: a lone surrogate, an integer past 64 bits)
        return json.dumps(value, ensure_ascii=False)
