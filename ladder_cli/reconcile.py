"""`wal reconcile`: give a restored or failed-over database back what it lost.

The ledger of applied jobs lives in the database, so a database restored from a backup,
or an asynchronous standby promoted before it received the last commits, forgets jobs
that this home's queue already counted as done. The queue keeps applied jobs for
``retain_days`` (see :meth:`~ladder_cli.queue.WriteQueue.retained_batches`); reconcile
offers every one of them to the database again, in the order they were first applied.
Each batch is one flush transaction (:meth:`~ladder_cli.stores.Store.apply_batch`): under
the write lock it skips the jobs the ledger holds and applies the others from the
database's current state, so a job is re-applied exactly once however often reconcile
runs, and concurrently with other admins' writes. A reset is re-applied as a reset: a
job is replayed as what it was.

It cannot bring back jobs older than the retention window, nor jobs that other homes
applied: each admin runs it in their own home.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ladder_cli.errors import LadderError
from ladder_cli.stores import JobRejected

if TYPE_CHECKING:
    from ladder_cli.ladder import Ladder
    from ladder_cli.model import Entry, Key, QueuedJob

Progress = Callable[[int, int], None]


@dataclass
class ReconcileReport:
    """What reconcile found and did (``wal reconcile --format json`` prints :meth:`as_dict`)."""

    #: Retained jobs compared with the database's ledger.
    checked: int = 0
    #: Of those, the ones the ledger did not have.
    missing: int = 0
    #: Of the missing, the ones applied again now.
    reapplied: int = 0
    #: Missing jobs the database refused, with the reason (their original seq).
    failed: list[tuple[int, str]] = field(default_factory=list)
    #: Retained rows that failed their checksum: left out.
    corrupt: list[tuple[int, str]] = field(default_factory=list)
    #: Jobs still waiting in the queue (not part of reconcile: `wal replay` applies them).
    pending: int = 0
    retain_days: int = 0
    entries: dict[Key, Entry] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "checked": self.checked,
            "missing": self.missing,
            "reapplied": self.reapplied,
            "failed": len(self.failed),
            "corrupt": len(self.corrupt),
            "pending": self.pending,
            "retain_days": self.retain_days,
        }


def reconcile(ladder: Ladder, progress: Progress | None = None) -> ReconcileReport:
    """Re-apply, in their original order and exactly once, the retained jobs of this home
    whose ledger entry the database no longer has.

    Raises DatabaseUnavailable (nothing changed) when the database cannot be reached, and
    LadderError if it stops answering midway: the batches committed so far stay applied,
    and running reconcile again finishes the rest without doubling any.
    """
    from filelock import FileLock, Timeout

    report = ReconcileReport(retain_days=ladder.settings.retain_days)
    unavailable = ladder.reachable()
    if unavailable is not None:
        raise LadderError(f"{unavailable}: nothing was reconciled; try again when it is back")
    # The flush's lock: this home's own flushes must not interleave with the re-applied
    # jobs (the database's lock keeps each batch atomic; this keeps the order).
    lock = FileLock(str(ladder.settings.data_dir / ".flush.lock"), timeout=600, mode=0o600)
    queue = ladder.queue
    try:
        lock.acquire()
    except Timeout:
        raise LadderError(
            "another ladder process has been flushing for 10 minutes: try again later"
        ) from None
    try:
        total = queue.retained_count()
        if progress is not None:
            progress(0, total)
        for batch in queue.retained_batches(ladder.settings.batch_size, corrupt=report.corrupt):
            _apply(ladder, batch, report)
            report.checked += len(batch)
            if progress is not None:
                progress(report.checked + len(report.corrupt), total)
    finally:
        lock.release()
        if report.entries:
            if ladder._state is not None:
                ladder._state.apply(list(report.entries.values()))
            ladder._keep_snapshot(list(report.entries.values()))
    report.pending = queue.pending_count()
    return report


def _apply(ladder: Ladder, batch: Sequence[QueuedJob], report: ReconcileReport) -> None:
    """One flush transaction; a job the database refuses is isolated as the flush does."""
    try:
        result = ladder.store.apply_batch(ladder.queue.queue_id, batch)
    except JobRejected as exc:
        if len(batch) == 1:
            report.missing += 1
            report.failed.append((batch[0].seq, f"rejected by the database: {exc}"))
            return
        middle = len(batch) // 2
        _apply(ladder, batch[:middle], report)
        _apply(ladder, batch[middle:], report)
        return
    report.missing += len(result.applied) + len(result.failed)
    report.reapplied += len(result.applied)
    report.failed.extend(result.failed)
    if result.applied:
        report.entries.update(result.entries)
