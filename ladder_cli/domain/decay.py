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
worked out when applied, under the ladder's write lock (:mod:`ladder_cli.stores.decay`),
from the time the command was run. The rule itself is the config file's ``[decay]``
section (:class:`ladder_cli.util.config.DecayRule`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from ladder_cli.domain.events import decayed
from ladder_cli.domain.model import DecayJob, Entry, Key
from ladder_cli.util.config import DecayRule


def rule_of(job: DecayJob) -> DecayRule:
    return DecayRule(job.after_days, job.points, job.every_days, job.floor)


def decay_job(rule: DecayRule, at: datetime, actor: str) -> DecayJob:
    """One run of ``rule`` as of ``at``, as the queue keeps it."""
    return DecayJob(rule.after_days, rule.points, rule.every_days, rule.floor, at, actor)


@dataclass(frozen=True, slots=True)
class EntryDecay:
    """One entry's decay in a run: the stored row before, the points taken (nominal), the
    MMR after (never below the floor)."""

    entry: Entry
    amount: int
    mmr_after: int


def plan(
    rule: DecayRule, candidates: Iterable[Entry], taken: Mapping[Key, int], at: datetime
) -> list[EntryDecay]:
    """What a run at ``at`` takes from each candidate, given the points decay events since
    its last game already took (``taken``). Entries at or below the floor are skipped."""
    out = []
    for entry in candidates:
        if entry.mmr <= rule.floor:
            continue
        due = rule.owed(entry.last_played, at) - taken.get(entry.key, 0)
        if due > 0:
            out.append(EntryDecay(entry, due, decayed(entry.mmr, due, rule.floor)))
    return out


__all__ = ["EntryDecay", "decay_job", "plan", "rule_of"]
