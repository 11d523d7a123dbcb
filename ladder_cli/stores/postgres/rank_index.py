"""The rank-order index on ``mmrs_1v1``: when the ladder owns it, and a large flush
without it.

Leaderboard pages walk :data:`~ladder_cli.stores.postgres.ranks.RANK_INDEX` and stop after
their rows. Every flush upsert changes ``mmr``, an indexed column of it, so with the index
no update is HOT: each writes a new entry in every index of the table. For a flush of many
jobs it is cheaper to drop the index and build it once afterwards (docs/benchmarks.md).
The drop waits only briefly for the bot's transactions (else the flush keeps the index);
the build blocks none of its writes, and meanwhile reads rank without the index (slower,
the same answer). A flush that stops before the build leaves the index missing, and the
next one builds it.

The index is the ladder's only on a table ``ladder init`` created (recognised by its
``fillfactor``: an adopted table is the bot's, and an index of the same name on it is
the admin's). A session advisory lock marks a flush that dropped it, so another
process's flush does not build it back in the middle.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from typing import Any, Final

import psycopg

from ladder_cli.stores.postgres.ranks import RANK_INDEX, RANK_INDEX_DDL

#: Held (session level) from dropping the index to building it again.
BULK_LOCK_KEY: Final = 0x1ADDE6
#: A flush of fewer jobs keeps the index: dropping and building it costs more than the
#: index entries of its updates.
MIN_JOBS: Final = 5_000
#: ... and of fewer than one job per this many entries (a build reads every entry; a
#: job updates two).
ENTRIES_PER_JOB: Final = 8
#: The table's bytes per entry, to estimate the entries from its size without a count.
BYTES_PER_ENTRY: Final = 128
#: How long dropping the index may wait for the table's transactions (the bot's). A
#: plain DROP INDEX is atomic (a drop that cannot start changes nothing, and this flush
#: keeps the index) but holds the bot's statements behind it while it waits, so briefly.
DROP_WAIT: Final = "100ms"
#: How long the build may wait for them (it blocks nobody meanwhile); a build that cannot
#: start is left to the next flush.
BUILD_WAIT: Final = "10s"

_STATE: Final = (
    "SELECT coalesce('fillfactor=80' = ANY(t.reloptions), false), i.indisvalid, "
    "pg_relation_size(t.oid) "
    "FROM pg_class t LEFT JOIN pg_index i ON i.indrelid = t.oid "
    "AND i.indexrelid = to_regclass(%s) WHERE t.oid = to_regclass('mmrs_1v1')"
)
_CONCURRENTLY: Final = RANK_INDEX_DDL.replace("CREATE INDEX", "CREATE INDEX CONCURRENTLY")


def before_flush(conn: Any, jobs: int) -> bool:
    """Before a flush of ``jobs`` jobs, on an autocommit connection outside any
    transaction: drop the index when the flush is large enough to gain (True: :func:`build`
    it when the flush ends, then release :data:`BULK_LOCK_KEY`); build it when an earlier
    flush stopped before doing so. Nothing on a table the ladder did not create, and
    nothing that fails (a role that does not own the table, a busy table) stops the
    flush."""
    row = conn.execute(_STATE, (RANK_INDEX,)).fetchone()
    if row is None or not row[0]:
        return False
    _, valid, size = row
    if jobs < max(MIN_JOBS, size // BYTES_PER_ENTRY // ENTRIES_PER_JOB):
        if valid is not True and _free(conn, session=False):
            with contextlib.suppress(psycopg.Error):
                build(conn)
        return False
    if not _free(conn, session=True):
        return False  # another flush has dropped it, and builds it when it ends
    try:
        _waiting(conn, DROP_WAIT, f"DROP INDEX IF EXISTS {RANK_INDEX}")
    except psycopg.Error:  # busy: this flush writes it as usual
        conn.execute("SELECT pg_advisory_unlock(%s)", (BULK_LOCK_KEY,))
        return False
    return True


def build(conn: Any) -> None:
    """Build the index without blocking the bot's writes; an invalid one (left by an
    interrupted build) is dropped first."""
    row = conn.execute(_STATE, (RANK_INDEX,)).fetchone()
    if row is not None and row[1] is False:
        _waiting(conn, DROP_WAIT, f"DROP INDEX IF EXISTS {RANK_INDEX}")
    _waiting(conn, BUILD_WAIT, _CONCURRENTLY)


def build_aside(connect: Callable[[], Any]) -> concurrent.futures.Future[None]:
    """:func:`build` on a connection (from ``connect``) and a thread of their own, so the
    flushing process keeps its frame and snapshot current meanwhile."""
    future: concurrent.futures.Future[None] = concurrent.futures.Future()

    def run() -> None:
        try:
            with connect() as conn:
                build(conn)
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(None)

    threading.Thread(target=run, name="ladder-rank-index", daemon=True).start()
    return future


class AroundFlush:
    """One store's large flushes: whether the running one dropped the index, and the
    build that starts once its last batch is written."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect  # a new autocommit connection for the build
        self._dropped = False
        self._build: concurrent.futures.Future[None] | None = None

    def start(self, dropped: bool) -> None:
        self._dropped, self._build = dropped, None

    def flushed(self) -> None:
        """The last batch is written: the build starts on a connection of its own while
        the process keeps its frame and snapshot current."""
        if self._dropped and self._build is None:
            self._build = build_aside(self._connect)

    def finish(self) -> bool:
        """Wait for the build (started now if need be); True when the flush had dropped
        the index, so its :data:`BULK_LOCK_KEY` is to be released."""
        dropped, self._dropped = self._dropped, False
        if dropped:
            build = self._build or build_aside(self._connect)
            with contextlib.suppress(Exception):
                build.result()
        return dropped


def _waiting(conn: Any, wait: str, statement: str) -> None:
    """``statement``, waiting at most ``wait`` for the table's transactions."""
    conn.execute(f"SET lock_timeout = '{wait}'")
    try:
        conn.execute(statement)
    finally:
        conn.execute("RESET lock_timeout")


def _free(conn: Any, *, session: bool) -> bool:
    """Whether no flush has the index dropped; with ``session``, mark this connection's
    flush as the one that has."""
    take = "pg_try_advisory_lock" if session else "pg_try_advisory_xact_lock"
    row = conn.execute(f"SELECT {take}(%s)", (BULK_LOCK_KEY,)).fetchone()
    return bool(row and row[0])
