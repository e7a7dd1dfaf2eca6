"""The hospital policy overlay (SPEC §4): YAML in, validated data for the Rego out.

YAML is read with safe_load only (no Python object tags), after a pass over the event stream that
refuses alias bombs; every schema error names the file, line and key path.
"""
from __future__ import annotations

import dataclasses
import datetime
import difflib
import math
import pathlib
import re
from typing import Any, Collection, Iterator

import yaml

from . import schemas
from .errors import CheckerError
from .jsonload import INT_MAX, TOO_LARGE_INTEGER, int_out_of_range, json_path, line_of_byte, safe_key, unusable_text, utf16_hint

MAX_OVERLAY_BYTES = 1024 * 1024
MAX_ALIASES = 50  # a real overlay needs a handful; a billion-laughs file needs many
MAX_NODES = 100_000  # after alias expansion: a real overlay has a few hundred values
MAX_DEPTH = 32  # a real overlay nests 3 deep; PyYAML's scanner is quadratic in flow nesting


class _DepthError(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that stops at MAX_DEPTH levels of nesting, while scanning — before anything is
    built, and before the scanner's cost (quadratic in nesting: 10,000 levels took over a
    minute) adds up. Flow (`[[[…`) and block (indentation, `- - - …`) nesting both count."""

    def fetch_more_tokens(self) -> None:
        if self.flow_level + len(self.indents) > MAX_DEPTH:
            raise _DepthError(self.line + 1)
        super().fetch_more_tokens()


# A date-like scalar stays the text the hospital wrote: the schema checks it (a waiver's `expires`
# must be a calendar date), naming its line, where PyYAML's own constructor fails on 2026-02-30
# with a bare ValueError.
_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def _construct_int(loader: yaml.SafeLoader, node: Any) -> int:
    # PyYAML's own fails with a bare ValueError on an integer of over 4,300 digits; any integer
    # beyond 64 bits is refused below with its line and path (_out_of_range), so this one stands in.
    try:
        return loader.construct_yaml_int(node)
    except ValueError:
        return INT_MAX + 1


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def load_overlay(path: str | pathlib.Path, rule_ids: Collection[str] | None = None, obligation_ids: Collection[str] = ()) -> dict[str, Any]:
    """Read, check and return the overlay as the data document's `clinimg.config`.

    With rule_ids (every rule and obligation id of the policy in force), each id the overlay
    names must be one of them: a misspelt id would otherwise be ignored and the rule keep firing.
    An id in obligation_ids (obligations only) may be disabled, but not given an effect or waived:
    either would be ignored without a word."""
    if not str(path).strip():  # `--policy-config "$OVERLAY"` with OVERLAY unset: never quietly the defaults
        raise CheckerError("--policy-config: the file name is empty; give the overlay's file, or leave the option out")
    p = pathlib.Path(path)
    read = read_yaml_file(p, "the policy overlay", empty_hint="an overlay that changes nothing is `{}`")
    document = {} if read.value is None else read.value
    root_node = read.root
    problems = schemas.problems("overlay", document)
    if problems:
        lines = [f"{p}:{_line_of(root_node, pr.path)}: {json_path(pr.path)}: {pr.constraint}{_number_as_text_hint(document, pr)}"
                 for pr in problems]
        raise CheckerError("\n".join(lines))
    if rule_ids is not None:
        unknown = [
            f"{p}:{_line_of(root_node, where)}: {json_path(where)}: unknown rule id{did_you_mean(named, rule_ids)}"
            for where, named in named_rule_ids(document)
            if named not in rule_ids
        ]
        not_findings = [
            f"{p}:{_line_of(root_node, where)}: {json_path(where)}: {named} is an obligation (what the actor must still do), not a finding: "
            + ("it has no effect to override" if where[0] == "rules" else "a waiver applies to findings only")
            + "; to drop it, list it in rules.disabled"
            for where, named in named_rule_ids(document)
            if named in obligation_ids and where[:2] != ["rules", "disabled"]
        ]
        if unknown or not_findings:
            raise CheckerError("\n".join(unknown + not_findings))
    guards = [
        f"{p}:{_line_of(root_node, where)}: {json_path(where)}: {named} is a guard (fail closed: an input that does not say what "
        "happened is denied): it cannot be " + {"disabled": "disabled", "effect_overrides": "given another effect"}.get(where[1], "waived")
        for where, named in named_rule_ids(document)
        if isinstance(named, str) and named.startswith(GUARD_AREA + ".")
    ]
    if guards:
        raise CheckerError("\n".join(guards))
    rules = document.get("rules") or {}
    disabled = set(rules.get("disabled") or ())
    both = [  # which one wins is nowhere to be seen: the override, ignored, was believed in force
        f"{p}:{_line_of(root_node, ['rules', 'effect_overrides', rule])}: {json_path(['rules', 'effect_overrides', rule])}: "
        f"{rule} is also in rules.disabled, so this effect would never apply; keep one of the two"
        for rule in (rules.get("effect_overrides") or {}) if rule in disabled
    ]
    if both:
        raise CheckerError("\n".join(both))
    first: dict[tuple[Any, Any], int] = {}
    twice = []  # two waivers of one finding: which approver and expiry hold is nowhere to be seen
    for i, waiver in enumerate(document.get("waivers") or []):
        n = first.setdefault((waiver.get("rule"), waiver.get("event_id")), i)
        if n != i:
            twice.append(f"{p}:{_line_of(root_node, ['waivers', i])}: $.waivers[{i}]: waives the same finding (rule and event_id) as $.waivers[{n}]; "
                         "keep one (which approver and expiry hold would be nowhere to be seen)")
    if twice:
        raise CheckerError("\n".join(twice))
    if "timezone" in document and not _known_zone(document["timezone"]):
        raise CheckerError(f"{p}:{_line_of(root_node, ['timezone'])}: $.timezone: not a time zone this machine knows (an IANA name, e.g. Australia/Sydney)")
    return document


@dataclasses.dataclass(frozen=True)
class YamlFile:
    """A YAML file a person wrote, read safely: its value (JSON-shaped) and its node tree, which
    tells the line of any path in it."""

    value: Any
    root: Any

    def line_of(self, path: list[Any]) -> int:
        return _line_of(self.root, path)


def read_yaml_file(p: pathlib.Path, what: str, *, empty_hint: str) -> YamlFile:
    """Read one YAML file a person wrote (the overlay, own data cases): at most 1 MiB, UTF-8, no
    alias bombs, no deeper than MAX_DEPTH, no Python tags, no key twice, no number JSON cannot
    hold, no text an engine cannot take, not empty — each refusal a CheckerError naming the file
    and, where there is one, the line and path (never the value). `what` names the file in
    messages ("the policy overlay")."""
    try:
        with open(p, "rb") as fh:  # never more than the limit (the file may be /dev/zero)
            raw = fh.read(MAX_OVERLAY_BYTES + 1)
    except IsADirectoryError:
        raise CheckerError(f"{p}: is a directory, not {what}") from None
    except OSError as exc:
        raise CheckerError(f"{p}: cannot read {what} ({exc.strerror or type(exc).__name__})") from None
    if len(raw) > MAX_OVERLAY_BYTES:
        raise CheckerError(f"{p}: {what} is larger than 1 MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = line_of_byte(raw, exc.start)
        raise CheckerError(f"{p}:{line}: $: {what} is not UTF-8 (byte {exc.start}){utf16_hint(raw)}") from None
    if not text.strip("\ufeff \t\r\n"):  # a truncated copy (a full disk) must not mean "nothing to say"
        raise CheckerError(f"{p}: {what} is empty ({empty_hint})")
    try:
        aliases = sum(isinstance(ev, yaml.AliasEvent) for ev in yaml.parse(text, Loader=_BoundedLoader))
        if aliases > MAX_ALIASES:
            raise CheckerError(f"{p}: {what} uses {aliases} YAML aliases (at most {MAX_ALIASES}): refused")
        root_node = yaml.compose(text, Loader=_BoundedLoader)
        _refuse_duplicate_keys(p, root_node)
        document = yaml.load(text, Loader=_BoundedLoader)
    except CheckerError:
        raise
    except _DepthError as exc:
        raise CheckerError(f"{p}:{exc.line}: $: {what} nests deeper than {MAX_DEPTH} levels: refused") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        why = (exc.problem or "invalid YAML").split("\n")[0]
        if "tag" in why or "constructor" in why.lower():
            why = "a YAML tag that builds objects is not allowed"
        raise CheckerError(f"{p}:{line}: $: {why}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, other controls)
        line = line_of_byte(text, exc.position) if isinstance(exc.position, int) else 1
        where = _path_at(text, exc.position) if isinstance(exc.position, int) else "$"
        raise CheckerError(f"{p}:{line}: {where}: {what} holds a control character YAML does not allow (U+{exc.character:04X})"
                           if isinstance(exc.character, int) else f"{p}:{line}: $: {what} is not valid YAML") from None
    except yaml.YAMLError:
        raise CheckerError(f"{p}: {what} is not valid YAML") from None
    except RecursionError:
        raise CheckerError(f"{p}: {what} is nested too deeply") from None
    try:
        document = _plain(document, what=what)
    except CheckerError as exc:
        raise CheckerError(f"{p}: {exc}") from None
    # What JSON refuses, YAML refuses too: numbers that are not finite (.inf, .nan, 1.0e+309),
    # integers beyond 64 bits (a deadline of 400 digits stopped the audit's cache with an internal
    # error) and text no engine can take (a "\udfff" escape, NUL).
    bad = _non_finite(document, []) or unusable_text(document)
    if bad is not None:
        where, why = bad
        raise CheckerError(f"{p}:{_line_of(root_node, where)}: {json_path(where)}: {why}")
    return YamlFile(document, root_node)


_YAML_REFUSED = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def _path_at(text: str, position: int) -> str:
    """The JSON path of the value (or key) at character `position`, found by reading the text
    again with every character YAML refuses made a space: "$" when that does not read either."""
    try:
        node = yaml.compose(_YAML_REFUSED.sub(" ", text), Loader=_BoundedLoader)
    except Exception:  # (any other problem in the text: the line alone says where)
        return "$"
    # Down the entries that hold the position: in each mapping or sequence, the last entry that
    # starts at or before it (a character after a value, before the line ends, is that entry's).
    line = line_of_byte(text, position) - 1  # (0-based, as PyYAML's marks)
    path: list[Any] = []
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        if isinstance(node, yaml.MappingNode):
            entries = [(key.value, key, value) for key, value in node.value if key.start_mark.index <= position]
        else:
            entries = [(index, item, item) for index, item in enumerate(node.value) if item.start_mark.index <= position]
        if not entries:
            break
        part, start, node = entries[-1]
        if position >= node.end_mark.index and line != node.end_mark.line:  # (after it: a comment line, another line)
            break
        path.append(part)
        if position < start.end_mark.index and start is not node:  # (in the key itself)
            break
    return json_path(path)


def _refuse_duplicate_keys(p: pathlib.Path, node: Any, path: list[Any] | None = None) -> None:
    """A key twice in one mapping is an error naming its line (as JSON's duplicate keys are);
    YAML itself would keep the last value and drop the first without a word."""
    path = path or []
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key != "<<":
                if key in seen:
                    raise CheckerError(f"{p}:{key_node.start_mark.line + 1}: {json_path(path)}: duplicate key {safe_key(str(key))}")
                seen.add(key)
            _refuse_duplicate_keys(p, value_node, path + [key])
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_duplicate_keys(p, item, path + [index])


def _non_finite(value: Any, path: list[Any]) -> tuple[list[Any], str] | None:
    if isinstance(value, float) and not math.isfinite(value):
        return path, "a number that is not finite (.inf, .nan or too large) is not accepted"
    if isinstance(value, int) and not isinstance(value, bool) and int_out_of_range(value):
        return path, TOO_LARGE_INTEGER
    if isinstance(value, dict):
        for key, item in value.items():
            found = _non_finite(item, path + [key])
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _non_finite(item, path + [index])
            if found:
                return found
    return None
# The guards' area (RULES.md "Guards": request.event_type). Disabled, made a warning or waived,
# an input with no event type — an OPA client that forgot it, on a bundle built with the overlay —
# was a permit: fail open by configuration.
GUARD_AREA = "request"


def _number_as_text_hint(document: Any, problem: Any) -> str:
    """Why a number is "not a number": YAML 1.1 (PyYAML's) reads 1e3 and 1.0e3 as text — a number
    with an exponent needs a decimal point and a signed exponent (1.0e+3). The value is never shown."""
    if not problem.constraint.startswith(("must be of type number", "must be of type integer")):
        return ""
    value: Any = document
    for key in problem.path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return ""
    if not isinstance(value, str) or not _EXPONENT_AS_TEXT.match(value):
        return ""  # (quoted '24' is text because it was quoted: no hint)
    return " (YAML reads a number with an exponent as text unless it has a decimal point and a signed exponent: write 1000, or 1.0e+3)"


_EXPONENT_AS_TEXT = re.compile(r"[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+\Z")


def named_rule_ids(document: dict[str, Any]) -> Iterator[tuple[list[Any], str]]:
    """(path, id) for every rule id a (schema-valid) overlay names."""
    rules = document.get("rules") or {}
    for i, rule in enumerate(rules.get("disabled") or []):
        yield ["rules", "disabled", i], rule
    for rule in rules.get("effect_overrides") or {}:
        yield ["rules", "effect_overrides", rule], rule
    for i, waiver in enumerate(document.get("waivers") or []):
        yield ["waivers", i, "rule"], waiver.get("rule")


def did_you_mean(named: Any, rule_ids: Collection[str]) -> str:
    guess = difflib.get_close_matches(str(named), sorted(rule_ids), n=1, cutoff=0.6)
    return f' (did you mean "{guess[0]}"?)' if guess else " (not a rule of the shipped policies or of --policy-dir: clinimg rules lists them)"


def _known_zone(name: str) -> bool:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _plain(value: Any, budget: list[int] | None = None, *, what: str = "the policy overlay") -> Any:
    """YAML dates become ISO strings (waiver expiry); everything else stays JSON-shaped.

    Aliases share objects in what safe_load builds; copying them out expands them, so the copy
    is bounded by MAX_NODES (a small alias bomb stays under MAX_ALIASES but not under this).
    """
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise CheckerError(f"{what} expands to more than 100,000 values (YAML aliases?): refused")
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v, budget, what=what) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, budget, what=what) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _line_of(node: Any, path: list[Any]) -> int:
    line = node.start_mark.line + 1 if node is not None else 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
