"""Rules of the package layout, checked on its source: private names, import cycles."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import errorlens

PACKAGE = Path(errorlens.__file__).parent
INTERNAL = "errorlens._internal"
OUTPUTS = (
    "errorlens.otel",
    "errorlens.sentry",
    "errorlens.testing",
    "errorlens.processors",
    "errorlens.stdlib",
    "errorlens.cli",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def imports_of(module: str) -> Iterator[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import in ``module``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield base, alias.name, node.lineno


def test_no_private_name_is_imported_across_modules_outside_internal() -> None:
    found = []
    for module in MODULES:
        for source, name, line in imports_of(module):
            if not inside(source, "errorlens"):
                continue
            private = [
                part for part in source.split(".") if is_private(part) and part != "_internal"
            ]
            if name is not None and is_private(name):
                if f"{source}.{name}" in MODULES and inside(source, INTERNAL):
                    continue  # a module of _internal, imported by its name
                private.append(name)
            if not private or source == module:
                continue
            if inside(module, INTERNAL) and inside(source, INTERNAL):
                continue
            found.append(f"{module}:{line} imports {', '.join(private)} from {source}")
    assert found == []


def edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for module in MODULES:
        for source, name, _ in imports_of(module):
            target = f"{source}.{name}" if f"{source}.{name}" in MODULES else source
            if target in MODULES and target != module:
                graph[module].add(target)
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in graph[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_the_event_hub_imports_no_output() -> None:
    graph = edges()
    reached = reachable(graph, "errorlens._internal.events")
    assert sorted(m for m in reached if any(inside(m, out) for out in OUTPUTS)) == []


def test_no_import_cycle_through_the_core_and_outputs() -> None:
    # Imports of the package root itself (the public API, which imports everything) are
    # left out: no module inside imports it.
    # Tools built on the public API (the CLI, the retry hooks) may import it, as an
    # application would, as long as the package root does not import them back.
    graph = edges()
    from_root = reachable(graph, "errorlens")
    assert sorted(m for m in from_root if "errorlens" in graph.get(m, ())) == []
    ours = [m for m in MODULES if not inside(m, "errorlens._internal.reader")]
    cycles = sorted(m for m in ours if m in reachable(graph, m))
    assert cycles == []
