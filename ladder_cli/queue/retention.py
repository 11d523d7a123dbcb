"""Applied jobs kept for ``retain_days``, so that ``ladder wal reconcile`` can give a
restored or failed-over database back what it lost (see :mod:`ladder_cli.core.reconcile`).

They live in the queue's own file, in ``retained_jobs``: a job moves there in the same
transaction that takes it off the queue (:meth:`WriteQueue.complete
<ladder_cli.queue.writequeue.WriteQueue.complete>`), and is pruned once older than the window.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import cast

from ladder_cli.domain.model import QueuedJob
from ladder_cli.queue.file import QueueFile
from ladder_cli.queue.jobrows import COLUMNS, DAMAGED, Row, read_back


class RetainedJobs:
    """The applied jobs of one queue file's ``target``, kept for ``retain_days``."""

    def __init__(self, file: QueueFile, retain_days: float) -> None:
        self.file = file
        #: How long applied jobs are kept for `wal reconcile` (0: not at all).
        self.retain_days = retain_days

    def keep(self, seqs_json: str) -> None:
        """Inside the transaction that takes these jobs (a JSON list of seqs) off the queue
        (:meth:`WriteQueue.complete <ladder_cli.queue.writequeue.WriteQueue.complete>`):
        copy them to the retained ones, in queue order, and prune those older than
        ``retain_days``."""
        now = time.time()
        if self.retain_days > 0:
            self.file.conn.execute(
                f"INSERT INTO retained_jobs (seq, target, job_id, {COLUMNS}, crc, enqueued_at, "
                f"applied_at, audit) SELECT seq, target, job_id, {COLUMNS}, crc, enqueued_at, ?, "
                "audit "
                "FROM jobs WHERE seq IN (SELECT value FROM json_each(?)) ORDER BY seq",
                (now, seqs_json),
            )
        self.file.conn.execute(
            "DELETE FROM retained_jobs WHERE applied_at < ?", (now - self.retain_days * 86400,)
        )

    def retained_count(self) -> int:
        """How many applied jobs of this target the queue still keeps."""
        with self.file.lock:
            row = self.file.conn.execute(
                "SELECT count(*) FROM retained_jobs WHERE target = ?", (self.file.target,)
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
            with self.file.lock:
                rows = self.file.conn.execute(
                    f"SELECT rid, seq, job_id, {COLUMNS}, crc, audit FROM retained_jobs "
                    "WHERE target = ? AND rid > ? ORDER BY rid LIMIT ?",
                    (self.file.target, last, size),
                ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            batch = []
            for _, seq, job_id, *fields, crc, audit in rows:
                try:
                    batch.append(read_back(seq, job_id, cast(Row, tuple(fields)), crc, audit))
                except DAMAGED as exc:
                    if corrupt is not None:
                        corrupt.append((seq, f"corrupt retained row: {exc}"))
            if batch:
                yield batch
