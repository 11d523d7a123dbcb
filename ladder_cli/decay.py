"""Inactivity decay: the ``[decay]`` rule of the config file and what each entry owes.

The clock is the entry's ``last_played``. Once its last game is ``after_days`` old, an
entry owes ``points`` for each full ``every_days`` since then: at time ``t`` it owes
``floor((t - last_played - after_days) / every_days) * points`` in all, so with the
contract's 14 / 25 / 7 the first 25 are due 21 days after the last game, 50 in all at
28 days, and so on. A run of ``ladder decay`` takes what is owed less what the decay
events logged since that game already took (their nominal points), never below
``floor``; an entry at or below the floor is left alone and gets no event. A new game
restarts the clock. An entry with no last game (never played, or reset without
``--keep-stats``) never decays.

Because a run takes only what is owed and not yet taken, running it twice in a period
changes nothing, and a run that was missed is caught up by the next one. The decay job is
worked out when applied, under the ladder's write lock (:mod:`ladder_cli.stores.decaylog`),
from the time the command was run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from ladder_cli.events import decayed
from ladder_cli.model import DecayJob, Entry, Key, now_utc, to_utc
from ladder_cli.util.config import DecayRule
from ladder_cli.util.errors import BadInput

if TYPE_CHECKING:
    from ladder_cli.admin import ChangeRow
    from ladder_cli.ladder import Ladder, WriteOutcome

#: Test-only: the time ``ladder decay`` takes as now (ISO 8601), so tests can cross a
#: period boundary without waiting a week. Not for production use.
TEST_NOW_ENV: Final = "LADDER_TEST_NOW"


def rule_of(job: DecayJob) -> DecayRule:
    return DecayRule(job.after_days, job.points, job.every_days, job.floor)


def decay_job(rule: DecayRule, at: datetime, actor: str) -> DecayJob:
    """One run of ``rule`` as of ``at``, as the queue keeps it."""
    return DecayJob(rule.after_days, rule.points, rule.every_days, rule.floor, at, actor)


def now() -> datetime:
    """Now, to the second, in UTC; ``LADDER_TEST_NOW`` overrides it (tests only)."""
    text = os.environ.get(TEST_NOW_ENV)
    if not text:
        return now_utc()
    try:
        return to_utc(datetime.fromisoformat(text))
    except ValueError:
        raise BadInput(f"{TEST_NOW_ENV} {text!r} is not an ISO 8601 date-time") from None


@dataclass(frozen=True, slots=True)
class Decay:
    """One entry's decay in a run: the stored row before, the points taken (nominal), the
    MMR after (never below the floor)."""

    entry: Entry
    amount: int
    mmr_after: int


def plan(
    rule: DecayRule, candidates: Iterable[Entry], taken: Mapping[Key, int], at: datetime
) -> list[Decay]:
    """What a run at ``at`` takes from each candidate, given the points decay events since
    its last game already took (``taken``). Entries at or below the floor are skipped."""
    out = []
    for entry in candidates:
        if entry.mmr <= rule.floor:
            continue
        due = rule.owed(entry.last_played, at) - taken.get(entry.key, 0)
        if due > 0:
            out.append(Decay(entry, due, decayed(entry.mmr, due, rule.floor)))
    return out


# -- over a ladder ---------------------------------------------------------------------


def configured(ladder: Ladder) -> DecayRule:
    rule = ladder.settings.decay
    if rule is None:
        raise BadInput(
            f"decay is not configured: add a [decay] section to {ladder.settings.config_file} "
            "(after_days, points, every_days, floor)"
        )
    return rule


def preview(ladder: Ladder, at: datetime | None = None) -> list[ChangeRow]:
    """Who a run at ``at`` (default: now) would change, biggest loss first; writes nothing."""
    from ladder_cli.admin import ChangeRow
    from ladder_cli.stores import decaylog

    rule = configured(ladder)
    at = now() if at is None else to_utc(at)
    rows = []
    for d in decaylog.preview(ladder.store, rule, at):
        after = d.entry.copy()
        after.mmr = d.mmr_after
        rows.append(ChangeRow(d.entry.key, d.entry.player_name, d.entry, after))
    rows.sort(key=lambda r: (r.difference, r.key))
    return rows


@dataclass
class DecayOutcome:
    outcome: WriteOutcome
    #: What the applied job took, entry by entry ((uid, race), MMR before, after); empty
    #: while the job is queued or when nothing was owed.
    changed: list[tuple[Key, int, int]]


def run(ladder: Ladder, at: datetime | None = None, *, flush: bool = True) -> DecayOutcome:
    """Queue (and flush) one decay run as of ``at`` (default: now)."""
    from ladder_cli.stores import decaylog

    rule = configured(ladder)
    at = now() if at is None else to_utc(at)
    outcome = ladder.submit([decay_job(rule, at, ladder.actor)], flush=flush, want_matches=False)
    changed: list[tuple[Key, int, int]] = []
    if outcome.applied and outcome.job_ids:
        changed = decaylog.changes_of_job(ladder.store, ladder.queue.queue_id, outcome.job_ids[0])
    return DecayOutcome(outcome, changed)


def as_json_rows(rows: Iterable[ChangeRow]) -> list[dict[str, object]]:
    return [
        {
            "discord_uid": r.key[0],
            "player_name": r.name,
            "race": r.key[1],
            "mmr_before": r.before.mmr,
            "mmr_after": r.after.mmr,
            "difference": r.difference,
            "last_played": None
            if r.before.last_played is None
            else r.before.last_played.astimezone(UTC).isoformat(),
        }
        for r in rows
    ]


__all__ = [
    "TEST_NOW_ENV",
    "Decay",
    "DecayOutcome",
    "as_json_rows",
    "configured",
    "decay_job",
    "now",
    "plan",
    "preview",
    "rule_of",
    "run",
]
