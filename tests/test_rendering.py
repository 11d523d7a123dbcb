"""Output: names are shown literally (no markup, no terminal escapes), JSON and CSV exact."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from rich.console import Console

from ladder_cli.domain.model import AppliedMatch
from ladder_cli.render.console import console, fancy, visible
from ladder_cli.render.views import (
    history_table,
    leaderboard_table,
    match_lines,
    mmr_change,
    to_csv,
    to_json,
    win_rate,
    wld,
)

AT = datetime(2026, 1, 31, 18, 0, tzinfo=UTC)

NASTY = [
    "[bold]x[/]",
    "[red]",  # an unbalanced tag
    "[/]",  # a closing tag with nothing open: Rich raises MarkupError if it parses this
    "[link=https://evil.example]click[/link]",
    ":smile:",
    "\\[escaped]",
]


def render(renderable, *, terminal: bool = True) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=250,
        force_terminal=terminal,
        color_system="truecolor" if terminal else None,
        legacy_windows=False,
    )
    console.print(renderable)
    return buffer.getvalue()


def board_row(name: str, **overrides):
    row = {
        "position": 1,
        "rank": "S",
        "discord_uid": 42,
        "player_name": name,
        "race": "bw_zerg",
        "mmr": 1520,
        "games_played": 3,
        "games_won": 2,
        "games_lost": 0,
        "games_drawn": 1,
        "last_played": AT,
    }
    row.update(overrides)
    return row


# -- visible ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Flash", "Flash"),
        ("with space", "with space"),
        ("박성준★", "박성준★"),
        ("[bold]x[/]", "[bold]x[/]"),  # markup is not a control character
        ("a\x1b[31mred", "a\\x1b[31mred"),
        ("bell\x07", "bell\\x07"),
        ("new\nline", "new\\nline"),
        ("tab\t", "tab\\t"),
        ("del\x7f", "del\\x7f"),
        ("csi\x9b2J", "csi\\x9b2J"),
        ("evil\u202egnp.exe", "evil\\u202egnp.exe"),  # RIGHT-TO-LEFT OVERRIDE
        ("\u2066iso\u2069", "\\u2066iso\\u2069"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("line\u2028sep", "line\\u2028sep"),
    ],
)
def test_visible(text, shown):
    assert visible(text) == shown


def test_visible_output_has_no_control_characters():
    out = visible("".join(chr(c) for c in range(0, 0xA0)) + "\u202a\u202b\u202c\u202d\u202e")
    assert all(ch.isprintable() or ch == " " for ch in out)


# -- tables ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NASTY)
@pytest.mark.parametrize("terminal", [True, False])
def test_leaderboard_table_prints_markup_literally(name, terminal):
    out = render(leaderboard_table([board_row(name)], title="Leaderboard"), terminal=terminal)
    assert name in out
    # and nothing from the name turned into a hyperlink escape (OSC 8)
    assert "\x1b]8;" not in out


def test_leaderboard_table_columns():
    out = render(leaderboard_table([board_row("Flash")], title="Leaderboard"), terminal=False)
    for text in ("Flash", "bw_zerg", "1520", "2-0-1", "66.7%", "2026-01-31T18:00:00+00:00"):
        assert text in out  # win % = 100 * 2 / 3 = 66.67 -> 66.7%
    for header in ("Rank", "Player", "Race", "MMR", "W-L-D", "Win %", "Last played"):
        assert header in out


def test_leaderboard_table_unranked_row_without_games():
    row = board_row("New", position=None, rank="U", games_played=0, games_won=0,
                    games_drawn=0, last_played=None)  # fmt: skip
    out = render(leaderboard_table([row], title="t"), terminal=False)
    [line] = [line for line in out.splitlines() if "New" in line]
    cells = line.split()
    # no position (a dash), rank U, no win rate, no last played
    assert cells == ["-", "U", "New", "bw_zerg", "1520", "0-0-0", "-"]


def test_escape_sequence_in_a_name_does_not_reach_the_terminal():
    name = "a\x1b[31mred\x1b]0;pwned\x07"
    out = render(leaderboard_table([board_row(name)], title="t"), terminal=True)
    assert "\x1b[31mred" not in out
    assert "\x1b]0;" not in out and "\x07" not in out
    assert "a\\x1b[31mred\\x1b]0;pwned\\x07" in out


def test_bidi_override_in_a_name_is_shown_escaped():
    out = render(leaderboard_table([board_row("evil\u202egnp.exe")], title="t"))
    assert "\u202e" not in out
    assert "evil\\u202egnp.exe" in out


def match(p1=1, p2=2, result=1) -> AppliedMatch:
    return AppliedMatch(7, AT, p1, "bw_terran", 1500, 1520, p2, "bw_zerg", 1500, 1480, result)


@pytest.mark.parametrize("name", NASTY)
def test_history_table_prints_markup_literally(name):
    out = render(history_table([match()], {1: name, 2: "Jaedong"}, title="History"))
    assert name in out
    assert "Jaedong" in out
    assert "1500 → 1520" in out and "1500 → 1480" in out
    assert "beat" in out


def test_history_table_escapes_and_falls_back_to_uid():
    out = render(history_table([match(result=0)], {1: "x\x1b[2Jy"}, title="History"))
    assert "\x1b[2J" not in out
    assert "x\\x1b[2Jy" in out
    assert "drew" in out
    assert " 2 " in out  # uid 2 has no known name: shown as its uid


def test_match_lines_literal_names():
    lines = match_lines(match(), {1: "[bold]x[/]", 2: "a\x1bb"})
    out = render(lines[0], terminal=True)
    assert "[bold]x[/] (bw_terran) beat a\\x1bb (bw_zerg)" in out
    assert "\x1bb" not in out
    # 1500 vs 1500: +20 / -20
    assert "1500 → 1520 (+20)" in lines[1].plain
    assert "1500 → 1480 (-20)" in lines[2].plain


def test_mmr_change():
    assert mmr_change(1500, 1520).plain == "1500 → 1520 (+20)"
    assert mmr_change(1500, 1490).plain == "1500 → 1490 (-10)"
    assert mmr_change(1500, 1500).plain == "1500 → 1500 (+0)"


def test_small_helpers():
    assert win_rate(0, 0) == "-"
    assert win_rate(1, 3) == "33.3%"  # 100 / 3 = 33.33
    assert win_rate(2, 2) == "100.0%"
    assert wld({"games_won": 3, "games_lost": 4, "games_drawn": 5}) == "3-4-5"


# -- JSON and CSV ----------------------------------------------------------------------


@pytest.mark.parametrize("name", [*NASTY, "박성준★", 'quote " and \\ backslash', "x" * 64])
def test_to_json_keeps_names_exact(name):
    rows = [board_row(name)]
    data = json.loads(to_json(rows))
    assert data[0]["player_name"] == name
    assert data[0]["last_played"] == "2026-01-31T18:00:00+00:00"
    assert data[0]["discord_uid"] == 42 and isinstance(data[0]["mmr"], int)


def test_to_json_control_characters_are_json_escaped():
    text = to_json([{"player_name": "a\x1bb"}])
    assert "\x1b" not in text  # JSON escapes it as \u001b
    assert json.loads(text)[0]["player_name"] == "a\x1bb"


def test_to_json_non_ascii_stays_readable_and_big_uids_exact():
    text = to_json({"name": "박성준", "uid": 2**63 - 1, "none": None})
    assert "박성준" in text
    assert json.loads(text) == {"name": "박성준", "uid": 9223372036854775807, "none": None}


def test_to_json_rejects_unknown_types():
    with pytest.raises(TypeError):
        to_json({"x": object()})


def test_to_csv():
    rows = [
        board_row("Flash, the God"),
        board_row('say "hi"', position=2, rank="A", last_played=None),
        board_row("[bold]x[/]", position=3),
    ]
    columns = ["position", "rank", "player_name", "mmr", "last_played"]
    text = to_csv(rows, columns)
    assert text.splitlines()[0] == "position,rank,player_name,mmr,last_played"
    assert text.splitlines()[1] == '1,S,"Flash, the God",1520,2026-01-31T18:00:00+00:00'
    assert text.splitlines()[2] == '2,A,"say ""hi""",1520,'
    parsed = list(csv.reader(io.StringIO(text)))
    assert [r[2] for r in parsed[1:]] == ["Flash, the God", 'say "hi"', "[bold]x[/]"]
    assert text.endswith("\n") and "\r" not in text


def test_to_csv_does_not_emit_escape_sequences():
    text = to_csv([{"player_name": "a\x1b[31mb"}], ["player_name"])
    assert "\x1b" not in text
    assert "a\\x1b[31mb" in text


def test_to_csv_header_only():
    assert to_csv([], ["a", "b"]) == "a,b\n"


# -- terminal detection ----------------------------------------------------------------


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_fancy_follows_the_terminal_and_no_color(monkeypatch):
    assert fancy(FakeTTY()) is True
    assert fancy(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert fancy(FakeTTY()) is False


def test_plain_console_prints_no_escape_sequences():
    buffer = io.StringIO()
    out = console(buffer)
    out.print(leaderboard_table([board_row("[bold]x[/]"), board_row("Flash", rank="A")], title="t"))
    text = buffer.getvalue()
    assert "\x1b" not in text
    assert "[bold]x[/]" in text and "Flash" in text
