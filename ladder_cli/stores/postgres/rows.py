"""Reading ``mmrs_1v1`` rows on PostgreSQL: decoded positionally, and, for a flush or a
correction, locked in key order.

A batch locks only the rows it touches (each match side's own row, and every row of a
player it resets or renames), in one statement and one key order, so two flushers never
deadlock; its lock parameters are worked out ahead, on the flush's prefetch thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import psycopg

from ladder_cli.domain import tables
from ladder_cli.domain.model import Entry, Key, QueuedJob
from ladder_cli.stores import sql
from ladder_cli.stores.rows import involved_keys

_KEYS = "unnest(%s::bigint[], %s::text[]) AS k(uid, race)"


_M_COLUMNS = tables.sql_list(tables.ENTRY_READ, prefix="m.")


# The rows of a batch's keys, locked in key order, through the (discord_uid, race) index:
# a batch touches about half of its players' rows (docs/benchmarks.md), and the rows not
# read are neither locked nor decoded.
_LOCK_KEYS = (
    f"SELECT {_M_COLUMNS} FROM {_KEYS} JOIN mmrs_1v1 m "
    "ON m.discord_uid = k.uid AND m.race = k.race ORDER BY m.discord_uid, m.race FOR UPDATE OF m"
)


# The same plus every row of some players, still in one statement, so still locked in one
# key order (a single sorted pass; FOR UPDATE does not combine with UNION directly).
_LOCK_KEYS_AND_PLAYERS = (
    f"SELECT {sql.ENTRY_COLUMNS} FROM mmrs_1v1 WHERE id = ANY(ARRAY("
    f"SELECT m.id FROM {_KEYS} JOIN mmrs_1v1 m ON m.discord_uid = k.uid AND m.race = k.race "
    "UNION SELECT id FROM mmrs_1v1 WHERE discord_uid = ANY(%s::bigint[]))) "
    "ORDER BY discord_uid, race FOR UPDATE"
)


def _entries(rows: Iterable[Sequence[Any]]) -> Iterator[Entry]:
    """Rows in ``ENTRY_COLUMNS`` order as entries, built positionally: this runs for every
    row a batch touches."""
    return (
        Entry(
            uid,
            race,
            name,
            mmr,
            played or 0,
            won or 0,
            lost or 0,
            drawn or 0,
            last if last is None or last.tzinfo is UTC else last.astimezone(UTC),
            rid,
        )
        for rid, uid, name, race, mmr, played, won, lost, drawn, last in rows
    )


@dataclass(frozen=True, slots=True)
class LockPlan:
    """A batch's lock statement parameters, which depend on its jobs alone: worked out on
    the flush's prefetch thread while the server writes the previous batch."""

    keys: list[Key]
    whole: set[int]
    uids: str  # array literals: psycopg would dump a list element by element in Python
    races: str


def lock_plan(jobs: Sequence[QueuedJob]) -> LockPlan:
    keys, whole = involved_keys(jobs)
    uids = "{" + ",".join(str(uid) for uid, _ in keys) + "}"
    races = "{" + ",".join(race for _, race in keys) + "}"  # RACES: plain words
    return LockPlan(keys, whole, uids, races)


def locked_batch_rows(cur: Any, plan: LockPlan) -> Iterator[Entry]:
    """The rows the batch touches, locked in key order: each match side's own row, and
    every row of players a job resets or renames. A player's other rows are read only
    when the batch gives that player a new race, whose name then comes from them, as
    from a full read; they are not written, so they are not locked here (another
    ladder flusher waits on the advisory lock; an outside writer renaming that player
    at the same moment can leave the new row with the old name)."""
    keys, whole, uids, races = plan.keys, plan.whole, plan.uids, plan.races
    if whole:
        params: tuple[object, ...] = (uids, races, uid_array(sorted(whole)))
        entries = _entries_streamed(cur, _LOCK_KEYS_AND_PLAYERS, params)
    elif keys:
        entries = _entries_streamed(cur, _LOCK_KEYS, (uids, races))
    else:
        return iter(())
    if whole or len(entries) < len(keys):
        found = {(entry.discord_uid, entry.race) for entry in entries}
        gaining = sorted({uid for uid, race in keys if (uid, race) not in found})
    else:
        found, gaining = set(), []  # every key has its row
    if gaining:
        predicate, param = UIDS_PREDICATE, uid_array(gaining)
        cur.execute(sql.ENTRIES_OF_UIDS.format(uids=predicate), (param,), binary=True)
        entries += [e for e in _entries(cur.fetchall()) if e.key not in found]
        # Key order, so each player's name comes from the same row as in a full read.
        entries.sort(key=lambda entry: entry.key)
    return iter(entries)


UIDS_PREDICATE = "= ANY(%s::bigint[])"


# libpq 17 and later hand over a result in chunks of rows (psycopg's stream with a size).
_CHUNKED_ROWS = psycopg.pq.version() >= 170000


_CHUNK_ROWS = 2_000


def _entries_streamed(
    cur: psycopg.Cursor[Any], statement: str, params: Sequence[object]
) -> list[Entry]:
    """A statement's rows as entries, in chunks where libpq can: the client decodes one
    chunk while the server locks the next rows (docs/benchmarks.md has why); else all at once.
    The stream is closed here, also on an error or interrupt while decoding: a paused
    stream holds the connection's lock, so the rollback would wait on it for ever."""
    if _CHUNKED_ROWS:
        rows = cur.stream(statement, params, binary=True, size=_CHUNK_ROWS)
        with contextlib.closing(rows):  # type: ignore[type-var]
            return list(_entries(rows))
    cur.execute(statement, params, binary=True)
    return list(_entries(cur.fetchall()))


def uid_array(uids: Sequence[int]) -> str:
    """One array literal: psycopg would dump a list of ints element by element in Python,
    far slower than the join (the values are ints, never text)."""
    return "{" + ",".join(map(str, uids)) + "}"


def locked_keys(cur: Any, keys: Sequence[Key]) -> list[Entry]:
    """The rows of ``keys``, locked in key order (a correction's in bulk); a key without a
    row is left out."""
    ordered = sorted(keys)
    uids = "{" + ",".join(str(uid) for uid, _ in ordered) + "}"
    races = "{" + ",".join(race for _, race in ordered) + "}"  # RACES: plain words
    cur.execute(_LOCK_KEYS, (uids, races), binary=True)
    return list(_entries(cur.fetchall()))


def rows_of_uids(cur: Any, uids: Sequence[int]) -> Iterator[Entry]:
    """Every row of these players, in key order; in a write transaction locked (the same
    order for every flusher, so two never deadlock) against writers that skip the
    ladder's advisory lock."""
    if not uids:
        return iter(())
    lock = " FOR UPDATE" if cur.connection.info.transaction_status else ""
    statement = sql.ENTRIES_OF_UIDS.format(uids=UIDS_PREDICATE) + lock
    cur.execute(statement, (uid_array(uids),), binary=True)
    return _entries(cur.fetchall())
