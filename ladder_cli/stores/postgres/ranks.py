"""Leaderboard pages and profile rows ranked by PostgreSQL itself.

A million-entry ladder need not cross the wire for one page: the database walks the rank
order (``mmr DESC, last_played DESC NULLS LAST, id DESC``, the order of
:func:`ladder_cli.domain.ranks.in_order`) along :data:`RANK_INDEX`, counts the ranked entries
ahead of each shown row with a running window count, and stops after the page. A
profile's rows are placed by one pass over the table that counts, for all of them at once,
the ranked entries ahead of each. The letters then come from
:func:`ladder_cli.domain.rules.letter_for`, the same function the in-memory path uses, so both
give the same answer (tests/test_server_ranks.py).

NULL game counts are zero, as :func:`ladder_cli.domain.frames.frame_from_rows` makes them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from ladder_cli.domain.tables import ENTRY_READ

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.domain.rules import Rules

RANK_INDEX: Final = "mmrs_1v1_rank_order"
RANK_INDEX_DDL: Final = (
    f"CREATE INDEX IF NOT EXISTS {RANK_INDEX} ON mmrs_1v1 "
    "(mmr DESC, last_played DESC NULLS LAST, id DESC)"
)

_ORDER: Final = "mmr DESC, last_played DESC NULLS LAST, id DESC"
_COLUMNS: Final = ", ".join(ENTRY_READ)
_PLAYED: Final = "COALESCE(games_played, 0)"


def _eligible(prefix: str, since: datetime | None) -> str:
    """:func:`ladder_cli.domain.ranks._eligible` in SQL (NULL is false)."""
    played = f"COALESCE({prefix}games_played, 0) > 0"
    if since is None:
        return played
    return f"COALESCE({played} AND {prefix}last_played >= %(since)s, false)"


def _since(rules: Rules, now: datetime | None) -> datetime | None:
    from ladder_cli.domain.model import now_utc

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
    """One leaderboard page (columns of :data:`ladder_cli.domain.ranks.BOARD_COLUMNS`);
    under an activity window, positions count the ranked rows shown."""
    import polars as pl

    from ladder_cli.domain.ranks import ranked_positions

    since = _since(rules, now)
    eligible = _eligible("", since)
    where = [f"{_PLAYED} >= %(min)s"]
    params: dict[str, Any] = {"min": min_games, "since": since, "race": race}
    if race is not None:
        where.append("race = %(race)s")
    offset = (page - 1) * top if top else 0
    limit = "LIMIT %(limit)s OFFSET %(offset)s" if top else ""
    params.update(limit=top, offset=offset)
    # _shown: the ranked rows among those the filters keep, up to each row (a window over
    # the filtered rows, worked out before the page is cut): positions under a window.
    cur.execute(
        f"SELECT {_COLUMNS}, _ranked, _upto - _ranked::int, "
        f"(SELECT count(*) FROM mmrs_1v1 WHERE {eligible}), "
        f"count(*) FILTER (WHERE _ranked) OVER (ORDER BY {_ORDER} ROWS UNBOUNDED PRECEDING) "
        f"FROM (SELECT {_COLUMNS}, {eligible} AS _ranked, "
        f"count(*) FILTER (WHERE {eligible}) OVER (ORDER BY {_ORDER} ROWS UNBOUNDED PRECEDING)"
        f" AS _upto FROM mmrs_1v1) ranked WHERE {' AND '.join(where)} "
        f"ORDER BY {_ORDER} {limit}",
        params,
    )
    rows = cur.fetchall()
    board = _board([r[:-1] for r in rows], rules, first_position=offset + 1)
    if ranked_positions(rules):
        shown = [r[-1] if r[len(ENTRY_READ)] else None for r in rows]
        board = board.with_columns(pl.Series("position", shown, dtype=pl.Int64))
    return board


def entries_of(cur: Any, uid: int, *, rules: Rules, now: datetime | None = None) -> pl.DataFrame:
    """A player's rows with their letter and their position within their race among the
    ranked entries (null for a U row), as :func:`ladder_cli.domain.ranks.race_positions`
    gives them; by race.

    The player's rows come first (by the unique key); then one pass over the table counts,
    for all of them at once, the ranked entries and those ahead of each row, overall and in
    its race. A correlated count per row would walk the table once per row and count."""
    import polars as pl

    since = _since(rules, now)
    eligible = _eligible("", since)
    cur.execute(
        f"SELECT {_COLUMNS}, {eligible} FROM mmrs_1v1 WHERE discord_uid = %(uid)s",
        {"uid": uid, "since": since},
    )
    mine = cur.fetchall()
    mmr, race, last, rid = (ENTRY_READ.index(c) for c in ("mmr", "race", "last_played", "id"))
    counts = [f"count(*) FILTER (WHERE {eligible})"]
    params: dict[str, Any] = {"since": since}
    for i, row in enumerate(mine):
        params.update({f"m{i}": row[mmr], f"l{i}": row[last], f"i{i}": row[rid]})
        params[f"r{i}"] = row[race]
        # Ahead in the rank order (NULL last_played below any time): the full key is
        # compared only on equal ratings, so most rows cost two integer comparisons.
        ahead = (
            f"(mmr > %(m{i})s OR mmr = %(m{i})s AND "
            f"(COALESCE(last_played, '-infinity'), id) > "
            f"(COALESCE(%(l{i})s::timestamptz, '-infinity'), %(i{i})s))"
        )
        # Only what is shown is counted: an unranked row has no letter to place and no
        # race position.
        ranked = row[-1]
        counts.append(f"count(*) FILTER (WHERE {ahead} AND {eligible})" if ranked else "0")
        counts.append(
            f"count(*) FILTER (WHERE {ahead} AND {eligible} AND race = %(r{i})s)" if ranked else "0"
        )
    n, ahead_counts = 0, [0] * (2 * len(mine))
    if mine:  # an unknown player: no pass over the table
        cur.execute(f"SELECT {', '.join(counts)} FROM mmrs_1v1", params)
        n, *ahead_counts = cur.fetchone()
    rows = [(*r, ahead_counts[2 * i], n) for i, r in enumerate(mine)]
    board = _board(rows, rules, first_position=1)
    positions = [ahead_counts[2 * i + 1] + 1 if r[-1] else None for i, r in enumerate(mine)]
    board = board.with_columns(pl.Series("position", positions, dtype=pl.Int64))
    return board.sort("race")


def _board(rows: list[tuple[Any, ...]], rules: Rules, *, first_position: int) -> pl.DataFrame:
    """Rows of (entry columns..., ranked, ranked ahead, n) as a leaderboard frame."""
    import polars as pl

    from ladder_cli.domain.frames import frame_from_rows
    from ladder_cli.domain.provisional import ensure_columns
    from ladder_cli.domain.ranks import BOARD_COLUMNS, UNRANKED
    from ladder_cli.domain.rules import cutoffs

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
    # Served under Elo rules only (a ladder under Glicko-2 ranks from the doubles it
    # carries), so its RD and provisional flag are null.
    return ensure_columns(frame).select(BOARD_COLUMNS)
