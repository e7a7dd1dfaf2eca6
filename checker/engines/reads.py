"""What each rule package reads, derived from its Rego text: the basis of the per-rule cache.

The decision of an event is the combination (decide.rego) of every rule package's result, and a
rule package's result depends only on the parts of the input it reads. This module finds those
parts lexically — shipped rules and a hospital's own alike, with nobody keeping a list:

- `input.a.b`, `input["a"]`, `object.get(input, "a", …)` and `object.get(input, ["a", "b"], …)`
  read the value at that path (all of it: anything below may be looked at);
- any other use of `input` (`object.keys(input)`, `input[x]`, `walk(input)`, …) reads everything;
- a reference to another definition of the package, or to `lib.<name>` / `data.clinimg.lib.<name>`,
  reads what that definition reads, transitively; any other `data.` reference except the overlay
  (`data.clinimg.config`, the same for the whole run) reads everything.

Over-approximation is safe (a larger key, fewer hits); missing a read is not, which is why the
analysis gives up to "everything" on whatever form it does not know.

It also finds each package's *type guards*: when every definition of its effect sets (deny,
escalate, warn, obligation) requires `input.type == "x"` (or `input.type in {…}`) at the top of
its body — itself, or through what its top-level statements need: a lib or package rule that is
true, a set it iterates or counts that is non-empty, only for some types (`_TypeGuards`) — the
package raises nothing for inputs of other types and is not even looked at for them.

Which reads may be abstracted (ids as placeholders, hours as their interval, ages as child or
adult — engines/canon.py) is decided per package in engines/rulecache.py from these reads and
from the fingerprints of definitions reviewed for it (`fingerprint`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
from typing import Iterable

EFFECT_SETS = ("deny", "escalate", "warn", "obligation")
ROOT: tuple[str, ...] = ()

_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`')
_HEAD = re.compile(r"^(?:default\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)
_KEYWORDS = {"package", "import", "else"}
_IDENT = re.compile(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_]*)\b")
_INPUT = re.compile(r"(?<![\w.])input\b")
_GET = re.compile(r"object\.get\(\s*input\s*,\s*")
_DOT_PATH = re.compile(r"((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\s*\"[^\"\\]*\"\s*\])+)")
_PATH_PART = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*"([^"\\]*)"\s*\]')
_LITERAL = re.compile(r'"([^"\\]*)"')
_LIST_OF_LITERALS = re.compile(r'\[\s*("[^"\\]*"(?:\s*,\s*"[^"\\]*")*)\s*\]')
_DATA = re.compile(r"(?<![\w.])data((?:\.[A-Za-z_][A-Za-z0-9_]*)*)")
_GUARD = re.compile(r'^input\.type\s*(?:==\s*"([^"\\]*)"|in\s*\{([^{}]*)\})\s*$')


@dataclasses.dataclass
class Definition:
    """One top-level chunk of a module (a rule head and its body, `else` branches included)."""

    package: str
    name: str
    text: str  # comments removed
    masked: str  # string contents blanked, for finding syntax outside strings
    paths: set[tuple[str, ...]]
    local_refs: set[str]
    lib_refs: set[str]
    lib_aliases: frozenset[str] = frozenset()  # the module's names for data.clinimg.lib

    def names(self) -> set[str]:
        return set(re.findall(r"\.([A-Za-z_][A-Za-z0-9_]*)", self.masked)) | set(_LITERAL.findall(self.text))

    def fingerprint(self) -> str:
        normal = " ".join(self.text.split())
        return hashlib.sha256(f"{self.package}\0{normal}".encode()).hexdigest()[:16]


@dataclasses.dataclass
class Package:
    name: str
    definitions: list[Definition]


@dataclasses.dataclass(frozen=True)
class RuleReads:
    """What one rule package (`clinimg.rules.<area>.<rule>`) reads, all definitions it reaches
    included."""

    area: str
    rule: str
    paths: frozenset[tuple[str, ...]]  # minimal: no path is a prefix of another
    fingerprints: frozenset[str]  # of every definition it reaches (its own and lib's)
    guard_types: frozenset[str] | None  # the input types it can raise anything for; None: any
    uses: frozenset[str] = frozenset()  # opaque lib values it reads (their value, not their reads)
    # Every name the definitions it reaches spell: after a dot, or as a string literal. An
    # object's field read by name is among them (engines/rulecache.py, vetted keys).
    names: frozenset[str] = frozenset()
    # Every effect set is defined as a partial set (`deny contains …`): decide.rego's contract
    # for a hospital's rules (an array there is a violation JSON cannot tell from a set).
    sets_ok: bool = True
    # For lib.basis: its value for an input of a type outside guard_types (JSON text), when its
    # definition is an `else` chain whose branches hold only for those types (_else_chain).
    otherwise: str | None = None

    def inert_for(self, kind: object) -> bool:
        return self.guard_types is not None and isinstance(kind, str) and kind not in self.guard_types


def strip_comments(source: str) -> str:
    out, i = [], 0
    for m in re.finditer(r'"(?:[^"\\\n]|\\.)*"|`[^`]*`|#[^\n]*', source):
        out.append(source[i:m.start()])
        out.append("" if m.group().startswith("#") else m.group())
        i = m.end()
    out.append(source[i:])
    return "".join(out)


def _mask(text: str) -> str:
    return _STRING.sub(lambda m: m.group()[0] + "s" * (len(m.group()) - 2) + m.group()[-1], text)


def _input_paths(text: str, masked: str) -> set[tuple[str, ...]]:
    paths: set[tuple[str, ...]] = set()
    consumed: set[int] = set()
    for m in _GET.finditer(masked):
        start = m.end()
        consumed.add(masked.index("input", m.start()))
        lit = _LITERAL.match(text, start)
        lst = _LIST_OF_LITERALS.match(text, start)
        if lit and masked[lit.end():].lstrip().startswith(","):
            paths.add((lit.group(1),))
        elif lst and masked[lst.end():].lstrip().startswith(","):
            paths.add(tuple(_LITERAL.findall(lst.group(1))))
        else:
            paths.add(ROOT)
    for m in _INPUT.finditer(masked):
        if m.start() in consumed:
            continue
        tail = _DOT_PATH.match(text, m.end())
        if not tail:
            paths.add(ROOT)
            continue
        paths.add(tuple(a or b for a, b in _PATH_PART.findall(tail.group(1))))
    return paths


def parse_module(source: str) -> Package:
    text = strip_comments(source)
    masked = _mask(text)
    package = re.search(r"^package\s+([\w.]+)", masked, re.M)
    name = package.group(1) if package else ""
    aliases: dict[str, str] = {}
    for m in re.finditer(r"^import\s+([\w.]+)(?:\s+as\s+(\w+))?", masked, re.M):
        target = m.group(1)
        aliases[m.group(2) or target.rsplit(".", 1)[-1]] = target
    starts = [m for m in _HEAD.finditer(masked) if m.group(1) not in _KEYWORDS]
    definitions = []
    for n, m in enumerate(starts):
        end = starts[n + 1].start() if n + 1 < len(starts) else len(text)
        chunk, chunk_masked = text[m.start():end], masked[m.start():end]
        paths = _input_paths(chunk, chunk_masked)
        lib_refs: set[str] = set()
        for alias, target in aliases.items():
            if target == "data.clinimg.lib":
                lib_refs |= set(re.findall(rf"(?<![\w.]){alias}\.([A-Za-z_]\w*)", chunk_masked))
                if re.search(rf"(?<![\w.]){alias}\b(?!\.[A-Za-z_])", chunk_masked):
                    paths.add(ROOT)  # the lib package as a whole: everything
            elif target.startswith("data.") and target != "data.clinimg.config" and re.search(rf"(?<![\w.]){alias}\b", chunk_masked):
                paths.add(ROOT)  # another package (a rule's results, …): anything
        for d in _DATA.finditer(chunk_masked):
            ref = d.group(1)
            if ref.startswith(".clinimg.lib."):
                lib_refs.add(ref.split(".")[3])
            elif not (ref == ".clinimg.config" or ref.startswith(".clinimg.config.")):
                paths.add(ROOT)
        local_refs = set(_IDENT.findall(chunk_masked))
        lib_aliases = frozenset(a for a, t in aliases.items() if t == "data.clinimg.lib")
        definitions.append(Definition(name, m.group(1), chunk, chunk_masked, paths, local_refs, lib_refs, lib_aliases))
    return Package(name, definitions)


def minimal(paths: Iterable[tuple[str, ...]]) -> frozenset[tuple[str, ...]]:
    """The paths, without any that another one is a prefix of (its read covers them)."""
    out: list[tuple[str, ...]] = []
    for p in sorted(set(paths), key=len):
        if not any(p[: len(q)] == q for q in out):
            out.append(p)
    return frozenset(out)


def _statements(definition: Definition) -> list[str] | None:
    """The top-level statements of a definition's body — of its rule body (`… if {` or `… if
    expr`) or of its set or array comprehension (`name := {x |`) — or None when it has no such
    body (a value, a default, an `else` chain: always defined, for all we know)."""
    masked = definition.masked
    if re.match(r"default\b", masked) or re.search(r"(?<![\w.])else\b", masked):
        return None
    head, _, rest = masked.partition("\n")
    body_follows = re.search(r"(?<![\w.])if\s*\{\s*$", head) or re.search(r":=\s*[{\[]\s*[A-Za-z_]\w*\s*\|\s*$", head)
    body_at = len(head) + 1
    if not body_follows:
        one_line = re.search(r"(?<![\w.])if\s+(?!\{)(.*)$", head)
        if one_line and not rest.strip():
            start = head.index(one_line.group(1))
            return [definition.text[start:len(head)].strip()]
        # A head spanning lines (`obligation contains {` … `} if {`): the body is the block
        # after the first `if {` outside the head's brackets, ending its line.
        body_at = _body_after_multiline_head(masked)
        if body_at is None:
            return None
    out, depth, start = [], 1, body_at
    for i in range(body_at, len(masked) + 1):
        ch = masked[i] if i < len(masked) else "\n"
        if ch in "\n;" and depth == 1:
            statement = definition.text[start:i].strip()
            if statement:
                out.append(statement)
            start = i + 1
        elif ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
            if depth == 0:
                statement = definition.text[start:i].strip()
                if statement:
                    out.append(statement)
                break
    return out


def _body_after_multiline_head(masked: str) -> int | None:
    """Where the body of `head-over-lines } if {` starts (after its line's end), or None."""
    depth = 0
    for m in re.finditer(r"[{}\[\]()]|(?<![\w.])if\b", masked):
        token = m.group()
        if token == "if":
            if depth:
                continue
            block = re.match(r"if\s*\{[ \t]*\n", masked[m.start():])
            return m.start() + block.end() if block else None
        if token in "{[(":
            depth += 1
        else:
            depth -= 1
    return None


_REF = r"(?:([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)"
_SOME_IN = re.compile(rf"^some\s+[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)?\s+in\s+{_REF}$")
_COUNT_POSITIVE = re.compile(rf"^count\(\s*{_REF}\s*\)\s*(?:>\s*0|>=\s*1|!=\s*0)$")
_BARE = re.compile(rf"^{_REF}$")
# `R.field … == literal` (or !=): undefined — the body fails — wherever R is undefined.
_FIELD_COMPARED = re.compile(rf'^{_REF}(?:\.[A-Za-z_]\w*)+\s*(?:==|!=)\s*(?:true|false|null|-?\d+(?:\.\d+)?|"[^"\\]*")$')


class _TypeGuards:
    """For which input types a definition can hold — a rule be true, a set or comprehension be
    non-empty — followed through the definitions its top-level statements need, in its package
    and lib (None: any type, as far as this knows). A body holds only if every top-level statement
    does, so each statement's types bound the body's:

    - `input.type == "x"` / `input.type in {…}`: those types;
    - `some x in S` and `count(S) > 0`: the types for which S can be non-empty;
    - a bare reference `R` (to a rule without arguments, defined only by bodies): the types for
      which R can be true (an undefined or false expression fails the body);
    - `R.field == literal` (or `!=`): the types for which R can be defined (a field of an
      undefined value is undefined: the comparison fails the body).

    A name a body binds itself (`x := …`, `some x`) is the body's variable, not a rule: unknown."""

    def __init__(self, own: dict[str, list[Definition]], lib: dict[str, list[Definition]]) -> None:
        self.own, self.lib = own, lib
        self._memo: dict[tuple[int, str], frozenset[str] | None] = {}
        self._alive: list[Definition] = []

    def holds_for(self, definitions: list[Definition], what: str) -> frozenset[str] | None:
        """The union over definitions (one name's) of their body's types; None if any is
        unbounded. what: "true" (a rule) or "nonempty" (a set, a comprehension)."""
        if not definitions:
            return None
        found: set[str] = set()
        for d in definitions:
            key = (id(d), what)
            if key not in self._memo:
                self._alive.append(d)  # (its id stays its own while memoised)
                self._memo[key] = None  # (a cycle: unbounded)
                self._memo[key] = self._body(d, what)
            t = self._memo[key]
            if t is None:
                return None
            found |= t
        return frozenset(found)

    def _kind_ok(self, d: Definition, what: str) -> bool:
        head = d.masked.split("\n", 1)[0]
        if what == "nonempty":  # a partial set, or a comprehension
            return bool(re.match(rf"{d.name}\s+contains\b", head) or re.search(r":=\s*[{\[]\s*[A-Za-z_]\w*\s*\|\s*$", head))
        # true: a rule whose value exists only when its body holds (not a set: an empty set is true)
        return bool(re.match(rf"{d.name}\s*(?::=|=(?!=)|if\b)", head)) and not re.search(r":=\s*[{\[]\s*[A-Za-z_]\w*\s*\|", head)

    def _body(self, d: Definition, what: str) -> frozenset[str] | None:
        if not self._kind_ok(d, what):
            return None
        statements = _statements(d)
        if statements is None:
            return None
        bound: frozenset[str] | None = None
        for statement in statements:
            t = self._statement(statement, d, statements)
            if t is not None:
                bound = t if bound is None else bound & t
        return bound

    def _statement(self, statement: str, d: Definition, statements: list[str]) -> frozenset[str] | None:
        g = _GUARD.match(statement)
        if g:
            return frozenset({g.group(1)} if g.group(1) is not None else _LITERAL.findall(g.group(2)))
        for pattern, what in ((_SOME_IN, "nonempty"), (_COUNT_POSITIVE, "nonempty"), (_BARE, "true"), (_FIELD_COMPARED, "true")):
            m = pattern.match(statement)
            if m:
                return self.holds_for(self._resolve(m.group(1), m.group(2), d, statements), what)
        return None

    def _resolve(self, prefix: str | None, name: str, d: Definition, statements: list[str]) -> list[Definition]:
        in_lib = d.package == "clinimg.lib"
        if prefix is not None:
            return self.lib.get(name, []) if prefix in d.lib_aliases and not in_lib else []
        body = "\n".join(statements)
        some_vars = {v for m in re.finditer(r"(?<![\w.])some\s+([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)", body) for v in re.split(r"\s*,\s*", m.group(1))}
        head_args = re.search(r"\(([^()]*)\)", d.masked.split("\n", 1)[0].split(" if")[0])
        if name in {"input", "data", "true", "false", "null"} or name in some_vars or re.search(rf"(?<![\w.]){name}\s*(?::=|=(?!=))", body) \
                or (head_args and re.search(rf"(?<![\w.]){name}\b", head_args.group(1))):
            return []  # bound in the body (or an argument of the head): a variable
        return (self.lib if in_lib else self.own).get(name, [])


OPAQUE = ("basis",)


def analyse(sources: Iterable[str], opaque: Iterable[str] = OPAQUE) -> dict[str, RuleReads]:
    """Rule packages (by "area.rule") and what each reads, from the policy's module sources
    (tests excluded), the lib's definitions followed through. "basis" is lib.basis, which the
    decision also carries.

    `opaque` lib values are not followed: a package reaching one reads its *value* (`uses`),
    which is one of a few, where what it is computed from varies a lot (lib.basis reads the
    purpose, recipient, channel, legal basis and consents of a disclosure)."""
    opaque = frozenset(opaque)
    packages: dict[str, list[Definition]] = {}
    for source in sources:
        parsed = parse_module(source)
        packages.setdefault(parsed.name, []).extend(parsed.definitions)
    lib = packages.get("clinimg.lib", [])
    lib_by_name: dict[str, list[Definition]] = {}
    for d in lib:
        lib_by_name.setdefault(d.name, []).append(d)

    def closure(roots: list[Definition], own: list[Definition]) -> tuple[set[tuple[str, ...]], set[str], set[str], set[str]]:
        own_by_name: dict[str, list[Definition]] = {}
        for d in own:
            own_by_name.setdefault(d.name, []).append(d)
        seen: set[int] = set()
        todo = list(roots)
        paths: set[tuple[str, ...]] = set()
        prints: set[str] = set()
        uses: set[str] = set()
        names: set[str] = set()
        while todo:
            d = todo.pop()
            if id(d) in seen:
                continue
            seen.add(id(d))
            paths |= d.paths
            prints.add(d.fingerprint())
            names |= d.names()
            in_lib = d.package == "clinimg.lib"
            scope = lib_by_name if in_lib else own_by_name
            for name in d.local_refs:
                if in_lib and name in opaque and scope.get(name) and d.name != name:
                    uses.add(name)
                    continue
                todo.extend(scope.get(name, []))
            for name in d.lib_refs:
                if name not in lib_by_name:
                    paths.add(ROOT)  # an unknown lib name: do not guess
                elif name in opaque:
                    uses.add(name)
                    continue
                todo.extend(lib_by_name.get(name, []))
        return paths, prints, uses, names

    out: dict[str, RuleReads] = {}
    for name, definitions in packages.items():
        parts = name.split(".")
        if len(parts) != 4 or parts[:2] != ["clinimg", "rules"]:
            continue  # decide.rego reads data.clinimg.rules[area][rule] only
        paths, prints, uses, names = closure(definitions, definitions)
        effects = [d for d in definitions if d.name in EFFECT_SETS]
        own_by_name: dict[str, list[Definition]] = {}
        for d in definitions:
            own_by_name.setdefault(d.name, []).append(d)
        guards = _TypeGuards(own_by_name, lib_by_name)
        guard_types: frozenset[str] | None = frozenset()
        for effect in EFFECT_SETS:
            mine = own_by_name.get(effect, [])
            if mine and guard_types is not None:
                g = guards.holds_for(mine, "nonempty")
                guard_types = None if g is None else guard_types | g
        sets_ok = all(re.match(rf"{d.name}\s+contains\b", d.masked) for d in effects)
        out[f"{parts[2]}.{parts[3]}"] = RuleReads(parts[2], parts[3], minimal(paths), frozenset(prints),
                                                  None if guard_types is None else frozenset(guard_types), frozenset(uses), frozenset(names), sets_ok)
    basis = lib_by_name.get("basis", [])
    paths, prints, uses, names = closure(basis, lib) if basis else ({ROOT}, set(), set(), set())
    if uses:  # (an opaque value computed from another: not supported, read everything)
        paths.add(ROOT)
    chain = _else_chain(basis[0], _TypeGuards(lib_by_name, lib_by_name)) if len(basis) == 1 else None
    out["basis"] = RuleReads("", "basis", minimal(paths), frozenset(prints), chain[0] if chain else None, frozenset(), frozenset(names),
                             otherwise=chain[1] if chain else None)
    return out


def _else_chain(definition: Definition, guards: _TypeGuards) -> tuple[frozenset[str], str] | None:
    """(the types any branch can hold for, the text of the final constant) of a definition
    `x := a if {…} else := b if {…} … else := <constant>` whose every branch but the last holds
    only for some types (_TypeGuards): for any other type its value is that constant."""
    masked = definition.masked
    cuts, depth = [], 0
    for m in re.finditer(r"[{}\[\]()]|(?<![\w.])else\b", masked):
        token = m.group()
        if token in "{[(":
            depth += 1
        elif token in "}])":
            depth -= 1
        elif depth == 0:
            cuts.append(m.start())
    if not cuts:
        return None
    last = re.fullmatch(r'else\s*:=\s*(null|true|false|-?\d+|"[^"\\]*")\s*', definition.text[cuts[-1]:].strip())
    if not last:
        return None
    types: set[str] = set()
    starts = [0] + cuts[:-1]
    for n, start in enumerate(starts):
        end = cuts[n]
        text = definition.text[start:end].strip()
        branch_masked = masked[start:end].strip()
        if n:  # `else := v if {…}` as a definition of its own: `name := v if {…}`
            text, branch_masked = definition.name + " " + text[4:].lstrip(), definition.name + " " + branch_masked[4:].lstrip()
        branch = dataclasses.replace(definition, text=text, masked=branch_masked)
        found = guards.holds_for([branch], "true")
        if found is None:
            return None
        types |= found
    return frozenset(types), last.group(1)
