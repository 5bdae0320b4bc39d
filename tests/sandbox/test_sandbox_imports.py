"""The sandbox stays small and acyclic: short modules, no import cycle inside it or through it.

Every ``import`` counts, including those under ``TYPE_CHECKING`` and inside functions: a cycle
hidden there still ties two modules together. Edges from a module to its own parent packages
are left out (a package's ``__init__`` re-exports what its modules define).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator, Mapping, Set
from pathlib import Path

import botfleet

SOURCE_ROOT = Path(botfleet.__file__).parent.parent
SANDBOX = "botfleet.sandbox"


def _module_files() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for path in sorted((SOURCE_ROOT / "botfleet").rglob("*.py")):
        parts = list(path.relative_to(SOURCE_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imported_names(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


@functools.cache
def _import_graph() -> dict[str, set[str]]:
    """Each botfleet module and the botfleet modules it imports (read once per test run)."""
    modules = _module_files()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for imported in _imported_names(name, path):
            if imported not in modules:
                continue
            if imported != name and not name.startswith(imported + "."):
                graph[name].add(imported)
    return graph


def _cycles(graph: Mapping[str, Set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _top_level(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_two_sandbox_modules_import_each_other() -> None:
    sandbox_graph = {
        name: {target for target in targets if target.startswith(SANDBOX + ".")}
        for name, targets in _import_graph().items()
        if name.startswith(SANDBOX + ".")
    }
    assert _cycles(sandbox_graph) == []


def test_the_sandbox_is_in_no_cycle_between_top_level_packages() -> None:
    packages: dict[str, set[str]] = {}
    for name, targets in _import_graph().items():
        for target in targets:
            if _top_level(name) != _top_level(target):
                packages.setdefault(_top_level(name), set()).add(_top_level(target))
    assert [cycle for cycle in _cycles(packages) if SANDBOX in cycle] == []


def test_core_does_not_import_the_sandbox() -> None:
    """``botfleet run`` points discord.py at a stand-in with core's own ``point_discord_at``."""
    core_imports = {
        target
        for name, targets in _import_graph().items()
        if _top_level(name) == "botfleet.core"
        for target in targets
    }
    assert {target for target in core_imports if _top_level(target) == SANDBOX} == set()


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_sandbox_module_is_over_700_lines() -> None:
    """Extending the stand-in should mean reading one resource's module, not a thousand lines."""
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines())
        for name, path in _module_files().items()
        if name.startswith(SANDBOX)
    }
    assert {name: size for name, size in sizes.items() if size > 700} == {}
