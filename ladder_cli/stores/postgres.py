"""The PostgreSQL store, through psycopg 3: the existing ladder's database.

Imported only when a PostgreSQL URL is configured, so the embedded path never pays for
psycopg. Errors are sorted into three kinds, because they call for different actions:
the server is unreachable (queue and retry later), the URL is wrong (fix the config),
or the data was refused (isolate the job).
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import psycopg
from psycopg import errors as pgerrors

from ladder_cli.config import mask_url
from ladder_cli.errors import BadInput, DatabaseUnavailable, LadderError
from ladder_cli.stores import sql
from ladder_cli.stores.base import JobRejected, Store

if TYPE_CHECKING:
    import polars as pl

# An arbitrary constant: the key of the transaction-level advisory lock that serialises
# ladder flushers, so match ids increase in the order matches were applied.
ADVISORY_LOCK_KEY = 0x1ADDE5

# How long a failed connection attempt is remembered.
RETRY_AFTER_S = 5.0

# SQLSTATE classes that mean "this data can never be written": data exceptions,
# integrity constraint violations, and errors raised by triggers.
_REJECTED_CLASSES = ("22", "23", "P0")


class PostgresStore(Store):
    dialect = "postgresql"
    words: ClassVar[dict[str, str]] = {
        "serial": "SERIAL",
        "bigserial": "BIGSERIAL",
        "timestamp": "TIMESTAMPTZ",
        "fold": "lower",
    }

    def __init__(self, url: str, *, connect_timeout: float = 5.0) -> None:
        self.url = url
        self.target = mask_url(url, hide_password=True)
        self._connect_timeout = connect_timeout
        self._conn: psycopg.Connection[Any] | None = None
        self._failure: tuple[float, DatabaseUnavailable] | None = None

    # -- connection --------------------------------------------------------------------

    def connect(self) -> psycopg.Connection[Any]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        # One command asks "is it up?" several times; after a failure, answer from memory
        # for a moment instead of waiting out another connect timeout.
        if self._failure is not None and time.monotonic() - self._failure[0] < RETRY_AFTER_S:
            raise self._failure[1]
        try:
            self._conn = psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=max(1, round(self._connect_timeout)),
                application_name="ladder",
                options="-c timezone=UTC",
            )
        except psycopg.Error as exc:
            error = self._classify_connect(exc)
            if isinstance(error, DatabaseUnavailable):
                self._failure = (time.monotonic(), error)
            raise error from None
        self._failure = None
        return self._conn

    def _scrub(self, text: str) -> str:
        from urllib.parse import unquote, urlsplit

        password = urlsplit(self.url).password
        text = " ".join(text.split())
        if password:
            text = text.replace(password, "***").replace(unquote(password), "***")
        return text

    def _classify_connect(self, exc: psycopg.Error) -> LadderError:
        message = self._scrub(str(exc))
        state = getattr(exc, "sqlstate", None) or ""
        lowered = message.lower()
        if (
            state.startswith("28")
            or state == "3D000"
            or "password authentication failed" in lowered
            or "does not exist" in lowered
            or "could not translate host name" in lowered
            or "name or service not known" in lowered
            or "invalid dsn" in lowered
            or "invalid connection option" in lowered
            or ("missing" in lowered and "=" in lowered)
        ):
            return BadInput(f"cannot connect to {self.target}: {message}: check the URL")
        return DatabaseUnavailable(f"cannot reach {self.target}: {message}")

    def _classify(self, exc: psycopg.Error) -> Exception:
        state = exc.sqlstate or ""
        message = self._scrub(str(exc))
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError) and not (
            state.startswith(_REJECTED_CLASSES)
        ):
            self._drop()
            return DatabaseUnavailable(f"lost the connection to {self.target}: {message}")
        if state.startswith(_REJECTED_CLASSES):
            return JobRejected(message)
        return LadderError(f"{self.target}: {message}")

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    @contextmanager
    def write_transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        conn = self.connect()
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
                yield cur
        except pgerrors.UndefinedTable:
            self._drop()
            raise
        except psycopg.Error as exc:
            raise self._classify(exc) from exc

    @contextmanager
    def read_cursor(self) -> Iterator[psycopg.Cursor[Any]]:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                yield cur
        except psycopg.Error as exc:
            raise self._classify(exc) from exc

    def _entries_of(self, cur: Any, uids: Sequence[int]) -> Iterator[Any]:
        # In a write transaction, lock the rows in key order (the same order for every
        # flusher, so two never deadlock) against writers that skip our advisory lock.
        if not uids:
            return iter(())
        lock = " FOR UPDATE" if cur.connection.info.transaction_status else ""
        cur.execute(sql.ENTRIES_OF_UIDS.format(uids="= ANY(%s)") + lock, (list(uids),))
        return (self._entry(row) for row in cur.fetchall())

    def _uids_filter(self, uids: Sequence[int]) -> tuple[str, object]:
        return "= ANY(%s)", list(uids)

    def _ts(self, value: datetime | None) -> object:
        return value

    def _parse_ts(self, value: Any) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    def _no_limit(self) -> object:
        return None

    # -- schema ------------------------------------------------------------------------

    def init_schema(self) -> None:
        """Create the ladder's tables; adopt an existing ``mmrs_1v1`` as it is."""
        conn = self.connect()
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
                cur.execute(sql.render(sql.SCHEMA, **self.words))
                self._check_adoptable(cur)
        except psycopg.Error as exc:
            raise self._classify(exc) from exc

    def _check_adoptable(self, cur: psycopg.Cursor[Any]) -> None:
        cur.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'mmrs_1v1'"
        )
        have = {row[0] for row in cur.fetchall()}
        need = set(sql.ENTRY_COLUMNS.replace(" ", "").split(","))
        if missing := sorted(need - have):
            raise LadderError(
                f"mmrs_1v1 in {self.target} lacks columns {', '.join(missing)}: "
                "it is not the ladder's schema"
            )
        cur.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
            "WHERE c.oid = 'mmrs_1v1'::regclass AND i.indisunique AND ("
            "  SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a"
            "  WHERE a.attrelid = c.oid AND a.attnum = ANY(i.indkey)"
            ") = ARRAY['discord_uid', 'race']"
        )
        if cur.fetchone() is None:
            raise LadderError(
                f"mmrs_1v1 in {self.target} has no UNIQUE (discord_uid, race): the atomic "
                "upsert needs it; add the constraint and run `ladder init` again"
            )

    def apply_batch(self, queue_id: str, jobs: Sequence[Any]) -> Any:
        try:
            return super().apply_batch(queue_id, jobs)
        except pgerrors.UndefinedTable:
            # First write to a database nobody ran `ladder init` on: create, then retry.
            self.init_schema()
            return super().apply_batch(queue_id, jobs)

    # -- bulk read ---------------------------------------------------------------------

    def load_frame(self) -> pl.DataFrame:
        """``mmrs_1v1`` through ``COPY ... TO STDOUT`` straight into Polars' CSV reader:
        no Python object per row."""
        from ladder_cli.state import frame_from_csv

        conn = self.connect()
        buffer = io.BytesIO()
        try:
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY ({sql.ALL_ENTRIES}) TO STDOUT (FORMAT csv, HEADER true)") as copy,
            ):
                for chunk in copy:
                    buffer.write(chunk)
        except pgerrors.UndefinedTable:
            self.init_schema()
            return self.load_frame()
        except psycopg.Error as exc:
            raise self._classify(exc) from exc
        return frame_from_csv(buffer.getvalue())

    def close(self) -> None:
        self._drop()
