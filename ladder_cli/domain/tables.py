"""Each table's columns, defined once: names in order, with their PostgreSQL types.

The SQL column lists, the binary COPY type lists, the temporary table of the bulk upsert
and the Polars schemas are derived from these; the ``CREATE TABLE`` statements and the
hand-written row constructors of hot paths are checked against them by
``tests/test_tables.py``. Adding a column starts here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class Column:
    name: str
    #: PostgreSQL's type name as binary COPY wants it (``int4``, ``text``...).
    type: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def without(self, *names: str) -> tuple[str, ...]:
        """The column names in order, less ``names``."""
        return tuple(n for n in self.names if n not in names)

    def types(self, names: tuple[str, ...]) -> list[str]:
        """The PostgreSQL types of ``names``, in their order (for binary COPY)."""
        by_name = {c.name: c.type for c in self.columns}
        return [by_name[n] for n in names]


ENTRIES: Final = Table(
    "mmrs_1v1",
    (
        Column("id", "int4"),
        Column("discord_uid", "int8"),
        Column("player_name", "text"),
        Column("race", "text"),
        Column("mmr", "int4"),
        Column("games_played", "int4"),
        Column("games_won", "int4"),
        Column("games_lost", "int4"),
        Column("games_drawn", "int4"),
        Column("last_played", "timestamptz"),
    ),
)

MATCHES: Final = Table(
    "ladder_matches",
    (
        Column("match_id", "int8"),
        Column("queue_id", "text"),
        Column("job_id", "int8"),
        Column("played_at", "timestamptz"),
        Column("p1_uid", "int8"),
        Column("p1_race", "text"),
        Column("p1_mmr_before", "int4"),
        Column("p1_mmr_after", "int4"),
        Column("p2_uid", "int8"),
        Column("p2_race", "text"),
        Column("p2_mmr_before", "int4"),
        Column("p2_mmr_after", "int4"),
        Column("result", "int2"),
        #: ``recorded``, ``amended`` or ``voided`` (see :mod:`ladder_cli.domain.events`).
        Column("state", "text"),
    ),
)

LEDGER: Final = Table(
    "ladder_applied_jobs",
    (
        Column("queue_id", "text"),
        Column("job_id", "int8"),
        Column("applied_at", "timestamptz"),
    ),
)

#: Resets, adjustments and upgrade baselines, each placed after the match it followed: with
#: the match log, the event log (see :mod:`ladder_cli.stores.eventlog`).
EVENTS: Final = Table(
    "ladder_events",
    (
        Column("event_id", "int8"),
        Column("after_match", "int8"),
        Column("kind", "text"),
        Column("discord_uid", "int8"),
        Column("race", "text"),
        Column("amount", "int4"),
        Column("keep_stats", "int2"),
        Column("mmr_before", "int4"),
        Column("mmr_after", "int4"),
        Column("games_played", "int4"),
        Column("games_won", "int4"),
        Column("games_lost", "int4"),
        Column("games_drawn", "int4"),
        Column("last_played", "timestamptz"),
        Column("at", "timestamptz"),
        Column("queue_id", "text"),
        Column("job_id", "int8"),
        Column("mmr_floor", "int4"),
    ),
)

#: One row per writing command (``ladder audit``).
AUDIT: Final = Table(
    "ladder_audit",
    (
        Column("audit_id", "int8"),
        Column("at", "timestamptz"),
        Column("actor", "text"),
        Column("action", "text"),
        Column("target", "text"),
        Column("reason", "text"),
        Column("match_id", "int8"),
        Column("queue_id", "text"),
        Column("job_id", "int8"),
    ),
)

#: ``mmrs_1v1`` as read (every column) and as upserted (the database picks the id).
ENTRY_READ: Final = ENTRIES.names
ENTRY_WRITE: Final = ENTRIES.without("id")
#: The match log as shown (``history``'s keys) and as appended (the database picks the id).
MATCH_SHOWN: Final = MATCHES.without("queue_id", "job_id")
#: (A new match's ``state`` is the column's default, ``recorded``.)
MATCH_WRITE: Final = MATCHES.without("match_id", "state")
#: An event as the replay reads it, and as a flush appends it (the database picks the id).
EVENT_READ: Final = EVENTS.without("queue_id", "job_id")
EVENT_WRITE: Final = EVENTS.without("event_id")
#: An audit row as ``ladder audit`` shows it.
AUDIT_SHOWN: Final = AUDIT.without("queue_id", "job_id")

_SQL_TYPES: Final = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "text": "text",
    "bool": "boolean",
    "timestamptz": "timestamptz",
}


def sql_list(names: tuple[str, ...], prefix: str = "") -> str:
    """``a, b, c`` (or ``p.a, p.b, p.c``) for a statement."""
    return ", ".join(prefix + n for n in names)


def sql_definitions(table: Table, names: tuple[str, ...]) -> str:
    """``name type, ...`` for a temporary table holding ``names`` of ``table``."""
    return ", ".join(f"{n} {_SQL_TYPES[t]}" for n, t in zip(names, table.types(names), strict=True))


def polars_schema(table: Table, names: tuple[str, ...]) -> dict[str, pl.DataType]:
    """The Polars types of ``names``: every integer as Int64, times as UTC microseconds."""
    import polars as pl

    kinds: dict[str, pl.DataType] = {
        "int2": pl.Int64(),
        "int4": pl.Int64(),
        "int8": pl.Int64(),
        "text": pl.String(),
        "bool": pl.Boolean(),
        "timestamptz": pl.Datetime("us", "UTC"),
    }
    return {n: kinds[t] for n, t in zip(names, table.types(names), strict=True)}
