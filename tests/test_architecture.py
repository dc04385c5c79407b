"""The package's shape: no import cycle in tt_core (function-level imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

TT_CORE = Path(__file__).resolve().parent.parent / "tt_core"


def _modules() -> dict[str, Path]:
    out = {}
    for f in TT_CORE.rglob("*.py"):
        parts = list(f.relative_to(TT_CORE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The tt_core modules ``name`` imports anywhere in its code (not under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text())
    typing_only = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for n in ast.walk(node))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - (node.level - 1)] if node.level else []
            target = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module
            found.update(f"{target}.{a.name}" for a in node.names)
            found.add(target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    # a module importing its own package's __init__ (a parent) is how packages work, not a cycle
    return {m for m in found if m in modules and m != name and not name.startswith(m + ".")}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_in_tt_core():
    modules = _modules()
    graph = {m: _imports(m, p, modules) for m, p in modules.items()}
    assert "tt_core.store.scenarios" in graph["tt_core.store.tables"]  # the graph is really built
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _long_functions(limit: int) -> list[str]:
    """Functions of tt_core and the apps over ``limit`` lines, except numba kernels (one compiled
    loop each)."""
    out = []
    for path in [*TT_CORE.rglob("*.py"), *(TT_CORE.parent / "apps").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                decorators = " ".join(ast.unparse(d) for d in node.decorator_list)
                if "njit" in decorators or "jit(" in decorators:
                    continue
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    out.append(f"{path.relative_to(TT_CORE.parent)}:{node.lineno} {node.name} ({length} lines)")
    return out


def test_no_function_over_about_a_hundred_lines():
    # a newcomer reads a function in one screenful or two; split longer ones into named steps
    assert _long_functions(110) == []


def test_no_test_imports_a_conftest_by_name():
    """``import conftest`` finds whichever of the folders' conftest.py pytest collected last (the
    jobs folder's broke collection of six modules in CI); shared constants live in tests/paths.py."""
    tests = Path(__file__).resolve().parent
    offenders = [
        f"{path.relative_to(tests)}:{number}"
        for path in sorted(tests.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.startswith(("from conftest import", "import conftest"))
    ]
    assert offenders == [], f"import from tests/paths.py (or take a fixture) instead: {offenders}"
