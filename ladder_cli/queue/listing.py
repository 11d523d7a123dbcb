"""What the queue shows of itself: ``wal status`` and ``wal list``, and where the jobs of
one command stand (for the interrupt and discard messages)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from ladder_cli.domain.model import STANDALONE_AUDITS, format_timestamp
from ladder_cli.queue.file import QueueFile
from ladder_cli.queue.jobrows import COLUMNS


@dataclass(frozen=True, slots=True)
class JobInfo:
    """A queued job as ``wal list`` and ``wal failed`` show it."""

    seq: int
    kind: str
    enqueued_at: float
    state: str
    error: str | None
    summary: dict[str, object]

    def as_dict(self) -> dict[str, object]:
        """As ``wal list --format json`` prints it."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "enqueued_at": format_timestamp(datetime.fromtimestamp(self.enqueued_at, UTC)),
            "state": self.state,
            "error": self.error,
            **self.summary,
        }


@dataclass(frozen=True, slots=True)
class QueueStatus:
    pending: int
    failed: int
    oldest_pending_age_s: float | None

    def as_dict(self) -> dict[str, object]:
        """As ``wal status --format json`` prints it."""
        return {
            "pending": self.pending,
            "failed": self.failed,
            "oldest_pending_age_s": self.oldest_pending_age_s,
        }


class JobListing:
    """Reads of one queue file's jobs for its ``target``."""

    def __init__(self, file: QueueFile) -> None:
        self.file = file

    def status(self) -> QueueStatus:
        with self.file.lock:
            counts = dict(
                self.file.conn.execute(
                    # An audit row rides with its command's jobs: not a write of its own.
                    "SELECT state, count(*) FROM jobs WHERE target = ? AND kind <> 'audit' "
                    "GROUP BY state",
                    (self.file.target,),
                ).fetchall()
            )
            oldest = self.file.conn.execute(
                "SELECT min(enqueued_at) FROM jobs WHERE target = ? AND state = 'pending'",
                (self.file.target,),
            ).fetchone()[0]
        age = None if oldest is None else max(0.0, round(time.time() - oldest, 3))
        return QueueStatus(counts.get("pending", 0), counts.get("failed", 0), age)

    def pending_count(self) -> int:
        return self.status().pending

    def unfinished_between(self, first: int, last: int) -> int:
        """How many of the jobs ``first`` to ``last`` (seqs) are not applied: still pending,
        or failed (whichever process moved them there). Applied jobs leave the queue."""
        with self.file.lock:
            row = self.file.conn.execute(
                "SELECT count(*) FROM jobs WHERE target = ? AND seq BETWEEN ? AND ?",
                (self.file.target, first, last),
            ).fetchone()
        return int(row[0])

    def states_between(self, first: int, last: int) -> dict[str, int]:
        """How many of the jobs ``first`` to ``last`` (seqs) are in each state; applied
        jobs have left the queue and are not counted."""
        with self.file.lock:
            rows = self.file.conn.execute(
                "SELECT state, count(*) FROM jobs WHERE target = ? AND seq BETWEEN ? AND ? "
                "GROUP BY state",
                (self.file.target, first, last),
            ).fetchall()
        return {str(state): int(count) for state, count in rows}

    def jobs_between(self, first: int, last: int) -> list[tuple[JobInfo, int]]:
        """The jobs ``first`` to ``last`` (seqs) of this target in any state, each with its
        job id (what the database's ledger records)."""
        with self.file.lock:
            rows = self.file.conn.execute(
                f"SELECT seq, {COLUMNS}, enqueued_at, state, error, job_id FROM jobs "
                "WHERE target = ? AND seq BETWEEN ? AND ? ORDER BY seq",
                (self.file.target, first, last),
            ).fetchall()
        return [(_info(row[:-1]), int(row[-1])) for row in rows]

    def list(self, state: str, limit: int | None = None) -> list[JobInfo]:
        with self.file.lock:
            rows = self.file.conn.execute(
                f"SELECT seq, {COLUMNS}, enqueued_at, state, error FROM jobs "
                "WHERE target = ? AND state = ? AND kind <> 'audit' ORDER BY seq LIMIT ?",
                (self.file.target, state, -1 if limit is None else limit),
            ).fetchall()
        return [_info(row) for row in rows]


def _info(row: tuple[object, ...]) -> JobInfo:
    seq, kind, p1_uid, p1_race, p2_uid, p2_race, result, at_s, p1n, p2n, mmr, keep = row[:12]
    enqueued_at, state, error = row[12:]
    try:
        at = datetime.fromtimestamp(at_s, UTC).isoformat() if isinstance(at_s, int) else None
    except (OverflowError, ValueError, OSError):  # a corrupt row, as `wal failed` lists them
        at = None
    summary: dict[str, object]
    if kind == "match":
        summary = {
            "p1_uid": p1_uid,
            "p1_race": p1_race,
            "p2_uid": p2_uid,
            "p2_race": p2_race,
            "result": result,
            "played_at": at,
            "p1_name": p1n,
            "p2_name": p2n,
        }
    elif kind in ("void", "amend"):
        summary = {"match_id": p1_uid, "result": result, "reason": p2n, "by": p1n, "at": at}
    elif kind == "adjust":
        summary = {"discord_uid": p1_uid, "race": p1_race, "by_points": mmr, "reason": p2n}
    elif kind == "decay":
        summary = {
            "after_days": p1_uid,
            "points": result,
            "every_days": p2_uid,
            "floor": mmr,
            "by": p1n,
            "at": at,
        }
    elif kind == "audit" or kind in STANDALONE_AUDITS:
        summary = {"action": p1_race, "target": p2_race, "by": p1n, "at": at}
    elif kind == "season":
        summary = {"season": p2_race, "soft_reset": mmr / 10**6 if isinstance(mmr, int) else None,
                   "by": p1n, "at": at}  # fmt: skip
    else:
        summary = {
            "discord_uid": p1_uid,
            "race": p1_race,
            "mmr": mmr,
            "keep_stats": bool(keep),
            "at": at,
        }
    return JobInfo(
        seq=int(seq),  # type: ignore[call-overload]
        kind=str(kind),
        enqueued_at=float(enqueued_at),  # type: ignore[arg-type]
        state=str(state),
        error=None if error is None else str(error),
        summary=summary,
    )
