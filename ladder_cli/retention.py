"""Applied jobs kept for ``retain_days``, so that ``ladder wal reconcile`` can give a
restored or failed-over database back what it lost (see :mod:`ladder_cli.reconcile`).

They live in the queue's own file, in ``retained_jobs``: a job moves there in the same
transaction that takes it off the queue (:meth:`WriteQueue.complete
<ladder_cli.queue.WriteQueue.complete>`), and is pruned once older than the window.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Final, cast

from ladder_cli.domain.model import QueuedJob
from ladder_cli.jobrows import COLUMNS, JOB_COLUMNS_DDL, Row, checksum, decode, decode_audit

# Applied jobs are kept here for ``retain_days``, in the order they were applied (``rid``),
# so that `wal reconcile` can re-apply what a restored or failed-over database lost. A
# table of its own: the ``jobs`` table keeps meaning "not yet applied" for every reader
# (and for older versions of the tool, which ignore this table).
_RETAINED_SCHEMA: Final = f"""
CREATE TABLE IF NOT EXISTS retained_jobs (
    rid INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    target TEXT NOT NULL,
    job_id INTEGER NOT NULL,
{JOB_COLUMNS_DDL}    crc INTEGER NOT NULL,
    enqueued_at REAL NOT NULL,
    applied_at REAL NOT NULL,
    audit TEXT
);
CREATE INDEX IF NOT EXISTS retained_by_age ON retained_jobs (applied_at);
"""


class RetainedJobs:
    """The retention half of :class:`~ladder_cli.queue.WriteQueue` (which it is mixed
    into): the queue's connection, lock, target and ``retain_days``."""

    _conn: sqlite3.Connection
    _lock: threading.RLock
    target: str
    retain_days: float

    def _ensure_retained_table(self) -> None:
        """Queues written before retention existed gain the table (no schema bump: older
        versions of the tool read such a queue as before)."""
        if self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'retained_jobs'"
        ).fetchone():
            self._add_retained_audit_column()
            return
        self._conn.executescript(f"BEGIN IMMEDIATE; {_RETAINED_SCHEMA} COMMIT;")

    def _add_retained_audit_column(self) -> None:
        """A retained job keeps its command's audit row, so that reconcile re-applies it
        as it was (retention tables written before the audit trail gain the column)."""
        conn = self._conn
        columns = {row[1] for row in conn.execute("PRAGMA table_info(retained_jobs)")}
        if "audit" in columns:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(retained_jobs)")}
            if "audit" not in columns:  # else another process added it meanwhile
                conn.execute("ALTER TABLE retained_jobs ADD COLUMN audit TEXT")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _retain(self, seqs_json: str) -> None:
        """Inside :meth:`complete`'s transaction: copy the jobs to the retained ones, in
        queue order, and prune those older than ``retain_days``."""
        now = time.time()
        if self.retain_days > 0:
            self._conn.execute(
                f"INSERT INTO retained_jobs (seq, target, job_id, {COLUMNS}, crc, enqueued_at, "
                f"applied_at, audit) SELECT seq, target, job_id, {COLUMNS}, crc, enqueued_at, ?, "
                "audit "
                "FROM jobs WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq",
                (now, seqs_json),
            )
        self._conn.execute(
            "DELETE FROM retained_jobs WHERE applied_at < ?", (now - self.retain_days * 86400,)
        )

    def retained_count(self) -> int:
        """How many applied jobs of this target the queue still keeps."""
        with self._lock:
            row = self._conn.execute(
                "SELECT count(*) FROM retained_jobs WHERE target = ?", (self.target,)
            ).fetchone()
        return int(row[0])

    def retained_batches(
        self, size: int, *, corrupt: list[tuple[int, str]] | None = None
    ) -> Iterator[list[QueuedJob]]:
        """The retained jobs of this target in the order they were applied, ``size`` at a
        time, each with its original seq and job id. Rows that fail their checksum are
        left out (and listed in ``corrupt``, when given): re-applying a damaged job could
        only be wrong."""
        last = 0
        while True:
            with self._lock:
                rows = self._conn.execute(
                    f"SELECT rid, seq, job_id, {COLUMNS}, crc, audit FROM retained_jobs "
                    "WHERE target = ? AND rid > ? ORDER BY rid LIMIT ?",
                    (self.target, last, size),
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            batch = []
            for _, seq, job_id, *fields, crc, audit in rows:
                row = cast(Row, tuple(fields))
                try:
                    if checksum((job_id, *row)) != crc:
                        raise ValueError("checksum mismatch (torn or edited row)")
                    batch.append(QueuedJob(seq, decode(row), job_id, decode_audit(audit)))
                except (ValueError, TypeError, OverflowError, OSError) as exc:
                    if corrupt is not None:
                        corrupt.append((seq, f"corrupt retained row: {exc}"))
            if batch:
                yield batch
