"""The flush's bulk writes on PostgreSQL, by binary COPY, and the bulk read of the table.

A batch's upserts go into a temporary table and then into ``mmrs_1v1`` with the seed's
atomic upsert, word for word from its conflict clause on; the match log and the ledger
go straight into their tables, the match log streamed while the batch is rated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from itertools import groupby
from typing import Any

import psycopg
from psycopg import errors as pgerrors

from ladder_cli.domain import tables
from ladder_cli.domain.model import AppliedMatch, MatchJob, QueuedJob, now_utc
from ladder_cli.domain.rating import Change, Ratings
from ladder_cli.stores import sql
from ladder_cli.stores.postgres.rows import uid_array
from ladder_cli.stores.rows import match_row

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


# Timestamps as integer microseconds since the epoch: no timestamp text to parse.
LOAD_FRAME_COPY = (
    "COPY (SELECT "
    + tables.sql_list(tables.ENTRIES.without("last_played"))
    + ", (extract(epoch FROM last_played) * 1000000)::int8 AS last_played "
    "FROM mmrs_1v1) TO STDOUT (FORMAT csv, HEADER true)"
)


def copy_out(conn: psycopg.Connection[Any], statement: str) -> bytes:
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


def write_by_copy(
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
        cur.execute(_INSERT_APPLIED_IDS, (queue_id, uid_array(applied), now_utc()))


def match_stream(
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
    upsert's columns (:data:`~ladder_cli.domain.tables.ENTRY_WRITE`)."""
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


def _same(value: Any) -> Any:
    return value
