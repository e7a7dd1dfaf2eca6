"""Static checks of a hospital's own Rego (the local-rule contract), before any engine sees it.

What is checked here, lexically (strings and comments never count as code):
- the package is exactly `clinimg.rules.local.<rule>` (deeper packages are never gathered);
- each local package defines at least one of deny / escalate / warn / obligation, each as a set
  (`deny contains finding if …`) — a misnamed `denied` or a boolean `deny if …` is silently
  ignored by the decision otherwise;
- a finding written as an object literal has `rule`, `message`, `guide` and `remedy` (an
  obligation: `id` and `text`), and its `rule` is the module's METADATA id when it has one;
- no `with`: the embedded engine (regopy) aborts on it.

Findings built dynamically are checked at decision time instead (decide.rego's
contract_violations; checker/engines/base.py turns them into engine errors).
"""
from __future__ import annotations

import dataclasses
import difflib
import os
import re
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import yaml

from .errors import CheckerError

if TYPE_CHECKING:  # pragma: no cover - checker.policy imports this module
    from .policy import RegoModule

LOCAL_PACKAGE_PREFIX = "clinimg.rules.local."

EFFECTS = ("deny", "escalate", "warn")
CONTRACT_SETS = EFFECTS + ("obligation",)
FINDING_KEYS = ("rule", "message", "guide", "remedy")
OBLIGATION_KEYS = ("id", "text")
WITH_MESSAGE = "`with` is not supported by the embedded engine; rewrite the rule, or decide this policy on OPA with `--engine opa`"


_META_BLOCK = re.compile(r"^# METADATA\n((?:#.*\n)+)", re.M)


def read_metadata(module: "RegoModule") -> dict[str, Any] | None:
    """A module's METADATA comment block (regopy does not implement rego.metadata.*)."""
    m = _META_BLOCK.search(module.source)
    if not m:
        return None
    text = "\n".join(line[2:] if line.startswith("# ") else line[1:] for line in m.group(1).splitlines())
    try:
        meta = yaml.safe_load(text)
    except yaml.YAMLError:
        raise CheckerError(f"{module.origin or module.path}: METADATA block is not valid YAML") from None
    return meta if isinstance(meta, dict) else None


@dataclasses.dataclass(frozen=True)
class Token:
    kind: str  # ident, string, punct, number
    text: str
    offset: int
    line: int


_TOKEN = re.compile(
    r'(?P<ws>\s+)|(?P<comment>#[^\n]*)|(?P<string>"(?:[^"\\\n]|\\.)*"?)|(?P<raw>`[^`]*`?)'
    r"|(?P<ident>[A-Za-z_]\w*)|(?P<number>\d[\w.]*)|(?P<punct>:=|==|!=|<=|>=|.)",
    re.S,
)


def tokens(source: str) -> list[Token]:
    """Rego's tokens, without whitespace and comments; strings keep their quotes."""
    out = []
    line = 1
    for m in _TOKEN.finditer(source):
        kind = m.lastgroup or "punct"
        text = m.group()
        if kind not in ("ws", "comment"):
            out.append(Token("string" if kind == "raw" else kind, text, m.start(), line))
        line += text.count("\n")
    return out


@dataclasses.dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclasses.dataclass(frozen=True)
class _Head:
    name: str
    form: str  # contains, if, :=, =, [, {, (
    index: int  # token index of the name
    line: int


def _heads(toks: list[Token], source: str) -> list[_Head]:
    """Rule heads: an identifier at the start of a line, at brace depth 0."""
    heads = []
    depth = 0
    for i, t in enumerate(toks):
        if t.kind == "punct" and t.text in "{[(":
            depth += 1
        elif t.kind == "punct" and t.text in "}])":
            depth -= 1
        if depth != 0 or t.kind != "ident":
            continue
        # Rules start at column 0 (as opa fmt writes them); a name inside a body never does.
        if (t.offset and source[t.offset - 1] != "\n") or t.text in ("package", "import"):
            continue
        j = i + 1
        if t.text == "default" and j < len(toks) and toks[j].kind == "ident":
            t, j = toks[j], j + 1
        nxt = toks[j].text if j < len(toks) else ""
        if nxt in ("contains", "if", ":=", "=", "[", "{", "(", "else"):
            heads.append(_Head(t.text, nxt, j - 1, t.line))
    return heads


def _object_end(toks: list[Token], start: int) -> int:
    """Index of the `}` closing the `{` at start."""
    depth = 0
    for k in range(start, len(toks)):
        if toks[k].kind == "punct" and toks[k].text in "{[(":
            depth += 1
        elif toks[k].kind == "punct" and toks[k].text in "}])":
            depth -= 1
            if depth == 0:
                return k
    return len(toks) - 1


def _literal_keys(toks: list[Token], start: int) -> dict[str, Token | None] | None:
    """The keys of the object literal whose `{` is at start, each with its value token when
    that value is a plain string; None when it is not an object literal (a set, a comprehension)."""
    end = _object_end(toks, start)
    keys: dict[str, Token | None] = {}
    depth = 0
    saw_colon = False
    for k in range(start, end):
        t = toks[k]
        if t.kind == "punct" and t.text in "{[(":
            depth += 1
        elif t.kind == "punct" and t.text in "}])":
            depth -= 1
        elif depth == 1 and t.kind == "string" and k + 1 < end and toks[k + 1].text == ":" and toks[k - 1].text in ("{", ","):
            saw_colon = True
            value = toks[k + 2] if k + 2 < end else None
            after = toks[k + 3].text if k + 3 < len(toks) else ""
            plain = value if value is not None and value.kind == "string" and after in (",", "}") else None
            keys[t.text[1:-1]] = plain
        elif depth == 1 and t.text == "|":
            return None  # a comprehension
    return keys if saw_colon or end == start + 1 else None


def _finding_literal(toks: list[Token], head: _Head, body_end: int) -> int | None:
    """Token index of the literal a `NAME contains X` rule adds — its `{` for an object, the token
    itself for a string or a sprintf/concat — when X is a literal or a variable assigned one."""
    j = head.index + 2
    if j >= len(toks):
        return None
    if toks[j].text == "{" or toks[j].kind == "string" or toks[j].text in _TEXT_BUILDERS:
        return j
    if toks[j].kind != "ident":
        return None
    var = toks[j].text
    for k in range(j + 1, body_end - 2):
        if toks[k].kind == "ident" and toks[k].text == var and toks[k + 1].text in (":=", "=") and (
            toks[k + 2].text == "{" or toks[k + 2].kind == "string" or toks[k + 2].text in _TEXT_BUILDERS
        ):
            return k + 2
    return None


_TEXT_BUILDERS = ("sprintf", "concat")


def lint_module(module: "RegoModule") -> list[Problem]:
    """The problems of one local module (its own file), in line order."""
    name = module.origin or module.path
    source = module.source
    if module.is_test:  # _test.rego files run on the reference OPA engine only: `with` is fine there
        return []
    toks = tokens(source)
    problems: list[Problem] = []
    for t in toks:
        if t.kind == "ident" and t.text == "with":
            problems.append(Problem(name, t.line, WITH_MESSAGE))
    package = module.package
    if package.count(".") != 3:
        line = next((t.line for t in toks if t.text == "package"), 1)
        problems.append(Problem(name, line, f"package must be {LOCAL_PACKAGE_PREFIX}<rule> (one segment after 'local': deeper packages never reach a decision)"))
    meta = read_metadata(module) or {}
    own_id = str(((meta.get("custom") or {}) if isinstance(meta, dict) else {}).get("id") or "") or None
    heads = _heads(toks, source)
    problems += _metadata_problems(module, {h.name for h in heads if h.name in CONTRACT_SETS and h.form == "contains"})
    for n, head in enumerate(heads):
        if head.name not in CONTRACT_SETS:
            continue
        if head.form != "contains":
            problems.append(Problem(name, head.line, f"`{head.name}` must be a set: write `{head.name} contains finding if {{ … }}`"))
            continue
        body_end = heads[n + 1].index if n + 1 < len(heads) else len(toks)
        start = _finding_literal(toks, head, body_end)
        if start is None:
            continue
        if toks[start].text != "{":
            shape = "{\"id\": …, \"text\": …}" if head.name == "obligation" else "{\"rule\": …, \"message\": …, \"guide\": …, \"remedy\": …}"
            problems.append(Problem(name, toks[start].line, f"`{head.name}` adds text, not an object: write {shape}"))
            continue
        keys = _literal_keys(toks, start)
        if keys is None:
            continue
        required = OBLIGATION_KEYS if head.name == "obligation" else FINDING_KEYS
        what = "an obligation" if head.name == "obligation" else f"a `{head.name}` finding"
        for key in required:
            if key not in keys:
                extra = [k for k in keys if k not in required]
                guess = difflib.get_close_matches(key, extra, n=1, cutoff=0.4)
                hint = f" (has `{guess[0]}`: did you mean `{key}`?)" if guess else ""
                problems.append(Problem(name, toks[start].line, f"{what} must have `{key}`{hint}; findings carry {', '.join(required)}"))
        id_key = "id" if head.name == "obligation" else "rule"
        value = keys.get(id_key)
        if head.name != "obligation" and "rule" in keys and value is None:
            # computed (from the input, say): findings would carry ids no overlay or report knows
            problems.append(Problem(name, toks[start].line, "the finding's rule must be written as text, its METADATA id (\"rule\": \"local.…\"), not computed"))
        for key in ("rule", "message") if head.name != "obligation" else ("id", "text"):
            literal = keys.get(key)
            if literal is not None and not literal.text[1:-1].strip():
                problems.append(Problem(name, literal.line, f"{what}'s `{key}` is empty: a finding says what is wrong and what to do"))
        effect = keys.get("effect")
        if head.name != "obligation" and effect is not None and effect.text[1:-1] != head.name:
            # SPEC §2's finding shows an `effect`; here the set decides it, and this one would be
            # overwritten without a word (a `warn` written into `deny` denies)
            problems.append(Problem(name, effect.line, f"the finding says \"effect\": \"{effect.text[1:-1][:20]}\" but is added to `{head.name}`, and the set decides the effect: "
                                                       f"add it to `{effect.text[1:-1][:20]}` instead, or drop its `effect`"))
        if own_id and value is not None and value.text[1:-1] != own_id and head.name != "obligation":
            problems.append(Problem(name, value.line, f"the finding's rule is \"{value.text[1:-1]}\" but the METADATA id is \"{own_id}\": a finding carries its own rule's id"))
    return problems


def _metadata_line(module: "RegoModule", key: str) -> int:
    """The line of `key:` in a module's METADATA block (the block's first line when not found)."""
    block = _META_BLOCK.search(module.source)
    if not block:
        return 1
    at = re.search(rf"^#\s+{re.escape(key)}\s*:", module.source[block.start():block.end()], re.M)
    return module.source.count("\n", 0, block.start() + (at.start() if at else 0)) + 1


def _metadata_problems(module: "RegoModule", sets: set[str]) -> list[Problem]:
    """What the METADATA says that `clinimg rules`, JUnit and the overlay's checks would read
    wrong: an effect that is none of the sets' names, or names a set the module does not add to
    (the catalogue said `warn` while decisions denied), and values that are not text (listed as
    Python's `['deny']`)."""
    custom = _metadata_custom(module)
    name = module.origin or module.path
    problems: list[Problem] = []
    for key in ("id", "effect", "guide_section", "remedy", "passage"):
        if key in custom and not (isinstance(custom[key], str) and custom[key].strip()):
            problems.append(Problem(name, _metadata_line(module, key), f"METADATA {key} must be text (not empty, a list or a number)"))
    effect = custom.get("effect")
    if isinstance(effect, str) and effect.strip():
        if effect not in CONTRACT_SETS:
            near = difflib.get_close_matches(effect, CONTRACT_SETS, n=1, cutoff=0.5)
            hint = f" (did you mean {near[0]}?)" if near else ""
            problems.append(Problem(name, _metadata_line(module, "effect"), f"METADATA effect must be one of deny, escalate, warn, obligation{hint}"))
        elif sets and effect not in sets:
            problems.append(Problem(name, _metadata_line(module, "effect"),
                                    f"METADATA effect is {effect} but the rule adds to `{'`, `'.join(sorted(sets))}`: the set decides, so `clinimg rules` "
                                    f"and reports would say {effect} where decisions say otherwise; make them agree"))
    return problems


def lint_packages(modules: Iterable["RegoModule"]) -> list[Problem]:
    """Every local package must define deny, escalate, warn or obligation (in one of its files)."""
    by_package: dict[str, list["RegoModule"]] = {}
    for m in modules:
        if not m.is_test:
            by_package.setdefault(m.package, []).append(m)
    problems = []
    for package, members in by_package.items():
        heads = [(m, h) for m in members for h in _heads(tokens(m.source), m.source)]
        defined = {h.name for _, h in heads}
        if defined & set(CONTRACT_SETS):
            # A set named like one of the four (`denies`, `warnings`) beside them is never read.
            for m, h in heads:
                near = difflib.get_close_matches(h.name, CONTRACT_SETS, n=1, cutoff=0.6)
                if h.form == "contains" and h.name not in CONTRACT_SETS and near:
                    problems.append(Problem(m.origin or m.path, h.line, f"no decision reads the set `{h.name}`: did you mean `{near[0]}`? (a rule's sets are deny, escalate, warn, obligation)"))
            continue
        first = members[0]
        line = next((t.line for t in tokens(first.source) if t.text == "package"), 1)
        guesses = sorted({g for d in defined for g in difflib.get_close_matches(d, CONTRACT_SETS, n=1, cutoff=0.6) if g != d and d})
        named = [d for d in sorted(defined) if difflib.get_close_matches(d, CONTRACT_SETS, n=1, cutoff=0.6)]
        hint = f" (it defines `{named[0]}`: did you mean `{guesses[0]}`?)" if guesses and named else ""
        problems.append(Problem(first.origin or first.path, line,
                                f"package {package} defines none of deny, escalate, warn, obligation, so it never reaches a decision{hint}"))
    return problems


def lint(modules: Iterable["RegoModule"], shipped: Iterable["RegoModule"] = ()) -> list[Problem]:
    """Every problem of the local modules given (shipped ones are not linted: they are tested);
    `shipped`: the shipped modules, whose rule ids an own rule may not take."""
    modules = list(modules)
    problems = [p for m in modules for p in lint_module(m)]
    problems += lint_packages(modules)
    problems += id_clashes(modules, shipped)
    problems += packages_in_two_dirs(modules)
    return sorted(dict.fromkeys(problems), key=lambda p: (p.file, p.line, p.message))


def packages_in_two_dirs(local: Iterable["RegoModule"]) -> list[Problem]:
    """One own package written in two --policy-dir directories (a copy kept beside the original,
    two hospitals' rules of one name): Rego merges them into one rule — both bodies fire under one
    id — and nothing said so. The same directory given twice is the same files, not a clash."""
    homes: dict[str, dict[str, list["RegoModule"]]] = {}  # package → directory prefix → modules
    for m in local:
        if not m.is_test:
            homes.setdefault(m.package, {}).setdefault(m.path.split("/", 1)[0], []).append(m)
    problems: list[Problem] = []
    for package, by_dir in homes.items():
        dirs = list(by_dir.values())
        first = {os.path.realpath(m.origin or m.path) for m in dirs[0]}
        for members in dirs[1:]:
            if {os.path.realpath(m.origin or m.path) for m in members} != first:
                m = members[0]
                line = next((t.line for t in tokens(m.source) if t.text == "package"), 1)
                problems.append(Problem(m.origin or m.path, line, f"package {package} is also written in another --policy-dir ({dirs[0][0].origin or dirs[0][0].path}): "
                                                                  "Rego would merge the two into one rule; keep each own rule in one directory"))
    return problems


def _finding_ids(module: "RegoModule") -> list[tuple[str, int]]:
    """(id, line) of each finding rule id an own module defines: its METADATA id (unless the
    METADATA says it is an obligation), and the literal `rule` of each deny/escalate/warn finding."""
    found: list[tuple[str, int]] = []
    custom = _metadata_custom(module)
    if custom.get("id") and custom.get("effect") != "obligation":
        block = _META_BLOCK.search(module.source)
        at = re.search(r"^#\s+id\s*:", module.source[block.start():block.end()], re.M) if block else None
        line = module.source.count("\n", 0, block.start() + at.start()) + 1 if block and at else 1
        found.append((str(custom["id"]), line))
    found += [(t.text[1:-1], t.line) for t in _literal_id_tokens(module, EFFECTS)]
    return found


def id_clashes(local: Iterable["RegoModule"], shipped: Iterable["RegoModule"] = ()) -> list[Problem]:
    """An own rule whose id is a shipped rule's, or another own package's. Its findings would be
    taken for that rule's: the overlay's `disabled`, `effect_overrides` and waivers of that id
    would reach both, reports would count them as one rule, and nothing said so."""
    shipped_ids = {str(c["id"]) for _, c in _rule_modules(shipped) if c.get("id")}
    first: dict[str, tuple[str, str]] = {}  # id → (package, file) that defined it first
    problems: list[Problem] = []
    for m in local:
        if m.is_test:
            continue
        name = m.origin or m.path
        lines: dict[str, int] = {}
        for rule, line in _finding_ids(m):
            lines.setdefault(rule, line)  # each id once a module, where it is first written
        for rule, line in lines.items():
            if rule in shipped_ids:
                problems.append(Problem(name, line, f"rule id \"{rule}\" is a shipped rule's id: give the hospital's rule an id of its own "
                                                    f"(\"local.{m.package.rsplit('.', 1)[-1]}\"), or the overlay's switches and waivers of \"{rule}\" would reach both"))
                continue
            package, file = first.setdefault(rule, (m.package, name))
            if package != m.package:
                problems.append(Problem(name, line, f"rule id \"{rule}\" is also the id of package {package} ({file}): each own rule needs an id of its own"))
    return problems


def _metadata_custom(module: "RegoModule") -> dict[str, Any]:
    """The `custom` object of a module's METADATA ({} when it has none)."""
    meta = read_metadata(module) or {}
    custom = meta.get("custom") if isinstance(meta, dict) else None
    return custom if isinstance(custom, dict) else {}


def _rule_modules(modules: Iterable["RegoModule"]) -> Iterator[tuple["RegoModule", dict[str, Any]]]:
    """Each policy module (not a test) with its METADATA `custom` object."""
    for m in modules:
        if not m.is_test:
            yield m, _metadata_custom(m)


def rule_ids(modules: Iterable["RegoModule"]) -> set[str]:
    """Every rule and obligation id the policies define: METADATA ids, and for own rules also the
    literal `rule` / obligation `id` their findings carry and `local.<rule>` of their package."""
    ids: set[str] = set()
    for m, custom in _rule_modules(modules):
        if custom.get("id"):
            ids.add(str(custom["id"]))
        if m.path.startswith("local"):
            ids.update(_literal_ids(m))
            ids.add("local." + m.package.rsplit(".", 1)[-1])  # the conventional id of clinimg.rules.local.<rule>
    return ids


def obligation_only_ids(modules: Iterable["RegoModule"]) -> set[str]:
    """The ids that name only obligations (what the actor must still do), never a finding: an
    overlay may disable them, but an effect override or a waiver of one would be silently
    ignored (an obligation has no effect, and a waiver matches findings)."""
    obligations: set[str] = set()
    findings: set[str] = set()
    for m, custom in _rule_modules(modules):
        if custom.get("id"):
            (obligations if custom.get("effect") == "obligation" else findings).add(str(custom["id"]))
        if m.path.startswith("local"):
            obligations.update(_literal_ids(m, ("obligation",)))
            findings.update(_literal_ids(m, EFFECTS))
            if _defines(m, EFFECTS):  # a finding's rule may be computed: the conventional id counts
                findings.add("local." + m.package.rsplit(".", 1)[-1])
    return obligations - findings


def own_rule_entries(module: "RegoModule") -> list[tuple[str, str, str]]:
    """(id, effect, guide section) of each finding or obligation an own module's sets add, read
    from its literals — for a module without a METADATA id, so that `clinimg rules` (and JUnit's
    rules in force) still list it. A rule id that is not a literal is the package's conventional
    `local.<rule>`; a guide that is not a literal is ""."""
    toks = tokens(module.source)
    heads = _heads(toks, module.source)
    found: dict[str, tuple[str, str, str]] = {}
    for n, head in enumerate(heads):
        if head.name not in CONTRACT_SETS or head.form != "contains":
            continue
        body_end = heads[n + 1].index if n + 1 < len(heads) else len(toks)
        start = _finding_literal(toks, head, body_end)
        keys = (_literal_keys(toks, start) if start is not None and toks[start].text == "{" else None) or {}
        id_token = keys.get("id" if head.name == "obligation" else "rule")
        rule = id_token.text[1:-1] if id_token is not None else "local." + module.package.rsplit(".", 1)[-1]
        guide = keys.get("guide")
        found.setdefault(rule, (rule, head.name, guide.text[1:-1] if guide is not None else ""))
    return sorted(found.values())


def _defines(module: "RegoModule", names: tuple[str, ...]) -> bool:
    return any(h.name in names for h in _heads(tokens(module.source), module.source))


def _literal_ids(module: "RegoModule", sets: tuple[str, ...] = CONTRACT_SETS) -> Iterator[str]:
    for token in _literal_id_tokens(module, sets):
        yield token.text[1:-1]


def _literal_id_tokens(module: "RegoModule", sets: tuple[str, ...] = CONTRACT_SETS) -> Iterator[Token]:
    """The string token of each literal finding `rule` (obligation `id`) in the given sets."""
    toks = tokens(module.source)
    heads = _heads(toks, module.source)
    for n, head in enumerate(heads):
        if head.name in sets and head.form == "contains":
            body_end = heads[n + 1].index if n + 1 < len(heads) else len(toks)
            start = _finding_literal(toks, head, body_end)
            keys = _literal_keys(toks, start) if start is not None and toks[start].text == "{" else None
            value = (keys or {}).get("id" if head.name == "obligation" else "rule")
            if value is not None:
                yield value


def rule_names(source: str) -> set[str]:
    """The names of the rules (and functions) a module defines at its top level."""
    return {h.name for h in _heads(tokens(source), source)}


def document_names(source: str) -> set[str]:
    """The names of the rules a module defines at its top level that are documents (in data,
    as OPA's Data API serves them): its rules, not its functions."""
    heads = _heads(tokens(source), source)
    functions = {h.name for h in heads if h.form == "("}
    return {h.name for h in heads} - functions


def statements(source: str) -> list[int]:
    """The line of each top-level statement after the package and imports (rules, in file order)."""
    return [h.line for h in _heads(tokens(source), source)]
