"""Glicko-2's doubles in a store: each entry's rating, RD and volatility in the ladder's own
table (``ladder_glicko``) beside its row of ``mmrs_1v1``, whose ``mmr`` is
``floor(rating + 0.5)``. The bot's table is never altered; a row whose MMR no longer
matches its rating was changed outside the ladder and is read as an MMR that existed
before the log (:func:`ladder_cli.domain.glicko2.of_row`).

Read onto the entries a flush or a correction rates and written back with them (in the
same transaction), and read whole for the reads' frames. A ladder that leaves Glicko-2 for
Elo rules keeps its rows unread (no command deletes rows); every one of them belongs to an
entry of the log, so a later switch back to Glicko-2 rewrites them all. Written once for
both stores against :class:`~ladder_cli.stores.interface.Dialect`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ladder_cli.domain.glicko2 import of_row
from ladder_cli.domain.model import Entry, Key
from ladder_cli.stores import sql
from ladder_cli.stores.interface import Dialect

if TYPE_CHECKING:
    import polars as pl

Doubles = tuple[float, float, float]
"""An entry's stored rating, RD and volatility."""

StateRow = tuple[int, str, float, float, float]
"""A row of ``ladder_glicko``: discord_uid, race, rating, RD, volatility."""


def read(store: Dialect, cur: Any, uids: Sequence[int]) -> dict[Key, Doubles]:
    """The stored doubles of these players' entries."""
    if not uids:
        return {}
    predicate, param = store.uids_filter(uids)
    cur.execute(store.q(sql.GLICKO_OF_UIDS.format(uids=predicate)), (param,))
    return {(int(r[0]), str(r[1])): (float(r[2]), float(r[3]), float(r[4])) for r in cur.fetchall()}


def attach(store: Dialect, cur: Any, entries: Iterable[Entry]) -> list[Entry]:
    """``entries`` with their state: those without one get it from the stored doubles
    (or, without doubles that explain their MMR, from the row itself)."""
    entries = list(entries)
    lacking = [e for e in entries if e.state is None]
    if lacking:
        found = read(store, cur, sorted({e.discord_uid for e in lacking}))
        for e in lacking:
            rating, rd, volatility = found.get(e.key) or (None, None, None)
            e.state = of_row(e.mmr, rating, rd, volatility, e.last_played, e.games_played)
    return entries


def rows_of(entries: Iterable[Entry]) -> list[StateRow]:
    """The ``ladder_glicko`` rows of the entries that carry a state."""
    return [
        (e.discord_uid, e.race, s.rating, s.rd, s.volatility)
        for e in entries
        if (s := e.state) is not None
    ]


def write(store: Dialect, cur: Any, rows: Sequence[StateRow]) -> None:
    """Upsert these rows (in bulk where the store can)."""
    if rows:
        store.bulk_states(cur, rows)


def frame(store: Dialect) -> pl.DataFrame:
    """Every stored row of doubles, as a frame of
    :data:`ladder_cli.domain.frames.GLICKO_SCHEMA`."""
    import polars as pl

    from ladder_cli.domain.frames import GLICKO_SCHEMA

    with store.read_cursor() as cur:
        if not store.columns(cur, "ladder_glicko"):
            rows: list[Any] = []
        else:
            cur.execute(sql.ALL_GLICKO)
            rows = cur.fetchall()
    return pl.DataFrame(rows, schema=GLICKO_SCHEMA, orient="row")


def joined(store: Dialect, entries: pl.DataFrame) -> pl.DataFrame:
    """``entries`` (``mmrs_1v1`` as a frame) with every entry's stored doubles joined on."""
    from ladder_cli.domain.frames import with_states

    return with_states(entries, frame(store))


__all__ = ["Doubles", "StateRow", "attach", "frame", "joined", "read", "rows_of", "write"]
