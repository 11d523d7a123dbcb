"""What closed seasons look like: the list, the champions a close crowns, and a player's
finish in each season (on their profile)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text

from ladder_cli.render.console import RANK_STYLES, literal
from ladder_cli.render.fit import Col, FitTable


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
            "-" if r["position"] is None else str(r["position"]),
            "-" if r["race_position"] is None else str(r["race_position"]),
            Text(r["rank"], style=RANK_STYLES.get(r["rank"], "")),
            str(r["mmr"]),
            f"{r['won']}-{r['lost']}-{r['drawn']}",
        )
    return t
