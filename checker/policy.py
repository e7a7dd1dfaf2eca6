"""The policy set: shipped Rego, a hospital's own Rego, the overlay data, and their digest.

regopy does not implement rego.metadata.*, so the catalogue (`clinimg rules`) is read here from the
METADATA comment blocks of the Rego sources.
"""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import pathlib
import re
import zoneinfo
from typing import Any, Iterable

from .errors import CheckerError
from .jsonload import line_of_byte, with_line_feeds
from .policylint import LOCAL_PACKAGE_PREFIX, lint, own_rule_entries, read_metadata

__all__ = ["LOCAL_PACKAGE_PREFIX", "PolicySet", "RegoModule", "RuleMeta", "catalogue", "digest", "load_modules", "read_metadata", "with_origins"]

SHIPPED_POLICY_DIR = pathlib.Path(__file__).resolve().parent.parent / "policies"
# Installed as a wheel the policies ride inside the package (see pyproject's package data).
if not SHIPPED_POLICY_DIR.is_dir():  # pragma: no cover - depends on the install layout
    SHIPPED_POLICY_DIR = pathlib.Path(__file__).resolve().parent / "policies"


@dataclasses.dataclass(frozen=True)
class RegoModule:
    path: str  # a stable name: relative to its root, prefixed "local/" for a hospital's own
    source: str
    # The file as the user named it (`bad_rules/x.rego`), for messages; not part of the digest.
    origin: str = dataclasses.field(default="", compare=False)

    @property
    def is_test(self) -> bool:
        return self.path.endswith("_test.rego")

    @property
    def package(self) -> str:
        m = re.search(r"^package\s+([\w.]+)", self.source, re.M)
        return m.group(1) if m else ""


@dataclasses.dataclass(frozen=True)
class RuleMeta:
    id: str
    effect: str
    section: str
    title: str
    passage: str
    remedy: str
    package: str
    path: str


def _read_dir(root: pathlib.Path, prefix: str, shown: str | None = None) -> list[RegoModule]:
    """The directory's .rego files; shown: the directory as the user wrote it (for messages)."""
    if not root.is_dir():
        raise CheckerError(f"{root}: policy directory not found")
    modules = []
    for p in sorted(root.rglob("*.rego")):
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise CheckerError(f"{p}: cannot read Rego file ({exc.strerror or type(exc).__name__})") from None
        try:
            # utf-8-sig: an editor's BOM (Windows Notepad writes one) is not Rego; regopy read it
            # as text and reported "Invalid import declaration" lines further down
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = line_of_byte(data, exc.start)
            raise CheckerError(f"{p}:{line}: the Rego file is not UTF-8 text (byte {exc.start})") from None
        # A file saved with carriage returns alone (classic Mac OS line ends): Rego ends lines at
        # \n only, so the first comment ran to the end of the file ("package must be
        # clinimg.rules.local.<rule>"). Its lines are read as an editor shows them.
        text = with_line_feeds(text)
        # And CRLF (saved on Windows): the METADATA block (`# METADATA\n`) was not found, so the
        # rule was listed without its title and remedy and its METADATA id went unchecked.
        text = text.replace("\r\n", "\n")
        relative = p.relative_to(root).as_posix()
        modules.append(RegoModule(prefix + relative, text, os.path.join(shown, relative) if shown else str(p)))
    return modules


def load_modules(local_dirs: Iterable[str | pathlib.Path] = (), *, include_tests: bool = False, check: bool = True) -> list[RegoModule]:
    """Shipped modules, then each local dir's. A local module must live under clinimg.rules.local
    and keep the local-rule contract (checker/policylint.py) — unless check=False (`policy check`
    lists those problems itself, beside the compiler's)."""
    modules = _read_dir(SHIPPED_POLICY_DIR, "", shown="policies")
    local: list[RegoModule] = []
    for i, d in enumerate(local_dirs):
        if not str(d).strip():  # `--policy-dir "$RULES"`, unset: not the current directory's Rego, not none
            raise CheckerError("--policy-dir: the directory name is empty; give the directory of the hospital's own rules, or leave the option out")
        found = _read_dir(pathlib.Path(d), f"local{i or ''}/", shown=str(d))
        # (`policy test|check` take a directory of tests or data cases alone: cases for the shipped rules)
        tests_only = include_tests and (bool(found) or (pathlib.Path(d) / "cases").is_dir())
        if not tests_only and (not found or all(m.is_test for m in found)):
            # A wrong directory, or rules not copied yet: every decision went ahead without the
            # hospital's rules, and nothing said so (the policy digest was the shipped one).
            holds = "only tests (_test.rego)" if found else "no .rego file"
            raise CheckerError(f"--policy-dir {d}: holds {holds}, so none of the hospital's own rules; give the directory that holds them")
        for m in found:
            pkg = m.package
            if not (pkg + ".").startswith(LOCAL_PACKAGE_PREFIX) or pkg.count(".") < 3:
                raise CheckerError(
                    f"{m.origin}:1: package must be clinimg.rules.local.<rule> (own rules join through that namespace only)"
                )
            if {"input", "data"} & set(pkg.split(".")):
                # regopy resolves `input` wrongly everywhere once a package path has such a segment.
                raise CheckerError(f"{m.origin}:1: a package name may not contain the segment 'input' or 'data'")
            local.append(m)
    if check and local:
        problems = lint(local, shipped=modules)
        if problems:
            raise CheckerError("\n".join(str(p) for p in problems))
    modules += local
    return [m for m in modules if include_tests or not m.is_test]


def catalogue(modules: Iterable[RegoModule]) -> list[RuleMeta]:
    """Every rule the policies define, from their METADATA `custom` blocks, sorted by id; a
    hospital's own rule without one is listed from its findings' literals (SPEC §4: own rules
    appear like shipped ones — it decides, so it is listed)."""
    rules = []
    for module in modules:
        if module.is_test:
            continue
        meta = read_metadata(module)
        custom = (meta or {}).get("custom") or {}
        if "id" not in custom:
            if module.path.startswith("local"):
                rules += [RuleMeta(id=rule, effect=effect, section=guide, title="", passage="", remedy="", package=module.package, path=module.path)
                          for rule, effect, guide in own_rule_entries(module)]
            continue
        # An own rule's METADATA without effect or guide_section: read from its findings (the set
        # decides the effect), as for an own rule without METADATA — not listed with blanks.
        literal = {rule: (effect, guide) for rule, effect, guide in own_rule_entries(module)} if module.path.startswith("local") else {}
        from_findings = literal.get(str(custom["id"]), ("", ""))
        rules.append(
            RuleMeta(
                id=str(custom["id"]),
                effect=str(custom.get("effect") or from_findings[0]),
                section=str(custom.get("guide_section") or from_findings[1]),
                title=str(meta.get("title", "")),
                passage=" ".join(str(custom.get("passage", "")).split()),
                remedy=" ".join(str(custom.get("remedy", "")).split()),
                package=module.package,
                path=module.path,
            )
        )
    return sorted(rules, key=lambda r: r.id)



def catalogue_in_force(policy: "PolicySet") -> list[dict[str, Any]]:
    """The catalogue as the policy set's overlay leaves it: each rule's effect in force, with
    `default_effect` (its METADATA's) when the overlay overrides it, and `disabled: true` for a
    rule the overlay disables."""
    switches = (((policy.data.get("clinimg") or {}).get("config") or {}).get("rules") or {})
    disabled, overrides = set(switches.get("disabled") or ()), switches.get("effect_overrides") or {}
    out: list[dict[str, Any]] = []
    for r in catalogue(policy.modules):
        entry: dict[str, Any] = {"id": r.id, "effect": overrides.get(r.id, r.effect), "section": r.section, "title": r.title, "passage": r.passage, "remedy": r.remedy}
        if entry["effect"] != r.effect:
            entry["default_effect"] = r.effect
        if r.id in disabled:
            entry["disabled"] = True
        out.append(entry)
    return out

def with_origins(text: str, modules: Iterable[RegoModule]) -> str:
    """Engines name modules by their stable path (`local/x.rego`); messages name the file as the
    user gave it (`bad_rules/x.rego`)."""
    for m in modules:
        if m.origin and m.origin != m.path:
            text = text.replace(m.path + ":", m.origin + ":")
    return text


def digest(modules: Iterable[RegoModule], data: dict[str, Any]) -> str:
    """sha256 over every module (name and text) and the overlay data, canonically encoded."""
    h = hashlib.sha256()
    for m in sorted(modules, key=lambda m: m.path):
        h.update(m.path.encode() + b"\0" + m.source.encode() + b"\0")
    h.update(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    return "sha256:" + h.hexdigest()


def _with_waiver_instants(config: dict[str, Any]) -> dict[str, Any]:
    """The overlay, each waiver given `expires_ns`: the instant its `expires` date begins in the
    hospital's `timezone` (DST as that zone has it on that day). A hospital in Sydney writing
    `expires: 2027-01-01` means its own New Year, eleven hours before UTC's; decide.rego reads
    `expires_ns` first and counts the date at UTC midnight only without a timezone. (A date or zone
    that cannot be read gets none: the waiver then fails closed in decide.rego, as before.)"""
    zone_name, waivers = config.get("timezone"), config.get("waivers")
    if not isinstance(zone_name, str) or not isinstance(waivers, list):
        return config
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return config
    out = []
    for waiver in waivers:
        if isinstance(waiver, dict) and isinstance(waiver.get("expires"), str):
            try:
                day = datetime.date.fromisoformat(waiver["expires"])
            except ValueError:
                day = None
            if day is not None and len(waiver["expires"]) == 10:
                start = datetime.datetime(day.year, day.month, day.day, tzinfo=zone)
                waiver = {**waiver, "expires_ns": int(start.timestamp()) * 1_000_000_000}
        out.append(waiver)
    return {**config, "waivers": out}


@dataclasses.dataclass(frozen=True)
class PolicySet:
    """What decides: modules + overlay data. Hashable identity = digest."""

    modules: tuple[RegoModule, ...]
    data: dict[str, Any]  # the whole data document, {"clinimg": {"config": …}}
    version: str
    digest: str

    @classmethod
    def build(cls, config: dict[str, Any] | None = None, local_dirs: Iterable[pathlib.Path] = ()) -> "PolicySet":
        return cls.from_modules(load_modules(local_dirs), config)

    @classmethod
    def from_modules(cls, modules: Iterable[RegoModule], config: dict[str, Any] | None = None) -> "PolicySet":
        from . import __version__

        modules = tuple(modules)
        data = {"clinimg": {"config": _with_waiver_instants(config or {})}}
        return cls(modules, data, __version__, digest(modules, data))

    def stamp(self) -> dict[str, str]:
        return {"version": self.version, "digest": self.digest}
