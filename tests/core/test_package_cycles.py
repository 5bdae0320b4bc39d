"""No two top-level packages of botfleet import each other when their modules load.

A cycle between packages (core importing gamification while gamification imports core) makes
import order matter and keeps the layers from being read, tested or replaced one at a time.
Imports inside functions and under ``TYPE_CHECKING`` do not count: they run later or never.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "botfleet"


def _layer(module: str) -> str:
    """``botfleet.bots.mod.x`` is the layer ``bots.mod``; ``botfleet.core.x`` is ``core``."""
    parts = module.split(".")
    return ".".join(parts[1:3]) if parts[1] == "bots" and len(parts) > 2 else parts[1]


def _load_time_imports() -> dict[str, set[str]]:
    """Layer to the other layers its modules import at module level."""
    edges: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        layer = _layer(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith("botfleet.") and _layer(name) != layer:
                    edges.setdefault(layer, set()).add(_layer(name))
    return edges


def _reachable(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        layer = todo.pop()
        if layer not in seen:
            seen.add(layer)
            todo.extend(edges.get(layer, ()))
    return seen


def test_no_two_packages_import_each_other_at_load_time() -> None:
    edges = _load_time_imports()
    cycles = sorted(layer for layer in edges if layer in _reachable(edges, layer))
    assert not cycles, f"these packages are in an import cycle: {cycles}"


def test_the_check_sees_a_cycle() -> None:
    assert "a" in _reachable({"a": {"b"}, "b": {"a"}}, "a")
    assert "a" not in _reachable({"a": {"b"}, "b": {"c"}}, "a")
