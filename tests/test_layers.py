"""The package's floors (docs/architecture.md): every import, at the top of a file, inside
a function or under TYPE_CHECKING, points down or across a floor, never up, and no
module imports one that imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ladder_cli"

#: Each package's floor; queue and stores share one and never import each other.
FLOORS = {
    "util": 0, "domain": 1, "queue": 2, "stores": 2, "core": 3, "render": 4, "site": 5, "cli": 6,
}  # fmt: skip


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """The ladder_cli modules ``name`` imports, a package's face where a name is no
    module of its own."""
    path = MODULES[name]
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("ladder_cli"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[: len(here) - node.level + 1] + ([base] if base else []))
            if not base.startswith("ladder_cli"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in MODULES else base)
    out.discard(name)
    return out


def _floor(name: str) -> int | None:
    parts = name.split(".")
    return FLOORS.get(parts[1]) if len(parts) > 1 else None


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _floor(n) is not None))
def test_imports_point_down(name: str) -> None:
    mine = _floor(name)
    assert mine is not None
    up = []
    for other in sorted(_imports(name)):
        theirs = _floor(other)
        if other == "ladder_cli":
            if not name.startswith("ladder_cli.cli"):
                up.append(other)  # the package's face (the lazy Ladder) is for the top
        elif theirs is None or theirs > mine:
            up.append(other)
        elif theirs == mine and other.split(".")[1] != name.split(".")[1]:
            up.append(other)  # queue and stores stand side by side
    assert not up, f"{name} imports from a higher floor: {up}"


def test_no_module_imports_itself_back() -> None:
    graph = {name: _imports(name) & MODULES.keys() for name in MODULES}
    state: dict[str, int] = {}
    stack: list[str] = []
    loops: list[list[str]] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                loops.append([*stack[stack.index(other) :], other])
            elif other not in state:
                visit(other)
        stack.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert not loops, f"import circles: {loops[:3]}"


def test_the_checks_see_every_package_and_can_fail() -> None:
    """The floors cover every package, and an upward import would be reported."""
    packages = {name.split(".")[1] for name in MODULES if name.count(".") >= 1}
    assert packages - {"__main__"} == set(FLOORS)
    assert "ladder_cli.core.ladder" in _imports("ladder_cli")  # the lazy Ladder is read
    assert _floor("ladder_cli.cli.app") == 6 and _floor("ladder_cli.util.errors") == 0
