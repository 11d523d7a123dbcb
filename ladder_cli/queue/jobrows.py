"""How a write job is stored as a row of the queue (and of its retained jobs): the
columns, the encoding both ways, and the checksum that catches a torn or edited row."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from ladder_cli.domain.model import (
    RACES,
    STANDALONE_AUDITS,
    AdjustJob,
    AuditJob,
    CorrectionJob,
    DecayJob,
    Job,
    MatchJob,
    QueuedJob,
    ResetJob,
    SeasonJob,
)

#: The columns of an encoded job (:data:`COLUMNS`), as the ``jobs`` and ``retained_jobs``
#: tables declare them.
JOB_COLUMNS_DDL: Final = """\
    kind TEXT NOT NULL,
    p1_uid INTEGER NOT NULL,
    p1_race TEXT,
    p2_uid INTEGER,
    p2_race TEXT,
    result INTEGER,
    at_s INTEGER NOT NULL,
    p1_name TEXT,
    p2_name TEXT,
    mmr INTEGER,
    keep_stats INTEGER,
"""

COLUMNS: Final = (
    "kind, p1_uid, p1_race, p2_uid, p2_race, result, at_s, p1_name, p2_name, mmr, keep_stats"
)

Row = tuple[
    str,
    int,
    str | None,
    int | None,
    str | None,
    int | None,
    int,
    str | None,
    str | None,
    int | None,
    int | None,
]


def encode(job: Job) -> Row:
    if isinstance(job, AdjustJob | CorrectionJob | DecayJob | AuditJob | SeasonJob):
        return _encode_admin(job)
    if isinstance(job, MatchJob):
        return (
            "match",
            job.p1_uid,
            job.p1_race,
            job.p2_uid,
            job.p2_race,
            job.result,
            int(job.played_at.timestamp()),
            job.p1_name,
            job.p2_name,
            None,
            None,
        )
    return (
        "reset",
        job.uid,
        job.race,
        None,
        None,
        None,
        int(job.at.timestamp()),
        None,
        None,
        job.mmr,
        int(job.keep_stats),
    )


def _encode_admin(job: AdjustJob | CorrectionJob | DecayJob | AuditJob | SeasonJob) -> Row:
    """The admin jobs in the same columns: the actor in ``p1_name``, the reason in
    ``p2_name``; a correction's match id in ``p1_uid`` (its result in ``result``, NULL to
    void); an audit row's action in ``p1_race`` and target in ``p2_race`` (kind ``audit``,
    or its action for one queued alone: :data:`STANDALONE_AUDITS`); a season
    close's name in ``p2_race``, its soft-reset factor in ``mmr`` and its activity window
    in ``result``; a decay's rule as ``after_days`` in ``p1_uid``, ``every_days`` in
    ``p2_uid``, ``points`` in ``result`` and ``floor`` in ``mmr``."""
    at = int(job.at.timestamp())
    if isinstance(job, SeasonJob):
        days = job.activity_days
        return ("season", 0, None, None, job.name, days, at, job.actor, None, job.factor, None)
    if isinstance(job, DecayJob):
        return (
            "decay",
            job.after_days,
            None,
            job.every_days,
            None,
            job.points,
            at,
            job.actor,
            None,
            job.floor,
            None,
        )
    if isinstance(job, AdjustJob):
        row = ("adjust", job.uid, job.race, None, None, None, at, job.actor, job.reason)
        return (*row, job.delta, None)
    if isinstance(job, CorrectionJob):
        kind = "void" if job.result is None else "amend"
        return (
            kind,
            job.match_id,
            None,
            None,
            None,
            job.result,
            at,
            job.actor,
            job.reason,
            None,
            None,
        )
    kind = job.action if job.action in STANDALONE_AUDITS else "audit"
    return (kind, 0, job.action, None, job.target, None, at, job.actor, job.reason, None, None)


def _decode_admin(row: Row) -> Job:
    kind, p1_uid, p1_race, p2_uid, p2_race, result, at_s, actor, reason, mmr, _keep = row
    at = datetime.fromtimestamp(at_s, UTC)
    if not isinstance(actor, str):
        raise ValueError(f"{kind} job has no actor")
    if kind == "season":
        if not isinstance(p2_race, str) or not isinstance(mmr, int) or not 0 <= mmr <= 10**6:
            raise ValueError("season job has missing or invalid fields")
        return SeasonJob(p2_race, mmr, at, actor, result)
    if kind == "decay":
        after, points, every, floor = p1_uid, result, p2_uid, mmr
        if not (isinstance(points, int) and isinstance(every, int) and isinstance(floor, int)):
            raise ValueError("decay job has missing or invalid fields")
        if after < 0 or points < 1 or every < 1:
            raise ValueError("decay job has missing or invalid fields")
        return DecayJob(after, points, every, floor, at, actor)
    if kind == "adjust":
        if p1_race not in RACES or not isinstance(mmr, int) or not isinstance(reason, str):
            raise ValueError("adjust job has missing or invalid fields")
        return AdjustJob(p1_uid, p1_race, mmr, at, actor, reason)
    if kind in ("void", "amend"):
        if not isinstance(reason, str) or (kind == "amend") != (result in (0, 1, 2)):
            raise ValueError(f"{kind} job has missing or invalid fields")
        return CorrectionJob(p1_uid, result, at, actor, reason)
    if not isinstance(p1_race, str) or not isinstance(p2_race, str):
        raise ValueError("audit job has missing or invalid fields")
    if kind != "audit" and p1_race != kind:
        raise ValueError(f"{kind} job has missing or invalid fields")
    return AuditJob(p1_race, p2_race, at, actor, reason)


def encode_audit(audit: AuditJob) -> str:
    """A command's audit row as the queue keeps it on the command's last job."""
    return json.dumps(
        {
            "action": audit.action,
            "target": audit.target,
            "at": int(audit.at.timestamp()),
            "actor": audit.actor,
            "reason": audit.reason,
        }
    )


def decode_audit(text: object) -> AuditJob | None:
    if not isinstance(text, str):
        return None
    d = json.loads(text)
    at = datetime.fromtimestamp(int(d["at"]), UTC)
    return AuditJob(str(d["action"]), str(d["target"]), at, str(d["actor"]), d.get("reason"))


# Job ids need to be unique, not secret: a generator seeded from the OS per process is
# as collision-free as one urandom call per job.
def checksum(row: Sequence[object]) -> int:
    return zlib.crc32(repr(tuple(row)).encode())


#: What reading a damaged row back raises (:func:`read_back`).
DAMAGED = (ValueError, TypeError, OverflowError, OSError)


def read_back(seq: int, job_id: int, row: Row, crc: int, audit: object) -> QueuedJob:
    """A stored job as it was queued; one of :data:`DAMAGED` where the row fails its
    checksum (torn or edited) or cannot be a job."""
    if checksum((job_id, *row)) != crc:
        raise ValueError("checksum mismatch (torn or edited row)")
    return QueuedJob(seq, decode(row), job_id, decode_audit(audit))


def in_stored_form(job: Job) -> bool:
    """Whether ``job`` is exactly what reading it back from the queue gives: plain ints and
    strings, times in UTC to the second. Only then may a flush apply it from memory and
    write what a replay would (:meth:`Ladder.flush` ``fresh``)."""
    if isinstance(job, AdjustJob | CorrectionJob | AuditJob):
        return _stored_time(job.at)
    if isinstance(job, SeasonJob):
        days = job.activity_days
        return (
            type(job.name) is str
            and type(job.factor) is int
            and (days is None or type(days) is int)
            and _stored_time(job.at)
        )
    if isinstance(job, DecayJob):
        values = (job.after_days, job.points, job.every_days, job.floor)
        return all(type(v) is int for v in values) and _stored_time(job.at)
    if isinstance(job, MatchJob):
        return (
            type(job.p1_uid) is int
            and type(job.p2_uid) is int
            and type(job.result) is int
            and type(job.p1_race) is str
            and type(job.p2_race) is str
            and (job.p1_name is None or type(job.p1_name) is str)
            and (job.p2_name is None or type(job.p2_name) is str)
            and _stored_time(job.played_at)
        )
    return (
        type(job.uid) is int
        and type(job.mmr) is int
        and type(job.keep_stats) is bool
        and (job.race is None or type(job.race) is str)
        and _stored_time(job.at)
    )


def _stored_time(when: object) -> bool:
    return isinstance(when, datetime) and when.tzinfo is UTC and not when.microsecond


def decode(row: Row) -> Job:
    """Rebuild a job from its columns, refusing anything a valid job could not have been."""
    kind, p1_uid, p1_race, p2_uid, p2_race, result, at_s, p1_name, p2_name, mmr, keep = row
    at = datetime.fromtimestamp(at_s, UTC)
    if kind == "match":
        if (
            p1_race not in RACES
            or p2_race not in RACES
            or not isinstance(p2_uid, int)
            or result not in (0, 1)
        ):
            raise ValueError("match job has missing or invalid fields")
        return MatchJob(p1_uid, p1_race, p2_uid, p2_race, result, at, p1_name, p2_name)
    if kind == "reset":
        if (p1_race is not None and p1_race not in RACES) or not isinstance(mmr, int):
            raise ValueError("reset job has missing or invalid fields")
        return ResetJob(p1_uid, p1_race, mmr, bool(keep), at)
    if kind in ("adjust", "void", "amend", "decay", "audit", "season", *STANDALONE_AUDITS):
        return _decode_admin(row)
    raise ValueError(f"unknown job kind {kind!r}")
