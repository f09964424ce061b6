"""The code's shape, read from the source without importing it: module sizes and the import graph.

Shared by the shape tests of the runbook (tests/unit/test_shape.py) and of the lab
(tests/lab_services/test_lab_shape.py).
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    where = ROOT / dotted.replace(".", "/")
    return where.with_suffix(".py").exists() or where.is_dir()


def _absolute(node: ast.ImportFrom, path: Path) -> str | None:
    if not node.level:
        return node.module
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def imports(path: Path, tops: set[str]) -> set[str]:
    """The modules of the packages `tops` that `path` imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (module := _absolute(node, path)) and module.split(".")[0] in tops:
            for alias in node.names:  # `from lab import stack` imports the module lab.stack
                sub = f"{module}.{alias.name}"
                found.add(sub if _is_module(sub) else module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] in tops}
    return found


def graph(paths, tops: set[str]) -> dict[str, set[str]]:
    return {module_name(p): imports(p, tops) - {module_name(p)} for p in paths}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph (its modules, the first repeated at the end), or None."""
    done: set[str] = set()

    def visit(mod: str, path: list[str]) -> list[str] | None:
        if mod in path:
            return path[path.index(mod):] + [mod]
        if mod in done or mod not in graph:
            return None
        for dep in sorted(graph[mod]):
            if found := visit(dep, [*path, mod]):
                return found
        done.add(mod)
        return None

    for mod in sorted(graph):
        if found := visit(mod, []):
            return found
    return None


def long_modules(*dirs: Path) -> dict[str, int]:
    """The modules below `dirs` over MAX_LINES lines, with their length."""
    return {str(p.relative_to(ROOT)): n for d in dirs for p in sorted(d.rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
