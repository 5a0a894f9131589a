"""The stack reads bottom-up with no way back (README "Architecture").

Every ``import`` statement in engine/ and tui/ — at module level, inside functions and
under ``TYPE_CHECKING`` alike — is read from the syntax tree and resolved to the module
it names.  Each module has a layer; an import may go down the stack or stay in its own
layer, never up, and no set of modules may import each other in a circle.  The app
(``fragscope.tui``) imports the engine only through its public API, the top-level
``fragscope`` package.  A failure names the file, the line and the import.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from conftest import REPO

#: (module prefix, layer).  The longest matching prefix wins; a module matching none is
#: itself a failure, so a new folder has to be given its place in the stack here.
LAYERS: tuple[tuple[str, int], ...] = (
    ("fragscope.model", 0),
    ("fragscope.plugins", 1),
    ("fragscope.plugin_rng", 1),
    ("fragscope.workload", 2),
    ("fragscope.placement", 2),
    ("fragscope.policies", 2),
    ("fragscope.core", 3),
    ("fragscope.experiments", 4),
    ("fragscope.reports", 4),
    ("fragscope.debug", 4),
    ("fragscope", 5),  # the package itself: the public API
    ("fragscope.tui", 6),
    ("fragscope.scenarios", 0),  # package data only
)
LAYER_NAMES = {0: "model", 1: "plug-in loading", 2: "workload/placement/policies", 3: "simulator core",
               4: "experiments/reports", 5: "public API", 6: "app"}
ROOTS = {"fragscope": REPO / "engine", "fragscope.tui": REPO / "tui", "fragscope.scenarios": REPO / "scenarios"}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    where: str  # "tui/app.py:12"

    def __str__(self) -> str:
        return f"{self.where}: {self.source} imports {self.target}"


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, root in ROOTS.items():
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root).with_suffix("").parts
            if package == "fragscope" and rel and rel[0] in ("tui", "scenarios"):
                continue
            parts = rel[:-1] if rel[-1] == "__init__" else rel
            found[".".join((package, *parts))] = path
    return found


def layer_of(module: str) -> int | None:
    best = None
    for prefix, layer in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, layer)
    return None if best is None else best[1]


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    base = package.split(".")
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_edges() -> list[Edge]:
    """Every import from one of fragscope's modules to another, resolved to a module."""
    modules = _modules()
    edges = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        where = str(path.relative_to(REPO))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, path, node) if node.level else (node.module or "")
                # ``from pkg import name``: name may be a submodule of pkg
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                if not target.split(".")[0] == "fragscope":
                    continue
                while target not in modules and "." in target:
                    target = target.rpartition(".")[0]
                if target != module:
                    edges.append(Edge(module, target, f"{where}:{node.lineno}"))
    return edges


def _cycles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_every_module_has_a_place_in_the_stack():
    assert [m for m in _modules() if layer_of(m) is None] == []


def test_no_import_runs_up_the_stack():
    up = [f"{e}  ({LAYER_NAMES[layer_of(e.source)]} -> {LAYER_NAMES[layer_of(e.target)]})"
          for e in import_edges() if layer_of(e.target) > layer_of(e.source)]
    assert up == [], "imports running up the stack:\n" + "\n".join(up)


def test_no_import_circles():
    edges = import_edges()
    report = []
    for comp in _cycles(edges):
        inside = [str(e) for e in edges if e.source in comp and e.target in comp]
        report.append(" <-> ".join(comp) + "\n    " + "\n    ".join(inside))
    assert report == [], "import circles:\n" + "\n".join(report)


def test_the_app_uses_only_the_public_api():
    """tui/ imports the engine as ``fragscope`` (its __init__), never a module inside it."""
    deep = [str(e) for e in import_edges()
            if layer_of(e.source) == 6 and layer_of(e.target) < 5]
    assert deep == [], "the app reaches past the public API:\n" + "\n".join(deep)


def test_the_checker_sees_relative_and_function_level_imports(tmp_path):
    """The checker itself can fail: a relative import inside a function is an edge."""
    tree = ast.parse("def f():\n    from ..tui import app\n")
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    assert _resolve("fragscope.core.simulation", REPO / "engine/core/simulation.py", node) == "fragscope.tui"
    assert layer_of("fragscope.tui.app") > layer_of("fragscope.core.simulation")
    assert _cycles([Edge("a", "b", "x:1"), Edge("b", "a", "y:2")]) == [["a", "b"]]
