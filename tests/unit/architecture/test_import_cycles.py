"""No import cycles among mockmind's modules.

Every module under ``src/mockmind`` is parsed with ``ast`` (nothing is imported), and each
import of another mockmind module becomes an edge. A cycle is a strongly connected component
of two or more modules, or a module that imports itself.

What counts as an edge, and why:

- Imports at module level, including those nested in module-level ``if``/``try``/``with``
  blocks, and those under ``if TYPE_CHECKING:``. A type-only import still says that one
  module knows the other; two modules that need each other's types belong in one module, or
  their shared types in a third.
- Imports inside functions and methods (lazy imports) count too. They defer a cost (FastAPI,
  boto3, numpy at cold start), which is fine, but a lazy import back into a module that
  imports you at the top is still a circle: the two modules cannot be understood, tested or
  moved apart. Set ``COUNT_LAZY_IMPORTS`` to False to check only what runs at import time.
- ``from package import name`` is an edge to ``package.name`` when that is a module, else to
  the package itself (its ``__init__``). The implicit import of a module's parent packages
  is not an edge: a package ``__init__`` that re-exports its submodules would otherwise form
  a cycle with every submodule that imports a sibling, and Python handles that case.
- Relative imports are resolved against the importing module's package.

The test works on whatever tree it runs on: modules are found by walking the folder.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import mockmind

ROOT_PACKAGE = "mockmind"
SOURCE_ROOT = Path(mockmind.__file__).resolve().parent
COUNT_LAZY_IMPORTS = True


def module_files(root: Path = SOURCE_ROOT) -> dict[str, Path]:
    """Every module of the package, by dotted name (a package by its own name)."""
    modules: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = [ROOT_PACKAGE, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imports(tree: ast.Module, *, lazy: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements of a module: at module level always, in functions if ``lazy``."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        if not lazy and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def import_graph(
    modules: Mapping[str, Path], *, lazy: bool = COUNT_LAZY_IMPORTS
) -> dict[str, set[str]]:
    """Each module's imports of other modules in ``modules``."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in _imports(tree, lazy=lazy):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _absolute(name, is_package, node)
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            graph[name].update(target for target in targets if target in modules)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components that are cycles (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
    return sorted(found)


def _describe(component: list[str], graph: Mapping[str, set[str]]) -> str:
    members = set(component)
    edges = [f"  {a} -> {b}" for a in component for b in sorted(graph[a] & members)]
    return "\n".join([" <-> ".join(component), *edges])


def test_mockmind_has_no_import_cycles() -> None:
    graph = import_graph(module_files())
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(_describe(c, graph) for c in found)


def test_the_graph_sees_the_modules_and_their_imports() -> None:
    # Guards the guard: a graph with no edges would pass the test above vacuously.
    modules = module_files()
    graph = import_graph(modules)
    assert "mockmind.domain.errors" in modules
    assert "mockmind.domain.errors" in graph["mockmind.domain.engine.flow"]
    assert "mockmind.app.admin" in graph["mockmind.app.api"]  # a lazy import
    assert "mockmind.app.admin" not in import_graph(modules, lazy=False)["mockmind.app.api"]


def test_cycles_finds_a_circle_and_ignores_a_chain(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import b\n")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from mockmind.sub.b import B\n"
    )
    (package / "sub" / "b.py").write_text("def f():\n    from ..c import C\n")
    (package / "c.py").write_text("import mockmind.a\n")
    (package / "d.py").write_text("from .c import C\n")
    modules = module_files(package)
    graph = import_graph(modules, lazy=True)
    assert graph["mockmind.sub"] == {"mockmind.sub.b"}
    assert cycles(graph) == [["mockmind.a", "mockmind.c", "mockmind.sub.b"]]
    assert cycles(import_graph(modules, lazy=False)) == []
