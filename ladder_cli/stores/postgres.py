"""The PostgreSQL store, through psycopg 3: the existing ladder's database.

Imported only when a PostgreSQL URL is configured, so the embedded path never pays for
psycopg. Errors are sorted into three kinds, because they call for different actions:
the server is unreachable (queue and retry later), the URL is wrong (fix the config),
or the data was refused (isolate the job).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import TYPE_CHECKING, Any, ClassVar

import psycopg
from psycopg import errors as pgerrors

from ladder_cli import tables
from ladder_cli.config import mask_url
from ladder_cli.errors import BadInput, DatabaseUnavailable, LadderError
from ladder_cli.model import AppliedMatch, Entry, Key, MatchJob, now_utc
from ladder_cli.stores import eventlog, rank_index, sql
from ladder_cli.stores.base import JobRejected, Store, involved_keys, match_row

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.model import QueuedJob
    from ladder_cli.rating import Change, Ratings
    from ladder_cli.rules import Rules

# An arbitrary constant: the key of the transaction-level advisory lock that serialises
# ladder flushers, so match ids increase in the order matches were applied.
ADVISORY_LOCK_KEY = 0x1ADDE5

# Batches touching fewer rows than this are written with executemany (pipeline mode):
# below it the temporary table costs more than COPY saves (measured by the benchmark).
COPY_THRESHOLD = 64
# A streamed match log is sent this many matches at a time while the batch is rated.
MATCH_CHUNK = 1_000

_UPSERT_COLUMNS = sql.UPSERT_COLUMNS
# The rows of a batch's upserts: their order in the batch, their kind, then mmrs_1v1's.
_CREATE_UPSERT_TMP = (
    "CREATE TEMP TABLE IF NOT EXISTS ladder_upsert_tmp (ord integer, absolute boolean, "
    f"{tables.sql_definitions(tables.ENTRIES, tables.ENTRY_WRITE)}) ON COMMIT DROP"
)
_COPY_UPSERT_TMP = (
    f"COPY ladder_upsert_tmp (ord, absolute, {_UPSERT_COLUMNS}) FROM STDIN (FORMAT BINARY)"
)
_UPSERT_TMP_TYPES = ["int4", "bool", *tables.ENTRIES.types(tables.ENTRY_WRITE)]


def _upsert_from_tmp(upsert: str, absolute: bool) -> str:
    # The seed's atomic upsert, word for word from its conflict clause on: only the rows
    # come from the temporary table (in the batch's order) instead of VALUES.
    conflict = upsert[upsert.index("ON CONFLICT") :]
    where = "absolute" if absolute else "NOT absolute"
    return (
        f"INSERT INTO mmrs_1v1 ({_UPSERT_COLUMNS}) SELECT {_UPSERT_COLUMNS} "
        f"FROM ladder_upsert_tmp WHERE {where} AND ord BETWEEN %s AND %s ORDER BY ord {conflict}"
    )


_UPSERT_DELTA_FROM_TMP = _upsert_from_tmp(sql.UPSERT_DELTA, absolute=False)
_UPSERT_ABSOLUTE_FROM_TMP = _upsert_from_tmp(sql.UPSERT_ABSOLUTE, absolute=True)
_RENAME_MANY = (
    "UPDATE mmrs_1v1 AS m SET player_name = r.name "
    "FROM unnest(%s::bigint[], %s::text[]) AS r(uid, name) WHERE m.discord_uid = r.uid"
)
_COPY_MATCHES = (
    f"COPY ladder_matches ({tables.sql_list(tables.MATCH_WRITE)}) FROM STDIN (FORMAT BINARY)"
)
_MATCHES_TYPES = tables.MATCHES.types(tables.MATCH_WRITE)
# The ledger's rows: one queue, one time, the job ids as one array literal (cheaper to
# build than a COPY row per job).
_INSERT_APPLIED_IDS = (
    f"INSERT INTO ladder_applied_jobs ({tables.sql_list(tables.LEDGER.names)}) "
    "SELECT %s, unnest(%s::bigint[]), %s"
)

_KEYS = "unnest(%s::bigint[], %s::text[]) AS k(uid, race)"
_M_COLUMNS = tables.sql_list(tables.ENTRY_READ, prefix="m.")
# The rows of a batch's keys, locked in key order, through the (discord_uid, race) index:
# 20,000 matches of the benchmark touch 35,514 rows, where all of their players' rows are
# 65,692; the rows not read are neither locked nor decoded.
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

# The match log for a replay (ladder_cli.domain.wavereplay.MATCH_COLUMNS), up to a time.
_LOG_COLUMNS = (
    "SELECT match_id, played_at, p1_uid, p1_race, p2_uid, p2_race, result::int8 AS result, "
    "state = 'voided' AS voided FROM ladder_matches {where} ORDER BY match_id"
)
_ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?\+00:00")

# Timestamps as integer microseconds since the epoch: no timestamp text to parse.
_LOAD_FRAME_COPY = (
    "COPY (SELECT "
    + tables.sql_list(tables.ENTRIES.without("last_played"))
    + ", (extract(epoch FROM last_played) * 1000000)::int8 AS last_played "
    "FROM mmrs_1v1) TO STDOUT (FORMAT csv, HEADER true)"
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


def _copy_out(conn: psycopg.Connection[Any], statement: str) -> bytes:
    """The whole output of ``COPY ... TO STDOUT``, read straight from libpq.

    libpq hands COPY data over one row at a time; psycopg's ``Copy`` iterator costs a
    generator round trip per row, which dominated loading a million rows, so the rows
    are pulled here in a tight loop on the documented low-level ``pgconn``.
    """
    from psycopg import pq

    pgconn = conn.pgconn
    with conn.lock:
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            raise psycopg.ProgrammingError("bulk read inside a transaction")
        pgconn.send_query(statement.encode())
        while pgconn.flush():
            pass
        result = pgconn.get_result()
        parts: list[Any] = []
        if result is not None and result.status == pq.ExecStatus.COPY_OUT:
            get = pgconn.get_copy_data
            append = parts.append
            while True:
                nbytes, data = get(0)
                if nbytes <= 0:
                    break
                append(data)
            if nbytes == -2:
                raise psycopg.OperationalError(pgconn.get_error_message())
            result = pgconn.get_result()
        error = None
        if result is None or result.status not in (
            pq.ExecStatus.COMMAND_OK,
            pq.ExecStatus.COPY_OUT,
        ):
            error = _result_error(result, pgconn)
        while pgconn.get_result() is not None:
            pass
    if error is not None:
        raise error
    return b"".join(parts)


def _result_error(result: Any, pgconn: Any) -> psycopg.Error:
    if result is None:
        return psycopg.OperationalError(pgconn.get_error_message())
    from psycopg import pq

    state = result.error_field(pq.DiagnosticField.SQLSTATE)
    message = (result.error_message or b"").decode(errors="replace").strip()
    cls = pgerrors.lookup(state.decode()) if state else psycopg.DatabaseError
    return cls(message)


# libpq's words, in a failed connection's text, for what only a corrected URL or setup
# fixes: bad credentials, no such database or user, a host name that does not resolve, an
# option value it does not accept; no password for the role (none in the URL, ~/.pgpass,
# PGPASSFILE or the service file), no pg_hba.conf entry for the connection, or a TLS
# certificate the URL does not trust (or TLS the server does not offer).
_WRONG_URL_MESSAGES = (
    "password authentication failed",
    "does not exist",
    "could not translate host name",
    "name or service not known",
    "invalid ",
    "no password supplied",
    "no pg_hba.conf entry",
    "certificate verify failed",
    "does not match host name",
    "server does not support ssl",
    "root certificate file",
)


def _says_wrong_url(message: str) -> bool:
    lowered = message.lower()
    return any(words in lowered for words in _WRONG_URL_MESSAGES) or (
        "missing" in lowered and "=" in lowered
    )


def _schema_in_place(cur: Any, old_job_key_tables: list[str]) -> bool:
    """Whether every table and index of the schema exists, up to date: then `ladder init`
    runs no DDL, so a role without CREATE on the schema (least privilege, see the README)
    can run it after the owner did."""
    names = re.findall(r"CREATE (?:TABLE|INDEX) IF NOT EXISTS (\w+)", sql.SCHEMA)
    cur.execute(
        "SELECT count(*) FROM unnest(%s::text[]) AS n WHERE to_regclass(n) IS NOT NULL",
        (names,),
    )
    row = cur.fetchone()
    return bool(row and row[0] == len(names)) and not old_job_key_tables


# SQLSTATE classes that mean "this data can never be written": data exceptions,
# integrity constraint violations, and errors raised by triggers.
_REJECTED_CLASSES = ("22", "23", "P0")


class PostgresStore(Store):
    #: "auto" (COPY above :data:`COPY_THRESHOLD` rows), "copy" or "executemany";
    #: the latter two exist so the benchmark can measure both.
    write_method: ClassVar[str] = "auto"
    #: Whether a large flush drops the rank index and builds it afterwards (see bulk);
    #: False exists so the benchmark can measure the flush with the index kept.
    bulk_rank_index: ClassVar[bool] = True
    lock_rows: ClassVar[str] = " FOR UPDATE"
    bulk_corrections: ClassVar[bool] = True
    words: ClassVar[dict[str, str]] = {
        "serial": "SERIAL",
        "bigserial": "BIGSERIAL",
        "timestamp": "TIMESTAMPTZ",
        "fold": "lower",
        "entries_options": " WITH (fillfactor = 80)",
        "ledger_options": "",
    }

    def __init__(self, url: str, *, connect_timeout: float = 5.0) -> None:
        self.url = url
        self.target = mask_url(url, hide_password=True)
        self._connect_timeout = connect_timeout
        self._conn: psycopg.Connection[Any] | None = None
        self._adbc = _ArrowReader(url, connect_timeout)  # bulk reads, connected on first use
        # The threads of one Ladder share this connection, and a transaction belongs to
        # the connection: a read must not run inside another thread's open write
        # transaction (it would see half a batch, or abort it), so they take turns.
        self._lock = threading.RLock()
        self._schema_ready = False
        # A large flush's rank index: dropped for it, and its build (see bulk).
        self._bulk = False
        self._build: concurrent.futures.Future[None] | None = None

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
            row = conn.execute(
                "SELECT to_regclass('mmrs_1v1') IS NOT NULL"
                " AND to_regclass('ladder_matches') IS NOT NULL"
                " AND to_regclass('ladder_applied_jobs') IS NOT NULL"
                " AND to_regclass('ladder_rules') IS NOT NULL"
                " AND to_regclass('ladder_events') IS NOT NULL"
                " AND to_regclass('ladder_audit') IS NOT NULL"
            ).fetchone()
        except psycopg.Error as exc:
            raise self._classify(exc) from exc
        if not (row and row[0]):
            self.init_schema()

    def _connect(self) -> psycopg.Connection[Any]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        try:
            self._conn = psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=max(1, round(self._connect_timeout)),
                application_name="ladder",
                options="-c timezone=UTC",
            )
        except psycopg.Error as exc:
            raise self._classify_connect(exc) from None
        return self._conn

    def _scrub(self, text: str) -> str:
        from ladder_cli.config import scrub

        return " ".join(scrub(text, self.url).split())

    def _classify_connect(self, exc: psycopg.Error) -> LadderError:
        """A wrong URL (BadInput: no retry can succeed) or an outage (queue and retry).

        By exception type and SQLSTATE where the driver gives them: a URL libpq cannot
        parse is a ProgrammingError raised before any network traffic; class 28 (bad
        credentials) and 3D000 (no such database) are the server's word. A connection
        that fails while starting up carries no SQLSTATE in psycopg, only libpq's text,
        so for those alone the message is read (:data:`_WRONG_URL_MESSAGES`).
        """
        message = self._scrub(str(exc))
        state = exc.sqlstate or ""
        if (
            isinstance(exc, psycopg.ProgrammingError)
            or state.startswith("28")
            or state == "3D000"
            or (not state and _says_wrong_url(message))
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

    def prepare(self, jobs: Sequence[QueuedJob]) -> LockPlan:
        return lock_plan(jobs)

    def _batch_entries(
        self, cur: Any, jobs: Sequence[QueuedJob], prepared: object = None
    ) -> Iterator[Entry]:
        plan = prepared if isinstance(prepared, LockPlan) else lock_plan(jobs)
        return _lock_batch_entries(cur, plan)

    def _entries_of(self, cur: Any, uids: Sequence[int]) -> Iterator[Any]:
        # In a write transaction, lock the rows in key order (the same order for every
        # flusher, so two never deadlock) against writers that skip our advisory lock.
        if not uids:
            return iter(())
        lock = " FOR UPDATE" if cur.connection.info.transaction_status else ""
        predicate, param = self._uids_filter(uids)
        cur.execute(sql.ENTRIES_OF_UIDS.format(uids=predicate) + lock, (param,), binary=True)
        return _entries(cur.fetchall())

    def _uids_filter(self, uids: Sequence[int]) -> tuple[str, object]:
        return _UIDS_PREDICATE, _uid_array(uids)

    # -- bulk write --------------------------------------------------------------------

    def _match_stream(
        self, cur: Any, queue_id: str, jobs: Sequence[QueuedJob], matches: list[AppliedMatch]
    ) -> AbstractContextManager[Callable[[], None] | None]:
        return _match_stream(cur, queue_id, jobs, matches, self.write_method)

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

        Measured (see docs/benchmarks.md): for more than a few rows, COPY into a temporary
        table and one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` beats executemany
        in pipeline mode several times over; for a handful of rows the temporary table's
        catalog work costs more than it saves, so small batches keep executemany.
        """
        if self.write_method == "executemany" or (
            self.write_method == "auto" and len(ratings.changes) < COPY_THRESHOLD
        ):
            super()._write(cur, queue_id, ratings, applied, matches_sent=matches_sent)
            return
        _write_by_copy(cur, queue_id, ratings, applied, matches_sent)

    def _ts(self, value: datetime | None) -> object:
        return value

    def _parse_ts(self, value: Any) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    def _no_limit(self) -> object:
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
                    if not _schema_in_place(cur, self._old_job_key_tables(cur)):
                        cur.execute(sql.render(sql.SCHEMA, **self.words))
                        self._rename_old_job_keys(cur)
                    _check_adoptable(cur, self._columns(cur, "mmrs_1v1"), self.target)
                    eventlog.upgrade(self, cur)
                    self.index_advice = _rank_index(cur, owned=not existed or _made_here(cur))
            except psycopg.Error as exc:
                raise self._classify(exc) from exc

    def _columns(self, cur: Any, table: str) -> set[str]:
        cur.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
        return {row[0] for row in cur.fetchall()}

    @contextmanager
    def bulk(self, jobs: int) -> Iterator[None]:
        """A flush of many jobs into a table the ladder created writes it without the rank
        index, then builds the index again: every upsert changes ``mmr``, so with the index
        no update is HOT and each writes three index entries, where one build after the
        flush costs a fraction of that (docs/benchmarks.md). The drop waits only briefly for
        the bot's transactions (else the flush keeps the index), the build blocks none of
        its writes; meanwhile reads rank without the index (slower, the same answer). A
        flush that stops before the build leaves the index missing; the next one builds
        it (:mod:`ladder_cli.stores.rank_index`)."""
        if not jobs:
            yield
            return
        try:
            with self._lock:
                large = jobs if self.bulk_rank_index else 0
                dropped = rank_index.before_flush(self.connect(), large)
        except psycopg.Error as exc:
            raise self._classify(exc) from exc
        self._build = None
        try:
            self._bulk = dropped
            yield
        finally:
            self._bulk = False
            if dropped:
                build = self._build or self._build_aside()
                with contextlib.suppress(Exception):
                    build.result()
                with self._lock, contextlib.suppress(psycopg.Error, LadderError):
                    self.connect().execute(
                        "SELECT pg_advisory_unlock(%s)", (rank_index.BULK_LOCK_KEY,)
                    )

    def flushed(self) -> None:
        # The last batch is written: the index's build starts on a connection of its own
        # while this process keeps its frame and snapshot current (see bulk).
        if self._bulk and self._build is None:
            self._build = self._build_aside()

    def _build_aside(self) -> concurrent.futures.Future[None]:
        """The rank index built on a connection and a thread of their own."""

        def build() -> None:
            with psycopg.connect(
                self.url,
                autocommit=True,
                connect_timeout=max(1, round(self._connect_timeout)),
                application_name="ladder",
            ) as conn:
                rank_index.build(conn)

        future: concurrent.futures.Future[None] = concurrent.futures.Future()

        def run() -> None:
            try:
                build()
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(None)

        threading.Thread(target=run, name="ladder-rank-index", daemon=True).start()
        return future

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
        from ladder_cli.stores import server_ranks

        with self.read_cursor() as cur:
            return server_ranks.page(
                cur, race=race, min_games=min_games, top=top, page=page, rules=rules, now=now
            )

    def ranked_entries_of(
        self, uid: int, *, rules: Rules, now: datetime | None = None
    ) -> pl.DataFrame | None:
        from ladder_cli.stores import server_ranks

        with self.read_cursor() as cur:
            return server_ranks.entries_of(cur, uid, rules=rules, now=now)

    # -- bulk read ---------------------------------------------------------------------

    def load_frame(self) -> pl.DataFrame:
        """``mmrs_1v1`` through ``COPY ... TO STDOUT`` straight into Polars' CSV reader:
        no Python object per row, timestamps as integer microseconds (no text parsing)."""
        from ladder_cli.state import frame_from_csv

        frame = self._adbc.entries()
        if frame is not None:
            return frame
        try:
            with self._lock:
                data = _copy_out(self.connect(), _LOAD_FRAME_COPY)
        except pgerrors.UndefinedTable:
            self.init_schema()
            return self.load_frame()
        except psycopg.Error as exc:
            raise self._classify(exc) from exc
        return frame_from_csv(data, epoch_us=True)

    def frame_aside(self) -> pl.DataFrame | None:
        return self._adbc.entries()

    def log_columns_until(self, cutoff: datetime | None) -> pl.DataFrame | None:
        # The driver binds no parameter without pyarrow: the cutoff is written into the
        # statement, from a datetime's own ISO text only (checked, never a user's text).
        if cutoff is None:
            return self._adbc.frame(_LOG_COLUMNS.format(where=""))
        at = cutoff.astimezone(UTC).isoformat()
        if not _ISO_TIME.fullmatch(at):
            return None
        return self._adbc.frame(_LOG_COLUMNS.format(where=f"WHERE played_at <= '{at}'"))

    def close(self) -> None:
        self._adbc.close()
        self._drop()


def _write_by_copy(
    cur: Any, queue_id: str, ratings: Ratings, applied: Sequence[int], matches_sent: bool
) -> None:
    """The batch's rows by binary COPY: the upserts' into a temporary table, then one
    atomic upsert per run of same-kind rows from it; the match log and the ledger's
    straight into their tables."""
    changes = list(ratings.changes.values())
    cur.execute(_CREATE_UPSERT_TMP)
    with cur.copy(_COPY_UPSERT_TMP) as copy:
        copy.set_types(_UPSERT_TMP_TYPES)
        write = copy.write_row
        for order, change in enumerate(changes):
            write(upsert_tmp_row(order, change))
    # One upsert per run of same-kind rows, in the batch's order (new rows' ids follow
    # it); without resets in the batch that is a single statement.
    first = 0
    for absolute, run in groupby(changes, key=lambda c: c.absolute):
        last = first + sum(1 for _ in run) - 1
        upsert = _UPSERT_ABSOLUTE_FROM_TMP if absolute else _UPSERT_DELTA_FROM_TMP
        cur.execute(upsert, (first, last))
        first = last + 1
    if ratings.renamed:
        cur.execute(_RENAME_MANY, (list(ratings.renamed), list(ratings.renamed.values())))
    if ratings.matches and not matches_sent:
        with cur.copy(_COPY_MATCHES) as copy:
            copy.set_types(_MATCHES_TYPES)
            write = copy.write_row
            for m in ratings.matches:
                write(match_row(queue_id, m, _same))
    if applied:
        cur.execute(_INSERT_APPLIED_IDS, (queue_id, _uid_array(applied), now_utc()))


def _match_stream(
    cur: Any, queue_id: str, jobs: Sequence[QueuedJob], matches: list[AppliedMatch], method: str
) -> AbstractContextManager[Callable[[], None] | None]:
    # A batch with other jobs keeps its log for later: their events need the matches' ids
    # first.
    if (
        method == "executemany"
        or len(jobs) < COPY_THRESHOLD
        or any(type(job.job) is not MatchJob for job in jobs)
    ):
        return nullcontext(None)
    return _streamed_matches(cur, queue_id, matches)


@contextmanager
def _streamed_matches(
    cur: Any, queue_id: str, matches: list[AppliedMatch]
) -> Iterator[Callable[[], None]]:
    """The match log by binary COPY while a batch of matches is rated: called after each
    applied job, it sends what ``matches`` gained once that is a chunk, so the server
    stores one chunk while the client rates the next; the rest goes on leaving."""
    sent = 0
    with cur.copy(_COPY_MATCHES) as copy:
        copy.set_types(_MATCHES_TYPES)
        write = copy.write_row

        def send(least: int = MATCH_CHUNK) -> None:
            nonlocal sent
            if len(matches) - sent >= least:
                for m in matches[sent:]:
                    write(match_row(queue_id, m, _same))
                sent = len(matches)

        yield send
        send(1)


def upsert_tmp_row(order: int, c: Change) -> tuple[object, ...]:
    """A row of ``ladder_upsert_tmp``: its place in the batch, its kind, then the
    upsert's columns (:data:`~ladder_cli.tables.ENTRY_WRITE`)."""
    e = c.entry
    return (
        order,
        c.absolute,
        e.discord_uid,
        e.player_name,
        e.race,
        e.mmr,
        c.played,
        c.won,
        c.lost,
        c.drawn,
        e.last_played,
    )


class _ArrowReader:
    """``mmrs_1v1`` through the ADBC PostgreSQL driver (binary COPY decoded to Arrow in
    C++), when it is installed: faster than the COPY-to-CSV path (docs/benchmarks.md).
    Its connection is autocommit, so it never sits idle in a transaction holding a lock
    on the table between reads."""

    def __init__(self, url: str, connect_timeout: float) -> None:
        self._url = url
        self._timeout = max(1, round(connect_timeout))
        self._conn: Any = None
        self._lock = threading.RLock()  # its own: it may read beside a write transaction

    def entries(self) -> pl.DataFrame | None:
        """None when the driver is missing or on any error: the caller falls back to the
        COPY path, which also classifies errors."""
        from ladder_cli.state import frame_from_arrow

        with self._lock:
            frame = self._read(sql.ALL_ENTRIES)
        return None if frame is None else frame_from_arrow(frame)

    def frame(self, statement: str) -> pl.DataFrame | None:
        """Any statement's rows as the driver types them; None as for :meth:`entries`."""
        with self._lock:
            return self._read(statement)

    def _read(self, statement: str) -> pl.DataFrame | None:
        try:
            import adbc_driver_postgresql.dbapi as adbc  # type: ignore[import-untyped]
        except ImportError:
            return None
        import polars as pl

        try:
            if self._conn is None:
                sep = "&" if "?" in self._url else "?"
                uri = f"{self._url}{sep}connect_timeout={self._timeout}"
                self._conn = adbc.connect(uri, autocommit=True)
            with self._conn.cursor() as cur:
                cur.execute(statement)
                return pl.DataFrame(cur.fetch_arrow())
        except Exception:
            self.close()
            return None

    def close(self) -> None:
        with self._lock:  # never under a read on another thread
            conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


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


def _lock_batch_entries(cur: Any, plan: LockPlan) -> Iterator[Entry]:
    """The rows the batch touches, locked in key order: each match side's own row, and
    every row of players a job resets or renames. A player's other rows are read only
    when the batch gives that player a new race, whose name then comes from them, as
    from a full read; they are not written, so they are not locked here (another
    ladder flusher waits on the advisory lock; an outside writer renaming that player
    at the same moment can leave the new row with the old name)."""
    keys, whole, uids, races = plan.keys, plan.whole, plan.uids, plan.races
    if whole:
        params: tuple[object, ...] = (uids, races, _uid_array(sorted(whole)))
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
        predicate, param = _UIDS_PREDICATE, _uid_array(gaining)
        cur.execute(sql.ENTRIES_OF_UIDS.format(uids=predicate), (param,), binary=True)
        entries += [e for e in _entries(cur.fetchall()) if e.key not in found]
        # Key order, so each player's name comes from the same row as in a full read.
        entries.sort(key=lambda entry: entry.key)
    return iter(entries)


_UIDS_PREDICATE = "= ANY(%s::bigint[])"
# libpq 17 and later hand over a result in chunks of rows (psycopg's stream with a size).
_CHUNKED_ROWS = psycopg.pq.version() >= 170000
_CHUNK_ROWS = 2_000


def _entries_streamed(
    cur: psycopg.Cursor[Any], statement: str, params: Sequence[object]
) -> list[Entry]:
    """A statement's rows as entries, in chunks where libpq can: the client decodes one
    chunk while the server locks the next rows (docs/benchmarks.md); else all at once.
    The stream is closed here, also on an error or interrupt while decoding: a paused
    stream holds the connection's lock, so the rollback would wait on it for ever."""
    if _CHUNKED_ROWS:
        rows = cur.stream(statement, params, binary=True, size=_CHUNK_ROWS)
        with contextlib.closing(rows):  # type: ignore[type-var]
            return list(_entries(rows))
    cur.execute(statement, params, binary=True)
    return list(_entries(cur.fetchall()))


def _uid_array(uids: Sequence[int]) -> str:
    """One array literal: psycopg would dump a list of ints element by element in Python,
    far slower than the join (the values are ints, never text)."""
    return "{" + ",".join(map(str, uids)) + "}"


def _made_here(cur: psycopg.Cursor[Any]) -> bool:
    """Whether ``mmrs_1v1`` is the one a ``ladder init`` created: only that one has the
    ladder's storage option (:data:`~ladder_cli.stores.sql.SCHEMA`'s fillfactor)."""
    cur.execute(
        "SELECT coalesce('fillfactor=80' = ANY(reloptions), false) FROM pg_class "
        "WHERE oid = 'mmrs_1v1'::regclass"
    )
    row = cur.fetchone()
    return bool(row and row[0])


def _rank_index(cur: psycopg.Cursor[Any], *, owned: bool) -> str | None:
    """Create the index server-side reads walk on a table the ladder owns; on an adopted
    one, return the statement to suggest (an admin's table is not altered)."""
    from ladder_cli.stores.server_ranks import RANK_INDEX, RANK_INDEX_DDL

    cur.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", (RANK_INDEX,))
    row = cur.fetchone()
    if row and row[0]:
        return None  # in place: no DDL (a least-privilege role may run init)
    if owned:
        if row:  # invalid: a build that was stopped (see ladder_cli.stores.rank_index)
            cur.execute(f"DROP INDEX {RANK_INDEX}")
        cur.execute(RANK_INDEX_DDL)
        return None
    if row:
        return None  # the admin's own index, being built or failed: theirs to mind
    return (
        "leaderboard and profile read faster with an index in rank order on mmrs_1v1 "
        f"(not created on an adopted table): {RANK_INDEX_DDL}"
    )


def _check_adoptable(cur: psycopg.Cursor[Any], have: set[str], target: str) -> None:
    """An existing ``mmrs_1v1`` the ladder can write to: every column, and the unique key
    its atomic upsert needs."""
    need = set(tables.ENTRY_READ)
    if missing := sorted(need - have):
        raise LadderError(
            f"mmrs_1v1 in {target} lacks columns {', '.join(missing)}: "
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
            f"mmrs_1v1 in {target} has no UNIQUE (discord_uid, race): the atomic "
            "upsert needs it; add the constraint and run `ladder init` again"
        )


def _same(value: Any) -> Any:
    return value
