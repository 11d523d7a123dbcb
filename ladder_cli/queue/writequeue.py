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
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Final, cast

from ladder_cli.domain.model import (
    AuditJob,
    Job,
    QueuedJob,
)
from ladder_cli.queue.file import QueueFile
from ladder_cli.queue.jobrows import (
    COLUMNS,
    DAMAGED,
    Row,
    checksum,
    encode,
    encode_audit,
    read_back,
)
from ladder_cli.queue.listing import JobInfo, JobListing, QueueStatus
from ladder_cli.queue.retention import RetainedJobs
from ladder_cli.util import failpoints, interrupts
from ladder_cli.util.config import DEFAULT_RETAIN_DAYS
from ladder_cli.util.errors import QueueError

__all__ = ["WriteQueue"]

MAX_SEQ: Final = 2**63 - 1

_random = random.Random()  # seeded from os.urandom
# A forked child must not repeat its parent's ids: the ledger would skip its jobs as done.
os.register_at_fork(after_in_child=_random.seed)


def _new_job_ids() -> Iterator[int]:
    """The job ids of one append: a random start, then consecutive.

    Consecutive, so that the ledger (keyed by queue and job id) takes a large import in
    key order instead of at random places, which is much cheaper (docs/benchmarks.md has
    the figures). Two appends' ranges overlap with probability about
    ``(n1 + n2 - 1) / 2**63`` (for single jobs, the same as ids drawn one by one); the
    start leaves room for 2**40 jobs before the largest bigint.
    """
    return itertools.count(_random.randrange(1, 2**63 - 2**40))


class WriteQueue:
    """The durable, ordered queue of write jobs for one home directory.

    Jobs for several databases can share one file; each carries the target it was meant
    for (the database URL without its password) and is only ever flushed there.
    """

    def __init__(
        self, path: Path, target: str, *, retain_days: float = DEFAULT_RETAIN_DAYS
    ) -> None:
        self.file = QueueFile(path, target)
        self.path = path
        self.target = target
        self.queue_id = self.file.queue_id
        #: The ``(first, last)`` seqs of each append this object committed: what an
        #: interrupted command reports as queued.
        self.appended: list[tuple[int, int]] = []
        #: ``wal status``, ``wal list`` and where one command's jobs stand.
        self.listing = JobListing(self.file)
        #: The applied jobs kept for ``retain_days`` (`wal reconcile`).
        self.retained = RetainedJobs(self.file, retain_days)
        self._conn = self.file.conn
        self._lock = self.file.lock

    def close(self) -> None:
        self.file.close()

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
                try:
                    batch.append(read_back(seq, job_id, cast(Row, tuple(fields)), crc, audit))
                except DAMAGED as exc:
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
                    self.retained.keep(json.dumps(list(seqs)))
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

    def discard(
        self, seqs: Sequence[int], audit: AuditJob | None = None
    ) -> tuple[int, tuple[int, int] | None]:
        """Drop these jobs if they are still pending: how many were dropped, and where
        ``audit`` was queued, in the same transaction, when any was (``(seq, job_id)``:
        an audit-only job, applied exactly once like any job). The caller makes sure the
        database's ledger has none of them (see ``ladder_cli.queue.discard``)."""
        if not seqs:
            return 0, None
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._conn.execute(
                    "DELETE FROM jobs WHERE target = ? AND state = 'pending' "
                    "AND seq IN (SELECT value FROM json_each(?))",
                    (self.target, json.dumps(list(seqs))),
                )
                dropped, queued = int(cursor.rowcount), None
                if dropped and audit is not None:
                    seq, row = self._next_seq(), encode(audit)
                    job_id = next(_new_job_ids())
                    self._conn.execute(
                        f"INSERT INTO jobs (target, job_id, {COLUMNS}, crc, enqueued_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (self.target, job_id, *row, checksum((job_id, *row)), time.time()),
                    )
                    queued = (seq, job_id)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            return dropped, queued

    # -- what the listing and the retained jobs answer, on this queue ------------------

    def status(self) -> QueueStatus:
        return self.listing.status()

    def pending_count(self) -> int:
        return self.listing.pending_count()

    def unfinished_between(self, first: int, last: int) -> int:
        return self.listing.unfinished_between(first, last)

    def states_between(self, first: int, last: int) -> dict[str, int]:
        return self.listing.states_between(first, last)

    def jobs_between(self, first: int, last: int) -> list[tuple[JobInfo, int]]:
        return self.listing.jobs_between(first, last)

    def retained_count(self) -> int:
        return self.retained.retained_count()

    def retained_batches(
        self, size: int, *, corrupt: list[tuple[int, str]] | None = None
    ) -> Iterator[list[QueuedJob]]:
        return self.retained.retained_batches(size, corrupt=corrupt)

    def list(self, state: str, limit: int | None = None) -> list[JobInfo]:
        return self.listing.list(state, limit)
