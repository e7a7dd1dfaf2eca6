"""An opt-in engine: the reference OPA (v1.20, Go) in this process, through
opa-golib-python-bindings — `--engine opa-inprocess` for `check`, `audit` and `serve`.

The same decisions as the default embedded engine (regopy), measured ~3× cheaper a decision
(README, Performance, session 7), with the same per-rule cache in front of it for the audit and
`serve` (engines/cached.py: it asks this engine for rule packages' effect sets through the same
module and query plan as the regopy worker, engines/rulequeries.py). Not the default (SPEC §7):
the binding's metadata asks for Python 3.14, so it installs only with
`pip install --ignore-requires-python` (`make test` does; `make run` does not) — without it this
engine refuses to start with that command, never falls back silently.

Fail closed: an evaluation error or an undefined decision is that input's EngineFailure (an
engine error in the audit, 500 in serve), never a permit. OPA's Go runtime does not take the
process down on a bad policy as regopy can, so there is no worker process in between.
"""
from __future__ import annotations

from typing import Any

from ..errors import CheckerError, EngineError
from ..policy import PolicySet
from .base import BaseEngine, Decision, EngineFailure, contract_failure, without_values
from .rulequeries import COMBINED, COMBINED_PATH, QueryFailed, rule_values, worker_module

NAME = "opa-inprocess"
# From this many queries in a plan, a type's combined rule answers instead (worker_module):
# always, when the type has one.
COMBINED_FROM = 1
INSTALL_HINT = (
    "--engine opa-inprocess needs the OPA Go engine's Python binding, which is not installed: "
    "pip install --ignore-requires-python opa-golib-python-bindings==0.4.4 (make test installs it)"
)


def _binding() -> Any:
    try:
        import opa_bindings
    except Exception:
        raise CheckerError(INSTALL_HINT) from None
    return opa_bindings


class OpaInProcessEngine(BaseEngine):
    """The policy compiled once into an in-process OPA engine; decisions and per-rule answers
    (`evaluate_rules`, for engines/cached.py) from it."""

    name = NAME

    def __init__(self, policy: PolicySet) -> None:
        binding = _binding()
        self._error = binding.OpaError
        self._undefined = binding.OpaUndefinedError
        modules = [[m.path, m.source] for m in policy.modules if not m.is_test]
        # A combined rule for every type, and every request one query of it: OPA prepares each
        # document it is asked for on first use (~55 ms a path: ~60 packages and areas would cost
        # seconds a process) and then a query costs ~0.1 ms through the binding, a package
        # ~0.15–0.25 ms, a type's combined rule ~0.3–0.8 ms. Replaying a 3,000-line diverse
        # audit's 2,139 requests: 3.2 s CPU cold / 1.3 s warm with single packages for plans of
        # one query, 2.4 s / 1.3 s with the combined rule always (README Performance, session 7).
        source, entrypoints, combined = worker_module(modules, every_type=True)
        # OPA evaluates a document by its dotted path ("clinimg_worker_combined.rule_3").
        self._paths = {name: path.replace("/", ".") for name, path in entrypoints.items()}
        self._paths.update((COMBINED + kind, path.replace("/", ".")) for kind, (path, _) in combined.items())
        self._combined = combined
        self._opa = binding.OpaEngine()
        self._opa.print_handler = lambda message, location: None
        try:
            for path, text in modules:
                self._opa.add_policy(path, text)
            self._opa.add_policy(COMBINED_PATH, source)
            if policy.data:
                self._opa.add_data(policy.data)
            thresholds = self._opa.eval_document("clinimg.lib.deadline_thresholds", {})
        except self._error as exc:
            self._opa.close()
            raise EngineError(f"{NAME}: the policy does not compile: {_reason(exc)}") from None
        self._thresholds = thresholds if isinstance(thresholds, list) else []

    def deadline_thresholds(self) -> list[float]:
        """The overlay's deadlines (hours), as the policy computes them (engines/canon.py)."""
        return self._thresholds

    def decide(self, inputs: list[dict[str, Any]]) -> list[Decision | EngineFailure]:
        out: list[Decision | EngineFailure] = []
        for item in inputs:
            try:
                decision = self._opa.eval_document("clinimg.decision", item)
            except self._error as exc:
                out.append(EngineFailure(f"{NAME}: {_reason(exc)}"))
                continue
            except Exception as exc:  # e.g. an input the binding cannot encode: that input's error
                out.append(EngineFailure(f"{NAME}: evaluation failed: {type(exc).__name__}"))
                continue
            if not isinstance(decision, dict):
                out.append(EngineFailure("the policy gave no decision (data.clinimg.decision is undefined)"))
                continue
            out.append(contract_failure(decision) or decision)
        return out

    def evaluate_rules(self, requests: list[tuple[dict[str, Any], list[str]]]) -> list[dict[str, Any] | EngineFailure]:
        """For each (input, packages): {package: its effect sets} ("basis": lib.basis), as the
        regopy worker answers them (engines/rulequeries.py)."""
        out: list[dict[str, Any] | EngineFailure] = []
        for item, names in requests:
            def query(entry: str, item: Any = item) -> Any:
                try:
                    value = self._opa.eval_document(self._paths[entry], item)
                except self._error as exc:
                    raise QueryFailed(f"evaluation of {entry} failed: {_reason(exc)}") from None
                if value is None and entry != "basis":  # undefined (lib.basis may be null)
                    raise QueryFailed(f"evaluation of {entry} gave no value")
                return value
            try:
                out.append(rule_values(names, item.get("type") if isinstance(item, dict) else None, query, self._paths, self._combined,
                                       combined_from=COMBINED_FROM, basis_only=False))
            except QueryFailed as exc:
                out.append(EngineFailure(str(exc)))
            except KeyError as exc:
                out.append(EngineFailure(f"no such rule package: {exc}"))
            except Exception as exc:
                out.append(EngineFailure(f"{NAME}: evaluation failed: {type(exc).__name__}"))
        return out

    def evaluate_document(self, item: dict[str, Any], segments: list[str]) -> tuple[bool, Any] | EngineFailure:
        try:
            return True, self._opa.eval_document(".".join(segments), item)
        except self._undefined:
            return False, None
        except self._error as exc:
            return EngineFailure(f"{NAME}: {_reason(exc)}")
        except Exception as exc:
            return EngineFailure(f"{NAME}: evaluation failed: {type(exc).__name__}")

    def close(self) -> None:
        self._opa.close()


def _reason(exc: Any) -> str:
    message = str(getattr(exc, "message", "") or "").splitlines()
    return without_values(f"{getattr(exc, 'code', 'error')}: {message[0][:200] if message else ''}")
