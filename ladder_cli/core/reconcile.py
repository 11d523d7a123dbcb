"""`wal reconcile`: give a restored or failed-over database back what it lost.

The ledger of applied jobs lives in the database, so a database restored from a backup,
or an asynchronous standby promoted before it received the last commits, forgets jobs
that this home's queue already counted as done. The queue keeps applied jobs for
``retain_days`` (see :meth:`~ladder_cli.queue.writequeue.WriteQueue.retained_batches`); reconcile
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

from ladder_cli.queue.lock import flush_lock
from ladder_cli.stores import JobRejected
from ladder_cli.util.errors import LadderError

if TYPE_CHECKING:
    from ladder_cli.core.parts import Parts
    from ladder_cli.core.writes import WritePath
    from ladder_cli.domain.model import Entry, Key, QueuedJob

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


def reconcile(parts: Parts, writes: WritePath, progress: Progress | None = None) -> ReconcileReport:
    """Re-apply, in their original order and exactly once, the retained jobs of this home
    whose ledger entry the database no longer has.

    Raises LadderError (nothing changed) when the database cannot be reached, or if it
    stops answering midway: the batches committed so far stay applied, and running
    reconcile again finishes the rest without doubling any.
    """
    settings = parts.settings
    report = ReconcileReport(retain_days=settings.retain_days)
    unavailable = parts.source.unavailable
    if unavailable is not None:
        raise LadderError(f"{unavailable}: nothing was reconciled; try again when it is back")
    queue = parts.queue
    # The flush's lock: this home's own flushes must not interleave with the re-applied
    # jobs (the database's lock keeps each batch atomic; this keeps the order).
    with parts.lock:
        try:
            with flush_lock(settings.queue_path):
                total = queue.retained_count()
                if progress is not None:
                    progress(0, total)
                for batch in queue.retained_batches(settings.batch_size, corrupt=report.corrupt):
                    _apply(parts, batch, report)
                    report.checked += len(batch)
                    if progress is not None:
                        progress(report.checked + len(report.corrupt), total)
        finally:
            if report.entries:
                writes.wrote(list(report.entries.values()))
    report.pending = queue.pending_count()
    return report


def _apply(parts: Parts, batch: Sequence[QueuedJob], report: ReconcileReport) -> None:
    """One flush transaction; a job the database refuses is isolated as the flush does."""
    try:
        result = parts.store.apply_batch(parts.queue.queue_id, batch)
    except JobRejected as exc:
        if len(batch) == 1:
            report.missing += 1
            report.failed.append((batch[0].seq, f"rejected by the database: {exc}"))
            return
        middle = len(batch) // 2
        _apply(parts, batch[:middle], report)
        _apply(parts, batch[middle:], report)
        return
    report.missing += len(result.applied) + len(result.failed)
    report.reapplied += len(result.applied)
    report.failed.extend(result.failed)
    if result.applied:
        report.entries.update(result.entries)
