"""Which engine decides: the one place engines are made, for the library (api), the parallel
audit's partition processes and the server. It lives under engines/ so that the audit, which
makes an engine in each partition process, never imports the library's face (api), which
imports the audit."""
from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import CheckerError
from ..policy import PolicySet
from .base import Engine

ENGINES = ("embedded", "opa", "opa-inprocess")
# The engines an audit's partitions and `serve` run in their own processes, with the per-rule
# cache in front (audit_engine); "opa" is a server elsewhere, with its own bundle.
LOCAL_ENGINES = ("embedded", "opa-inprocess")


@dataclasses.dataclass(frozen=True)
class OpaSettings:
    """Where and how to reach an OPA server (`--engine opa`); see checker/engines/opa.py."""

    url: str
    token: str | None = None
    timeout: float = 5.0
    retries: int = 2
    verify_tls: bool | str = True


def make_engine(policy: PolicySet, engine: str = "embedded", opa: OpaSettings | None = None) -> Engine:
    if engine == "embedded":
        from .embedded import EmbeddedEngine

        return EmbeddedEngine(policy)
    if engine == "opa-inprocess":
        from .opa_inprocess import OpaInProcessEngine

        return OpaInProcessEngine(policy)
    if engine == "reference":
        from .reference import ReferenceEngine

        return ReferenceEngine(policy)
    if engine == "opa":
        if opa is None or not opa.url:
            raise CheckerError("--engine opa needs --opa-url (e.g. http://127.0.0.1:8181)")
        if (policy.data.get("clinimg") or {}).get("config") or any(m.path.startswith("local") for m in policy.modules):
            raise CheckerError(
                "--policy-config and --policy-dir apply to the embedded engine; with --engine opa the server's bundle decides "
                "(build it with: clinimg policy bundle --policy-config … --policy-dir …)"
            )
        from .opa import OpaServerEngine

        return OpaServerEngine(opa.url, opa.token, timeout=opa.timeout, retries=opa.retries, verify_tls=opa.verify_tls)
    raise CheckerError(f"unknown engine {engine!r} (choose from: {', '.join(ENGINES)})")


def audit_engine(policy: PolicySet, cache: bool, shared_decisions: str | None = None, engine: str = "embedded") -> Engine:
    """The engine of an audit (or of one of its partitions): one regopy worker (embedded) or the
    reference OPA in this process (opa-inprocess); with the cache, each distinct fact set is
    decided once, in this process (and, with shared_decisions, once for all the processes of a
    parallel audit), from per-rule results cached on what each rule reads."""
    from .cached import CachedEngine, SharedDecisions
    from .canon import Canonicalizer, maturity_age
    from .rulecache import RuleSet

    inner: Any
    if engine == "opa-inprocess":
        from .opa_inprocess import OpaInProcessEngine

        inner = OpaInProcessEngine(policy)
    elif engine == "embedded":
        from .embedded import EmbeddedEngine

        inner = EmbeddedEngine(policy, workers=1, cache=False)
    else:
        raise CheckerError(f"unknown engine {engine!r} for an audit in this process (choose from: {', '.join(LOCAL_ENGINES)})")
    if not cache:
        return inner
    thresholds = inner.deadline_thresholds()
    # What each rule package reads, from the Rego (shipped and local alike): whole inputs are
    # cached where every active rule allows canonical keys, and misses are decided per rule.
    overlay = (policy.data.get("clinimg", {}) or {}).get("config") or {}
    rules = RuleSet([m.source for m in policy.modules if not m.is_test], Canonicalizer(thresholds, maturity_age(overlay)))
    shared = SharedDecisions(shared_decisions) if shared_decisions else None
    return CachedEngine(inner, deadline_thresholds=thresholds, exact_keys=False, shared=shared, rules=rules, overlay=overlay)
