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
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from ladder_cli.fit import Col, FitTable
from ladder_cli.insight import BIN, HeadToHead, LadderStats, Preview, Trend, player_side
from ladder_cli.model import AppliedMatch, format_timestamp
from ladder_cli.terminal import escape_unencodable, unicode_output


def visible(text: str) -> str:
    """``text`` with control and bidi-override characters written as escapes, and so is
    any character the output's encoding cannot show (see :mod:`ladder_cli.terminal`)."""
    return escape_unencodable(escape_controls(text))


def escape_controls(text: str) -> str:
    """``text`` with control and bidi-override characters written as escapes (``\\x1b``),
    whatever the output: names in files (the standings site) use it directly."""
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


def arrow() -> str:
    """``→``, or ``->`` where the output cannot show it (so tables keep their widths)."""
    return "→" if unicode_output() else "->"


def iso(value: datetime | None) -> str:
    return format_timestamp(value) or ""


def to_json(value: Any, *, ascii_only: bool | None = None, indent: int | None = 2) -> str:
    """``--format json``'s text. ``ascii_only`` None follows the output streams; a file
    (the site's ``data.json``) says which, so its bytes do not depend on the terminal, and
    may drop the indentation (``indent`` None: one line, and Python's C encoder, which
    a big ladder's site needs)."""

    def default(obj: Any) -> Any:
        if isinstance(obj, datetime):
            return format_timestamp(obj)
        raise TypeError(f"cannot serialise {type(obj).__name__}")

    # On an ASCII or Latin-1 stream, JSON's own escapes keep every name exact.
    if ascii_only is None:
        ascii_only = not unicode_output()
    return json.dumps(value, default=default, ensure_ascii=ascii_only, indent=indent)


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
    """W-L-D; with a negative count (a broken row) ``W / L / D``, not ``21--1-1``."""
    counts = (row["games_won"], row["games_lost"], row["games_drawn"])
    if any(c < 0 for c in counts):
        return " / ".join(map(str, counts))
    return "-".join(map(str, counts))


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


def leaderboard_table(rows: Sequence[Mapping[str, Any]], *, title: str | Text) -> FitTable:
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
            f"{m.p1_mmr_before} {arrow()} {m.p1_mmr_after}",
            _result_cell(m),
            literal(names.get(m.p2_uid, str(m.p2_uid))),
            m.p2_race,
            f"{m.p2_mmr_before} {arrow()} {m.p2_mmr_after}",
        )
    return t


def audit_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    """The audit trail, newest first: who did what to which target, and why. The target
    and the reason wrap rather than being cut (the reason is the point of the row)."""
    t = table(
        [("#", "right"), ("At (UTC)", "left"), ("By", "left"), ("Action", "left")],
        title="Audit trail",
    )
    t.add_column("Target", overflow="fold", ratio=2)
    t.add_column("Reason", overflow="fold", ratio=3)
    for r in rows:
        at = r["at"]
        t.add_row(
            str(r["audit_id"]),
            at.strftime("%Y-%m-%d %H:%M") if isinstance(at, datetime) else "",
            literal(str(r["actor"])),
            str(r["action"]),
            literal(str(r["target"])),
            literal(str(r["reason"] or "")),
        )
    return t


#: How the history table reads a match's ``result`` (2, P2 won, comes with corrections).
RESULT_WORDS = {1: "beat", 0: "drew", 2: "lost to"}


def _result_cell(m: AppliedMatch) -> Text:
    """The result, with the match's state under it when a correction touched it (a
    voided match is dimmed: it no longer counts)."""
    word = RESULT_WORDS.get(m.result, str(m.result))
    if m.state == "recorded":
        return Text(word)
    return Text(f"{word}\n{m.state}", style="dim" if m.state == "voided" else "")


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
            f"{side.mmr_before} {arrow()} {side.mmr_after}",
            Text(f"{delta:+d}", style=_delta_style(delta)),
        )
    return t


def _delta_style(delta: int) -> str:
    return "green" if delta > 0 else "red" if delta < 0 else ""


def mmr_change(before: int, after: int) -> Text:
    delta = after - before
    return Text.assemble(f"{before} {arrow()} {after} ", (f"({delta:+d})", _delta_style(delta)))


def match_lines(match: AppliedMatch, names: Mapping[int, str]) -> list[Text]:
    n1 = names.get(match.p1_uid, str(match.p1_uid))
    n2 = names.get(match.p2_uid, str(match.p2_uid))
    verb = {1: "beat", 2: "lost to"}.get(match.result, "drew with")
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


def differences_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    """``ladder verify``'s differences: which entry, which value, stored and expected."""
    t = table(
        [
            ("Key", "left"),
            ("Player", "left"),
            ("Check", "left"),
            ("Field", "left"),
            ("Stored", "right"),
            ("Expected", "right"),
        ],
        title="Differences",
    )
    for row in rows:
        t.add_row(
            row["key"],
            literal(row["player_name"] or ""),
            row["check"],
            row["field"],
            literal("-" if row["stored"] is None else str(row["stored"])),
            literal(str(row["expected"])),
        )
    return t


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


# -- ladder statistics and head-to-head ---------------------------------------------------


@dataclass
class Bars:
    """Labelled horizontal bars scaled to the console's width (``#`` when plain)."""

    rows: list[tuple[str, int, str]]
    title: str | None = None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        plain = console.no_color or not console.is_terminal
        if self.title:
            yield Text(self.title, style="" if plain else "bold")
        if not self.rows:
            return
        label_w = max(len(label) for label, _, _ in self.rows)
        count_w = max(len(f"{count}") for _, count, _ in self.rows)
        note_w = max(len(note) for _, _, note in self.rows)
        # Piped, the console is as wide as a line can be: draw for a standard terminal.
        width = options.max_width if console.is_terminal else min(options.max_width, 80)
        room = min(width, 200) - label_w - count_w - note_w - 4
        bar_w = max(room, 4)
        top = max(count for _, count, _ in self.rows) or 1
        char = "#" if plain else "█"
        for label, count, note in self.rows:
            bar = char * (max(1, round(count * bar_w / top)) if count else 0)
            yield Text.assemble(
                f"{label:<{label_w}} ",
                (f"{bar:<{bar_w}}", "" if plain else "cyan"),
                f" {count:>{count_w}}",
                (f" {note}" if note else "", "" if plain else "bold"),
            )


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def stats_view(stats: LadderStats, *, weeks: int = 12) -> list[Any]:
    """What `ladder stats` prints: counts, matchups, distribution, histogram, activity."""
    from ladder_cli.insight import wilson

    out: list[Any] = [
        Text(
            f"{stats.entries} entries · {stats.players} players · {stats.matches} matches",
            style="bold",
        ),
        "",
    ]
    t = FitTable(
        [
            Col("Race", "race"),
            Col("vs", "race"),
            Col("Games", "number", "right"),
            Col("Wins", "number", "right"),
            Col("Losses", "number", "right"),
            Col("Draws", "number", "right"),
            Col("Win %", "number", "right"),
            Col("95% interval", "number", "right"),
        ],
        title="Race matchups (wins of the first race; win % without draws)",
    )
    for m in stats.matchups:
        decisive = m.race1_wins + m.race2_wins
        low, high = wilson(m.race1_wins, decisive)
        t.add_row(
            m.race1,
            m.race2,
            f"{m.games}",
            f"{m.race1_wins}",
            f"{m.race2_wins}",
            f"{m.draws}",
            win_rate(m.race1_wins, decisive),
            f"{pct(low)}-{pct(high)}" if decisive else "-",
        )
    out.append(t if stats.matchups else Text("no matches between different races"))
    if stats.mirrors:
        mirror = FitTable(
            [
                Col("Mirror", "race"),
                Col("Games", "number", "right"),
                Col("Draws", "number", "right"),
            ],
            title="Mirror matches",
        )
        for row in stats.mirrors:
            mirror.add_row(str(row["race"]), f"{row['games']}", f"{row['draws']}")
        out.append(mirror)
    dist = FitTable(
        [
            Col("Rank", "text", "center"),
            Col("Entries", "number", "right"),
            Col("MMR from", "number", "right"),
            Col("to", "number", "right"),
        ],
        title="Rank distribution",
    )
    for row in stats.distribution:
        rank = str(row["rank"])
        dist.add_row(
            Text(rank, style=RANK_STYLES.get(rank, "")),
            f"{row['entries']}",
            str(row["min_mmr"]),
            str(row["max_mmr"]),
        )
    out += [dist, ""]
    cuts: dict[int, list[str]] = {}
    for row in stats.distribution:
        if row["rank"] != "U":
            low_mmr = int(str(row["min_mmr"]))
            cuts.setdefault(low_mmr - low_mmr % BIN, []).append(f"{row['rank']} ≥ {low_mmr}")
    out.append(
        Bars(
            [
                (
                    f"{b['min_mmr']}-{b['max_mmr']}",
                    b["entries"],
                    ("◂ " + ", ".join(cuts[b["min_mmr"]])) if b["min_mmr"] in cuts else "",
                )
                for b in reversed(stats.histogram)
            ],
            title="MMR distribution (entries with games; ◂ where each rank letter starts)",
        )
    )
    recent = stats.activity[-weeks:]
    out.append("")
    out.append(
        Bars(
            [(f"week of {a['week']}", int(str(a["matches"])), "") for a in recent],
            title=f"Matches per week (last {len(recent)})",
        )
    )
    return out


def h2h_view(h2h: HeadToHead, names: Mapping[int, str]) -> list[Any]:
    (u1, n1), (_, n2) = h2h.p1, h2h.p2
    out: list[Any] = [
        Text.assemble(
            literal(n1),
            f" {h2h.p1_wins}-{h2h.p2_wins} ",
            literal(n2),
            f"  ({h2h.games} game{'s' if h2h.games != 1 else ''}, {h2h.draws} drawn)",
            style="bold",
        )
    ]
    if h2h.now is not None:
        p = h2h.now
        out.append(
            Text.assemble(
                "Win chance now: ",
                literal(n1),
                f" {pct(p.p1_win_probability)} ({p.p1_race} {p.p1_mmr} v {p.p2_race} {p.p2_mmr})",
            )
        )
    if h2h.pairings:
        t = FitTable(
            [
                Col("Race", "race"),
                Col("vs", "race"),
                Col("Games", "number", "right"),
                Col("W-L-D", "number", "right"),
                Col("MMR now", "number", "right"),
                Col("Win chance", "number", "right"),
            ],
            title="By race pairing (from the first player's side)",
        )
        for p in h2h.pairings:
            t.add_row(
                p.p1_race,
                p.p2_race,
                str(p.games),
                f"{p.p1_wins}-{p.p2_wins}-{p.draws}",
                f"{p.p1_mmr} v {p.p2_mmr}",
                pct(p.p1_win_probability),
            )
        out.append(t)
        out.append(recent_matches_table(u1, h2h.matches[:10], names, title="Recent meetings"))
    else:
        out.append(Text("they have not played each other"))
    return out


def preview_lines(preview: Preview) -> list[Text]:
    m = preview.match
    lines = match_lines(m, preview.names)
    lines[0] = Text.assemble("dry run, nothing recorded: ", lines[0])
    n1 = preview.names.get(m.p1_uid, str(m.p1_uid))
    lines.append(
        Text.assemble(
            "  win probability: ",
            literal(n1),
            f" {pct(preview.p1_win_probability)}",
        )
    )
    return lines


# -- seasons ---------------------------------------------------------------------------


def season_list_table(rows: Sequence[Mapping[str, Any]]) -> FitTable:
    """Closed seasons, newest first."""
    t = FitTable(
        [
            Col("Season", "name"),
            Col("Closed", "time"),
            Col("Entries", "number", "right"),
            Col("Matches", "number", "right"),
            Col("Soft reset", "number", "right", narrow="F"),
        ],
        title="Seasons",
    )
    for r in rows:
        t.add_row(
            literal(str(r["name"])),
            r["closed_at"],
            f"{r['entries']:,}",
            f"{r['matches']:,}",
            f"{r['soft_reset']:g}",
        )
    return t


def champions_table(rows: Sequence[Mapping[str, Any]], *, title: str | Text) -> FitTable:
    """Each race's first place: the champions a season close crowns."""
    t = FitTable(
        [
            Col("Race", "race"),
            Col("Champion", "name"),
            Col("Rank", "text", "center"),
            Col("MMR", "number", "right"),
        ],
        title=title,
    )
    for r in rows:
        t.add_row(
            r["race"],
            literal(str(r["player_name"])),
            Text(r["rank"], style=RANK_STYLES.get(r["rank"], "")),
            str(r["mmr"]),
        )
    return t


def profile_seasons_table(rows: Sequence[Mapping[str, Any]], *, title: str) -> FitTable:
    """A player's final standing in each closed season (``#``: the season's leaderboard
    position; ``Race #``: within the race)."""
    t = FitTable(
        [
            Col("Season", "name"),
            Col("Race", "race"),
            Col("#", "number", "right"),
            Col("Race #", "number", "right", narrow="R#"),
            Col("Rank", "text", "center"),
            Col("MMR", "number", "right"),
            Col("W-L-D", "number", "right"),
        ],
        title=title,
    )
    for r in rows:
        t.add_row(
            literal(str(r["name"])),
            r["race"],
            "" if r["position"] is None else str(r["position"]),
            "" if r["race_position"] is None else str(r["race_position"]),
            Text(r["rank"], style=RANK_STYLES.get(r["rank"], "")),
            str(r["mmr"]),
            f"{r['won']}-{r['lost']}-{r['drawn']}",
        )
    return t
