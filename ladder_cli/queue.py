"""The local write-ahead queue: every write is committed here before it is acknowledged.

A SQLite database in WAL journal mode with ``synchronous=FULL``: once :meth:`append`
returns, the job survives a crash or power loss. Jobs keep their queue order (``seq``);
each also gets a ``job_id`` (random start, consecutive within one append), and
``(queue_id, job_id)`` is what the database's ledger records, so a job that was applied
but not yet removed from here (a crash between the two commits) is skipped, not applied
twice, even if the file is later restored from a backup and its seqs are handed out
again. Each row carries a CRC of its fields, so a torn or edited row is detected and
moved to ``failed`` instead of being applied wrongly.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Final, cast

from ladder_cli.domain.model import (
    AuditJob,
    Job,
    QueuedJob,
)
from ladder_cli.joblisting import JobInfo, JobListing, QueueStatus
from ladder_cli.jobrows import (
    COLUMNS,
    JOB_COLUMNS_DDL,
    Row,
    checksum,
    decode,
    decode_audit,
    encode,
    encode_audit,
    in_stored_form,
)
from ladder_cli.retention import RetainedJobs
from ladder_cli.util import failpoints, interrupts
from ladder_cli.util.config import DEFAULT_RETAIN_DAYS
from ladder_cli.util.errors import QueueError
from ladder_cli.util.files import open_sqlite

__all__ = ["JobInfo", "QueueStatus", "WriteQueue", "in_stored_form"]

# 3: a command's audit row rides on its last job (``audit``, JSON).
SCHEMA_VERSION: Final = 3
MAX_SEQ: Final = 2**63 - 1

_SCHEMA: Final = f"""
CREATE TABLE IF NOT EXISTS queue_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    job_id INTEGER NOT NULL,
{JOB_COLUMNS_DDL}    crc INTEGER NOT NULL,
    enqueued_at REAL NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    error TEXT,
    audit TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (target, state, seq);
"""

_random = random.Random()  # seeded from os.urandom
# A forked child must not repeat its parent's ids: the ledger would skip its jobs as done.
os.register_at_fork(after_in_child=_random.seed)


def _new_job_ids() -> Iterator[int]:
    """The job ids of one append: a random start, then consecutive.

    Consecutive, so that the ledger (keyed by queue and job id) takes a large import in
    key order instead of at random places: a million ledger rows went into SQLite in 1.2 s
    instead of 3.4 s. Two appends' ranges overlap with probability about
    ``(n1 + n2 - 1) / 2**63`` (for single jobs, the same as ids drawn one by one); the
    start leaves room for 2**40 jobs before the largest bigint.
    """
    return itertools.count(_random.randrange(1, 2**63 - 2**40))


class WriteQueue(RetainedJobs, JobListing):
    """The durable, ordered queue of write jobs for one home directory.

    Jobs for several databases can share one file; each carries the target it was meant
    for (the database URL without its password) and is only ever flushed there.
    """

    def __init__(
        self, path: Path, target: str, *, retain_days: float = DEFAULT_RETAIN_DAYS
    ) -> None:
        self.path = path
        self.target = target
        #: The ``(first, last)`` seqs of each append this object committed: what an
        #: interrupted command reports as queued.
        self.appended: list[tuple[int, int]] = []
        #: How long applied jobs are kept for `wal reconcile` (0: not at all).
        self.retain_days = retain_days
        self._lock = threading.RLock()
        try:
            self._conn = open_sqlite(path, timeout=30)
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise QueueError(
                    f"queue {path} was written by a newer ladder (schema {version}, this one "
                    f"reads {SCHEMA_VERSION}): upgrade ladder, or move the file aside"
                )
            if version == 1:
                self._upgrade_from_v1()
            if version in (1, 2):
                self._add_audit_column()
            elif version < SCHEMA_VERSION:
                self._conn.executescript(
                    f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                )
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(
                "INSERT OR IGNORE INTO queue_meta (key, value) VALUES ('queue_id', ?)",
                (uuid.uuid4().hex,),
            )
            self._conn.execute("COMMIT")
            self._ensure_retained_table()
            self.queue_id: str = self._conn.execute(
                "SELECT value FROM queue_meta WHERE key = 'queue_id'"
            ).fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise QueueError(f"cannot use the write-ahead queue {path}: {exc}") from None
        except OSError as exc:  # not a file, not writable, no such directory
            raise QueueError(
                f"cannot use the write-ahead queue {path}: {exc.strerror or exc}: "
                "it must be a writable file (choose another home with --home or LADDER_HOME)"
            ) from None

    def _upgrade_from_v1(self) -> None:
        """Version 1 identified jobs by seq alone; each keeps its seq as its job id, the key
        a ledger of that time recorded (so a job applied just before the upgrade is still
        found there), and jobs queued from now on get random ones.

        Rows whose old checksum fails stay as they are and are moved to ``failed`` when
        read, exactly as before the upgrade.
        """
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] != 1:
                conn.execute("ROLLBACK")  # another process upgraded it meanwhile
                return
            conn.execute("ALTER TABLE jobs ADD COLUMN job_id INTEGER NOT NULL DEFAULT 0")
            rows = conn.execute(f"SELECT seq, {COLUMNS}, crc FROM jobs").fetchall()
            for seq, *fields, crc in rows:
                if checksum(tuple(fields)) == crc:
                    job_id = seq  # what a ledger of that time recorded for it
                    conn.execute(
                        "UPDATE jobs SET job_id = ?, crc = ? WHERE seq = ?",
                        (job_id, checksum((job_id, *fields)), seq),
                    )
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _add_audit_column(self) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(jobs)").fetchall()}
            if "audit" not in columns:  # else another process upgraded it meanwhile
                conn.execute("ALTER TABLE jobs ADD COLUMN audit TEXT")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def append(self, jobs: Iterable[Job]) -> list[int]:
        """Queue jobs as one unit, durably: all of them or, on any failure, none.

        Returns their seqs; :meth:`append_with_ids` also returns their job ids.
        """
        return [seq for seq, _ in self.append_with_ids(jobs)]

    def append_with_ids(
        self, jobs: Iterable[Job], audit: AuditJob | None = None
    ) -> list[tuple[int, int]]:
        """Like :meth:`append`, returning ``(seq, job_id)`` for each job; ``audit`` rides on
        the last job, in the same transaction."""
        ids: list[int] = []
        now = time.time()
        target = self.target

        next_id = _new_job_ids().__next__

        def rows() -> Iterator[tuple[object, ...]]:
            # Streamed into the insert: a large file's encoded rows are never all held.
            for job in jobs:
                row = encode(job)
                job_id = next_id()
                ids.append(job_id)
                yield (target, job_id, *row, checksum((job_id, *row)), now)

        failpoints.hit("after-validate")
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    first = self._next_seq()
                    self._conn.executemany(
                        f"INSERT INTO jobs (target, job_id, {COLUMNS}, crc, enqueued_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        rows(),
                    )
                    if self._next_seq() != first + len(ids):
                        # Callers act on these seqs (apply, then delete): never guess them.
                        raise QueueError(f"queue {self.path}: seqs were not handed out in order")
                    if audit is not None and ids:
                        self._conn.execute(
                            "UPDATE jobs SET audit = ? WHERE seq = ?",
                            (encode_audit(audit), first + len(ids) - 1),
                        )
                    with interrupts.deferred():  # committed and noted, or neither
                        self._conn.execute("COMMIT")
                        if ids:
                            self.appended.append((first, first + len(ids) - 1))
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise QueueError(f"cannot write to the queue {self.path}: {exc}") from None
        failpoints.hit("after-queue-commit")
        return list(zip(range(first, first + len(ids)), ids, strict=True))

    def _next_seq(self) -> int:
        row = self._conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'jobs'").fetchone()
        return (row[0] if row else 0) + 1

    def pending_batches(
        self,
        size: int,
        *,
        after: int = 0,
        before: int | None = None,
        failed: list[tuple[int, str]] | None = None,
    ) -> Iterator[list[QueuedJob]]:
        """Pending jobs in queue order (seqs after ``after`` and, if given, before
        ``before``), ``size`` at a time, so memory stays bounded.

        Rows that fail their checksum or cannot be decoded are moved to ``failed`` here
        (and added to the ``failed`` list, when one is given, so the caller can say so).
        """
        last = after
        while True:
            with self._lock:
                rows = self._conn.execute(
                    f"SELECT seq, job_id, {COLUMNS}, crc, audit FROM jobs "
                    "WHERE target = ? AND state = 'pending' AND seq > ? AND seq < ? "
                    "ORDER BY seq LIMIT ?",
                    (self.target, last, MAX_SEQ if before is None else before, size),
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            batch, corrupt = [], []
            for seq, job_id, *fields, crc, audit in rows:
                row = cast(Row, tuple(fields))
                try:
                    if checksum((job_id, *row)) != crc:
                        raise ValueError("checksum mismatch (torn or edited row)")
                    batch.append(QueuedJob(seq, decode(row), job_id, decode_audit(audit)))
                except (ValueError, TypeError, OverflowError, OSError) as exc:
                    corrupt.append((seq, f"corrupt queue row: {exc}"))
            del rows  # not held while the next batch is read
            if corrupt:
                self.mark_failed(corrupt)
                if failed is not None:
                    failed.extend(corrupt)
            if batch:
                yield batch

    def pending_jobs(self) -> list[QueuedJob]:
        return [job for batch in self.pending_batches(50_000) for job in batch]

    def complete(self, seqs: Sequence[int]) -> None:
        """Forget jobs the database has applied (its ledger remembers them); keep them
        for ``retain_days`` among the retained jobs (see :meth:`retained_batches`)."""
        if not seqs:
            return
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    self._retain(json.dumps(list(seqs)))
                    self._conn.execute(
                        "DELETE FROM jobs WHERE seq IN (SELECT value FROM json_each(?))",
                        (json.dumps(list(seqs)),),
                    )
                    self._conn.execute("COMMIT")
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                # The database has applied them; its ledger skips them on the next replay.
                raise QueueError(
                    f"cannot write to the queue {self.path}: {exc}: the jobs were applied "
                    "and stay queued until a replay finds them done"
                ) from None

    def mark_failed(self, failures: Sequence[tuple[int, str]]) -> None:
        if not failures:
            return
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "UPDATE jobs SET state = 'failed', error = ? WHERE seq = ?",
                ((reason, seq) for seq, reason in failures),
            )
            self._conn.execute("COMMIT")

    def retry_failed(self) -> int:
        """Give failed jobs another chance (after the cause was fixed)."""
        with self._lock:
            cursor = self._conn.execute(
                "UPDATE jobs SET state = 'pending', error = NULL "
                "WHERE target = ? AND state = 'failed'",
                (self.target,),
            )
            return cursor.rowcount

    def discard(self, seqs: Sequence[int]) -> int:
        """Drop these jobs if they are still pending; how many were dropped. The caller
        makes sure the database's ledger has none of them (see ``ladder_cli.discard``)."""
        if not seqs:
            return 0
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._conn.execute(
                    "DELETE FROM jobs WHERE target = ? AND state = 'pending' "
                    "AND seq IN (SELECT value FROM json_each(?))",
                    (self.target, json.dumps(list(seqs))),
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            return int(cursor.rowcount)
