"""``wal discard`` and its audit row: dropping pending jobs is an admin's decision like a
void, so the trail records who dropped which jobs, when, and what they held.

The drop happens in this home's queue and the trail lives in the database. The audit row
is an audit-only job queued in the same queue transaction as the drop
(:func:`ladder_cli.queue.discard.discard`), so neither happens without the other, and it
reaches the database the way every job does: applied exactly once, its job id in the
ledger. It is applied at once, alone (the other pending jobs keep waiting for a replay,
which the discard did not ask for). If the database cannot be reached by then, it stays
queued and the next flush (any write, or ``wal replay``) writes it. While the database
cannot be reached beforehand nothing is discarded at all: the ledger must be checked
first (:mod:`ladder_cli.queue.discard`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ladder_cli.domain.model import AuditJob, QueuedJob, now_utc
from ladder_cli.queue import discard as queue_discard
from ladder_cli.queue.listing import JobInfo
from ladder_cli.queue.lock import flush_lock
from ladder_cli.stores import JobRejected
from ladder_cli.util import failpoints
from ladder_cli.util.errors import DatabaseUnavailable, LadderError

if TYPE_CHECKING:
    from ladder_cli.core.parts import Parts

ACTION: Final = "discard"
#: Jobs described one by one in the audit row; more are counted by kind.
LISTED: Final = 3


@dataclass
class DiscardOutcome:
    """What ``wal discard`` did: the jobs dropped, and where their audit row is."""

    jobs: list[JobInfo] = field(default_factory=list)
    #: The audit row is in the database.
    audited: bool = False
    #: Why it is not yet (it is queued and the next flush writes it).
    unavailable: str | None = None

    @property
    def dropped(self) -> int:
        return len(self.jobs)


class Discards:
    """``wal discard`` for one Ladder, writing as ``actor``."""

    def __init__(self, parts: Parts, actor: str) -> None:
        self._parts, self._actor = parts, actor

    def check(self, first: int, last: int) -> queue_discard.Discardable:
        """The pending jobs ``first`` to ``last``, or why they cannot be dropped."""
        return check(self._parts, first, last)

    def discard(self, plan: queue_discard.Discardable) -> DiscardOutcome:
        """Drop the planned jobs, with their audit row applied exactly once."""
        return discard(self._parts, plan, self._actor)


def check(parts: Parts, first: int, last: int) -> queue_discard.Discardable:
    """The pending jobs ``first`` to ``last``, or why they cannot be dropped."""
    return queue_discard.check(parts.queue, parts.store.applied_among, first, last)


def discard(parts: Parts, plan: queue_discard.Discardable, actor: str) -> DiscardOutcome:
    """Drop the planned jobs with their audit row, then write the row to the database."""
    made: list[AuditJob] = []

    def audit(jobs: list[JobInfo]) -> AuditJob:
        made.append(AuditJob(ACTION, target(jobs), now_utc(), actor))
        return made[-1]

    dropped = queue_discard.discard(parts.queue, parts.store.applied_among, plan, audit)
    out = DiscardOutcome(dropped.jobs[: dropped.count])
    failpoints.hit("after-discard")  # the jobs dropped and their audit row queued
    if dropped.audit is not None:
        seq, job_id = dropped.audit
        out.unavailable = _write(parts, QueuedJob(seq, made[-1], job_id))
        out.audited = out.unavailable is None
    return out


def _write(parts: Parts, queued: QueuedJob) -> str | None:
    """Apply the audit job now, exactly once; None when done, else why it waits."""
    queue = parts.queue
    try:
        with parts.lock, flush_lock(parts.settings.queue_path):
            result = parts.store.apply_batch(queue.queue_id, [queued])
            queue.complete(result.applied + result.already_applied)
    except DatabaseUnavailable as exc:
        parts.went_offline(exc)
        return str(exc)
    except JobRejected as exc:
        queue.mark_failed([(queued.seq, f"rejected by the database: {exc}")])
        return f"the database refused it ({exc}; see `ladder wal failed`)"
    except LadderError as exc:
        return str(exc)
    return None


def target(jobs: Sequence[JobInfo]) -> str:
    """Which jobs, and what they held: ``job 7: match 1 bw_zerg vs 2 bw_terran``; past
    :data:`LISTED` jobs, their count by kind."""
    seqs = _seqs([j.seq for j in jobs])
    if len(jobs) <= LISTED:
        return f"{seqs}: " + "; ".join(held(j) for j in jobs)
    kinds = Counter(j.kind for j in jobs)
    counted = ", ".join(f"{n:,} {kind}" for kind, n in sorted(kinds.items(), key=lambda k: -k[1]))
    return f"{seqs}, {len(jobs):,} in all: {counted}"


def held(job: JobInfo) -> str:
    """One job as the audit row names it (its players by uid, so the table names them)."""
    s, kind = job.summary, job.kind
    if kind == "match":
        what = f"match {s['p1_uid']} {s['p1_race']} vs {s['p2_uid']} {s['p2_race']}"
        return what + (" drawn" if s.get("result") == 0 else "")
    if kind == "void":
        return f"void match {s['match_id']}"
    if kind == "amend":
        result = {1: "p1", 2: "p2", 0: "draw"}.get(s.get("result"))  # type: ignore[call-overload]
        return f"amend match {s['match_id']} to {result}"
    if kind == "adjust":
        return f"adjust {s['discord_uid']} {s['race']} {s['by_points']:+d}"
    if kind == "reset":
        which = f"({s['race'] or 'every race'})"
        kept = " keeping stats" if s.get("keep_stats") else ""
        return f"reset {s['discord_uid']} {which} to {s['mmr']}{kept}"
    if kind == "season":
        return f"season close {s['season']}"
    return kind


def _seqs(seqs: Sequence[int]) -> str:
    """``job 7``, ``jobs 3-5``, ``jobs 3-5, 9``: the seqs as ``wal list`` shows them."""
    runs: list[list[int]] = []
    for seq in sorted(seqs):
        if runs and seq == runs[-1][1] + 1:
            runs[-1][1] = seq
        else:
            runs.append([seq, seq])
    if len(runs) > LISTED:
        runs = [[runs[0][0], runs[-1][1]]]
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
    return f"job {text}" if len(seqs) == 1 else f"jobs {text}"
