"""Data-driven rule cases (tests/cases/*.yaml): input + expected findings, run on any engine.

A case starts from a compliant base request (bases.yaml), deep-merges `patch` (a list replaces a
list, null removes a key), decides under an optional overlay `config`, and expects exactly
`findings` (rule ids) and, when given, `outcome`, `basis` and `obligations` (ids).
"""
from __future__ import annotations

import copy
import dataclasses
import difflib
import pathlib
from typing import Any, Callable, Collection, Iterator


from . import schemas
from .engines.base import Decision, EngineFailure
from .jsonload import json_path
from .overlay import did_you_mean, named_rule_ids, read_yaml_file

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


CASE_KEYS = ("name", "base", "patch", "config", "findings", "outcome", "basis", "obligations", "invalid_input")
OUTCOMES = ("permit", "deny", "escalate")
BASES = ("primary_purpose", "secondary_purpose", "consent", "legal", None)


def case_files(directory: pathlib.Path) -> list[pathlib.Path]:
    """The cases files of a directory: *.yaml and *.yml (a hospital's `no_sms.yml` was never run,
    and its rule never tested, without a word), bases.yaml aside."""
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.stem != "bases" and not p.is_dir()) if directory.is_dir() else []


def load_cases(directory: pathlib.Path = CASES_DIR, *, display: str | None = None, rule_ids: Collection[str] | None = None) -> list[Case]:
    """The cases of a directory's *.yaml (and *.yml) files. A hospital's own cases
    (`<policy-dir>/cases/`) start from the shipped bases.yaml unless their directory has its own.
    display: how to name the files in failures (default: the file name alone).

    Read as strictly as the overlay: a misspelt key (`outcomes:`, `finding:`), a value of the wrong
    kind (`findings: local.x`, which read as its letters), a key of the input misspelt in `patch`
    (`circumstance:`, which the rules never read) — each made a case pass that tested nothing.
    Each is a CheckerError naming the file, line and path; so is an empty file."""
    if not directory.is_dir():
        return []
    bases = read_bases(directory)
    cases: list[Case] = []
    for path in case_files(directory):
        cases += load_cases_file(path, shown=f"{display}/{path.name}" if display else path.name, bases=bases, rule_ids=rule_ids)
    return cases


def read_bases(directory: pathlib.Path) -> dict[str, Any]:
    """The bases of a cases directory: its own bases.yaml, else the shipped one."""
    from .errors import CheckerError

    bases_file = directory / "bases.yaml"
    bases = read_yaml_file(bases_file if bases_file.exists() else CASES_DIR / "bases.yaml", "the bases file", empty_hint="it maps base names to requests").value
    if not isinstance(bases, dict) or not all(isinstance(b, dict) for b in bases.values()):
        raise CheckerError(f"{bases_file}: must map each base's name to a request")
    return bases


def load_cases_file(path: pathlib.Path, *, shown: str, bases: dict[str, Any] | None = None, rule_ids: Collection[str] | None = None) -> list[Case]:
    """The cases of one file (named `shown` in messages), read as load_cases reads them; bases:
    those of its directory (default: read from it)."""
    from .errors import CheckerError

    bases = bases if bases is not None else read_bases(path.parent)
    cases: list[Case] = []
    read = read_yaml_file(path, "the cases file", empty_hint="a cases file holds a list of cases")
    raws = read.value
    problems: list[str] = []

    def problem(where: list[Any], why: str) -> None:
        problems.append(f"{shown}:{read.line_of(where)}: {json_path(where)}: {why}")

    if not isinstance(raws, list):
        problem([], "must be a list of cases (`- name: …`)")
        raws = []
    names: set[str] = set()
    for n, raw in enumerate(raws):
        if not isinstance(raw, dict):
            problem([n], "must be a case (a mapping with name, base, patch, findings …)")
            continue
        before = len(problems)
        for key in raw:
            if key not in CASE_KEYS:
                guess = difflib.get_close_matches(str(key), CASE_KEYS, n=1, cutoff=0.6)
                problem([n, key], "unknown key" + (f' (did you mean "{guess[0]}"?)' if guess else f" (a case has {', '.join(CASE_KEYS)})"))
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            problem([n, "name"], "is required: the case's name, as text")
        elif name in names:
            problem([n, "name"], "another case of this file has the same name")
        else:
            names.add(name)
        if raw.get("base") not in bases:
            problem([n, "base"], f"must be one of the bases in bases.yaml: {', '.join(sorted(bases))}")
        if not isinstance(raw.get("patch", {}), (dict, type(None))):
            problem([n, "patch"], "must be a mapping (the keys to change in the base)")
        if not isinstance(raw.get("config", {}), (dict, type(None))):
            problem([n, "config"], "must be a mapping (a policy overlay)")
        elif raw.get("config"):
            config_problems = schemas.problems("overlay", raw["config"])
            for p in config_problems:
                problem([n, "config", *p.path], p.constraint)
            if rule_ids is not None and not config_problems:  # (a misspelt id disables or waives nothing)
                for where, named in named_rule_ids(raw["config"]):
                    if named not in rule_ids:
                        problem([n, "config", *where], "unknown rule id" + did_you_mean(named, rule_ids))
        for key in ("findings", "obligations"):
            value = raw.get(key)
            if (key == "findings" or value is not None) and not (isinstance(value, list) and all(isinstance(x, str) for x in value)):
                if key == "findings" and value is None and "findings" in raw:
                    continue  # `findings:` left empty: none expected
                problem([n, key], "must be a list of rule ids, e.g. [local.no_sms] (an empty list [] for none)"
                        if key == "findings" else "must be a list of obligation ids")
        if "outcome" in raw and raw["outcome"] not in OUTCOMES:
            problem([n, "outcome"], "must be one of: permit, deny, escalate")
        if "basis" in raw and raw["basis"] not in BASES:
            problem([n, "basis"], "must be one of: primary_purpose, secondary_purpose, consent, legal, null")
        if raw.get("base") not in bases or not isinstance(raw.get("patch", {}), (dict, type(None))):
            continue
        patch = raw.get("patch") or {}
        # The input a patch makes must be one check, serve and audit accept — else the case
        # tests what never reaches the policy: a misspelt key nothing reads, or YAML's `off`
        # read as false where a device's auto_upload is "off". A case about input the schema
        # refuses (the Rego must still fail closed on it) says `invalid_input: true`; then
        # only misspelt keys are named. The audit's lifecycle review (`image_review`) is input
        # too, as the OPA APIs accept it.
        merged = deep_merge(bases[raw["base"]], patch)
        for p in schemas.problems("request", merged, limit=None):
            if not _in_patch(patch, p.path) or (merged.get("type") == "image_review" and list(p.path) == ["type"]):
                continue
            if raw.get("invalid_input") is not True or p.constraint.startswith("unknown key"):
                problem([n, "patch", *p.path], p.constraint + _yaml_hint(p.path, patch))
        for p in schemas.misspelt_keys({k: v for k, v in patch.items() if k not in bases[raw["base"]]}):
            if not any(f"{json_path([n, 'patch', *p.path])}:" in x for x in problems):
                problem([n, "patch", *p.path], p.constraint)
        if len(problems) > before:
            continue
        cases.append(
            Case(
                file=shown,
                name=name,
                input=deep_merge(bases[raw["base"]], patch),
                config=raw.get("config") or {},
                findings=list(raw.get("findings") or []),
                outcome=raw.get("outcome"),
                basis=raw["basis"] if "basis" in raw else False,
                obligations=raw.get("obligations"),
            )
        )
    if problems:
        raise CheckerError("\n".join(problems))
    return cases


def _yaml_hint(path: list[Any], patch: Any) -> str:
    """YAML 1.1 reads an unquoted off/on/yes/no as a boolean: say so where a boolean was not meant."""
    node = patch
    for part in path:
        node = node[part] if isinstance(node, (dict, list)) else None
    return ' (YAML reads an unquoted off, on, yes or no as a boolean: write "off" in quotes)' if isinstance(node, bool) else ""


def _in_patch(patch: Any, path: list[Any]) -> bool:
    """Does the patch itself write this path (not the base)?"""
    node = patch
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
    return True


def run_cases(cases: list[Case], decide_with: Callable[[dict[str, Any], list[dict[str, Any]]], list[Decision | EngineFailure]]) -> Iterator[tuple[Case, Decision | EngineFailure]]:
    """Group cases by overlay config so each engine is built once per config."""
    import json

    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(json.dumps(case.config, sort_keys=True), []).append(case)
    for key, group in groups.items():
        decisions = decide_with(json.loads(key), [c.input for c in group])
        yield from zip(group, decisions)
