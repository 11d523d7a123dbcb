"""Every candidate of ``evaluate`` advanced together, in one pass of the event log.

A plain replay per candidate costs a Python loop per candidate; here the log is read once
and its events are put in *waves*: an event's wave is one more than the last wave of the
entries it touches, so the events of a wave share no entry and each depends only on
earlier waves. A wave is then rated for every candidate at once with array operations:
the Elo candidates' MMRs are one row per entry of an integer matrix (a column per
candidate), Glicko-2's values are arrays per entry. A log among many entries has few,
large waves; one among a handful of entries has many small ones (slower, still exact).

Elo is exact, not approximate: a candidate's expected score and each side's
``K * (S - E)`` come from tables built with :func:`ladder_cli.domain.rating.expected` itself for
every MMR difference (beyond ±20 * scale every value is the same to the last bit), then
``floor(mmr + x + 0.5)`` or half-to-even rounding as :meth:`Rules.round` does, so the
ladder's own Elo candidate sees exactly the MMRs ``verify``'s replay computes. Elo's
predictions depend only on (difference, result), so they are counted per cell and scored
once at the end.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

import numpy as np
import numpy.typing as npt

from ladder_cli.domain import glicko2_batch as gb
from ladder_cli.domain.events import (
    ADJUST,
    BASELINE,
    DECAY,
    RESET,
    SEASON,
    SEASON_MIDDLE,
    SOFT_RESET_SCALE,
    VOIDED,
    Event,
    LoggedMatch,
)
from ladder_cli.domain.glicko2 import LICHESS, Params
from ladder_cli.domain.metrics import Scores, add_many
from ladder_cli.domain.model import Key
from ladder_cli.domain.raters import GLICKO2
from ladder_cli.domain.rating import expected
from ladder_cli.domain.rules import Rules

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

SPAN: Final = 20
"""Elo tables cover MMR differences within ±SPAN * scale."""

#: Result codes: the row of a table cell (P1 won, P2 won, draw) and P1's score for each.
SCORES: Final = (1.0, 0.0, 0.5)
_KINDS: Final = {ADJUST: 0, RESET: 1, BASELINE: 2, SEASON: 3, DECAY: 4}


@dataclass
class Waves:
    """The log's rated matches and other events, each with its wave (pass one)."""

    slots: dict[Key, int] = field(default_factory=dict)
    #: Per match: both entries' slots, wave, result code, time (POSIX seconds).
    a: array[int] = field(default_factory=lambda: array("q"))
    b: array[int] = field(default_factory=lambda: array("q"))
    wave: array[int] = field(default_factory=lambda: array("q"))
    code: array[int] = field(default_factory=lambda: array("b"))
    at: array[float] = field(default_factory=lambda: array("d"))
    #: Per other event: slot, wave, kind code, amount, floor (or none), keeps stats,
    #: MMR after, last game (POSIX seconds, NaN for none).
    e_slot: list[int] = field(default_factory=list)
    e_wave: list[int] = field(default_factory=list)
    e_kind: list[int] = field(default_factory=list)
    e_amount: list[int] = field(default_factory=list)
    e_floor: list[int | None] = field(default_factory=list)
    e_keep: list[bool] = field(default_factory=list)
    e_after: list[int] = field(default_factory=list)
    e_last: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, events: Iterable[Event]) -> Waves:
        out = cls()
        slots = out.slots
        waves: list[int] = []
        a_app, b_app, w_app = out.a.append, out.b.append, out.wave.append
        c_app, t_app = out.code.append, out.at.append
        for event in events:
            if isinstance(event, LoggedMatch):
                if event.state == VOIDED:
                    continue
                key = (event.p1_uid, event.p1_race)
                a = slots.get(key)
                if a is None:
                    a = slots[key] = len(waves)
                    waves.append(0)
                key = (event.p2_uid, event.p2_race)
                b = slots.get(key)
                if b is None:
                    b = slots[key] = len(waves)
                    waves.append(0)
                wa, wb = waves[a], waves[b]
                w = (wa if wa > wb else wb) + 1
                waves[a] = waves[b] = w
                a_app(a)
                b_app(b)
                w_app(w)
                r = event.result
                c_app(0 if r == 1 else 1 if r == 2 else 2)
                t_app(event.played_at.timestamp())
                continue
            key = event.key
            s = slots.get(key)
            if s is None:
                s = slots[key] = len(waves)
                waves.append(0)
            w = waves[s] = waves[s] + 1
            out.e_slot.append(s)
            out.e_wave.append(w)
            kind = _KINDS.get(event.kind)
            if kind is None:
                raise ValueError(f"unknown event kind {event.kind!r}")
            out.e_kind.append(kind)
            out.e_amount.append(event.amount)
            out.e_floor.append(event.floor)
            out.e_keep.append(event.keep_stats)
            out.e_after.append(event.mmr_after)
            out.e_last.append(np.nan if event.last is None else event.last.timestamp())
        return out

    @property
    def entries(self) -> int:
        return len(self.slots)


@dataclass
class _Events:
    """One wave's other events, as arrays."""

    slot: Ints
    kind: Ints
    amount: Ints
    floor: Ints
    has_floor: npt.NDArray[np.bool_]
    keep: npt.NDArray[np.bool_]
    after: Ints
    last: Floats

    @classmethod
    def of(cls, w: Waves, order: Ints) -> _Events:
        """The events of ``w`` in ``order``."""

        def ints(values: list[int]) -> Ints:
            return np.array(values, dtype=np.int64)[order]

        return cls(
            ints(w.e_slot),
            ints(w.e_kind),
            ints(w.e_amount),
            ints([0 if f is None else f for f in w.e_floor]),
            np.array([f is not None for f in w.e_floor], dtype=bool)[order],
            np.array(w.e_keep, dtype=bool)[order],
            ints(w.e_after),
            np.array(w.e_last, dtype=np.float64)[order],
        )

    def part(self, lo: int, hi: int) -> _Events:
        """Events ``lo`` to ``hi`` (a wave's)."""
        return _Events(
            self.slot[lo:hi],
            self.kind[lo:hi],
            self.amount[lo:hi],
            self.floor[lo:hi],
            self.has_floor[lo:hi],
            self.keep[lo:hi],
            self.after[lo:hi],
            self.last[lo:hi],
        )

    def are(self, kind: str) -> npt.NDArray[np.bool_]:
        """Which events are of ``kind``."""
        out: npt.NDArray[np.bool_] = self.kind == _KINDS[kind]
        return out


class Elo:
    """Every Elo candidate's MMRs, a column each, and its prediction counts."""

    def __init__(self, rules: Sequence[Rules], entries: int) -> None:
        n = len(rules)
        self.span = SPAN * max(r.scale for r in rules)
        width = 2 * self.span + 1
        self.width = width
        self.mmr: Ints = np.tile(np.array([r.start_mmr for r in rules], dtype=np.int64),
                                 (entries, 1))  # fmt: skip
        self.p: Floats = np.empty((n, width))
        self.x1: Floats = np.empty((n, 3, width))
        self.x2: Floats = np.empty((n, 3, width))
        for c, r in enumerate(rules):
            e = np.array([expected(0, d, r.scale) for d in range(-self.span, self.span + 1)])
            self.p[c] = e
            for code, s in enumerate(SCORES):
                self.x1[c, code] = r.k * (s - e)
                self.x2[c, code] = r.k * ((1.0 - s) - e[::-1])
        self.half_even = np.array([c for c, r in enumerate(rules) if r.rounding == "half_even"])
        self.rows: Ints = np.arange(n, dtype=np.int64) * 3 * width
        self.counts: Ints = np.zeros(n * 3 * width, dtype=np.int64)

    def round(self, value: Floats) -> Ints:
        """MMRs as each candidate rounds them (columns of ``value``)."""
        out = np.floor(value + 0.5)
        if self.half_even.size:
            out[:, self.half_even] = np.rint(value[:, self.half_even])
        return out.astype(np.int64)

    def matches(self, a: Ints, b: Ints, code: Ints, scored: npt.NDArray[np.bool_]) -> None:
        m1, m2 = self.mmr[a], self.mmr[b]
        cell = np.clip(m2 - m1, -self.span, self.span)
        cell += self.span + code[:, None] * self.width + self.rows[None, :]
        if scored.all():
            np.add.at(self.counts, cell.ravel(), 1)
        elif scored.any():
            np.add.at(self.counts, cell[scored].ravel(), 1)
        self.mmr[a] = self.round(m1 + self.x1.ravel()[cell])
        self.mmr[b] = self.round(m2 + self.x2.ravel()[cell])

    def events(self, ev: _Events) -> None:
        mmr = self.mmr
        for kind in (ADJUST, RESET, BASELINE, SEASON, DECAY):
            pick = ev.are(kind)
            if not pick.any():
                continue
            slot = ev.slot[pick]
            if kind == ADJUST:
                mmr[slot] += ev.amount[pick][:, None]
            elif kind in (RESET, BASELINE):
                mmr[slot] = ev.after[pick][:, None]
            elif kind == SEASON:
                scale = SOFT_RESET_SCALE
                f = ev.amount[pick][:, None]
                mmr[slot] = (SEASON_MIDDLE * scale + f * (mmr[slot] - SEASON_MIDDLE)
                             + scale // 2) // scale  # fmt: skip
            else:
                before, points = mmr[slot], ev.amount[pick][:, None]
                floor = np.where(ev.has_floor[pick][:, None], ev.floor[pick][:, None],
                                 before - points)  # fmt: skip
                mmr[slot] = np.where(before <= floor, before, np.maximum(floor, before - points))

    def scores(self) -> list[Scores]:
        """Each candidate's running sums, from the counts of its cells."""
        n = len(self.rows)
        counts = self.counts.reshape(n, 3, self.width)
        out = []
        for c in range(n):
            s = Scores()
            for code, value in enumerate(SCORES):
                hit = np.flatnonzero(counts[c, code])
                add_many(s, self.p[c, hit], np.full(hit.size, value), counts[c, code, hit])
            out.append(s)
        return out


class Glicko2:
    """Glicko-2 values per entry, and its prediction for each match (in wave order)."""

    def __init__(self, params: Params, entries: int, matches: int) -> None:
        self.params = params
        self.rating: Floats = np.full(entries, params.start_rating)
        self.rd: Floats = np.full(entries, params.start_rd)
        self.vol: Floats = np.full(entries, params.start_volatility)
        self.last: Floats = np.full(entries, np.nan)
        self.p: Floats = np.empty(matches)

    def matches(self, a: Ints, b: Ints, s: Floats, at: Floats, lo: int) -> None:
        """A wave of matches, the ``lo``-th onwards in wave order."""
        p = self.params
        r1, r2, v1, v2 = self.rating[a], self.rating[b], self.vol[a], self.vol[b]
        last1, last2 = self.last[a], self.last[b]
        d1 = gb.grown_rd(self.rd[a], v1, at - last1, p)
        d2 = gb.grown_rd(self.rd[b], v2, at - last2, p)
        n = a.size
        self.p[lo : lo + n] = gb.expected(r1, d1, r2, d2)
        rating, rd, vol = gb.one_game(
            np.concatenate((r1, r2)), np.concatenate((d1, d2)), np.concatenate((v1, v2)),
            np.concatenate((r2, r1)), np.concatenate((d2, d1)), np.concatenate((s, 1.0 - s)),
            p,
        )  # fmt: skip
        for side, slot, last in ((slice(0, n), a, last1), (slice(n, None), b, last2)):
            self.rating[slot], self.rd[slot], self.vol[slot] = rating[side], rd[side], vol[side]
            self.last[slot] = np.where(np.isnan(last) | (at > last), at, last)

    def events(self, ev: _Events) -> None:
        p = self.params
        pick = ev.are(ADJUST)
        self.rating[ev.slot[pick]] += ev.amount[pick]
        for kind, rd in ((RESET, p.start_rd), (BASELINE, p.baseline_rd)):
            pick = ev.are(kind)
            slot = ev.slot[pick]
            self.rating[slot] = ev.after[pick]
            self.rd[slot], self.vol[slot] = rd, p.start_volatility
            keep = ev.keep[pick] if kind == RESET else np.zeros(slot.size, dtype=bool)
            self.last[slot] = np.where(keep, self.last[slot],
                                       np.nan if kind == RESET else ev.last[pick])  # fmt: skip
        pick = ev.are(SEASON)
        slot = ev.slot[pick]
        factor = ev.amount[pick] / SOFT_RESET_SCALE
        self.rating[slot] = SEASON_MIDDLE + factor * (self.rating[slot] - SEASON_MIDDLE)


@dataclass
class Lockstep:
    """The pass: waves of the log, then every candidate over each wave in turn."""

    waves: Waves
    elo: Elo | None
    glicko: Glicko2 | None
    #: Per match, in wave order: P1's score, and whether it is scored (``since``).
    score: Floats = field(default_factory=lambda: np.empty(0))
    scored: npt.NDArray[np.bool_] = field(default_factory=lambda: np.empty(0, dtype=bool))

    @classmethod
    def run(
        cls, events: Iterable[Event], rules: Sequence[Rules], since: datetime | None = None
    ) -> Lockstep:
        waves = Waves.of(events)
        n, matches = max(waves.entries, 1), len(waves.wave)
        elo_rules = [r for r in rules if r.preset != GLICKO2]
        done = cls(
            waves,
            Elo(elo_rules, n) if elo_rules else None,
            Glicko2(LICHESS, n, matches) if len(elo_rules) < len(rules) else None,
        )
        done._replay(since)
        return done

    def _replay(self, since: datetime | None) -> None:
        w, elo, glicko = self.waves, self.elo, self.glicko
        wave = np.frombuffer(w.wave, dtype=np.int64)
        order = np.argsort(wave, kind="stable")
        a = np.frombuffer(w.a, dtype=np.int64)[order]
        b = np.frombuffer(w.b, dtype=np.int64)[order]
        code = np.frombuffer(w.code, dtype=np.int8).astype(np.int64)[order]
        at = np.frombuffer(w.at, dtype=np.float64)[order]
        self.score = s = np.array(SCORES)[code]
        self.scored = scored = (
            np.ones(at.size, dtype=bool) if since is None else at >= utc(since).timestamp()
        )
        e_wave = np.array(w.e_wave, dtype=np.int64)
        e_order = np.argsort(e_wave, kind="stable")
        ev = _Events.of(w, e_order)
        top = int(max(np.max(wave, initial=0), np.max(e_wave, initial=0)))
        bounds = np.arange(1, top + 2)
        m_cut = np.searchsorted(wave[order], bounds).tolist()
        e_cut = np.searchsorted(e_wave[e_order], bounds).tolist()
        for i in range(top):
            lo, hi = m_cut[i], m_cut[i + 1]
            if hi > lo:
                if elo is not None:
                    elo.matches(a[lo:hi], b[lo:hi], code[lo:hi], scored[lo:hi])
                if glicko is not None:
                    glicko.matches(a[lo:hi], b[lo:hi], s[lo:hi], at[lo:hi], lo)
            lo, hi = e_cut[i], e_cut[i + 1]
            if hi > lo:
                part = ev.part(lo, hi)
                if elo is not None:
                    elo.events(part)
                if glicko is not None:
                    glicko.events(part)

    def scores(self, rules: Sequence[Rules]) -> list[Scores]:
        """Each of ``rules``' running sums, in their order."""
        elo = iter(self.elo.scores() if self.elo is not None else [])
        glicko = Scores()
        if self.glicko is not None:
            add_many(glicko, self.glicko.p[self.scored], self.score[self.scored])
        return [glicko if r.preset == GLICKO2 else next(elo) for r in rules]


def utc(at: datetime) -> datetime:
    """``at``, a time without an offset taken as UTC (as the ladder stores times)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def score_all(
    events: Iterable[Event], rules: Sequence[Rules], since: datetime | None = None
) -> list[Scores]:
    """Every candidate's running sums over the log, in one pass."""
    return Lockstep.run(events, rules, since).scores(rules)


__all__ = ["SPAN", "Elo", "Glicko2", "Lockstep", "Waves", "score_all", "utc"]
