"""The flush's transaction, written once for both stores: under the write lock, skip what
the ledger holds, read the rows involved, rate the batch in memory, then write the rows
with the atomic upsert, the match log, the ledger and the events, and commit.

A store supplies its connection, words, lock and error mapping
(:mod:`ladder_cli.stores.dialect`); the SQL and the order of the steps are here.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from itertools import groupby
from typing import Any, Final

from ladder_cli.domain.model import (
    AppliedMatch,
    AuditJob,
    CorrectionJob,
    DecayJob,
    Entry,
    MatchJob,
    QueuedJob,
    SeasonJob,
    now_utc,
)
from ladder_cli.domain.rating import PoisonJob, Ratings
from ladder_cli.stores import audit, eventlog, sql
from ladder_cli.stores.interface import BatchResult
from ladder_cli.stores.reads import StoreReads
from ladder_cli.stores.rows import match_row, upsert_row
from ladder_cli.util import failpoints
from ladder_cli.util.nogc import without_gc

#: Jobs applied each in a transaction of its own, since they read the log or many rows:
#: a batch holding one is split around it.
OWN_TRANSACTION: Final = (CorrectionJob, DecayJob, SeasonJob)


class Store(StoreReads):
    """A database holding ``mmrs_1v1``, the match log and the ledger of applied jobs:
    the reads, and the flush's transaction with its steps in order."""

    # -- the flush ---------------------------------------------------------------------

    def prepare(self, jobs: Sequence[QueuedJob]) -> object:
        """What a batch's transaction needs from its jobs alone, worked out ahead: the
        flush calls it on its prefetch thread, while the database writes the previous
        batch, and hands the result to :meth:`apply_batch`. None: nothing to prepare."""
        return None

    @without_gc
    def apply_batch(
        self, queue_id: str, jobs: Sequence[QueuedJob], prepared: object = None
    ) -> BatchResult:
        """Apply jobs in queue order in one transaction, each exactly once.

        Under the write lock: skip jobs the ledger already holds, read the rows of every
        player involved, compute the batch sequentially in memory, then write the
        touched rows with the atomic upsert, the match log and the ledger, and commit.
        """
        result = BatchResult()
        if not jobs:
            return result
        if any(type(job.job) in OWN_TRANSACTION for job in jobs):
            return self._apply_around_alone(queue_id, jobs)
        try:
            ratings = self._apply_in_transaction(queue_id, jobs, result, prepared)
        except BaseException:
            self.forget()
            raise
        self._remember(ratings)
        failpoints.hit("after-db-commit")
        return result

    def _apply_around_alone(self, queue_id: str, jobs: Sequence[QueuedJob]) -> BatchResult:
        """A batch holding corrections, decays or season closes: the runs of other jobs as
        usual, each correction (it replays the log), decay and close in a transaction of
        its own, all in queue order."""
        # Deferred: most batches hold none of these, and seasons' module loads Polars.
        from ladder_cli.stores import corrections, decay, seasons

        total = BatchResult()
        run: list[QueuedJob] = []

        def merge(part: BatchResult) -> None:
            total.applied += part.applied
            total.already_applied += part.already_applied
            total.failed += part.failed
            total.matches += part.matches
            total.entries.update(part.entries)
            total.renamed.update(part.renamed)
            total.audit_applied += part.audit_applied
            total.audit_already += part.audit_already

        for queued in jobs:
            if isinstance(queued.job, OWN_TRANSACTION):
                if run:
                    merge(self.apply_batch(queue_id, run))
                    run = []
                if isinstance(queued.job, SeasonJob):
                    merge(seasons.apply_close(self, queue_id, queued))
                elif isinstance(queued.job, DecayJob):
                    merge(decay.apply_decay(self, queue_id, queued))
                else:
                    merge(corrections.apply_correction(self, queue_id, queued))
            else:
                run.append(queued)
        if run:
            merge(self.apply_batch(queue_id, run))
        return total

    def _apply_in_transaction(
        self, queue_id: str, jobs: Sequence[QueuedJob], result: BatchResult, prepared: object
    ) -> Ratings:
        with self.write_transaction() as cur:
            ledger_ids = [job.ledger_id for job in jobs]
            predicate, ids = self.uids_filter(ledger_ids)
            cur.execute(self.q(sql.APPLIED_AMONG.format(ids=predicate)), (queue_id, ids))
            done = {row[0] for row in cur.fetchall()}
            todo: Sequence[QueuedJob] = jobs
            if done:
                todo = [job for job, i in zip(jobs, ledger_ids, strict=True) if i not in done]
                skipped = [job for job, i in zip(jobs, ledger_ids, strict=True) if i in done]
                result.already_applied = [job.seq for job in skipped]
                result.audit_already = sum(type(job.job) is AuditJob for job in skipped)
                prepared = None  # it was worked out for every job of the batch
            entries = self._batch_entries(cur, todo, prepared)
            ratings = Ratings.from_entries(entries, self.rules_in(cur))
            applied_ids = []
            audits: list[QueuedJob] = []  # the jobs carrying their command's audit row
            marks: list[eventlog.Mark] = []  # resets, adjustments, audit rows: logged events
            with self._match_stream(cur, queue_id, todo, ratings.matches) as stream:
                for job in todo:
                    before = (
                        None if type(job.job) is MatchJob else eventlog.before_job(ratings, job)
                    )
                    try:
                        ratings.apply(job)
                    except PoisonJob as exc:
                        result.failed.append((job.seq, str(exc)))
                    else:
                        result.applied.append(job.seq)
                        applied_ids.append(job.ledger_id)
                        if job.audit is not None:
                            audits.append(job)
                        if before is not None:
                            eventlog.mark(marks, ratings, job, before)
                            result.audit_applied += type(job.job) is AuditJob
                        if stream is not None:
                            stream()
            failpoints.hit("in-db-transaction")
            base = eventlog.last_match_id(self, cur) if marks else 0
            self._write(cur, queue_id, ratings, applied_ids, matches_sent=stream is not None)
            if marks:
                eventlog.write_events(self, cur, queue_id, marks, ratings, base)
            if audits:
                audit.write_audits(self, cur, queue_id, audits)
            self._learn_new_ids(cur, ratings)
            result.matches = ratings.matches
            result.entries = {key: change.entry for key, change in ratings.changes.items()}
            for uid in ratings.renamed:  # a rename reaches every row of the player
                result.entries.update((e.key, e) for e in ratings.by_uid.get(uid, ()))
            result.renamed = ratings.renamed
        return ratings

    def _learn_new_ids(self, cur: Any, ratings: Ratings) -> None:
        """Give the rows this batch created the ids the database chose, so a frame kept
        current from them equals a fresh load (the id breaks rank ties)."""
        new = [entry for entry in ratings.created if entry.id is None]
        if not new:
            return
        uids = sorted({entry.discord_uid for entry in new})
        ids = {entry.key: entry.id for entry in self._entries_of(cur, uids)}
        for entry in new:
            entry.id = ids.get(entry.key)

    def _match_stream(
        self, cur: Any, queue_id: str, jobs: Sequence[QueuedJob], matches: list[AppliedMatch]
    ) -> AbstractContextManager[Callable[[], None] | None]:
        """Where the store can, the match log written while the batch is rated: a callable
        to call after each applied job (it sends what ``matches`` gained), the rest sent
        on leaving the block. None: the matches are written with the batch's other rows."""
        return nullcontext(None)

    def _write(
        self,
        cur: Any,
        queue_id: str,
        ratings: Ratings,
        applied: Sequence[int],
        *,
        matches_sent: bool = False,
    ) -> None:
        # In the order the batch first touched each row, so new rows get their ids in the
        # same order as job-by-job application would give them (ids break rank ties).
        # The rows are generated as the driver consumes them: held in lists, they would
        # raise a large import's peak memory by a batch's worth of tuples.
        ts = self.ts
        for absolute, run in groupby(ratings.changes.values(), key=lambda c: c.absolute):
            upsert = sql.UPSERT_ABSOLUTE if absolute else sql.UPSERT_DELTA
            cur.executemany(self.q(upsert), (upsert_row(c, ts) for c in run))
        if ratings.renamed:
            cur.executemany(
                self.q(sql.RENAME), [(name, uid) for uid, name in ratings.renamed.items()]
            )
        if ratings.matches and not matches_sent:
            cur.executemany(
                self.q(sql.INSERT_MATCH), (match_row(queue_id, m, ts) for m in ratings.matches)
            )
        if applied:
            now = ts(now_utc())
            cur.executemany(self.q(sql.INSERT_APPLIED), ((queue_id, i, now) for i in applied))

    @abstractmethod
    def _batch_entries(
        self, cur: Any, jobs: Sequence[QueuedJob], prepared: object = None
    ) -> Iterator[Entry]:
        """The stored rows the batch needs, in key order (locked, on a server): each match
        side's row, every row of a player it resets or renames, and a player's rows when
        it gains a race (the new row takes the name of the first)."""

    def upgrade_tables(self, cur: Any) -> None:
        """Inside the schema transaction: add the season tables and the event log to a
        database from before them (see :func:`ladder_cli.stores.eventlog.upgrade`)."""
        # Deferred: only `init` and a first write run it, and seasons' module loads Polars.
        from ladder_cli.stores import seasons

        seasons.upgrade(self, cur)
        eventlog.upgrade(self, cur)

    def bulk(self, jobs: int) -> AbstractContextManager[None]:
        """Around a flush of ``jobs`` pending jobs: where the store gains by it, secondary
        work it can do once afterwards instead of once per row (see the PostgreSQL
        store's rank index)."""
        return nullcontext()

    def flushed(self) -> None:
        """After a flush's last batch: bring any local read cache up to date with what
        this connection wrote (see the SQLite store)."""
        return None

    def _remember(self, ratings: Ratings) -> None:
        """After a commit: the batch's rows as they now stand (see the SQLite store)."""
        return None

    def forget(self) -> None:
        """After a rollback, or a job applied in a transaction of its own: drop whatever
        :meth:`_remember` kept."""
        return None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
