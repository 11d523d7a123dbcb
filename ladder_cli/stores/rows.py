"""Rows both stores build the same way: the rules row read back, the keys a batch touches
(its lock set on a server), and a match log row and an upsert's parameters in the column
order of :mod:`ladder_cli.domain.tables` (the COPY paths use them too)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ladder_cli.domain.model import (
    RACE_SET,
    AdjustJob,
    AppliedMatch,
    Key,
    MatchJob,
    QueuedJob,
    ResetJob,
    job_uids,
)
from ladder_cli.domain.rating import Change
from ladder_cli.domain.rules import PRESETS, Rules


def rules_from_row(row: Sequence[Any]) -> Rules:
    """A stored rules row as :class:`Rules`; the preset itself when it is one unchanged."""
    preset, k, scale, rounding, start_mmr, letters, activity_days = row
    rules = Rules(
        str(preset),
        int(k),
        int(scale),
        rounding,
        int(start_mmr),
        letters,
        None if activity_days is None else int(activity_days),
    )
    known = PRESETS.get(rules.preset)
    return known if known == rules else rules


def involved_keys(jobs: Sequence[QueuedJob]) -> tuple[list[Key], set[int]]:
    """The rows a batch's jobs touch: the ``(uid, race)`` of each match side, and the
    players whose every row a job needs (a reset, or a match naming a player, which renames
    all of that player's rows). Keys of those players are left out of the first list, and
    so are unknown races (such a job fails before it touches a row). Unordered: the
    database sorts them into its lock order."""
    keys: set[Key] = set()
    whole: set[int] = set()
    add = keys.add
    for queued in jobs:
        job = queued.job
        # Identity tests, cheaper than isinstance (the job types are never subclassed).
        # Corrections, decays, audit rows and season closes read no row here (see
        # apply_batch).
        if type(job) is MatchJob:
            if job.p1_name is None and job.p2_name is None:
                add((job.p1_uid, job.p1_race))
                add((job.p2_uid, job.p2_race))
                continue
            for uid, race, name in (
                (job.p1_uid, job.p1_race, job.p1_name),
                (job.p2_uid, job.p2_race, job.p2_name),
            ):
                if name is None:
                    add((uid, race))
                else:
                    whole.add(uid)
        elif type(job) is AdjustJob:
            add((job.uid, job.race))
        elif type(job) is ResetJob:
            whole.add(job.uid)
    return [key for key in keys if key[1] in RACE_SET and key[0] not in whole], whole


def involved_uids(jobs: Sequence[QueuedJob]) -> list[int]:
    """Every player a batch's jobs touch, sorted (the lock order)."""
    uids: set[int] = set()
    for queued in jobs:
        uids.update(job_uids(queued.job))
    return sorted(uids)


def match_row(queue_id: str, m: AppliedMatch, ts: Callable[[Any], object]) -> tuple[object, ...]:
    """A match log row in ``INSERT_MATCH`` column order (the stores' COPY uses it too)."""
    return (
        queue_id,
        m.job_id,
        ts(m.played_at),
        m.p1_uid,
        m.p1_race,
        m.p1_mmr_before,
        m.p1_mmr_after,
        m.p2_uid,
        m.p2_race,
        m.p2_mmr_before,
        m.p2_mmr_after,
        m.result,
    )


def upsert_row(change: Change, ts: Any) -> tuple[object, ...]:
    """An upsert's parameters in :data:`~ladder_cli.domain.tables.ENTRY_WRITE` order."""
    e = change.entry
    return (
        e.discord_uid,
        e.player_name,
        e.race,
        e.mmr,
        change.played,
        change.won,
        change.lost,
        change.drawn,
        ts(e.last_played),
    )
