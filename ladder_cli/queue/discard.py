"""Dropping pending jobs from the queue (``ladder wal discard``), safely.

A job may be discarded only if it was never applied. The queue alone cannot tell: a
flush that committed to the database and was then killed leaves the job pending here
while the database's ledger has it. So the ledger is asked first, and while the
database cannot be reached nothing is discarded. The check and the deletion run under
the flush's file lock, so no flush of this home applies a job between the two.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ladder_cli.domain.model import AuditJob
from ladder_cli.queue.listing import JobInfo
from ladder_cli.queue.lock import flush_lock
from ladder_cli.queue.writequeue import WriteQueue
from ladder_cli.util.errors import BadInput, DatabaseUnavailable, LadderError

Ledger = Callable[[str, Sequence[int]], set[int]]
"""Which of a queue's job ids the database's ledger holds (``Store.applied_among``)."""

_SPEC = re.compile(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?")


def parse_seqs(spec: str) -> tuple[int, int]:
    """``SEQ`` or ``FIRST-LAST`` (the seqs of ``wal list``) as ``(first, last)``."""
    found = _SPEC.fullmatch(spec)
    if found is None:
        raise BadInput(
            f"job {spec!r} is not a seq: give the number `ladder wal list` shows "
            "(or a range FIRST-LAST)"
        )
    first = int(found.group(1))
    last = int(found.group(2) or first)
    if first < 1 or last < first:
        raise BadInput(f"job range {spec!r} is empty: give FIRST-LAST with FIRST <= LAST")
    return first, last


@dataclass(frozen=True)
class Discardable:
    """Pending jobs that may be dropped: none of them is in the database's ledger."""

    first: int
    last: int
    jobs: list[JobInfo]
    job_ids: dict[int, int]


def check(queue: WriteQueue, ledger: Ledger, first: int, last: int) -> Discardable:
    """The pending jobs ``first`` to ``last``, or an error saying why they cannot go.

    BadInput (exit 2): no such pending job, or one the ledger already has. LadderError
    (exit 1): the database cannot be reached, so the ledger cannot be checked.
    """
    # An audit-only job (the audit row of an earlier discard) is no write: never dropped.
    found = [(info, job_id) for info, job_id in queue.jobs_between(first, last)]
    found = [(info, job_id) for info, job_id in found if info.kind != "audit"]
    pending = [(info, job_id) for info, job_id in found if info.state == "pending"]
    what = f"job {first}" if first == last else f"jobs {first}-{last}"
    if not pending:
        if found:
            raise BadInput(
                f"{what}: not pending (failed; see `ladder wal failed`): nothing was discarded"
            )
        raise BadInput(
            f"no pending {what} in this home's queue for this database "
            "(see `ladder wal list`): nothing was discarded"
        )
    job_ids = {info.seq: job_id for info, job_id in pending}
    try:
        applied = ledger(queue.queue_id, list(job_ids.values()))
    except DatabaseUnavailable as exc:
        raise LadderError(
            f"{exc}; the database's ledger cannot be checked, so nothing was discarded "
            "(a job it already applied must not be dropped): try again when it is reachable"
        ) from None
    done = sorted(seq for seq, job_id in job_ids.items() if job_id in applied)
    if done:
        listed = ", ".join(map(str, done[:5])) + (", ..." if len(done) > 5 else "")
        raise BadInput(
            f"{what}: the database's ledger already has {listed}, so "
            f"{'it was' if len(done) == 1 else 'they were'} applied and cannot be discarded; "
            "`ladder wal replay` clears applied jobs from the queue: nothing was discarded"
        )
    return Discardable(first, last, [info for info, _ in pending], job_ids)


@dataclass(frozen=True)
class Dropped:
    """What :func:`discard` did: how many jobs it dropped, the jobs it checked under the
    lock (all pending then: the ones dropped), and where their audit row was queued."""

    count: int
    jobs: list[JobInfo]
    audit: tuple[int, int] | None


def discard(
    queue: WriteQueue,
    ledger: Ledger,
    plan: Discardable,
    audit: Callable[[list[JobInfo]], AuditJob] | None = None,
) -> Dropped:
    """Drop the planned jobs, checking the ledger again under the flush lock (fewer are
    dropped when another process applied or dropped some meanwhile); the audit row that
    ``audit`` makes of them is queued in the same transaction as the drop
    (``Dropped.audit``: its ``(seq, job_id)``), so one never happens without the other."""
    with flush_lock(queue.path):
        again = check(queue, ledger, plan.first, plan.last)
        jobs = [info for info in again.jobs if info.seq in plan.job_ids]
        row = None if audit is None or not jobs else audit(jobs)
        count, queued = queue.discard([info.seq for info in jobs], row)
        return Dropped(count, jobs, queued)
