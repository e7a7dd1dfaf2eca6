"""The reference engine: real OPA (v1.20 Go) through opa-golib-python-bindings, test-only.

It runs the OPA-standard `_test.rego` files (`with input as …`, which regopy cannot survive) and
is the yardstick the embedded engine's decisions are compared against.
"""
from __future__ import annotations

from typing import Any

from ..errors import CheckerError
from ..policy import PolicySet, RegoModule
from .base import BaseEngine, Decision, EngineFailure, contract_failure

INSTALL_HINT = (
    "the reference OPA engine is not installed: "
    "pip install --ignore-requires-python opa-golib-python-bindings==0.4.4"
)


def available() -> bool:
    try:
        import opa_bindings  # noqa: F401
    except Exception:
        return False
    return True


def new_opa(modules: list[RegoModule] | tuple[RegoModule, ...], data: dict[str, Any] | None = None) -> Any:
    try:
        from opa_bindings import OpaEngine
    except Exception:
        raise CheckerError(INSTALL_HINT) from None
    engine = OpaEngine()
    engine.print_handler = lambda message, location: None
    for m in modules:
        engine.add_policy(m.path, m.source)
    if data:
        engine.add_data(data)
    return engine


class ReferenceEngine(BaseEngine):
    name = "reference"

    def __init__(self, policy: PolicySet) -> None:
        self._opa = new_opa(policy.modules, policy.data)

    def decide(self, inputs: list[dict[str, Any]]) -> list[Decision | EngineFailure]:
        from opa_bindings import OpaError

        out: list[Decision | EngineFailure] = []
        for item in inputs:
            try:
                decision = self._opa.eval_document("clinimg.decision", item)
                out.append(contract_failure(decision) or decision if isinstance(decision, dict) else EngineFailure("reference OPA: no decision"))
            except OpaError as exc:
                out.append(EngineFailure(f"reference OPA: {exc.code}: {str(exc.message).splitlines()[0][:200] if exc.message else ''}"))
        return out

    def close(self) -> None:
        self._opa.close()
