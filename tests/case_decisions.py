"""Every data-driven rule case (tests/cases) decided once on the embedded engine (regopy), grouped
by overlay config: the yardstick both the reference OPA (test_differential) and
`--engine opa-inprocess` (test_opa_inprocess) are compared against.

Deciding them starts a regopy worker per config (26 of them, ~17 s CPU): done once a test
process, not once a test. The two tests share the xdist group REGOPY_CASES so that, under
`pytest -n 2`, they run in the same process and share this too."""
from __future__ import annotations

import copy
import functools
import json
from typing import Any

from checker.cases import load_cases
from checker.engines.embedded import EmbeddedEngine
from checker.policy import PolicySet

REGOPY_CASES = "regopy-cases"  # the xdist_group of the tests that use it


@functools.cache
def _decided() -> tuple[tuple[str, list[dict[str, Any]], list[Any]], ...]:
    by_config: dict[str, list[dict[str, Any]]] = {}
    for case in load_cases():
        by_config.setdefault(json.dumps(case.config, sort_keys=True), []).append(case.input)
    decided = []
    for config, inputs in by_config.items():
        with EmbeddedEngine(PolicySet.build(json.loads(config))) as embedded:
            decided.append((config, inputs, embedded.decide(inputs)))
    return tuple(decided)


def regopy_case_decisions() -> list[tuple[str, list[dict[str, Any]], list[Any]]]:
    """(overlay config as sorted JSON, the case inputs under it, regopy's decisions of them), in
    the order the cases are loaded; a copy each call (no test sees another's changes)."""
    return copy.deepcopy(list(_decided()))
