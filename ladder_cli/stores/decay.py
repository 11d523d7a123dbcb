"""Inactivity decay in a store: the decay job applied exactly once, and its preview.

A decay job is worked out when it is applied, inside the transaction holding the ladder's
write lock: the inactive entries are read (locked, on a server) together with the points
their decay events since their last game already took, so what a run takes is what is
still owed at that moment (see :mod:`ladder_cli.core.decay`). Ledger row, MMR updates, one
``decay`` event per entry that loses points and one audit row commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from ladder_cli.domain.decay import EntryDecay, plan, rule_of
from ladder_cli.domain.events import DECAY
from ladder_cli.domain.model import DecayJob, Entry, Key, QueuedJob
from ladder_cli.stores import sql
from ladder_cli.stores.alone import apply_alone
from ladder_cli.stores.interface import BatchResult, Dialect
from ladder_cli.util import failpoints
from ladder_cli.util.config import DecayRule

# Entries with a last game at or before the cutoff (they owe at least one period) and an
# MMR above the floor, in key order (the lock order on a server).
CANDIDATES: Final = (
    f"SELECT {sql.ENTRY_COLUMNS} FROM mmrs_1v1 WHERE last_played IS NOT NULL "
    "AND last_played <= %s AND mmr > %s ORDER BY discord_uid, race"
)
# The points the decay events of those entries took since each one's last game.
TAKEN: Final = (
    "SELECT e.discord_uid, e.race, sum(e.amount) FROM ladder_events e JOIN mmrs_1v1 m "
    "ON m.discord_uid = e.discord_uid AND m.race = e.race "
    "WHERE e.kind = 'decay' AND m.last_played IS NOT NULL AND m.last_played <= %s "
    "AND m.mmr > %s AND e.at > m.last_played GROUP BY e.discord_uid, e.race"
)
SET_MMR: Final = "UPDATE mmrs_1v1 SET mmr = %s WHERE discord_uid = %s AND race = %s"
CHANGES_OF_JOB: Final = (
    "SELECT discord_uid, race, mmr_before, mmr_after FROM ladder_events "
    "WHERE kind = 'decay' AND queue_id = %s AND job_id = %s "
    "ORDER BY mmr_after - mmr_before, discord_uid, race"
)


def _owed(store: Dialect, cur: Any, rule: DecayRule, at: datetime, lock: str) -> list[EntryDecay]:
    params = (store.ts(rule.cutoff(at)), rule.floor)
    cur.execute(store.q(CANDIDATES) + lock, params)
    candidates = [store.entry(row) for row in cur.fetchall()]
    if not candidates:
        return []
    cur.execute(store.q(TAKEN), params)
    taken: dict[Key, int] = {(int(r[0]), str(r[1])): int(r[2]) for r in cur.fetchall()}
    return plan(rule, candidates, taken, at)


def preview(store: Dialect, rule: DecayRule, at: datetime) -> list[EntryDecay]:
    """What a decay run at ``at`` would take, read without writing."""
    with store.read_cursor() as cur:
        return _owed(store, cur, rule, at, "")


def apply_decay(store: Dialect, queue_id: str, queued: QueuedJob) -> BatchResult:
    """Apply one decay run, exactly once: what is owed is worked out under the write lock,
    so two homes running decay at once take a period once."""
    job = queued.job
    assert isinstance(job, DecayJob)

    def work(cur: Any) -> dict[Key, Entry]:
        owed = _owed(store, cur, rule_of(job), job.at, store.lock_rows)
        failpoints.hit("in-db-transaction")
        return _write(store, cur, queue_id, queued, job, owed) if owed else {}

    return apply_alone(store, queue_id, queued, work)


def _write(
    store: Dialect,
    cur: Any,
    queue_id: str,
    queued: QueuedJob,
    job: DecayJob,
    owed: list[EntryDecay],
) -> dict[Key, Entry]:
    q, ts = store.q, store.ts
    cur.executemany(q(SET_MMR), [(d.mmr_after, *d.entry.key) for d in owed])
    after_match = _last_match_id(cur)
    at = ts(job.at)
    cur.executemany(
        q(sql.INSERT_EVENT),
        [
            (after_match, DECAY, d.entry.discord_uid, d.entry.race, d.amount, 1,
             d.entry.mmr, d.mmr_after, at, 0, 0, 0, 0, None, job.floor, queue_id,
             queued.ledger_id)
            for d in owed
        ],
    )  # fmt: skip
    lost = sum(d.entry.mmr - d.mmr_after for d in owed)
    entries = "1 entry" if len(owed) == 1 else f"{len(owed):,} entries"
    target = f"{entries}, -{lost:,} MMR ({rule_of(job).describe()})"
    cur.execute(
        q(sql.INSERT_AUDIT),
        (at, job.actor, "decay", target, None, None, queue_id, queued.ledger_id),
    )
    written = {}
    for d in owed:
        entry = d.entry.copy()
        entry.mmr = d.mmr_after
        written[entry.key] = entry
    return written


def _last_match_id(cur: Any) -> int:
    cur.execute(sql.MAX_MATCH_ID)
    return int(cur.fetchone()[0])


def changes_of_job(store: Dialect, queue_id: str, job_id: int) -> list[tuple[Key, int, int]]:
    """The entries one applied decay job changed: ((uid, race), MMR before, after)."""
    with store.read_cursor() as cur:
        cur.execute(store.q(CHANGES_OF_JOB), (queue_id, job_id))
        rows: Sequence[Any] = cur.fetchall()
    return [((int(r[0]), str(r[1])), int(r[2]), int(r[3])) for r in rows]


__all__ = ["apply_decay", "changes_of_job", "preview"]
