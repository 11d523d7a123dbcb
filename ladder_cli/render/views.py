"""What each command prints: its tables and lines on a terminal, and its rows as JSON or
CSV (``--format``).

Names are shown literally (:func:`~ladder_cli.render.console.literal`); tables fit the
terminal they are printed on (:mod:`ladder_cli.render.fit`); closed seasons' tables are
:mod:`ladder_cli.render.seasons`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from ladder_cli.domain.model import RACES, AppliedMatch, format_timestamp, short_race
from ladder_cli.domain.stats import BIN, HeadToHead, LadderStats, Preview, Trend, player_side
from ladder_cli.render.charts import Bars, sparkline
from ladder_cli.render.console import RANK_STYLES, arrow, literal, table, visible
from ladder_cli.render.fit import Col, FitTable
from ladder_cli.util.terminal import unicode_output


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


def shown_mmr(row: Mapping[str, Any]) -> str:
    """An entry's MMR as the tables show it: ``1523?`` while provisional (Glicko-2: RD,
    grown to now, of 110 or more)."""
    return f"{row['mmr']}?" if row.get("provisional") else str(row["mmr"])


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
            "-" if row["position"] is None else str(row["position"]),
            Text(row["rank"], style=RANK_STYLES.get(row["rank"], "")),
            literal(row["player_name"]),
            row["race"],
            shown_mmr(row),
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


def audit_table(rows: Sequence[Mapping[str, Any]]) -> FitTable:
    """The audit trail, newest first: who did what to which target, and why, one line a
    row. The target is compact (players by name, races short: ``Flash BW T``); the reason
    comes last and is the first to be shortened with ``…`` (``audit show N`` and JSON have
    it whole)."""
    t = FitTable(
        [
            Col("#", "number", "right"),
            Col("At (UTC)", "time", narrow="Age", long_time="minute"),
            Col("By", "name"),
            Col("Action", "text"),
            Col("Target", "note"),
            Col("Reason", "note"),
        ],
        title="Audit trail",
    )
    for r in rows:
        t.add_row(
            str(r["audit_id"]),
            r["at"] if isinstance(r["at"], datetime) else None,
            literal(str(r["actor"])),
            str(r["action"]),
            literal(compact_target(str(r["target"]))),
            literal(str(r["reason"] or "")),
        )
    return t


_RACE_WORD = re.compile(r"\b(?:" + "|".join(RACES) + r")\b")
_TRAILING_DETAIL = re.compile(r"\s+\([^()]*\)$")


def compact_target(target: str) -> str:
    """An audit target as the table shows it: each race in its short form (``BW T``) and
    without the details in parentheses at its end (a decay's rule, a season's counts),
    which ``audit show`` has."""
    short = _RACE_WORD.sub(lambda m: short_race(m[0]), target)
    return _TRAILING_DETAIL.sub("", short) or short


def audit_detail(
    row: Mapping[str, Any], target: str, players: Mapping[int, str] | None = None
) -> Table:
    """``ladder audit show N``: one row of the trail, every field whole (``target``: the
    stored one with its players named; ``players``: their uids and names)."""
    t = table([("", "left"), ("", "left")], title=f"Audit row {row['audit_id']}")
    t.show_header = False
    for column in t.columns:
        column.no_wrap = False  # a long reason wraps within the window
    at = row["at"]
    when = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(at, datetime) else ""
    t.add_row("at", when)
    t.add_row("by", literal(str(row["actor"])))
    t.add_row("action", str(row["action"]))
    t.add_row("target", literal(target))
    if players:
        t.add_row("players", literal(", ".join(f"{n} ({u})" for u, n in sorted(players.items()))))
    if row.get("match_id") is not None:
        t.add_row("match", str(row["match_id"]))
    t.add_row("reason", literal(str(row["reason"] or "-")))
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
            "-" if row["position"] is None else str(row["position"]),
            Text(row["rank"], style=RANK_STYLES.get(row["rank"], "")),
            shown_mmr(row),
            Text(sparkline(trend.recent_mmr) if trend else "", style="cyan"),
            str(trend.peak_mmr) if trend else str(row["mmr"]),
            wld(row),
            win_rate(row["games_won"], row["games_played"]),
            streak(trend) if trend else "-",
            row["last_played"],
        )
    return t


# -- ladder statistics and head-to-head ---------------------------------------------------


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def stats_view(stats: LadderStats, *, weeks: int = 12) -> list[Any]:
    """What `ladder stats` prints: counts, matchups, distribution, histogram, activity."""
    from ladder_cli.domain.stats import wilson

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
