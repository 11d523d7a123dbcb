"""The part of a store each dialect supplies, and the row readers written once on top of it.

Alembic's shape: :class:`DialectBase` is the default implementation, the SQLite and
PostgreSQL stores override what differs (placeholders, timestamps, locks, bulk paths).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from ladder_cli.domain.corrections import EntryChange
from ladder_cli.domain.model import Entry
from ladder_cli.domain.rules import Rules
from ladder_cli.stores import sql
from ladder_cli.stores.interface import Dialect

if TYPE_CHECKING:
    import polars as pl


class DialectBase(Dialect, ABC):
    """What each store supplies (connection, placeholders, timestamps, locks), and the
    row readers built on it; :class:`~ladder_cli.stores.reads.StoreReads` adds the reads
    and :class:`~ladder_cli.stores.base.Store` the flush."""

    words: ClassVar[dict[str, str]]
    #: What a read of rows about to be updated adds to lock them (a server's FOR UPDATE;
    #: SQLite's write transaction locks the whole database already).
    lock_rows: ClassVar[str] = ""
    #: Whether a correction's many rows can go in bulk (a dialect that says so overrides
    #: :meth:`bulk_entry_changes` and :meth:`bulk_rewrite_matches`).
    bulk_corrections: ClassVar[bool] = False

    #: Where the data lives, for messages and queue targets; never holds a password.
    target: str
    #: After :meth:`init_schema`: an index to suggest for an adopted table, if any.
    index_advice: str | None = None

    # -- what a dialect supplies -------------------------------------------------------

    @abstractmethod
    def write_transaction(self) -> AbstractContextManager[Any]:
        """Begin a transaction holding the ladder's write lock; yield a cursor."""

    @abstractmethod
    def read_cursor(self) -> AbstractContextManager[Any]:
        """A cursor for reads outside any write transaction."""

    @abstractmethod
    def uids_filter(self, uids: Sequence[int]) -> tuple[str, object]:
        """The ``discord_uid`` predicate (after the column) and its parameter."""

    @abstractmethod
    def ts(self, value: datetime | None) -> object:
        """A timestamp as this driver wants it."""

    @abstractmethod
    def parse_ts(self, value: Any) -> datetime | None:
        """A timestamp as this driver returns it."""

    @abstractmethod
    def no_limit(self) -> object:
        """The LIMIT parameter that means "all rows"."""

    def ping(self) -> None:
        """Return when the database answers. Raise DatabaseUnavailable when it does not
        (an outage: writes queue, reads use the snapshot), BadInput when its URL can never
        work. The embedded database is always at hand."""
        return None

    @abstractmethod
    def init_schema(self) -> None: ...

    @abstractmethod
    def load_frame(self) -> pl.DataFrame:
        """All of ``mmrs_1v1`` as a Polars frame (see :mod:`ladder_cli.domain.frames`)."""

    def frame_aside(self) -> pl.DataFrame | None:
        """:meth:`load_frame` on a connection of its own, so it can run on another thread
        beside a write transaction; None where the store has no such connection."""
        return None

    def ranked_page(
        self,
        *,
        race: str | None,
        min_games: int,
        top: int | None,
        page: int,
        rules: Rules,
        now: datetime | None = None,
    ) -> pl.DataFrame | None:
        """One leaderboard page ranked by the database itself, where it can (see
        :mod:`ladder_cli.stores.postgres.ranks`); None: rank the loaded frame instead."""
        return None

    def ranked_entries_of(
        self, uid: int, *, rules: Rules, now: datetime | None = None
    ) -> pl.DataFrame | None:
        """A player's rows with letter and race position, ranked by the database where it
        can; None: rank the loaded frame instead."""
        return None

    def log_columns_until(self, cutoff: datetime | None) -> pl.DataFrame | None:
        """The matches played at or before ``cutoff`` (every match for None), in log
        order, as the columns of :data:`ladder_cli.domain.wavereplay.MATCH_COLUMNS`, where
        the store reads them column-wise; None: read them as rows."""
        return None

    def match_log_columns(self) -> pl.DataFrame | None:
        """Every logged match with both sides' MMRs, as the columns of
        :data:`ladder_cli.domain.patterns.LOG_COLUMNS` (in no particular order), where the
        store reads them column-wise; None: read them as rows."""
        return None

    def ranked_scan(self) -> pl.LazyFrame | None:
        """All of ``mmrs_1v1`` in rank order as a lazy scan of a local file, where the store
        keeps one current: a leaderboard page then reads only its rows. None otherwise."""
        return None

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def columns(self, cur: Any, table: str) -> set[str]:
        """The column names of one of the ladder's tables (empty when it is missing)."""

    def _old_job_key_tables(self, cur: Any) -> list[str]:
        """The ladder tables still in the first builds' layout (keyed by ``job_seq``)."""
        return [t for t in sql.OLD_JOB_KEY_TABLES if "job_seq" in self.columns(cur, t)]

    def _rename_old_job_keys(self, cur: Any) -> None:
        """Inside the schema transaction: bring tables of the first builds up to date."""
        for table in self._old_job_key_tables(cur):
            cur.execute(sql.RENAME_OLD_JOB_KEY.format(table=table))

    def bulk_entry_changes(self, cur: Any, changes: Sequence[EntryChange]) -> list[Entry]:
        raise NotImplementedError(f"{type(self).__name__} writes no corrections in bulk")

    def bulk_rewrite_matches(
        self, cur: Any, rows: Sequence[tuple[int, int, int, int, int]]
    ) -> None:
        raise NotImplementedError(f"{type(self).__name__} writes no corrections in bulk")

    def bulk_states(self, cur: Any, rows: Sequence[tuple[int, str, float, float, float]]) -> None:
        cur.executemany(self.q(sql.UPSERT_GLICKO), rows)

    def q(self, statement: str) -> str:
        """A shared statement in this driver's placeholder style."""
        return statement

    def _entries_of(self, cur: Any, uids: Sequence[int]) -> Iterator[Entry]:
        """Every row of these players, in key order (the lock order on PostgreSQL)."""
        if not uids:
            return iter(())
        predicate, param = self.uids_filter(uids)
        cur.execute(self.q(sql.ENTRIES_OF_UIDS.format(uids=predicate)), (param,))
        return (self.entry(row) for row in cur.fetchall())

    def entry(self, row: Sequence[Any]) -> Entry:
        rid, uid, name, race, mmr, played, won, lost, drawn, last = row
        return Entry(
            discord_uid=uid,
            race=race,
            player_name=name,
            mmr=mmr,
            games_played=played or 0,
            games_won=won or 0,
            games_lost=lost or 0,
            games_drawn=drawn or 0,
            last_played=self.parse_ts(last),
            id=rid,
        )

    #: The name :meth:`entry` had while it was private, kept for callers of that name.
    _entry = entry
