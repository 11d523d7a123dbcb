"""Everything the tool prints: Rich tables on a terminal, plain text, JSON and CSV.

User data (player names) is always wrapped in :class:`rich.text.Text`, which Rich never
parses as markup, after control characters are made visible (``\\x1b`` instead of an
escape sequence the terminal would obey). Names are shown literally, never interpreted.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ladder_cli.fit import Col, FitTable
from ladder_cli.insight import Trend, player_side
from ladder_cli.model import AppliedMatch, format_timestamp


def visible(text: str) -> str:
    """``text`` with control and bidi-override characters written as escapes."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def literal(text: str) -> Text:
    return Text(visible(text))


def fancy(stream: TextIO) -> bool:
    """Colour and boxes only on a terminal, and never with NO_COLOR set."""
    return stream.isatty() and "NO_COLOR" not in os.environ


def console(stream: TextIO | None = None) -> Console:
    """Rich on a terminal; plain text otherwise. Piped output is never cut to a width;
    with NO_COLOR on a terminal, tables are plain but still fit the window."""
    stream = stream or sys.stdout
    if fancy(stream):
        return Console(file=stream, highlight=False)
    return Console(
        file=stream,
        color_system=None,
        highlight=False,
        width=None if stream.isatty() else 10_000,
        no_color=True,
        emoji=False,
        soft_wrap=True,
    )


def error_console() -> Console:
    return Console(
        file=sys.stderr,
        highlight=False,
        soft_wrap=True,
        color_system="auto" if fancy(sys.stderr) else None,
    )


def table(columns: Sequence[tuple[str, str]], *, title: str | None = None) -> Table:
    """A table that is boxed on a terminal; the console decides colour."""
    plain = not fancy(sys.stdout)
    t = Table(
        title=None if plain else title,
        box=None if plain else _box(),
        show_edge=not plain,
        pad_edge=not plain,
        header_style="" if plain else "bold",
        collapse_padding=plain,
    )
    for name, justify in columns:
        t.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    return t


def _box() -> Any:
    from rich import box

    return box.SIMPLE_HEAD


def iso(value: datetime | None) -> str:
    return format_timestamp(value) or ""


def to_json(value: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, datetime):
            return format_timestamp(obj)
        raise TypeError(f"cannot serialise {type(obj).__name__}")

    return json.dumps(value, default=default, ensure_ascii=False, indent=2)


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row[c]) for c in columns])
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, str):
        return visible(value)
    return "" if value is None else value


def win_rate(won: int, played: int) -> str:
    return f"{100 * won / played:.1f}%" if played else "-"


def wld(row: Mapping[str, Any]) -> str:
    return f"{row['games_won']}-{row['games_lost']}-{row['games_drawn']}"


RANK_STYLES = {
    "S": "bold magenta",
    "A": "bold red",
    "B": "yellow",
    "C": "green",
    "D": "cyan",
    "E": "blue",
    "F": "dim",
    "U": "dim",
}


def leaderboard_table(rows: Sequence[Mapping[str, Any]], *, title: str) -> FitTable:
    t = FitTable(
        [
            Col("#", "number", "right"),
            Col("Rank", "text", "center"),
            Col("Player", "name"),
            Col("Race", "race"),
            Col("MMR", "number", "right"),
            Col("W-L-D", "number", "right"),
            Col("Win %", "number", "right"),
            Col("Last played", "time", narrow="Last"),
        ],
        title=title,
    )
    for row in rows:
        t.add_row(
            "" if row["position"] is None else str(row["position"]),
            Text(row["rank"], style=RANK_STYLES.get(row["rank"], "")),
            literal(row["player_name"]),
            row["race"],
            str(row["mmr"]),
            wld(row),
            win_rate(row["games_won"], row["games_played"]),
            row["last_played"],
        )
    return t


def history_table(
    matches: Sequence[AppliedMatch], names: Mapping[int, str], *, title: str
) -> FitTable:
    t = FitTable(
        [
            Col("Match", "number", "right"),
            Col("Played at", "time", narrow="Age"),
            Col("P1", "name"),
            Col("Race", "race"),
            Col("MMR", "number", "right"),
            Col("Result", "text", "center"),
            Col("P2", "name"),
            Col("Race", "race"),
            Col("MMR", "number", "right"),
        ],
        title=title,
    )
    for m in matches:
        t.add_row(
            str(m.match_id),
            m.played_at,
            literal(names.get(m.p1_uid, str(m.p1_uid))),
            m.p1_race,
            f"{m.p1_mmr_before} → {m.p1_mmr_after}",
            RESULT_WORDS.get(m.result, str(m.result)),
            literal(names.get(m.p2_uid, str(m.p2_uid))),
            m.p2_race,
            f"{m.p2_mmr_before} → {m.p2_mmr_after}",
        )
    return t


#: How the history table reads a match's ``result`` (2, P2 won, comes with corrections).
RESULT_WORDS = {1: "beat", 0: "drew", 2: "lost to"}
OUTCOME_STYLES = {"W": "green", "L": "red", "D": ""}


def recent_matches_table(
    uid: int, matches: Sequence[AppliedMatch], names: Mapping[int, str], *, title: str
) -> FitTable:
    """A player's matches from their side: own race, W/L/D, opponent, own MMR change."""
    t = FitTable(
        [
            Col("Played", "time", narrow="Age"),
            Col("Race", "race"),
            Col("", "text", "center"),
            Col("Opponent", "name"),
            Col("Race", "race"),
            Col("MMR", "number", "right"),
            Col("±", "number", "right"),
        ],
        title=title,
    )
    for m in matches:
        side = player_side(m, uid)
        delta = side.mmr_after - side.mmr_before
        t.add_row(
            side.played_at,
            side.race,
            Text(side.outcome, style=OUTCOME_STYLES[side.outcome]),
            literal(names.get(side.opponent_uid, str(side.opponent_uid))),
            side.opponent_race,
            f"{side.mmr_before} → {side.mmr_after}",
            Text(f"{delta:+d}", style=_delta_style(delta)),
        )
    return t


def _delta_style(delta: int) -> str:
    return "green" if delta > 0 else "red" if delta < 0 else ""


def mmr_change(before: int, after: int) -> Text:
    delta = after - before
    return Text.assemble(f"{before} → {after} ", (f"({delta:+d})", _delta_style(delta)))


def match_lines(match: AppliedMatch, names: Mapping[int, str]) -> list[Text]:
    n1 = names.get(match.p1_uid, str(match.p1_uid))
    n2 = names.get(match.p2_uid, str(match.p2_uid))
    verb = "beat" if match.result == 1 else "drew with"
    width = max(len(visible(n1)), len(visible(n2)))
    lines = [
        Text.assemble(
            literal(n1), f" ({match.p1_race}) {verb} ", literal(n2), f" ({match.p2_race})"
        )
    ]
    for name, race, before, after in (
        (n1, match.p1_race, match.p1_mmr_before, match.p1_mmr_after),
        (n2, match.p2_race, match.p2_mmr_before, match.p2_mmr_after),
    ):
        shown = visible(name)
        lines.append(
            Text.assemble(
                "  ",
                Text(shown),
                " " * (width - len(shown)),
                f"  {race:<11} ",
                mmr_change(before, after),
            )
        )
    return lines


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int]) -> str:
    """``values`` as block characters, lowest to highest (flat when they are all equal)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARKS[len(SPARKS) // 2 - 1] * len(values)
    top = len(SPARKS) - 1
    return "".join(SPARKS[round((v - low) * top / (high - low))] for v in values)


def streak(trend: Trend) -> Text:
    if trend.streak_outcome is None:
        return Text("-")
    return Text(
        f"{trend.streak_outcome}{trend.streak_games}",
        style=OUTCOME_STYLES[trend.streak_outcome],
    )


def profile_races_table(
    rows: Sequence[Mapping[str, Any]], trends: Sequence[Trend], *, title: str
) -> FitTable:
    """A player's entries with, for each, its recent MMR as a sparkline, peak and streak."""
    by_race = {t.race: t for t in trends}
    t = FitTable(
        [
            Col("Race", "race"),
            Col("#", "number", "right"),
            Col("Rank", "text", "center"),
            Col("MMR", "number", "right"),
            Col("Recent", "text"),
            Col("Peak", "number", "right"),
            Col("W-L-D", "number", "right"),
            Col("Win %", "number", "right"),
            Col("Streak", "number", "right"),
            Col("Last played", "time", narrow="Last"),
        ],
        title=title,
    )
    for row in rows:
        trend = by_race.get(row["race"])
        t.add_row(
            row["race"],
            "" if row["position"] is None else str(row["position"]),
            Text(row["rank"], style=RANK_STYLES.get(row["rank"], "")),
            str(row["mmr"]),
            Text(sparkline(trend.recent_mmr) if trend else "", style="cyan"),
            str(trend.peak_mmr) if trend else str(row["mmr"]),
            wld(row),
            win_rate(row["games_won"], row["games_played"]),
            streak(trend) if trend else "-",
            row["last_played"],
        )
    return t
