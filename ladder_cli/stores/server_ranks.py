"""Leaderboard pages and profile rows ranked by PostgreSQL itself.

A million-entry ladder need not cross the wire for one page: the database walks the rank
order (``mmr DESC, last_played DESC NULLS LAST, id DESC``, the order of
:func:`ladder_cli.ranks.in_order`) along :data:`RANK_INDEX`, counts the ranked entries
ahead of each shown row with a running window count, and stops after the page. The
letters then come from :func:`ladder_cli.rules.letter_for`, the same function the
in-memory path uses, so both give the same answer (tests/test_server_ranks.py).

NULL game counts are zero, as :func:`ladder_cli.state.frame_from_rows` makes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from ladder_cli.tables import ENTRY_READ

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.rules import Rules

RANK_INDEX: Final = "mmrs_1v1_rank_order"
RANK_INDEX_DDL: Final = (
    f"CREATE INDEX IF NOT EXISTS {RANK_INDEX} ON mmrs_1v1 "
    "(mmr DESC, last_played DESC NULLS LAST, id DESC)"
)

_ORDER: Final = "mmr DESC, last_played DESC NULLS LAST, id DESC"
_COLUMNS: Final = ", ".join(ENTRY_READ)
_PLAYED: Final = "COALESCE(games_played, 0)"


def _eligible(prefix: str, since: datetime | None) -> str:
    """:func:`ladder_cli.ranks._eligible` in SQL (NULL is false)."""
    played = f"COALESCE({prefix}games_played, 0) > 0"
    if since is None:
        return played
    return f"COALESCE({played} AND {prefix}last_played >= %(since)s, false)"


def _since(rules: Rules, now: datetime | None) -> datetime | None:
    from ladder_cli.model import now_utc

    if rules.activity_days is None:
        return None
    return (now or now_utc()) - timedelta(days=rules.activity_days)


def page(
    cur: Any,
    *,
    race: str | None,
    min_games: int,
    top: int | None,
    page: int,
    rules: Rules,
    now: datetime | None = None,
) -> pl.DataFrame:
    """One leaderboard page (columns of :data:`ladder_cli.ranks.LEADERBOARD_COLUMNS`)."""
    since = _since(rules, now)
    eligible = _eligible("", since)
    where = [f"{_PLAYED} >= %(min)s"]
    params: dict[str, Any] = {"min": min_games, "since": since, "race": race}
    if race is not None:
        where.append("race = %(race)s")
    offset = (page - 1) * top if top else 0
    limit = "LIMIT %(limit)s OFFSET %(offset)s" if top else ""
    params.update(limit=top, offset=offset)
    cur.execute(
        f"SELECT {_COLUMNS}, _ranked, _upto - _ranked::int, "
        f"(SELECT count(*) FROM mmrs_1v1 WHERE {eligible}) "
        f"FROM (SELECT {_COLUMNS}, {eligible} AS _ranked, "
        f"count(*) FILTER (WHERE {eligible}) OVER (ORDER BY {_ORDER} ROWS UNBOUNDED PRECEDING)"
        f" AS _upto FROM mmrs_1v1) ranked WHERE {' AND '.join(where)} "
        f"ORDER BY {_ORDER} {limit}",
        params,
    )
    return _board(cur.fetchall(), rules, first_position=offset + 1)


def entries_of(cur: Any, uid: int, *, rules: Rules, now: datetime | None = None) -> pl.DataFrame:
    """A player's rows with their letter and their position within their race (null
    without games), as :func:`ladder_cli.ranks.race_positions` gives them; by race."""
    import polars as pl

    since = _since(rules, now)
    key = "(o.mmr, COALESCE(o.last_played, '-infinity'), o.id) > "
    key += "(e.mmr, COALESCE(e.last_played, '-infinity'), e.id)"
    columns = ", ".join(f"e.{c}" for c in ENTRY_READ)
    cur.execute(
        f"SELECT {columns}, {_eligible('e.', since)}, "
        f"(SELECT count(*) FROM mmrs_1v1 o WHERE {_eligible('o.', since)} "
        f"AND o.mmr >= e.mmr AND {key}), "
        f"(SELECT count(*) FROM mmrs_1v1 o WHERE o.race = e.race "
        f"AND COALESCE(o.games_played, 0) > 0 AND o.mmr >= e.mmr AND {key}), "
        f"(SELECT count(*) FROM mmrs_1v1 WHERE {_eligible('', since)}) "
        f"FROM mmrs_1v1 e WHERE e.discord_uid = %(uid)s",
        {"uid": uid, "since": since},
    )
    rows = cur.fetchall()
    board = _board([(*r[:-2], r[-1]) for r in rows], rules, first_position=1)
    positions = [None if (r[5] or 0) <= 0 else r[-2] + 1 for r in rows]
    board = board.with_columns(pl.Series("position", positions, dtype=pl.Int64))
    return board.sort("race")


def _board(rows: list[tuple[Any, ...]], rules: Rules, *, first_position: int) -> pl.DataFrame:
    """Rows of (entry columns..., ranked, ranked ahead, n) as a leaderboard frame."""
    import polars as pl

    from ladder_cli.ranks import LEADERBOARD_COLUMNS, UNRANKED
    from ladder_cli.rules import cutoffs
    from ladder_cli.state import frame_from_rows

    width = len(ENTRY_READ)
    frame = frame_from_rows([r[:width] for r in rows], timestamps_as_text=False)
    letters = []
    cuts: list[tuple[str, int]] | None = None
    for r in rows:
        ranked, ahead, n = r[width:]
        if not ranked:
            letters.append(UNRANKED)
            continue
        if cuts is None:
            cuts = cutoffs(n, rules)
        letters.append(next((name for name, cut in cuts if ahead < cut), "F"))
    frame = frame.with_columns(
        pl.Series("rank", letters, dtype=pl.String),
        pl.int_range(first_position, first_position + frame.height, dtype=pl.Int64).alias(
            "position"
        ),
    )
    return frame.select(LEADERBOARD_COLUMNS)
