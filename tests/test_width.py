"""Every table fits 60, 80, 100 and 200 columns without cutting a number.

Each table is rendered with Rich at those widths, and the real command runs in a
pseudo-terminal of that size; every number its JSON output holds for a row must appear
whole (not ``1…``) on one line of the text. Identifiers a table shows as names
(discord_uids) and totals it shows as parts (games_played as W-L-D) are the exceptions.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from ladder_cli.domain.model import AppliedMatch
from ladder_cli.render.views import history_table, leaderboard_table
from tests.helpers import read_until_closed

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "matches.csv"
WIDTHS = (60, 80, 100, 200)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
NOW = datetime.now(UTC).replace(microsecond=0)
LONG = "BrokenShuttle.the.Magnificent"


def whole(number: object, line: str) -> bool:
    """``number`` on ``line`` with no digit (or decimal point) glued to either side."""
    return re.search(rf"(?<![\d.]){re.escape(str(number))}(?![\d.])", line) is not None


def assert_rows_whole(text: str, rows: Iterable[Sequence[object]]) -> None:
    lines = text.splitlines()
    assert all("…" not in line or not re.search(r"\d…", line) for line in lines), text
    for numbers in rows:
        assert any(all(whole(n, line) for n in numbers) for line in lines), (numbers, text)


def board_numbers(row: dict[str, Any]) -> list[object]:
    played = row["games_played"]
    numbers: list[object] = [
        row["mmr"],
        f"{row['games_won']}-{row['games_lost']}-{row['games_drawn']}",
    ]
    if row["position"] is not None:
        numbers.append(row["position"])
    if played:
        numbers.append(f"{100 * row['games_won'] / played:.1f}%")
    return numbers


def history_numbers(row: dict[str, Any]) -> list[object]:
    return [
        row["match_id"],
        f"{row['p1_mmr_before']} → {row['p1_mmr_after']}",
        f"{row['p2_mmr_before']} → {row['p2_mmr_after']}",
    ]


def render(renderable: Any, width: int, *, terminal: bool = True) -> str:
    buffer = io.StringIO()
    Console(
        file=buffer,
        width=width,
        force_terminal=terminal,
        color_system="truecolor" if terminal else None,
        no_color=not terminal,
        legacy_windows=False,
    ).print(renderable)
    return ANSI.sub("", buffer.getvalue())


def lines_fit(text: str, width: int) -> None:
    assert max(len(line) for line in text.splitlines()) <= width, text


BOARD = [
    {
        "position": i,
        "rank": "S" if i < 3 else "B",
        "discord_uid": 1000 + i,
        "player_name": name,
        "race": race,
        "mmr": 1999 - 7 * i,
        "games_played": 212 + i,
        "games_won": 140 + i,
        "games_lost": 70,
        "games_drawn": 2,
        "last_played": NOW - timedelta(days=i, hours=3),
    }
    for i, (name, race) in enumerate(
        [
            ("proxyrush", "bw_terran"),
            (LONG, "sc2_protoss"),
            ("박성준★", "sc2_zerg"),
            ("Z", "bw_zerg"),
        ],
        start=1,
    )
]
MATCHES = [
    AppliedMatch(
        10_000 + i,
        NOW - timedelta(hours=5 * i),
        1001,
        "bw_terran",
        1705 + i,
        1714 + i,
        1002,
        "sc2_protoss",
        1487 - i,
        1478 - i,
        i % 2,
    )
    for i in range(5)
]


@pytest.mark.parametrize("terminal", [True, False])
@pytest.mark.parametrize("width", WIDTHS)
def test_leaderboard_table_fits(width: int, terminal: bool) -> None:
    text = render(leaderboard_table(BOARD, title="Leaderboard"), width, terminal=terminal)
    lines_fit(text, width)
    assert_rows_whole(text, [board_numbers(r) for r in BOARD])
    if width >= 80:
        assert LONG in text  # names give way last


@pytest.mark.parametrize("terminal", [True, False])
@pytest.mark.parametrize("width", WIDTHS)
def test_history_table_fits(width: int, terminal: bool) -> None:
    names = {1001: "proxyrush", 1002: LONG}
    text = render(history_table(MATCHES, names, title="History"), width, terminal=terminal)
    lines_fit(text, width)
    assert_rows_whole(text, [history_numbers(m.as_dict()) for m in MATCHES])


def test_detail_gives_way_in_order() -> None:
    """Timestamp to date, race to short form, date to age, then gone; names last."""
    table = leaderboard_table(BOARD, title="Leaderboard")
    wide = render(table, 200)
    assert NOW.isoformat()[:4] in wide and "+00:00" in wide and "sc2_protoss" in wide
    dated = render(table, 96)
    assert "+00:00" not in dated and (NOW - timedelta(days=1, hours=3)).date().isoformat() in dated
    short = render(table, 80)
    assert "SC2 P" in short and "sc2_protoss" not in short and LONG in short
    narrow = render(table, 60)
    assert "Last" not in narrow and "SC2 P" in narrow
    assert LONG not in narrow and LONG[:8] in narrow  # the name gave way, with an ellipsis


def test_piped_output_keeps_full_detail() -> None:
    """A console without a terminal (piped) has no width to fit: everything in full."""
    buffer = io.StringIO()
    from ladder_cli.render.console import console

    console(buffer).print(leaderboard_table(BOARD, title="t"))
    text = buffer.getvalue()
    assert "\x1b" not in text
    assert LONG in text and "sc2_protoss" in text and "+00:00" in text


# -- the real command in a pseudo-terminal -----------------------------------------------


def on_terminal(
    home: Path,
    args: Sequence[str],
    columns: int,
    env: dict[str, str] | None = None,
    *,
    raw: bool = False,
) -> str:
    """``ladder ARGS`` with stdout on a pseudo-terminal ``columns`` wide; its output
    (without colour codes unless ``raw``)."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "LADDER_HOME", "COLUMNS", "LINES")
    }
    environ.update(LADDER_HOME=str(home), TERM="xterm-256color", **(env or {}))
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ladder_cli", *args],
            stdin=follower,
            stdout=follower,
            stderr=subprocess.PIPE,
            env=environ,
        )
    finally:
        os.close(follower)
    try:
        output = read_until_closed(leader)
    finally:
        os.close(leader)
        assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    text = output.decode("utf-8", "replace").replace("\r\n", "\n")
    return text if raw else ANSI.sub("", text)


def piped(home: Path, *args: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "LADDER_HOME"}
    environ["LADDER_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "ladder_cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample ladder (6,000 matches) in an embedded ladder, with one long name."""
    home = tmp_path_factory.mktemp("width")
    piped(home, "record", "--file", str(SAMPLE))
    first = json.loads(piped(home, "leaderboard", "--top", "1", "--format", "json"))[0]
    piped(home, "record", str(first["discord_uid"]), first["race"], "77", "sc2_protoss",
          "--p2-name", LONG)  # fmt: skip
    return home


@pytest.mark.slow_except("80")
@pytest.mark.parametrize("width", WIDTHS)
def test_commands_on_a_terminal_fit(sample_home: Path, width: int) -> None:
    board = json.loads(piped(sample_home, "leaderboard", "--format", "json"))
    text = on_terminal(sample_home, ["leaderboard"], width)
    lines_fit(text, width)
    assert_rows_whole(text, [board_numbers(r) for r in board])

    log = json.loads(piped(sample_home, "history", "--format", "json"))
    text = on_terminal(sample_home, ["history"], width)
    lines_fit(text, width)
    assert_rows_whole(text, [history_numbers(r) for r in log])

    profile = json.loads(piped(sample_home, "profile", "77", "--format", "json"))
    text = on_terminal(sample_home, ["profile", "77"], width)
    lines_fit(text, width)
    assert str(profile["discord_uid"]) in text
    assert_rows_whole(text, [board_numbers(r) for r in profile["races"]])
    mine = [[f"{r['p2_mmr_before']} → {r['p2_mmr_after']}"] for r in profile["recent_matches"]]
    assert_rows_whole(text, mine)


def test_no_color_on_a_terminal_is_plain_and_fits(sample_home: Path) -> None:
    text = on_terminal(sample_home, ["leaderboard"], 80, {"NO_COLOR": "1"})
    lines_fit(text, 80)
    assert "─" not in text  # no box
    assert "\x1b[" not in on_terminal(sample_home, ["leaderboard"], 80, {"NO_COLOR": "1"}, raw=True)
    assert "\x1b[" in on_terminal(sample_home, ["leaderboard"], 80, raw=True)


# -- profile, stats, h2h, chart ------------------------------------------------------------


def stats_numbers(stats: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = [[stats["entries"], stats["players"], stats["matches"]]]
    rows += [[m["games"], m["race1_wins"], m["race2_wins"], m["draws"]] for m in stats["matchups"]]
    rows += [[m["games"], m["draws"]] for m in stats["mirrors"]]
    rows += [[d["entries"], d["min_mmr"], d["max_mmr"]] for d in stats["distribution"]]
    rows += [[h["min_mmr"], h["max_mmr"], h["entries"]] for h in stats["histogram"]]
    rows += [[a["week"], a["matches"]] for a in stats["activity"][-12:]]
    return rows


def h2h_numbers(h2h: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = [[h2h["games"], h2h["p1_wins"], h2h["p2_wins"], h2h["draws"]]]
    rows += [
        [p["games"], f"{p['p1_wins']}-{p['p2_wins']}-{p['draws']}", p["p1_mmr"], p["p2_mmr"]]
        for p in h2h["pairings"]
    ]
    mine = h2h["p1"]["discord_uid"]
    rows += [
        [f"{m['p1_mmr_before']} → {m['p1_mmr_after']}"]
        if m["p1_uid"] == mine
        else [f"{m['p2_mmr_before']} → {m['p2_mmr_after']}"]
        for m in h2h["matches"][:10]
    ]
    return rows


def profile_numbers(profile: dict[str, Any]) -> list[list[object]]:
    peaks = {t["race"]: t["peak_mmr"] for t in profile["trends"]}
    rows = [[*board_numbers(r), peaks[r["race"]]] for r in profile["races"]]
    uid = profile["discord_uid"]
    for m in profile["recent_matches"]:
        side = "p1" if m["p1_uid"] == uid else "p2"
        before, after = m[f"{side}_mmr_before"], m[f"{side}_mmr_after"]
        rows.append([f"{before} → {after}", f"{after - before:+d}"])
    return rows


@pytest.mark.parametrize("terminal", [True, False])
@pytest.mark.parametrize("width", WIDTHS)
def test_library_views_fit(sample_home: Path, width: int, terminal: bool) -> None:
    from ladder_cli.core.ladder import Ladder
    from ladder_cli.render import views as rendering

    with Ladder.open(home=sample_home) as ladder:
        stats = ladder.views.stats()
        text = "".join(
            render(part, width, terminal=terminal) for part in rendering.stats_view(stats)
        )
        lines_fit(text, width)
        assert_rows_whole(text, stats_numbers(json.loads(rendering.to_json(stats.as_dict()))))

        h2h = ladder.views.h2h("proxyrush", "Tempest.terran")
        names = dict([h2h.p1, h2h.p2])
        text = "".join(
            render(part, width, terminal=terminal) for part in rendering.h2h_view(h2h, names)
        )
        assert_rows_whole(text, h2h_numbers(json.loads(rendering.to_json(h2h.as_dict()))))

        prof = ladder.profile(77)
        trends = ladder.views.trends(prof)
        uids = {u for m in prof.recent_matches for u in (m.p1_uid, m.p2_uid)}
        text = render(rendering.profile_races_table(prof.races, trends, title="Races"), width,
                      terminal=terminal)  # fmt: skip
        text += render(
            rendering.recent_matches_table(77, prof.recent_matches, ladder.names(uids), title="R"),
            width,
            terminal=terminal,
        )
        lines_fit(text, width)
        data = {**prof.as_dict(), "trends": [t.as_dict() for t in trends]}
        assert_rows_whole(text, profile_numbers(json.loads(rendering.to_json(data))))


@pytest.mark.slow_except("80")
@pytest.mark.parametrize("width", WIDTHS)
def test_insight_commands_on_a_terminal_fit(sample_home: Path, width: int) -> None:
    stats = json.loads(piped(sample_home, "stats", "--format", "json"))
    text = on_terminal(sample_home, ["stats"], width)
    lines_fit(text, width)
    assert_rows_whole(text, stats_numbers(stats))

    h2h = json.loads(piped(sample_home, "h2h", "proxyrush", "Tempest.terran", "--format", "json"))
    text = on_terminal(sample_home, ["h2h", "proxyrush", "Tempest.terran"], width)
    lines_fit(text, width)
    assert_rows_whole(text, h2h_numbers(h2h))

    profile = json.loads(piped(sample_home, "profile", "proxyrush", "--format", "json"))
    text = on_terminal(sample_home, ["profile", "proxyrush"], width)
    lines_fit(text, width)
    assert_rows_whole(text, profile_numbers(profile))

    text = on_terminal(sample_home, ["chart", "proxyrush"], width)
    lines_fit(text, width)
    assert "MMR of proxyrush" in text and "bw_terran" in text


def test_chart_in_colour_on_a_terminal_and_plain_when_piped(sample_home: Path) -> None:
    coloured = on_terminal(sample_home, ["chart", "proxyrush"], 100, raw=True)
    assert "\x1b[" in coloured
    plain = piped(sample_home, "chart", "proxyrush")
    assert "\x1b" not in plain and "MMR of proxyrush" in plain
    assert max(len(line) for line in plain.splitlines()) <= 80
    no_color = on_terminal(sample_home, ["chart", "proxyrush"], 100, {"NO_COLOR": "1"}, raw=True)
    assert "\x1b[" not in no_color
