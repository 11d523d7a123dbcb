"""The write path: a job from the queue to the database, exactly once.

Read top to bottom, one flush is: take the flush lock (one flusher per home); read the
pending jobs in queue order, in batches, the next batch in a helper thread
(:func:`~ladder_cli.core.pipeline.prefetched`); apply each batch in one database
transaction that skips the jobs its ledger already holds
(:meth:`ladder_cli.stores.base.Store.apply_batch`, where the exactly-once check is); then
mark those jobs done or failed in the queue, on a second helper thread while the next
batch is applied (:class:`~ladder_cli.core.pipeline.InOrder`). A job the database
refuses is isolated by splitting its batch. After the flush the rows it wrote update this
process's frame and this home's snapshot (:mod:`ladder_cli.core.snapshot`).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from ladder_cli.core import snapshot
from ladder_cli.core.pipeline import InOrder, prefetched, result_or_none
from ladder_cli.domain.model import (
    AppliedMatch,
    AuditJob,
    Entry,
    Job,
    Key,
    MatchJob,
    QueuedJob,
    job_uids,
)
from ladder_cli.queue.jobrows import in_stored_form
from ladder_cli.queue.lock import flush_lock
from ladder_cli.queue.writequeue import WriteQueue
from ladder_cli.stores import JobRejected
from ladder_cli.util import failpoints
from ladder_cli.util.errors import BadInput, DatabaseUnavailable, LadderError
from ladder_cli.util.nogc import without_gc

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.core.parts import Parts

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while jobs are applied."""

Fresh = (
    tuple[Sequence[tuple[int, int]], Sequence[Job]]
    | tuple[Sequence[tuple[int, int]], Sequence[Job], AuditJob | None]
)
"""Jobs just queued, with the ``(seq, job_id)`` the queue gave each (see WritePath.flush)."""


@dataclass
class FlushReport:
    """What a flush did: counts, the failures, and each applied match by job seq."""

    applied: int = 0
    already_applied: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)
    matches: dict[int, AppliedMatch] = field(default_factory=dict)
    #: The players of the kept matches, by uid.
    names: dict[int, str] = field(default_factory=dict)
    #: The rows written, when this process keeps a frame or a local snapshot current.
    entries: dict[Key, Entry] = field(default_factory=dict)
    pending: int = 0
    #: Whose applied matches to keep in ``matches`` (None: every job's). A replay of a
    #: million jobs keeps none, so its memory stays that of one batch.
    keep_matches: Container[int] | None = None

    def as_dict(self) -> dict[str, int]:
        """The counts, as ``wal replay --format json`` prints them."""
        return {
            "applied": self.applied,
            "already_applied": self.already_applied,
            "failed": len(self.failed),
            "pending": self.pending,
        }


@dataclass
class WriteOutcome:
    """The answer to a write: where it went, and (except from ``record_many``) each
    match's MMR before and after."""

    seqs: list[int]
    applied: bool
    matches: list[AppliedMatch]
    report: FlushReport | None = None
    pending: int = 0
    unavailable: str | None = None
    preview_note: str | None = None
    failed: list[tuple[int, str]] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    #: The ids the queue gave the jobs (what the database's ledger and event log record).
    job_ids: list[int] = field(default_factory=list)


class Submit(Protocol):
    """Queue (and flush) jobs as one write, with the command's audit row
    (:meth:`Ladder.submit <ladder_cli.core.ladder.Ladder.submit>`): what the services that
    write are handed."""

    def __call__(
        self,
        jobs: Sequence[Job],
        *,
        flush: bool = True,
        progress: Progress | None = None,
        want_matches: bool = True,
    ) -> WriteOutcome: ...


class WritePath:
    """Queue jobs durably, then flush them to the database."""

    def __init__(self, parts: Parts) -> None:
        self._parts = parts

    def submit(
        self,
        jobs: Sequence[Job],
        flush: bool,
        progress: Progress | None,
        want_matches: bool,
        audit: AuditJob | None = None,
    ) -> WriteOutcome:
        """Append validated jobs to the queue as one unit, then flush unless told not to
        or the database is unreachable (the jobs stay queued: the write is accepted)."""
        if not jobs:
            raise BadInput("nothing to record: no matches were given")
        parts = self._parts
        unavailable = parts.source.unavailable  # before queueing: a wrong URL raises here
        ids = parts.queue.append_with_ids(jobs, audit)
        seqs = [seq for seq, _ in ids]
        first, last = seqs[0], seqs[-1]  # one append: contiguous
        outcome = WriteOutcome(
            seqs=seqs, applied=False, matches=[], job_ids=[job_id for _, job_id in ids]
        )
        if flush and unavailable is None:
            try:
                report = self.flush(
                    progress,
                    range(first, last + 1) if want_matches else (),
                    (ids, jobs, audit) if all(map(in_stored_form, jobs)) else None,
                )
            except LadderError as exc:
                # Not only an outage: whatever stopped the flush, the jobs are queued and
                # will apply on replay, so failing the command would invite a doubling retry.
                unavailable = str(exc)
            else:
                outcome.report = report
                outcome.names = report.names
                outcome.failed = [f for f in report.failed if first <= f[0] <= last]
                if not want_matches:
                    outcome.applied = not outcome.failed and not parts.queue.unfinished_between(
                        first, last
                    )
                else:
                    self._collect_matches(outcome, report, dict(ids), jobs)
        outcome.unavailable = unavailable
        outcome.pending = parts.queue.pending_count()
        if (
            want_matches
            and not outcome.matches
            and len(jobs) == 1
            and isinstance(jobs[0], MatchJob)
        ):
            outcome.matches, outcome.names, outcome.preview_note = self._preview(seqs)
        return outcome

    def _collect_matches(
        self, outcome: WriteOutcome, report: FlushReport, ids: dict[int, int], jobs: Sequence[Job]
    ) -> None:
        """Each of our matches' before → after, also those another process applied first."""
        seqs = outcome.seqs
        outcome.matches = [report.matches[s] for s in seqs if s in report.matches]
        outcome.applied = not outcome.failed and (
            len(outcome.matches) == sum(isinstance(j, MatchJob) for j in jobs)
        )
        if outcome.applied or outcome.failed:
            return
        # Another process flushed some of our jobs first: they are applied, just not by
        # us. Read their before → after from the match log.
        parts = self._parts
        seq_of = {ids[s]: s for s in seqs if s not in report.matches}
        logged = parts.store.logged_matches(parts.queue.queue_id, list(seq_of))
        found = {seq_of[m.job_id]: m for m in logged if m.job_id in seq_of}
        found |= report.matches
        outcome.matches = [found[s] for s in seqs if s in found]
        outcome.applied = not parts.queue.unfinished_between(seqs[0], seqs[-1])
        if logged:
            uids = sorted({u for m in logged for u in (m.p1_uid, m.p2_uid)})
            outcome.names |= {e.discord_uid: e.player_name for e in parts.store.entries_of(uids)}

    def _preview(
        self, seqs: Sequence[int]
    ) -> tuple[list[AppliedMatch], dict[int, str], str | None]:
        """Before → after for queued jobs, from the pending queue over the known state."""
        from ladder_cli.domain.rating import Ratings

        parts = self._parts
        pending = parts.pending()
        uids = sorted({u for q in pending for u in job_uids(q.job)})
        source = parts.source
        try:
            entries = source.entries_of(uids)
        except LadderError as exc:
            # The job is already queued: a failed preview must not fail the command.
            if source.unavailable is not None:
                return [], {}, "no MMR preview: this database was never read from this home"
            return [], {}, f"no MMR preview: {exc}"
        note = source.note
        ratings = Ratings.from_entries(entries, self._parts.rules())
        ratings.preview(pending)
        wanted = set(seqs)
        return [m for m in ratings.matches if m.seq in wanted], ratings.names, note

    @without_gc
    def flush(
        self, progress: Progress | None, keep_matches: Container[int] | None, fresh: Fresh | None
    ) -> FlushReport:
        """Apply every pending job to the database, in queue order, each exactly once.

        ``report.matches`` holds the applied matches of the jobs in ``keep_matches`` (of
        every job when None). ``fresh`` is the jobs this process has just queued, with
        their ``(seq, job_id)``, all in the queue's stored form (see
        :func:`~ladder_cli.queue.jobrows.in_stored_form`): they are applied from memory
        instead of read back and checksummed from the queue; the queue still holds them, and the
        ledger skips any another process applied meanwhile. Raises DatabaseUnavailable if
        the database cannot be reached; jobs stay queued.
        """
        parts = self._parts
        report = FlushReport(keep_matches=keep_matches)
        wrote = False  # this process's frame and the snapshot kept current
        first_snapshot: concurrent.futures.Future[pl.DataFrame | None] | None = None
        with parts.lock:
            try:
                with flush_lock(parts.settings.queue_path):
                    queue = parts.queue
                    total = queue.pending_count()
                    done = 0
                    # Closed here, not when garbage collected: an error or interrupt keeps
                    # the generator alive in its traceback until interpreter shutdown, where
                    # its helper thread could never be joined (Python 3.13 hangs there).
                    store = parts.store
                    planned = (
                        (batch, store.prepare(batch))
                        for batch in self._batches(queue, report, fresh)
                    )
                    # Several batches: the queue's bookkeeping of each overlaps the next.
                    books = InOrder(threaded=total > parts.settings.batch_size)
                    bulk = contextlib.ExitStack()
                    bulk.enter_context(store.bulk(total))  # before the snapshot's read
                    read = snapshot.first_read(parts)
                    first_snapshot = None if read is None else books.later(read)
                    with (
                        bulk,
                        contextlib.closing(prefetched(planned)) as batches,
                        contextlib.closing(books),
                    ):
                        for batch, prepared in batches:
                            books.check()
                            self._apply(batch, report, books, prepared)
                            done += len(batch)
                            if progress is not None:
                                progress(done, total)
                            if failpoints.armed("between-batches"):
                                books.wait()  # the batch done in the queue too
                            failpoints.hit("between-batches")
                        parts.store.flushed()
                        wrote = True  # once, while the last batch's bookkeeping goes on
                        before = result_or_none(first_snapshot)
                        self.wrote(list(report.entries.values()), before)
                        books.wait()
            except DatabaseUnavailable as exc:
                parts.went_offline(exc)
                raise
            finally:
                if not wrote:  # the first snapshot's read is done: books closed
                    self.wrote(list(report.entries.values()), result_or_none(first_snapshot))
        parts.answered()
        report.pending = parts.queue.pending_count()
        return report

    def _batches(
        self, queue: WriteQueue, report: FlushReport, fresh: Fresh | None
    ) -> Iterator[list[QueuedJob]]:
        """The pending jobs in queue order, in batches; ``fresh`` ones from memory. Runs in
        the prefetch thread: it must not take the parts' lock, which flush holds."""
        size, failed = self._parts.settings.batch_size, report.failed
        if fresh is None:
            yield from queue.pending_batches(size, failed=failed)
            return
        ids, jobs = fresh[0], fresh[1]
        audit = fresh[2] if len(fresh) > 2 else None
        first, last = ids[0][0], ids[-1][0]
        yield from queue.pending_batches(size, failed=failed, before=first)
        for start in range(0, len(jobs), size):
            batch = [
                QueuedJob(seq, job, job_id)
                for (seq, job_id), job in zip(
                    ids[start : start + size], jobs[start : start + size], strict=True
                )
            ]
            if audit is not None and batch[-1].seq == last:
                batch[-1] = replace(batch[-1], audit=audit)
            yield batch
        yield from queue.pending_batches(size, failed=failed, after=last)

    def _apply(
        self,
        batch: Sequence[QueuedJob],
        report: FlushReport,
        books: InOrder,
        prepared: object = None,
    ) -> None:
        """One batch: the store's transaction applies what its ledger lacks, then the queue
        forgets what the ledger now holds (a crash between the two only makes the next
        flush skip those jobs)."""
        parts = self._parts
        queue = parts.queue
        try:
            result = parts.store.apply_batch(queue.queue_id, batch, prepared)
        except JobRejected as exc:
            # A job the database refuses: split the batch until that job stands alone,
            # move it to `failed`, and apply the rest around it.
            if len(batch) == 1:
                failure = (batch[0].seq, f"rejected by the database: {exc}")
                books.wait()  # a failure to mark it stops the flush here, as inline
                queue.mark_failed([failure])
                report.failed.append(failure)
                return
            middle = len(batch) // 2
            self._apply(batch[:middle], report, books)
            self._apply(batch[middle:], report, books)
            return
        if result.failed:  # rare: inline, so a failure to mark them stops the flush here
            books.wait()
            queue.mark_failed(result.failed)
        books.run(queue.complete, result.applied + result.already_applied)
        report.applied += len(result.applied)
        report.already_applied += len(result.already_applied)
        report.failed.extend(result.failed)
        keep = report.keep_matches
        kept = []
        for match in result.matches:
            if match.seq is not None and (keep is None or match.seq in keep):
                report.matches[match.seq] = match
                kept.append(match)
        if parts.cached_frame_loaded() or not parts.settings.embedded:
            # for the frame this process keeps and the local snapshot (see flush)
            report.entries.update(result.entries)
        if kept:
            shown = {uid for m in kept for uid in (m.p1_uid, m.p2_uid)}
            for entry in result.entries.values():
                if entry.discord_uid in shown:
                    report.names[entry.discord_uid] = entry.player_name

    def wrote(self, entries: Sequence[Entry], before: pl.DataFrame | None = None) -> None:
        """After a flush or a reconcile: keep this process's frame (one rebuild for the
        whole flush) and this home's snapshot current with the rows written."""
        if self._parts.cached_frame_loaded():
            self._parts.state.apply(list(entries))
        snapshot.keep_current(self._parts, entries, before)
