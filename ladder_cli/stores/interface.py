"""What every store offers the code written once for both (the event log, corrections,
seasons, decay, the audit trail, the bot's tables), and what a flush transaction returns.

Both stores implement :class:`Dialect` (through :class:`~ladder_cli.stores.dialect.DialectBase`);
the shared code is typed against it alone, so it never reaches into a store's own members.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ladder_cli.domain.corrections import EntryChange
from ladder_cli.domain.model import AppliedMatch, Entry, Key
from ladder_cli.domain.rules import Rules

if TYPE_CHECKING:
    import polars as pl

PairRow = tuple[int, int, int, int, int]
"""A match log row a correction rewrites: P1's MMR before and after, P2's, the match id."""


class JobRejected(Exception):
    """The database refused a write for a reason tied to the data (a constraint, a
    trigger): retrying the same job cannot succeed, so the flush isolates it."""


@dataclass
class BatchResult:
    """What one transaction did."""

    applied: list[int] = field(default_factory=list)
    already_applied: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    matches: list[AppliedMatch] = field(default_factory=list)
    entries: dict[Key, Entry] = field(default_factory=dict)
    renamed: dict[int, str] = field(default_factory=dict)
    #: How many of ``applied`` and ``already_applied`` are audit rows (see
    #: :mod:`ladder_cli.core.audit`).
    audit_applied: int = 0
    audit_already: int = 0


class Dialect(Protocol):
    """A store as the shared code sees it: its SQL words, placeholders and timestamps,
    its cursors and transactions, and how it reads a row of ``mmrs_1v1``."""

    #: The words a shared statement template is rendered with (``sql.render``).
    words: ClassVar[dict[str, str]]
    #: What a read of rows about to be updated adds to lock them (a server's FOR UPDATE;
    #: SQLite's write transaction locks the whole database already).
    lock_rows: ClassVar[str]
    #: Whether a correction's many rows can go in bulk (:meth:`bulk_entry_changes`,
    #: :meth:`bulk_rewrite_matches`).
    bulk_corrections: ClassVar[bool]

    def write_transaction(self) -> AbstractContextManager[Any]:
        """Begin a transaction holding the ladder's write lock; yield a cursor."""
        ...

    def read_cursor(self) -> AbstractContextManager[Any]:
        """A cursor for reads outside any write transaction."""
        ...

    def q(self, statement: str) -> str:
        """A shared statement in this driver's placeholder style."""
        ...

    def uids_filter(self, uids: Sequence[int]) -> tuple[str, object]:
        """The ``discord_uid`` (or job id) predicate, after the column, and its parameter."""
        ...

    def ts(self, value: datetime | None) -> object:
        """A timestamp as this driver wants it."""
        ...

    def parse_ts(self, value: Any) -> datetime | None:
        """A timestamp as this driver returns it."""
        ...

    def no_limit(self) -> object:
        """The LIMIT parameter that means "all rows"."""
        ...

    def columns(self, cur: Any, table: str) -> set[str]:
        """The column names of a table (empty when it is missing)."""
        ...

    def entry(self, row: Sequence[Any]) -> Entry:
        """A row of ``mmrs_1v1`` (every column, in table order) as an entry."""
        ...

    def rules_in(self, cur: Any) -> Rules:
        """The ladder's rules, read with ``cur`` (standard while none are stored)."""
        ...

    def entries_of(self, uids: Sequence[int]) -> list[Entry]:
        """Every row of these players, in key order."""
        ...

    def bulk_entry_changes(self, cur: Any, changes: Sequence[EntryChange]) -> list[Entry]:
        """A correction's entry changes written at once, as the flush writes its rows;
        the stored rows as they were before (where ``bulk_corrections``)."""
        ...

    def bulk_rewrite_matches(
        self, cur: Any, rows: Sequence[tuple[int, int, int, int, int]]
    ) -> None:
        """A correction's rewritten match log pairs (before/after, match id) written at
        once (where ``bulk_corrections``)."""
        ...

    def bulk_states(self, cur: Any, rows: Sequence[tuple[int, str, float, float, float]]) -> None:
        """Glicko-2 states upserted into ``ladder_glicko`` (uid, race, rating, RD,
        volatility): by COPY where the store can and the rows are many."""
        ...

    def log_columns_until(self, cutoff: datetime | None) -> pl.DataFrame | None:
        """The matches played at or before ``cutoff`` (every match for None), in log
        order, as columns (:data:`ladder_cli.domain.wavereplay.MATCH_COLUMNS`); None where
        the store reads them as rows only."""
        ...

    def match_log_columns(self) -> pl.DataFrame | None:
        """Every logged match with both sides' MMRs, as columns
        (:data:`ladder_cli.domain.patterns.LOG_COLUMNS`, in no particular order); None
        where the store reads them as rows only."""
        ...

    def forget(self) -> None:
        """Drop the rows a store keeps between batches: a job applied in a transaction of
        its own (a correction, a decay, a season close) can change any of them."""
        ...


__all__ = ["BatchResult", "Dialect", "JobRejected", "PairRow"]
