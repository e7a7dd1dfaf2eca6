"""Mutation testing of the policies (`make mutate`): do the tests notice when a rule is wrong?

Each mutant changes one thing in one policy file — deletes a body line, negates a comparison or a
`not`, flips a boolean default, moves a number by one, drops a member of a set or array literal —
and is run on the reference OPA engine against the Rego unit tests (`_test.rego`, evaluated a
package at a time) and the data-driven cases (tests/cases). A mutant is *killed* when any test or
case fails (or the policy no longer evaluates), *survives* otherwise; mutants that do not compile
are not counted. Survivors known to be equivalent (no input can tell them from the original) are
listed in scripts/mutate_equivalent.txt with a reason, one per line:

    <file>:<rule>:<operator>:<line, stripped> => <mutated line, stripped, or <deleted>>  # why it is equivalent

Score = killed / (compiling mutants - listed equivalents). Exit 0 when the score reaches
--threshold (default 95%), 1 otherwise. `--files` limits the run (substring match on paths).

    python scripts/mutate.py                      # everything (~10-20 minutes on 2 cores)
    python scripts/mutate.py --files consent/     # one area
"""
from __future__ import annotations

import argparse
import dataclasses
import pathlib
import re
import sys
import time
from typing import Any, Iterator

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker.cases import load_cases  # noqa: E402
from checker.engines.reference import new_opa  # noqa: E402
from checker.policy import PolicySet, RegoModule, load_modules  # noqa: E402
from checker.policytest import discover, run_rego_tests  # noqa: E402

EQUIVALENT = ROOT / "scripts" / "mutate_equivalent.txt"

NEGATIONS = [("==", "!="), ("!=", "=="), (">=", "<"), ("<=", ">"), (" > ", " <= "), (" < ", " >= ")]
STRING_LIST = re.compile(r'[\[{]\s*"[^"]*"(?:\s*,\s*"[^"]*")+\s*[\]}]')


@dataclasses.dataclass(frozen=True)
class Mutant:
    path: str
    line: int  # 1-based
    operator: str
    old_line: str
    new_line: str | None  # None: the line is deleted
    head: str = ""  # the rule the line belongs to (its first line, at column 0)

    def key(self) -> str:
        """How the equivalents list names it: file, rule, operator, the line before and after (no
        line number, so that editing elsewhere in the file keeps the list valid)."""
        after = "<deleted>" if self.new_line is None else self.new_line.strip()
        return f"{self.path}:{self.head}:{self.operator}:{self.old_line.strip()} => {after}"


def _body_lines(source: str) -> Iterator[tuple[int, str]]:
    """(index, line) of the lines after `package`, outside comments and METADATA."""
    seen_package = False
    for i, line in enumerate(source.split("\n")):
        if line.startswith("package "):
            seen_package = True
            continue
        if seen_package and line.strip() and not line.lstrip().startswith("#") and not line.startswith("import "):
            yield i, line


def mutants_of(module: RegoModule) -> Iterator[Mutant]:
    head = ""
    for i, line in _body_lines(module.source):
        if not line[0].isspace() and line.strip() not in ("}", "]", ")"):
            head = re.split(r"\s+(?:if|:=|contains|=)\b|\(|\s*\{", line.strip(), maxsplit=1)[0]
        for mutant in _mutants_of_line(module.path, i, line):
            yield dataclasses.replace(mutant, head=head)


def _mutants_of_line(path: str, i: int, line: str) -> Iterator[Mutant]:
    module = RegoModule(path, "")  # only its path is read
    stripped = line.strip()
    # 1. Delete a condition of a rule body (one tab deep, a statement of its own).
    if line.startswith("\t") and not line.startswith("\t\t") and stripped not in ("}", "]", ")") \
            and not stripped.endswith(("{", "[", "(", ",")) and not stripped.startswith('"'):
        yield Mutant(module.path, i + 1, "delete", line, None)
    # 2. Negate a comparison, or a `not`.
    for old, new in NEGATIONS:
        if old in line and not stripped.startswith('"'):
            yield Mutant(module.path, i + 1, f"negate {old.strip()}", line, line.replace(old, new, 1))
    if stripped.startswith("not "):
        yield Mutant(module.path, i + 1, "drop not", line, line.replace("not ", "", 1))
    # 3. Flip a boolean default (a `default` rule, or object.get's fallback).
    for old, new in ((":= true", ":= false"), (":= false", ":= true"), (", true)", ", false)"), (", false)", ", true)")):
        if old in line and (old.startswith(",") or stripped.startswith("default ")):
            yield Mutant(module.path, i + 1, "flip default", line, line.replace(old, new, 1))
    # 4. Move a number in a comparison or a table by one.
    for m in re.finditer(r"(?<![\w.\"-])(\d+)(?![\w.\"])", line):
        if stripped.startswith('"') and ":" not in stripped:
            continue
        value = int(m.group(1))
        for moved in (value - 1, value + 1):
            if moved >= 0:
                yield Mutant(module.path, i + 1, "move number", line, line[:m.start()] + str(moved) + line[m.end():])
    # 5. Drop a member of a literal set or array of strings.
    for m in STRING_LIST.finditer(line):
        members = re.findall(r'"[^"]*"', m.group(0))
        for k in range(len(members)):
            kept = members[:k] + members[k + 1:]
            literal = m.group(0)[0] + ", ".join(kept) + m.group(0)[-1]
            yield Mutant(module.path, i + 1, "drop member", line, line[:m.start()] + literal + line[m.end():])


def apply(module: RegoModule, mutant: Mutant) -> RegoModule:
    lines = module.source.split("\n")
    if mutant.new_line is None:
        del lines[mutant.line - 1]
    else:
        lines[mutant.line - 1] = mutant.new_line
    return RegoModule(module.path, "\n".join(lines))


class Runner:
    """The tests and cases of the current policies, ready to run against mutated modules."""

    def __init__(self) -> None:
        self.modules = load_modules([], include_tests=True)
        self.tests: dict[str, set[str]] = {}
        self.all_tests = discover(self.modules)
        for test in self.all_tests:
            self.tests.setdefault(test.package, set()).add(test.rule)
        self.cases = load_cases()
        self.configs: dict[str, tuple[dict[str, Any], list[Any]]] = {}
        for case in self.cases:
            key = repr(sorted(case.config.items()))
            self.configs.setdefault(key, (case.config, []))[1].append(case)
        self.data = {key: PolicySet.build(config).data for key, (config, _) in self.configs.items()}

    def _test_packages_for(self, path: str) -> list[str]:
        own = path.replace(".rego", "_test.rego")
        owned = [m.package for m in self.modules if m.path == own]
        return owned + sorted(p for p in self.tests if p not in owned)

    def killed(self, modules: list[RegoModule], path: str) -> str | None:
        """Why the mutant is killed (None: it survives). Raises SyntaxError when it does not compile."""
        policy_modules = [m for m in modules if not m.is_test]
        try:
            opa = new_opa(modules)
            opa.eval_query("x := true")
        except Exception as exc:  # a compile error: not a mutant that counts
            raise SyntaxError(str(exc).splitlines()[0] if str(exc) else "compile") from None
        try:
            # Its own unit tests first (most mutants die here), then the data cases, then every test.
            for package in self._test_packages_for(path)[:1]:
                why = self._package(opa, package)
                if why:
                    return why
        finally:
            opa.close()
        why = self._cases(policy_modules)
        if why:
            return why
        failed = [r for r in run_rego_tests(modules, self.all_tests) if not r.passed]
        return failed[0].name if failed else None

    def _package(self, opa: Any, package: str) -> str | None:
        try:
            rows = opa.eval_query(f"x := data.{package}")
        except Exception as exc:
            return f"{package}: error {str(exc).splitlines()[0][:100] if str(exc) else ''}"
        value = rows[0].get("x", {}) if rows else {}
        failed = sorted(t for t in self.tests[package] if value.get(t) is not True)
        return f"{package}.{failed[0]}" if failed else None

    def _cases(self, policy_modules: list[RegoModule]) -> str | None:
        for key, (_, cases) in self.configs.items():
            opa = new_opa(policy_modules, self.data[key])
            try:
                for case in cases:
                    try:
                        decision = opa.eval_document("clinimg.decision", case.input)
                    except Exception:
                        return f"case {case.id}: engine error"
                    if case.problems(decision):
                        return f"case {case.id}"
            finally:
                opa.close()
        return None


def load_equivalent() -> dict[str, str]:
    known: dict[str, str] = {}
    if EQUIVALENT.exists():
        for raw in EQUIVALENT.read_text().splitlines():
            if raw.strip() and not raw.startswith("#"):
                key, _, why = raw.partition("  # ")
                known[key.strip()] = why.strip()
    return known


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", action="append", default=[], help="only policy files whose path contains this")
    parser.add_argument("--threshold", type=float, default=95.0)
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args()
    runner = Runner()
    # The unmutated policies must pass: otherwise every mutant would look killed.
    baseline = runner.killed(runner.modules, "")
    if baseline:
        print(f"the policies fail their own tests before any mutation ({baseline}): fix that first", file=sys.stderr)
        return 2
    targets = [m for m in runner.modules if not m.is_test and (not args.files or any(f in m.path for f in args.files))]
    equivalent = load_equivalent()
    total = killed = not_compiling = 0
    survivors: list[str] = []
    listed_equivalent = 0
    started = time.monotonic()
    for module in targets:
        before = (total, killed, not_compiling)
        for mutant in mutants_of(module):
            if args.list:
                print(mutant.key())
                continue
            modules = [apply(m, mutant) if m.path == module.path else m for m in runner.modules]
            try:
                why = runner.killed(modules, module.path)
            except SyntaxError:
                not_compiling += 1
                continue
            total += 1
            if why:
                killed += 1
            elif mutant.key() in equivalent:
                listed_equivalent += 1
            else:
                survivors.append(mutant.key())
                print(f"SURVIVED {mutant.key()}", flush=True)
        if not args.list:
            print(f"  {module.path}: {total - before[0]} mutants, {killed - before[1]} killed, "
                  f"{not_compiling - before[2]} not compiling ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    if args.list:
        return 0
    counted = total - listed_equivalent
    score = 100.0 * killed / counted if counted else 100.0
    print(f"\n{total} compiling mutants ({not_compiling} did not compile): {killed} killed, {len(survivors)} survived, "
          f"{listed_equivalent} listed as equivalent — score {score:.1f}% of non-equivalent mutants "
          f"(threshold {args.threshold}%), {time.monotonic() - started:.0f} s")
    return 0 if score >= args.threshold else 1


if __name__ == "__main__":
    sys.exit(main())
