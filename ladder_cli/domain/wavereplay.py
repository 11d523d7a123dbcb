"""The replay of a whole log as array operations, a wave at a time (``--as-of``).

:class:`ladder_cli.domain.replay.Replay` is the definition: events in log order, one at a time. A
log of a million matches is a million turns of a Python loop. Here the log arrives as
columns, and each rated match and other event is given a *wave* (as in
:mod:`ladder_cli.domain.lockstep`): one more than the last wave of the entries it touches.
The events of a wave share no entry and depend only on earlier waves, so each wave is
applied with a few array operations: Elo from tables built with
:func:`ladder_cli.domain.rating.expected` itself (exact: the same floating-point operations as
:func:`ladder_cli.domain.rating.rate`), the counts and the last game per entry, and every other
event kind as :meth:`ladder_cli.domain.replay.Replay.state_event` applies it. The one Python loop
left per match only finds its wave (a few integer operations).

A log among few entries has many small waves, where numpy's cost per call outweighs its
gain: :func:`replay` then returns None and the caller replays row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import polars as pl

from ladder_cli.domain.events import (
    ADJUST,
    BASELINE,
    DECAY,
    RESET,
    SEASON,
    SEASON_MIDDLE,
    SOFT_RESET_SCALE,
    StateEvent,
)
from ladder_cli.domain.rating import expected
from ladder_cli.domain.rules import Rules

Ints = npt.NDArray[np.int64]

SPAN: Final = 20
"""Elo tables cover MMR differences within ±SPAN * scale (beyond, every value is the same
to the last bit)."""

MIN_WAVE: Final = 48
"""Matches per wave on average below which the row-by-row replay is faster."""

NO_TIME: Final = np.iinfo(np.int64).min
"""``last`` of an entry without a game (None)."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_TIME: Final = pl.Datetime("us", "UTC")
_US: Final = timedelta(microseconds=1)

#: The columns :func:`replay` reads, as a store gives them.
MATCH_COLUMNS: Final = (
    "match_id",
    "played_at",
    "p1_uid",
    "p1_race",
    "p2_uid",
    "p2_race",
    "result",
    "voided",
)


def match_frame(
    rows: Sequence[Sequence[Any]], parse: Callable[[Any], datetime | None]
) -> pl.DataFrame:
    """Match log rows (``match_id, played_at, p1_uid, p1_race, p2_uid, p2_race, result,
    state``, ``played_at`` as a driver returns it, read with ``parse``) as the columns of
    :data:`MATCH_COLUMNS`."""
    from ladder_cli.domain.events import VOIDED

    columns = list(zip(*rows, strict=True)) if rows else [()] * 8
    return pl.DataFrame(
        {
            "match_id": pl.Series(columns[0], dtype=pl.Int64),
            "played_at": pl.Series([parse(at) for at in columns[1]], dtype=_TIME),
            "p1_uid": pl.Series(columns[2], dtype=pl.Int64),
            "p1_race": pl.Series(columns[3], dtype=pl.String),
            "p2_uid": pl.Series(columns[4], dtype=pl.Int64),
            "p2_race": pl.Series(columns[5], dtype=pl.String),
            "result": pl.Series(columns[6], dtype=pl.Int64),
            "voided": pl.Series([state == VOIDED for state in columns[7]], dtype=pl.Boolean),
        }
    )


def match_rows(matches: pl.DataFrame) -> list[tuple[Any, ...]]:
    """The columns back as rows for :class:`ladder_cli.domain.asof.Tally` (times as datetimes)."""
    from ladder_cli.domain.events import VOIDED

    return [
        (*row[:7], VOIDED if row[7] else "recorded")
        for row in matches.select(MATCH_COLUMNS).iter_rows()
    ]


@dataclass
class Replayed:
    """Each entry's standing after the log, as columns in the order the log first names
    the entries (as the row-by-row replay's dictionary has them)."""

    table: pl.DataFrame
    matches: int
    events: int


def _micros(at: datetime | None) -> int:
    if at is None:
        return int(NO_TIME)
    return ((at if at.tzinfo is not None else at.replace(tzinfo=UTC)) - _EPOCH) // _US


def replay(
    matches: pl.DataFrame,
    events: Sequence[StateEvent],
    rules: Rules,
    *,
    min_wave: int = MIN_WAVE,
) -> Replayed | None:
    """Replay ``matches`` (columns :data:`MATCH_COLUMNS`, in log order) with ``events`` (in
    log order) from the starting MMR; None where the row-by-row replay should do it (waves
    of fewer than ``min_wave`` matches on average, or a result other than 0, 1 and 2)."""
    count = matches.height
    result = matches["result"].cast(pl.Int64).to_numpy()
    if count and not np.isin(result, (0, 1, 2)).all():
        return None
    voided = matches["voided"].fill_null(False).to_numpy()
    ids = matches["match_id"].cast(pl.Int64).to_numpy()

    # Entry numbers: every (uid, race) the log names, matches' sides and events alike.
    e_uid = [e.uid for e in events]
    e_race = [e.race for e in events]
    uids = pl.concat(
        [
            matches["p1_uid"].cast(pl.Int64),
            matches["p2_uid"].cast(pl.Int64),
            pl.Series(e_uid, dtype=pl.Int64),
        ]
    )
    races = pl.concat(
        [
            matches["p1_race"].cast(pl.String),
            matches["p2_race"].cast(pl.String),
            pl.Series(e_race, dtype=pl.String),
        ]
    )
    # A dense number per key: uids ranked, races coded, then the pairs ranked.
    race_code = races.cast(pl.Categorical).to_physical().cast(pl.Int64)
    width = int(race_code.to_numpy().max(initial=0)) + 1
    pair = uids.rank("dense").cast(pl.Int64) * width + race_code
    slots = (pair.rank("dense").cast(pl.Int64) - 1).to_numpy()
    a, b, e_slot = slots[:count], slots[count : 2 * count], slots[2 * count :]
    entries = int(slots.max()) + 1 if slots.size else 0

    # Where each event stands among the matches: after those up to its after_match.
    e_after = np.array([e.after_match for e in events], dtype=np.int64)
    e_at = np.searchsorted(ids, e_after, side="right")

    # Waves (the one loop per match), with each entry's first place in the log.
    rated = np.flatnonzero(~voided)
    wave = np.zeros(count, dtype=np.int64)
    e_wave = np.zeros(len(events), dtype=np.int64)
    last_wave = [0] * entries
    bounds = np.searchsorted(rated, e_at, side="left").tolist()
    ra, rb = a[rated].tolist(), b[rated].tolist()
    waves: list[int] = []
    append = waves.append
    start = 0
    for k, stop in enumerate([*bounds, len(ra)]):
        for x, y in zip(ra[start:stop], rb[start:stop], strict=True):
            wx, wy = last_wave[x], last_wave[y]
            w = (wx if wx > wy else wy) + 1
            last_wave[x] = last_wave[y] = w
            append(w)
        start = stop
        if k < len(events):
            s = int(e_slot[k])
            w = last_wave[s] = last_wave[s] + 1
            e_wave[k] = w
    wave[rated] = waves
    top = max(last_wave, default=0)
    if rated.size < min_wave * top:
        return None

    first = _first_places(a, b, e_slot, e_at, entries)

    # Pass two: every wave in turn.
    elo = _Elo(rules, entries)
    played = np.zeros(entries, dtype=np.int64)
    won = np.zeros(entries, dtype=np.int64)
    lost = np.zeros(entries, dtype=np.int64)
    drawn = np.zeros(entries, dtype=np.int64)
    last = np.full(entries, NO_TIME, dtype=np.int64)
    at = matches["played_at"].dt.epoch("us").to_numpy()

    order = rated[np.argsort(wave[rated], kind="stable")]
    m_cut = np.searchsorted(wave[order], np.arange(1, top + 2)).tolist()
    ma, mb, mr, mt = a[order], b[order], result[order], at[order]
    ev = _EventColumns.of(events, e_slot)
    e_order = np.argsort(e_wave, kind="stable")
    e_cut = np.searchsorted(e_wave[e_order], np.arange(1, top + 2)).tolist()
    for w in range(top):
        lo, hi = m_cut[w], m_cut[w + 1]
        if hi > lo:
            x, y, r, t = ma[lo:hi], mb[lo:hi], mr[lo:hi], mt[lo:hi]
            elo.matches(x, y, r)
            played[x] += 1
            played[y] += 1
            won[x] += r == 1
            lost[x] += r == 2
            won[y] += r == 2
            lost[y] += r == 1
            drawn[x] += r == 0
            drawn[y] += r == 0
            last[x] = np.maximum(last[x], t)
            last[y] = np.maximum(last[y], t)
        lo, hi = e_cut[w], e_cut[w + 1]
        if hi > lo:
            ev.apply(e_order[lo:hi], elo.mmr, (played, won, lost, drawn), last)

    # The standings, in the order the log first names the entries.
    named = np.argsort(first, kind="stable")
    key_of = np.empty(entries, dtype=np.int64)
    key_of[slots] = np.arange(slots.size)
    rows = key_of[named]
    table = pl.DataFrame(
        {
            "discord_uid": uids.gather(rows),
            "race": races.gather(rows),
            "mmr": elo.mmr[named],
            "games_played": played[named],
            "games_won": won[named],
            "games_lost": lost[named],
            "games_drawn": drawn[named],
            "last_played": pl.Series(last[named]),
        }
    ).with_columns(
        pl.when(pl.col("last_played") == NO_TIME)
        .then(None)
        .otherwise(pl.col("last_played"))
        .cast(pl.Datetime("us", "UTC"))
        .alias("last_played")
    )
    return Replayed(table, count, len(events))


def _first_places(a: Ints, b: Ints, e_slot: Ints, e_at: Ints, entries: int) -> Ints:
    """Each entry's first place in the log, as a number that sorts as log order: match
    ``i``'s sides at ``(4i + 1) * w`` and ``(4i + 2) * w``, and the ``j``-th event, which
    stands before match ``k = e_at[j]``, at ``(4k - 1) * w + j`` (``w``: one more than the
    number of events)."""
    w = e_slot.size + 1
    first = np.full(entries, np.iinfo(np.int64).max, dtype=np.int64)
    sides = np.empty(2 * a.size, dtype=np.int64)
    sides[0::2], sides[1::2] = a, b
    seen, at = np.unique(sides, return_index=True)
    first[seen] = (4 * (at // 2) + 1 + at % 2) * w
    if e_slot.size:
        place = (4 * e_at - 1) * w + np.arange(e_slot.size, dtype=np.int64)
        np.minimum.at(first, e_slot, place)
    return first


class _Elo:
    """The ladder's Elo over arrays: one MMR per entry."""

    def __init__(self, rules: Rules, entries: int) -> None:
        self.span = SPAN * rules.scale
        diffs = range(-self.span, self.span + 1)
        e = np.array([expected(0, d, rules.scale) for d in diffs])
        k = rules.k
        # Rows by result (0 draw, 1 P1 won, 2 P2 won): P1's score, then K * (S - E) of each
        # side, E from P1's side at difference d = P2 - P1 (and P2's at -d).
        scores = (0.5, 1.0, 0.0)
        self.x1 = np.array([[k * (s - p) for p in e] for s in scores])
        self.x2 = np.array([[k * ((1.0 - s) - p) for p in e[::-1]] for s in scores])
        self.half_even = rules.rounding == "half_even"
        self.mmr: Ints = np.full(entries, rules.start_mmr, dtype=np.int64)

    def _round(self, value: npt.NDArray[np.float64]) -> Ints:
        out = np.rint(value) if self.half_even else np.floor(value + 0.5)
        return out.astype(np.int64)

    def matches(self, a: Ints, b: Ints, result: Ints) -> None:
        m1, m2 = self.mmr[a], self.mmr[b]
        cell = np.clip(m2 - m1, -self.span, self.span) + self.span
        self.mmr[a] = self._round(m1 + self.x1[result, cell])
        self.mmr[b] = self._round(m2 + self.x2[result, cell])


@dataclass
class _EventColumns:
    """The log's other events as columns, by their place in log order."""

    slot: Ints
    kind: Ints
    amount: Ints
    floor: Ints
    has_floor: npt.NDArray[np.bool_]
    keep: npt.NDArray[np.bool_]
    after: Ints
    counts: Ints  # played, won, lost, drawn: a row each
    last: Ints

    @classmethod
    def of(cls, events: Sequence[StateEvent], slot: Ints) -> _EventColumns:
        kinds = {ADJUST: 0, RESET: 1, BASELINE: 2, SEASON: 3, DECAY: 4}

        def ints(values: list[int]) -> Ints:
            return np.array(values, dtype=np.int64)

        return cls(
            slot,
            ints([kinds[e.kind] for e in events]),
            ints([e.amount for e in events]),
            ints([0 if e.floor is None else e.floor for e in events]),
            np.array([e.floor is not None for e in events], dtype=bool),
            np.array([e.keep_stats for e in events], dtype=bool),
            ints([e.mmr_after for e in events]),
            np.array([(e.played, e.won, e.lost, e.drawn) for e in events], dtype=np.int64)
            .reshape(-1, 4)
            .T,
            ints([_micros(e.last) for e in events]),
        )

    def apply(
        self, pick: Ints, mmr: Ints, counts: tuple[Ints, Ints, Ints, Ints], last: Ints
    ) -> None:
        """:meth:`ladder_cli.domain.replay.Replay.state_event` of the events ``pick`` (a wave's:
        no two share an entry)."""
        slot, kind = self.slot[pick], self.kind[pick]
        before = mmr[slot]
        amount = self.amount[pick]
        after = self.after[pick].copy()  # resets and baselines set it
        adjust, season, decay = kind == 0, kind == 3, kind == 4
        after[adjust] = before[adjust] + amount[adjust]
        scale = SOFT_RESET_SCALE
        after[season] = (
            SEASON_MIDDLE * scale + amount[season] * (before[season] - SEASON_MIDDLE) + scale // 2
        ) // scale
        floor = np.where(self.has_floor[pick], self.floor[pick], before - amount)
        cut = np.where(before <= floor, before, np.maximum(floor, before - amount))
        after[decay] = cut[decay]
        mmr[slot] = after
        # A season zeroes the counts and keeps the last game; a baseline, and a reset that
        # does not keep stats, set counts and last game as logged.
        sets = (kind == 2) | ((kind == 1) & ~self.keep[pick])
        for row, column in enumerate(counts):
            column[slot[season]] = 0
            column[slot[sets]] = self.counts[row, pick[sets]]
        last[slot[sets]] = self.last[pick[sets]]


__all__ = ["MATCH_COLUMNS", "MIN_WAVE", "Replayed", "replay"]
