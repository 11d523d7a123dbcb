"""Elo, as the original ladder computes it, and the sequential engine that applies jobs.

The engine keeps one mutable :class:`~ladder_cli.domain.model.Entry` per (player, race) and walks
the jobs in queue order, so a batch of a million matches costs one dictionary lookup per
side instead of a whole-frame rewrite per match (the seed's O(players) pattern). The same
engine serves the flush (on rows read under lock) and the offline preview (on a snapshot).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from ladder_cli.domain.model import (
    DEFAULT_MMR,
    RACE_SET,
    RACES,
    AdjustJob,
    AppliedMatch,
    Entry,
    Key,
    MatchJob,
    QueuedJob,
    ResetJob,
    default_name,
)
from ladder_cli.domain.rules import STANDARD, Rules

K: Final = 40


def expected(mmr: float, opponent: float, scale: float = 400) -> float:
    """Expected score of a player rated ``mmr`` against ``opponent``."""
    return 1 / (1 + 10 ** ((opponent - mmr) / scale))


def rate(mmr1: int, mmr2: int, score1: float, rules: Rules = STANDARD) -> tuple[int, int]:
    """New integer MMRs after one game; ``score1`` is 1, 0 or 0.5 from P1's side.

    Both sides are computed from the stored integers before the game, then rounded as
    the rules say (``standard``: half up).
    """
    if rules is STANDARD:
        new1 = math.floor(mmr1 + K * (score1 - expected(mmr1, mmr2)) + 0.5)
        new2 = math.floor(mmr2 + K * ((1 - score1) - expected(mmr2, mmr1)) + 0.5)
        return new1, new2
    k, scale = rules.k, rules.scale
    return (
        rules.round(mmr1 + k * (score1 - expected(mmr1, mmr2, scale))),
        rules.round(mmr2 + k * ((1 - score1) - expected(mmr2, mmr1, scale))),
    )


class PoisonJob(ValueError):
    """A queued job that can never apply; it is moved to ``failed`` with this reason."""


@dataclass(slots=True)
class Change:
    """What a batch did to one entry, in the shape of the seed's atomic upsert.

    Without a reset the game counts are deltas added to the stored row; after a stats
    reset they are absolute, since the reset replaced whatever was stored.
    """

    entry: Entry
    played: int = 0
    won: int = 0
    lost: int = 0
    drawn: int = 0
    absolute: bool = False


@dataclass
class Ratings:
    """Per-key rating state for applying jobs in order.

    ``entries`` are the rows as stored; every job mutates them in place and records the
    change, so that one write per touched key describes the whole batch.
    """

    entries: dict[Key, Entry] = field(default_factory=dict)
    by_uid: dict[int, list[Entry]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    changes: dict[Key, Change] = field(default_factory=dict)
    renamed: dict[int, str] = field(default_factory=dict)
    matches: list[AppliedMatch] = field(default_factory=list)
    #: Entries the jobs created (no stored row yet): the database gives them their ids.
    created: list[Entry] = field(default_factory=list)
    rules: Rules = STANDARD

    @classmethod
    def from_entries(cls, entries: Iterable[Entry], rules: Rules = STANDARD) -> Ratings:
        ratings = cls(rules=rules)
        for entry in entries:
            ratings._add(entry)
        return ratings

    def _add(self, entry: Entry) -> None:
        uid = entry.discord_uid
        self.entries[uid, entry.race] = entry
        known = self.by_uid.get(uid)
        if known is None:
            self.by_uid[uid] = [entry]
            self.names.setdefault(uid, entry.player_name)
        else:
            known.append(entry)

    def apply(self, queued: QueuedJob) -> None:
        job = queued.job
        if isinstance(job, MatchJob):
            self._apply_match(job, queued.seq, queued.ledger_id)
        elif isinstance(job, ResetJob):
            self._apply_reset(job)
        elif isinstance(job, AdjustJob):
            self._apply_adjust(job)
        # Audit rows change no rating; corrections are applied by the store's event log.

    def preview(self, jobs: Iterable[QueuedJob]) -> None:
        """Apply jobs as the flush will, skipping those it would move to ``failed``."""
        for queued in jobs:
            try:
                self.apply(queued)
            except PoisonJob:
                continue

    def _entry(self, uid: int, race: str, name: str | None) -> Entry:
        if name is not None and self.names.get(uid) != name:
            self.names[uid] = name
            known = self.by_uid.get(uid, ())
            if known:
                self.renamed[uid] = name
            for row in known:
                row.player_name = name
        found = self.entries.get((uid, race))
        if found is None:
            found = Entry(
                uid, race, self.names.setdefault(uid, default_name(uid)), self.rules.start_mmr
            )
            self._add(found)
            self.created.append(found)
        return found

    def _change(self, entry: Entry) -> Change:
        key = (entry.discord_uid, entry.race)
        change = self.changes.get(key)
        if change is None:
            change = self.changes[key] = Change(entry)
        return change

    def _apply_match(self, job: MatchJob, seq: int | None, job_id: int | None = None) -> None:
        # The flush's innermost loop (a million times for a large import): both sides are
        # written out rather than looped over, which is faster (docs/benchmarks.md has the
        # figures).
        p1, race1, p2, race2, result = job.p1_uid, job.p1_race, job.p2_uid, job.p2_race, job.result
        if p1 == p2:
            raise PoisonJob(f"P1 and P2 are the same player ({p1})")
        if race1 not in RACE_SET or race2 not in RACE_SET:
            raise PoisonJob(f"unknown race in {race1!r} vs {race2!r}")
        if result not in (0, 1):
            raise PoisonJob(f"result {result!r} is neither 1 nor 0")
        # Each key is built once; a side without a name (no rename to check) whose row is
        # known is a plain lookup.
        k1, k2, entries = (p1, race1), (p2, race2), self.entries
        e1 = entries.get(k1) if job.p1_name is None else None
        if e1 is None:
            e1 = self._entry(p1, race1, job.p1_name)
        e2 = entries.get(k2) if job.p2_name is None else None
        if e2 is None:
            e2 = self._entry(p2, race2, job.p2_name)
        before1, before2 = e1.mmr, e2.mmr
        after1, after2 = rate(before1, before2, 1.0 if result == 1 else 0.5, self.rules)
        played_at = job.played_at
        drawn = 1 - result
        changes = self.changes

        e1.mmr = after1
        e1.games_played += 1
        e1.games_won += result
        e1.games_drawn += drawn
        if e1.last_played is None or played_at > e1.last_played:
            e1.last_played = played_at
        c1 = changes.get(k1)
        if c1 is None:
            c1 = changes[k1] = Change(e1)
        c1.played += 1
        c1.won += result
        c1.drawn += drawn

        e2.mmr = after2
        e2.games_played += 1
        e2.games_lost += result
        e2.games_drawn += drawn
        if e2.last_played is None or played_at > e2.last_played:
            e2.last_played = played_at
        c2 = changes.get(k2)
        if c2 is None:
            c2 = changes[k2] = Change(e2)
        c2.played += 1
        c2.lost += result
        c2.drawn += drawn

        self.matches.append(
            AppliedMatch(
                None,
                played_at,
                p1,
                race1,
                before1,
                after1,
                p2,
                race2,
                before2,
                after2,
                result,
                seq,
                job_id,
            )
        )

    def _apply_adjust(self, job: AdjustJob) -> None:
        entry = _adjust_entry(self, job)
        entry.mmr += job.delta
        self._change(entry)

    def _apply_reset(self, job: ResetJob) -> None:
        if job.race is not None and job.race not in RACES:
            raise PoisonJob(f"unknown race {job.race!r}")
        for entry in self.by_uid.get(job.uid, ()):
            if job.race is not None and entry.race != job.race:
                continue
            entry.mmr = job.mmr
            change = self._change(entry)
            if not job.keep_stats:
                # From here on the counts are absolute: later matches in the batch add to
                # zero, and the write replaces what is stored instead of adding to it.
                entry.games_played = entry.games_won = entry.games_lost = 0
                entry.games_drawn = 0
                entry.last_played = None
                change.played = change.won = change.lost = change.drawn = 0
                change.absolute = True


def _adjust_entry(ratings: Ratings, job: AdjustJob) -> Entry:
    entry = ratings.entries.get((job.uid, job.race))
    if entry is None:
        raise PoisonJob(f"player {job.uid} has no {job.race} entry to adjust")
    return entry


__all__ = [
    "DEFAULT_MMR",
    "Change",
    "K",
    "PoisonJob",
    "Ratings",
    "expected",
    "rate",
]
