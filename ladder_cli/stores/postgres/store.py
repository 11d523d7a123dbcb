"""The PostgreSQL store, through psycopg 3: the existing ladder's database.

Imported only when a PostgreSQL URL is configured, so the embedded path never pays for
psycopg. Its errors are sorted by :mod:`ladder_cli.stores.postgres.errors`; its bulk
writes, locked reads, bulk corrections and server-side ranks are the package's other
modules.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import psycopg
from psycopg import errors as pgerrors

from ladder_cli.domain.corrections import EntryChange
from ladder_cli.domain.model import AppliedMatch, Entry
from ladder_cli.stores import sql
from ladder_cli.stores.base import Store
from ladder_cli.stores.postgres import bulk, copy, errors, rank_index, rows, schema
from ladder_cli.stores.postgres.arrow import ArrowReader
from ladder_cli.util.errors import LadderError
from ladder_cli.util.urls import mask_url

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.domain.model import QueuedJob
    from ladder_cli.domain.rating import Ratings
    from ladder_cli.domain.rules import Rules

# An arbitrary constant: the key of the transaction-level advisory lock that serialises
# ladder flushers, so match ids increase in the order matches were applied.
ADVISORY_LOCK_KEY = 0x1ADDE5


class PostgresStore(Store):
    #: "auto" (COPY above :data:`~ladder_cli.stores.postgres.copy.COPY_THRESHOLD` rows),
    #: "copy" or "executemany"; the latter two exist so the benchmark can measure both.
    write_method: ClassVar[str] = "auto"
    #: Whether a large flush drops the rank index and builds it afterwards (see bulk);
    #: False exists so the benchmark can measure the flush with the index kept.
    bulk_rank_index: ClassVar[bool] = True
    lock_rows: ClassVar[str] = " FOR UPDATE"
    bulk_corrections: ClassVar[bool] = True
    words: ClassVar[dict[str, str]] = schema.WORDS

    def __init__(self, url: str, *, connect_timeout: float = 5.0) -> None:
        self.url = url
        self.target = mask_url(url, hide_password=True)
        self._connect_timeout = connect_timeout
        self._conn: psycopg.Connection[Any] | None = None
        self._adbc = ArrowReader(url, connect_timeout)  # bulk reads, connected on first use
        # The threads of one Ladder share this connection, and a transaction belongs to
        # the connection: a read must not run inside another thread's open write
        # transaction (it would see half a batch, or abort it), so they take turns.
        self._lock = threading.RLock()
        self._schema_ready = False
        self._index = rank_index.AroundFlush(self._open)  # see bulk

    # -- connection --------------------------------------------------------------------

    def ping(self) -> None:
        self.connect()

    def connect(self) -> psycopg.Connection[Any]:
        with self._lock:
            conn = self._connect()
            if not self._schema_ready:
                # First use of a fresh database: create the ladder's tables, so reads work
                # on it as writes already did (nobody has to run `ladder init` first).
                self._schema_ready = True
                try:
                    self._ensure_schema(conn)
                except BaseException:
                    self._schema_ready = False
                    raise
            return conn

    def _ensure_schema(self, conn: psycopg.Connection[Any]) -> None:
        try:
            row = conn.execute(sql.SCHEMA_READY).fetchone()
        except psycopg.Error as exc:
            raise self._classify(exc) from exc
        if not (row and row[0]):
            self.init_schema()

    def _connect(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = self._open()
            except psycopg.Error as exc:
                raise errors.connect_error(exc, self.url, self.target) from None
        return self._conn

    def _open(self) -> psycopg.Connection[Any]:
        """A new connection as the ladder opens them (the rank index's build opens one too)."""
        return psycopg.connect(
            self.url,
            autocommit=True,
            connect_timeout=max(1, round(self._connect_timeout)),
            application_name="ladder",
            options="-c timezone=UTC",
        )

    def _classify(self, exc: psycopg.Error) -> Exception:
        if errors.connection_lost(exc):
            self._drop()
        return errors.error(exc, self.url, self.target)

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    @contextmanager
    def write_transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        with self._lock:
            conn = self.connect()
            try:
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
                    yield cur
            except (pgerrors.UndefinedTable, pgerrors.UndefinedColumn):
                self._drop()
                raise
            except psycopg.Error as exc:
                raise self._classify(exc) from exc

    @contextmanager
    def read_cursor(self) -> Iterator[psycopg.Cursor[Any]]:
        with self._lock:
            conn = self.connect()
            try:
                with conn.cursor() as cur:
                    yield cur
            except psycopg.Error as exc:
                raise self._classify(exc) from exc

    def prepare(self, jobs: Sequence[QueuedJob]) -> rows.LockPlan:
        return rows.lock_plan(jobs)

    def _batch_entries(
        self, cur: Any, jobs: Sequence[QueuedJob], prepared: object = None
    ) -> Iterator[Entry]:
        plan = prepared if isinstance(prepared, rows.LockPlan) else rows.lock_plan(jobs)
        return rows.locked_batch_rows(cur, plan)

    def _entries_of(self, cur: Any, uids: Sequence[int]) -> Iterator[Entry]:
        return rows.rows_of_uids(cur, uids)

    def uids_filter(self, uids: Sequence[int]) -> tuple[str, object]:
        return rows.UIDS_PREDICATE, rows.uid_array(uids)

    # -- bulk write --------------------------------------------------------------------

    def _match_stream(
        self, cur: Any, queue_id: str, jobs: Sequence[QueuedJob], matches: list[AppliedMatch]
    ) -> AbstractContextManager[Callable[[], None] | None]:
        return copy.match_stream(cur, queue_id, jobs, matches, self.write_method)

    def _write(
        self,
        cur: Any,
        queue_id: str,
        ratings: Ratings,
        applied: Sequence[int],
        *,
        matches_sent: bool = False,
    ) -> None:
        """The batch's writes: COPY, then one atomic upsert per kind from a temp table.

        For more than a few rows, COPY into a temporary table and one ``INSERT ... SELECT
        ... ON CONFLICT DO UPDATE`` beats executemany in pipeline mode; for a handful of
        rows the temporary table's catalog work costs more than it saves, so small batches
        keep executemany (docs/benchmarks.md measures both).
        """
        if self.write_method == "executemany" or (
            self.write_method == "auto" and len(ratings.changes) < copy.COPY_THRESHOLD
        ):
            super()._write(cur, queue_id, ratings, applied, matches_sent=matches_sent)
            return
        copy.write_by_copy(cur, queue_id, ratings, applied, matches_sent)

    def ts(self, value: datetime | None) -> object:
        return value

    def parse_ts(self, value: Any) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    def no_limit(self) -> object:
        return None

    # -- schema ------------------------------------------------------------------------

    def init_schema(self) -> None:
        """Create the ladder's tables; adopt an existing ``mmrs_1v1`` as it is."""
        with self._lock:
            conn = self.connect()
            try:
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
                    cur.execute("SELECT to_regclass('mmrs_1v1') IS NOT NULL")
                    existed = cur.fetchone() == (True,)
                    if not schema.schema_in_place(cur, self._old_job_key_tables(cur)):
                        cur.execute(sql.render(sql.SCHEMA, **self.words))
                        self._rename_old_job_keys(cur)
                    schema.check_adoptable(cur, self.columns(cur, "mmrs_1v1"), self.target)
                    self.upgrade_tables(cur)
                    self.index_advice = schema.rank_index(
                        cur, owned=not existed or schema.made_here(cur)
                    )
            except psycopg.Error as exc:
                raise self._classify(exc) from exc

    def columns(self, cur: Any, table: str) -> set[str]:
        cur.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
        return {row[0] for row in cur.fetchall()}

    def apply_batch(self, queue_id: str, jobs: Sequence[Any], prepared: object = None) -> Any:
        try:
            return super().apply_batch(queue_id, jobs, prepared)
        except (pgerrors.UndefinedTable, pgerrors.UndefinedColumn):
            # First write to a database nobody ran `ladder init` on (or whose ladder tables
            # a first build made): create or bring them up to date, then retry.
            self.init_schema()
            return super().apply_batch(queue_id, jobs, prepared)

    # -- reads ranked by the server ---------------------------------------------------

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
        from ladder_cli.stores.postgres import ranks  # deferred: it loads Polars

        with self.read_cursor() as cur:
            return ranks.page(
                cur, race=race, min_games=min_games, top=top, page=page, rules=rules, now=now
            )

    def ranked_entries_of(
        self, uid: int, *, rules: Rules, now: datetime | None = None
    ) -> pl.DataFrame | None:
        from ladder_cli.stores.postgres import ranks  # deferred: it loads Polars

        with self.read_cursor() as cur:
            return ranks.entries_of(cur, uid, rules=rules, now=now)

    # -- bulk read ---------------------------------------------------------------------

    def load_frame(self) -> pl.DataFrame:
        """``mmrs_1v1`` through ``COPY ... TO STDOUT`` straight into Polars' CSV reader:
        no Python object per row, timestamps as integer microseconds (no text parsing)."""
        from ladder_cli.domain.frames import frame_from_csv

        frame = self._adbc.entries()
        if frame is not None:
            return frame
        try:
            with self._lock:
                data = copy.copy_out(self.connect(), copy.LOAD_FRAME_COPY)
        except pgerrors.UndefinedTable:
            self.init_schema()
            return self.load_frame()
        except psycopg.Error as exc:
            raise self._classify(exc) from exc
        return frame_from_csv(data, epoch_us=True)

    def frame_aside(self) -> pl.DataFrame | None:
        return self._adbc.entries()

    def log_columns_until(self, cutoff: datetime | None) -> pl.DataFrame | None:
        return self._adbc.log_until(cutoff)

    def match_log_columns(self) -> pl.DataFrame | None:
        return self._adbc.log_with_mmrs()

    # -- a large flush without the rank index -------------------------------------------

    @contextmanager
    def bulk(self, jobs: int) -> Iterator[None]:
        """A large flush into a table the ladder created runs without the rank index and
        builds it afterwards (why, and when: :mod:`ladder_cli.stores.postgres.rank_index`)."""
        if not jobs:
            yield
            return
        try:
            with self._lock:
                large = jobs if self.bulk_rank_index else 0
                dropped = rank_index.before_flush(self.connect(), large)
        except psycopg.Error as exc:
            raise self._classify(exc) from exc
        self._index.start(dropped)
        try:
            yield
        finally:
            if self._index.finish():
                with self._lock, contextlib.suppress(psycopg.Error, LadderError):
                    self.connect().execute(
                        "SELECT pg_advisory_unlock(%s)", (rank_index.BULK_LOCK_KEY,)
                    )

    def flushed(self) -> None:
        self._index.flushed()

    # -- a correction's many rows -------------------------------------------------------

    def bulk_entry_changes(self, cur: Any, changes: Sequence[EntryChange]) -> list[Entry]:
        return bulk.write_entry_changes(cur, changes)

    def bulk_rewrite_matches(
        self, cur: Any, rows: Sequence[tuple[int, int, int, int, int]]
    ) -> None:
        bulk.rewrite_matches(cur, rows)

    def bulk_states(self, cur: Any, rows: Sequence[tuple[int, str, float, float, float]]) -> None:
        bulk.write_states(cur, rows)

    def close(self) -> None:
        self._adbc.close()
        self._drop()
