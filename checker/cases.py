"""Data-driven rule cases (tests/cases/*.yaml): input + expected findings, run on any engine.

A case starts from a compliant base request (bases.yaml), deep-merges `patch` (a list replaces a
list, null removes a key), decides under an optional overlay `config`, and expects exactly
`findings` (rule ids) and, when given, `outcome`, `basis` and `obligations` (ids).
"""
from __future__ import annotations

import copy
import dataclasses
import pathlib
from typing import Any, Callable, Iterator

import yaml

from .engines.base import Decision, EngineFailure

CASES_DIR = pathlib.Path(__file__).resolve().parent.parent / "tests" / "cases"
if not CASES_DIR.is_dir():  # pragma: no cover - installed as a wheel: the cases ride inside (setup.py)
    CASES_DIR = pathlib.Path(__file__).resolve().parent / "cases"


def deep_merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = deep_merge(base.get(key), value)
        return out
    return copy.deepcopy(patch)


@dataclasses.dataclass
class Case:
    file: str
    name: str
    input: dict[str, Any]
    config: dict[str, Any]
    findings: list[str]
    outcome: str | None
    basis: str | None | bool  # False: not asserted
    obligations: list[str] | None

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"

    def problems(self, decision: Decision | EngineFailure) -> list[str]:
        """What differs from the expectation; empty when the case passes."""
        if isinstance(decision, EngineFailure):
            return [f"engine failure: {decision.reason}"]
        got = sorted({f["rule"] for f in decision["findings"]})
        out = []
        if got != sorted(set(self.findings)):
            out.append(f"expected findings {sorted(set(self.findings))}, found {got}")
        if self.outcome is not None and decision["outcome"] != self.outcome:
            out.append(f"outcome {decision['outcome']} != expected {self.outcome}")
        if self.basis is not False and decision["basis"] != self.basis:
            out.append(f"basis {decision['basis']} != expected {self.basis}")
        if self.obligations is not None:
            ids = sorted(o["id"] for o in decision["obligations"])
            if ids != sorted(self.obligations):
                out.append(f"obligations {ids} != expected {sorted(self.obligations)}")
        return out


def load_cases(directory: pathlib.Path = CASES_DIR, *, display: str | None = None) -> list[Case]:
    """The cases of a directory's *.yaml files. A hospital's own cases (`<policy-dir>/cases/`)
    start from the shipped bases.yaml unless their directory has its own. display: how to name
    the files in failures (default: the file name alone)."""
    from .errors import CheckerError

    bases_file = directory / "bases.yaml"
    bases = yaml.safe_load((bases_file if bases_file.exists() else CASES_DIR / "bases.yaml").read_text())
    cases = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "bases.yaml":
            continue
        shown = f"{display}/{path.name}" if display else path.name
        try:
            raws = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            raise CheckerError(f"{shown}: cannot read the cases (not UTF-8 YAML)") from None
        for n, raw in enumerate(raws):
            if not isinstance(raw, dict) or "name" not in raw or raw.get("base") not in bases:
                raise CheckerError(f"{shown}: case {n + 1}: needs a `name` and a `base` of bases.yaml ({', '.join(sorted(bases))})")
            base = bases[raw["base"]]
            cases.append(
                Case(
                    file=shown,
                    name=raw["name"],
                    input=deep_merge(base, raw.get("patch") or {}),
                    config=raw.get("config") or {},
                    findings=list(raw.get("findings") or []),
                    outcome=raw.get("outcome"),
                    basis=raw["basis"] if "basis" in raw else False,
                    obligations=raw.get("obligations"),
                )
            )
    return cases


def run_cases(cases: list[Case], decide_with: Callable[[dict[str, Any], list[dict[str, Any]]], list[Decision | EngineFailure]]) -> Iterator[tuple[Case, Decision | EngineFailure]]:
    """Group cases by overlay config so each engine is built once per config."""
    import json

    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(json.dumps(case.config, sort_keys=True), []).append(case)
    for key, group in groups.items():
        decisions = decide_with(json.loads(key), [c.input for c in group])
        yield from zip(group, decisions)
