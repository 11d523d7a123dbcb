"""``ladder audit`` fits the terminal like the other tables, one line a row: a compact
target (``match 3``, ``Flash BW T``), the reason last and shortened with ``…``; the
reason is whole in ``--format json``, piped, and in ``ladder audit show N`` (a new detail
view, table and JSON; an unknown N is bad input). Any action renders, known or not."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from ladder_cli.render.views import audit_table
from tests.helpers import invoke

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NOW = datetime.now(UTC).replace(microsecond=0)
LONG = "compensation for the disconnect in the final of the weekly cup, agreed by the admins"

ROWS: list[dict[str, Any]] = [
    {"audit_id": 1204, "at": NOW - timedelta(days=3), "actor": "root", "action": "record",
     "target": "Flash bw_terran vs Jaedong bw_zerg", "reason": None},
    {"audit_id": 1205, "at": NOW - timedelta(hours=5), "actor": "alice", "action": "adjust",
     "target": "Flash bw_terran -15", "reason": LONG},
    {"audit_id": 1206, "at": NOW - timedelta(hours=2), "actor": "alice", "action": "void",
     "target": "match 3", "reason": "wrong opponent: Bisu was not there"},
    {"audit_id": 1207, "at": NOW - timedelta(hours=1), "actor": "root", "action": "decay",
     "target": "3 entries, -180 MMR (25 per 7 days after 14 days idle, floor 1400)",
     "reason": None},
    # an action this version does not know, with a long target of its own
    {"audit_id": 1208, "at": NOW, "actor": "bob", "action": "some-new-action",
     "target": "flag 9f3c2a71 (pair Flash bw_terran and Bisu bw_protoss, 12 games)",
     "reason": "reviewed: they are a team practising; not manipulation " * 3},
]  # fmt: skip


def render(width: int, rows: list[dict[str, Any]] = ROWS) -> list[str]:
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=True, color_system="truecolor").print(
        audit_table(rows)
    )
    return [line.rstrip() for line in ANSI.sub("", buffer.getvalue()).splitlines()]


@pytest.mark.parametrize("width", [80, 40, 120])
def test_one_line_a_row_at_any_width(width: int) -> None:
    lines = render(width)
    assert all(len(line) <= width for line in lines), "\n".join(lines)
    for row in ROWS:  # each row on exactly one line, its # whole
        mine = [line for line in lines if re.match(rf"\s*{row['audit_id']}\s", line)]
        assert len(mine) == 1, (row["audit_id"], "\n".join(lines))
    rule = next(i for i, line in enumerate(lines) if "───" in line)
    body = [line for line in lines[rule + 1 :] if line.strip()]
    assert len(body) == len(ROWS), "\n".join(lines)  # nothing wrapped onto a line of its own
    text = "\n".join(lines)
    assert "bw_terran" not in text  # races in their short form
    assert LONG not in text and "…" in text  # the long reason is cut, with an ellipsis


def test_at_80_columns_the_targets_are_compact_and_the_reason_last() -> None:
    lines = render(80, ROWS[:4])  # the actions of the README's session
    header = next(line for line in lines if "Reason" in line)
    assert header.rstrip().endswith("Reason")
    text = "\n".join(lines)
    for target in ("Flash BW T vs Jaedong BW Z", "Flash BW T -15", "match 3"):
        assert target in text, text
    assert "3 entries, -180 MMR" in text and "floor 1400" not in text  # details: audit show
    adjust = next(line for line in lines if re.match(r"\s*1205\s", line))
    assert re.search(r"compensation for the .*…$", adjust), adjust


# -- the commands, on both stores ---------------------------------------------------------


def run(home: Path, url: str, *args: object, code: int = 0) -> Any:
    result = invoke(home, url, *args)
    assert result.code == code, (args, result.code, result.out, result.err)
    return result


def test_audit_show_and_the_whole_reason(db_url: str, home: Path) -> None:
    run(home, db_url, "record", 101, "bw_terran", 102, "bw_zerg", "--p1-name", "Flash")
    run(home, db_url, "--by", "alice", "adjust", "Flash", "--race", "bw_terran", "--by", -15,
        "--reason", LONG, "--yes")  # fmt: skip
    trail = run(home, db_url, "audit", "--format", "json").json
    assert [r["action"] for r in trail] == ["adjust", "record"]
    adjust = trail[0]
    assert adjust["reason"] == LONG and adjust["target"] == "101 bw_terran -15"
    # piped, the table is printed whole
    assert LONG in run(home, db_url, "audit").out
    # one row whole, as a table and as the row of `audit --format json`
    shown = run(home, db_url, "audit", "show", adjust["audit_id"])
    assert LONG in " ".join(shown.out.split())
    assert "Flash (101)" in shown.out and "alice" in shown.out
    as_json = run(home, db_url, "audit", "show", adjust["audit_id"], "--format", "json").json
    assert as_json == adjust
    # the trail's options still work beside the new subcommand
    assert len(run(home, db_url, "audit", "--limit", 1, "--format", "json").json) == 1
    # bad input: one line, exit 2
    for bad in (adjust["audit_id"] + 100, 0, "x"):
        refused = run(home, db_url, "audit", "show", bad, code=2)
        assert len(refused.err_lines) == 1, refused.err
    unknown = run(home, db_url, "audit", "show", adjust["audit_id"] + 100, code=2)
    assert "unknown audit row" in unknown.err
