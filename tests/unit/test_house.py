"""The house rules of the package, checked on its source: no import cycles between modules (lazy
imports inside functions count; imports only for type checkers do not), and no module importing
another module's private (underscore) names."""
from __future__ import annotations

import ast
import pathlib

from tests.conftest import ROOT

PACKAGE = ROOT / "checker"


def _modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(module: str) -> list[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for each import outside `if TYPE_CHECKING`."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else [])) if node.level else node.module or ""
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in MODULES:  # `from . import api`: the module itself
                    found.append((target, [], node.lineno))
                elif base in MODULES:
                    found.append((base, [alias.name], node.lineno))
        elif isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names if alias.name in MODULES]
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for target, _, _ in _imports(module):
            # A package's __init__ runs before its submodules: importing the parent package is
            # not a dependency worth a cycle.
            if target != module and not module.startswith(target + "."):
                graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


KNOWN_CYCLES: list[list[str]] = []


def test_no_import_cycles() -> None:
    graph = _graph()
    assert "checker.api" in graph["checker.cli"]  # the finder sees the imports at all
    assert "checker.audit" in graph["checker.api"]  # … including lazy ones inside functions
    assert [c for c in _cycles(graph) if c not in KNOWN_CYCLES] == []


def test_no_module_imports_another_modules_private_names() -> None:
    offenders = []
    for module in MODULES:
        for target, names, line in _imports(module):
            offenders += [f"{MODULES[module].relative_to(ROOT)}:{line}: {target}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
    assert offenders == []


def test_engines_are_asked_through_the_protocol_never_probed() -> None:
    """The runner, API and server call the engine protocol (engines/base.Engine: start, stamp,
    shortcuts, shortcut_ok, known, decide, close) — no hasattr/getattr on an engine — and every
    engine class has its defaults (BaseEngine). Not engines though they decide: a worker process's
    handle, the pool that lends engines, the protocol itself, and serve's DecisionService (the
    endpoints' one way to a decision, which asks the pool)."""
    probes, engines = [], []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("hasattr", "getattr") and node.args:
                if "engine" in ast.unparse(node.args[0]).lower():
                    probes.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
            if isinstance(node, ast.ClassDef) and any(isinstance(b, ast.FunctionDef) and b.name == "decide" for b in node.body):
                engines.append((module, node))
    assert probes == []
    plain = [f"{m}.{c.name}" for m, c in engines if c.name not in ("_Worker", "EnginePool", "Engine", "DecisionService") and "BaseEngine" not in {ast.unparse(b) for b in c.bases}]
    assert len(engines) >= 5 and plain == []
