"""No class of the package reaches 300 lines (issue 24: a class that long is doing more
than one thing; WritePath and then Ladder had grown past it)."""

from __future__ import annotations

import ast
from pathlib import Path

import ladder_cli

LIMIT = 300


def test_every_class_is_under_300_lines() -> None:
    root = Path(ladder_cli.__file__).parent
    sizes = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                where = f"{path.relative_to(root)}:{node.name}"
                sizes[where] = node.end_lineno - node.lineno + 1
    assert "core/writes.py:WritePath" in sizes and "core/ladder.py:Ladder" in sizes
    assert {where: n for where, n in sizes.items() if n >= LIMIT} == {}
