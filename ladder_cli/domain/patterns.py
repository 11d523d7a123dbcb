"""Finding the four integrity patterns in the match log (the definitions are in
:mod:`ladder_cli.domain.integrity`).

The log is read once, as columns (:data:`LOG_COLUMNS`, as the store reads them or as
:func:`log_frame` makes them from logged matches), with array operations and no Python loop
per match: entries become numbers and each entry's games one packed array. One pass over the
entries then looks for every kind, each behind a cheap necessary condition (enough games,
an opponent met or lost to often enough, a long enough losing streak found by a regular
expression over the entry's outcomes), so the interpreter's work is per entry and per
candidate, and per game only in comprehensions over an entry's own array. Times and MMRs
are read only for the games a candidate needs. The windows of a candidate are found in
linear time (:mod:`ladder_cli.domain.runs`); the whole report is linear in the log (and
the sort of it by time).
"""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import compress, pairwise
from operator import attrgetter
from typing import Any, Final

import numpy as np
import polars as pl

from ladder_cli.domain.events import VOIDED, LoggedMatch
from ladder_cli.domain.model import Key
from ladder_cli.domain.runs import components, least_marked, ratio
from ladder_cli.util.thresholds import IntegrityRules

PAIR: Final = "pair"
FEEDER: Final = "feeder"
SANDBAG: Final = "sandbag"
NEWCOMER: Final = "newcomer"
KINDS: Final = (PAIR, FEEDER, SANDBAG, NEWCOMER)

DAY: Final = 86_400


#: A side's outcome, from the match's ``result`` (1 P1 won, 2 P2 won, else a draw).
WON: Final = 0
LOST: Final = 1
DREW: Final = 2
#: ``bytes.translate`` table: an entry's outcomes to 1 for a loss, 0 otherwise.
_LOSSES: Final = bytes(int(i == LOST) for i in range(256))


#: The match log's columns the patterns read: ``voided`` true for a voided match, the
#: others as :class:`~ladder_cli.domain.events.LoggedMatch` names them.
LOG_COLUMNS: Final = (
    "match_id",
    "played_at",
    "p1_uid",
    "p1_race",
    "p2_uid",
    "p2_race",
    "result",
    "voided",
    "p1_before",
    "p1_after",
    "p2_before",
    "p2_after",
)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO: Final = timedelta(microseconds=1)


def log_frame(matches: Iterable[LoggedMatch]) -> pl.DataFrame:
    """Logged matches as the columns of :data:`LOG_COLUMNS` (what a store that reads
    column-wise hands over directly)."""
    rows = list(matches)

    def ints(name: str) -> pl.Series:
        return pl.Series(name, list(map(attrgetter(name), rows)), dtype=pl.Int64)

    def texts(name: str) -> pl.Series:
        return pl.Series(name, list(map(attrgetter(name), rows)), dtype=pl.String)

    micros = [(m.played_at - _EPOCH) // _MICRO for m in rows]
    return pl.DataFrame(
        [
            ints("match_id"),
            pl.Series("played_at", micros, dtype=pl.Int64).cast(pl.Datetime("us", "UTC")),
            ints("p1_uid"),
            texts("p1_race"),
            ints("p2_uid"),
            texts("p2_race"),
            ints("result"),
            pl.Series("voided", [m.state == VOIDED for m in rows], dtype=pl.Boolean),
            ints("p1_before"),
            ints("p1_after"),
            ints("p2_before"),
            ints("p2_after"),
        ]
    )


def _compact(values: Any, compact: bool) -> Any:
    """A column of ints as an ``array('q')`` (a slice of it is a compact copy), or a list
    where the values may not fit in 64 bits."""
    return array("q", values.astype(np.int64).tobytes()) if compact else values.tolist()


class Log:
    """The matches in effect, in played order, and each entry's games; entries as numbers.

    Built from the log's columns with array operations (no Python loop per match: at a
    million matches the interpreter's per-item cost is what a report pays for). An
    entry's games are one array of ints, each packing the opponent, the game's position in
    played order and the entry's outcome (``opponent << shift | position << 2 |
    outcome``), in played order: an entry's scan reads one compact array. The matches'
    times and MMRs stay columns, read only for the games a candidate needs.
    """

    def __init__(self, matches: Iterable[LoggedMatch] | pl.DataFrame) -> None:
        frame = matches if isinstance(matches, pl.DataFrame) else log_frame(matches)
        frame = frame.filter(~pl.col("voided").fill_null(False)).sort("played_at", "match_id")
        n = frame.height
        # Entries numbered: uids by a sort, races coded, then the (uid, race) pairs seen
        # (the numbering only orders the scan; the flags are sorted at the end).
        uids = pl.concat([frame["p1_uid"], frame["p2_uid"]]).cast(pl.Int64).to_numpy()
        races = pl.concat([frame["p1_race"], frame["p2_race"]]).cast(pl.String)
        race_code = races.cast(pl.Categorical).to_physical().cast(pl.Int64).to_numpy()
        width = int(race_code.max(initial=0)) + 1
        _, uid_number = np.unique(uids, return_inverse=True)
        pair = uid_number.astype(np.int64).reshape(-1) * width + race_code
        seen = np.zeros(int(pair.max(initial=-1)) + 1, dtype=bool)  # uids times races
        seen[pair] = True
        number = (np.cumsum(seen) - 1)[pair]
        where = np.empty(int(seen.sum()), dtype=np.int64)  # any place each entry appears
        where[number] = np.arange(number.size, dtype=np.int64)
        keys: list[Key] = list(
            zip(uids[where].tolist(), races.gather(where).to_list(), strict=True)
        )
        side1, side2 = number[:n], number[n:]
        if (same := side1 == side2).any():  # a match against oneself no replay can apply
            kept = ~same
            frame = frame.filter(pl.Series(kept))
            side1, side2 = side1[kept], side2[kept]
            n = frame.height
        bits = max(1, n.bit_length())
        self.shift = shift = bits + 2
        self.mask = (1 << bits) - 1
        result = frame["result"].cast(pl.Int64).to_numpy()
        outcome1 = np.full(n, DREW, dtype=np.int64)
        outcome1[result == 1], outcome1[result == 2] = WON, LOST
        outcome2 = np.full(n, DREW, dtype=np.int64)
        outcome2[result == 1], outcome2[result == 2] = LOST, WON
        here = np.arange(n, dtype=np.int64) << 2
        compact = len(keys).bit_length() + shift < 64
        # Beyond 63 bits the codes are Python ints (an object array): slower, never wrong.
        kind: Any = np.int64 if compact else object
        entry = np.empty(2 * n, dtype=np.int64)
        entry[0::2], entry[1::2] = side1, side2
        codes = np.empty(2 * n, dtype=kind)
        codes[0::2] = (side2.astype(kind) << shift) | here | outcome1
        codes[1::2] = (side1.astype(kind) << shift) | here | outcome2
        # Each entry's games in played order: the games sorted by (entry, index), one key
        # that fits in 63 bits wherever the codes do, sorted without a stable sort's cost.
        if compact:
            order = np.sort(entry * (2 * n) + np.arange(2 * n, dtype=np.int64)) % max(1, 2 * n)
        else:
            order = np.argsort(entry, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(entry, minlength=len(keys)))))
        ordered = codes[order]
        ends = bounds.tolist()
        self.keys = keys
        self.side1 = side1
        self.match_ids = frame["match_id"].cast(pl.Int64).to_numpy()
        self.micros = frame["played_at"].dt.epoch("us").to_numpy()
        self.seconds = self.micros // 1_000_000
        self.p1 = frame.select("p1_before", "p1_after", "p2_before").to_numpy()
        self.p2 = frame.select("p2_before", "p2_after", "p1_before").to_numpy()
        # Every entry's games, entry after entry in played order, as parallel columns:
        # entry ``x``'s are ``[starts[x]:starts[x + 1]]`` of each (slices of compact arrays).
        change = np.empty(2 * n, dtype=np.int64)
        change[0::2] = self.p1[:, 1] - self.p1[:, 0]
        change[1::2] = self.p2[:, 1] - self.p2[:, 0]
        place = order >> 1  # each game's position in played order
        self.starts: list[int] = ends
        #: The games' codes, outcomes (one byte a game), opponents, positions in played
        #: order, times in whole seconds and the entry's MMR change in each.
        self.codes = _compact(ordered, compact)
        self.outcomes = (ordered & 3).astype(np.uint8).tobytes()
        self.opponents = _compact(ordered >> shift, compact)
        self.places = _compact(place, compact)
        self.at = _compact(self.seconds[place], compact)
        self.change = _compact(change[order], compact)
        packed = self.codes
        self.games: list[Sequence[int]] = [packed[a:b] for a, b in pairwise(ends)]

    def pos(self, code: int) -> int:
        """The position in played order of the game ``code`` stands for."""
        return code >> 2 & self.mask

    def positions(self, codes: Iterable[int]) -> list[int]:
        mask = self.mask
        return [c >> 2 & mask for c in codes]

    def opponent(self, code: int) -> int:
        return code >> self.shift

    def times(self, positions: Sequence[int]) -> list[int]:
        """The games' times in whole seconds (read only where a candidate needs them)."""
        got: list[int] = self.seconds[list(positions)].tolist()
        return got

    def played_at(self, pos: int) -> datetime:
        """The time the game at ``pos`` was played (UTC, to the microsecond)."""
        return _EPOCH + timedelta(microseconds=int(self.micros[pos]))

    def match_id(self, pos: int) -> int:
        return int(self.match_ids[pos])

    def sides(self, positions: Sequence[int], entry: int) -> tuple[list[int], ...]:
        """``entry``'s MMR before and after each of these games, and its opponent's MMR
        before it: three lists parallel to ``positions``."""
        at = np.asarray(positions, dtype=np.int64)
        mine = (self.side1[at] == entry)[:, None]
        columns: list[list[int]] = np.where(mine, self.p1[at], self.p2[at]).T.tolist()
        return tuple(columns) if columns else ([], [], [])


@dataclass(slots=True)
class Found:
    """A pattern before it is named: entries by number, the window's first and last game
    and the games listed, as positions in played order; ``reason`` takes the labels."""

    kind: str
    entries: tuple[int, ...]
    first: int
    last: int
    positions: list[int]
    reason: Callable[..., str]


def days(seconds: int) -> str:
    """A stretch of time in whole days, rounded up: "5 days" for 4 days and 2 hours."""
    whole = max(1, math.ceil(seconds / DAY))
    return "1 day" if whole == 1 else f"{whole} days"


#: Below this many games an entry's repeats are counted with a set first (cheaper than a
#: Counter when, as for most such entries, no opponent comes up often enough).
_FEW: Final = 64


class _Scan:
    """The thresholds in the form the scans use, worked out once per report."""

    def __init__(self, rules: IntegrityRules, start_mmr: int | None) -> None:
        self.rules = rules
        self.span = rules.window_days * DAY
        self.pair_share = ratio(rules.pair_share)
        self.feeder_share = ratio(rules.feeder_share)
        #: The fewest losses to one opponent among ``feeder_losses`` that reach the share.
        self.feeder_need = least_marked(rules.feeder_losses, *self.feeder_share)
        self.streak = re.compile(b"\x01{%d,}" % rules.sandbag_streak)
        self.start_mmr = start_mmr


def find(log: Log, rules: IntegrityRules, start_mmr: int | None) -> Iterator[Found]:
    """Every pattern of the log, entry by entry, each kind behind its cheap necessary
    condition."""
    scan = _Scan(rules, start_mmr)
    least = min(rules.pair_games, rules.feeder_losses, rules.sandbag_streak)
    upsets, first_games, pair_games = rules.newcomer_upsets, rules.newcomer_games, rules.pair_games
    feeder_losses, feeder_need = rules.feeder_losses, scan.feeder_need
    streak = scan.streak
    every, starts = log.outcomes, log.starts
    for x, codes in enumerate(log.games):
        played = len(codes)
        start = starts[x]
        if played < least:
            if every[start : start + min(played, first_games)].count(WON) >= upsets:
                yield from _newcomer(log, scan, x, codes[:first_games])
            continue
        outcomes = every[start : start + played]
        if outcomes[:first_games].count(WON) >= upsets:
            yield from _newcomer(log, scan, x, codes[:first_games])
        losses = outcomes.count(LOST)
        if played >= pair_games or losses >= feeder_losses:
            opponents = log.opponents[start : start + played]
            # No opponent comes up n times among k games with fewer than n - 1 repeats: for
            # an entry of few games a set settles it without a Counter.
            few = played < _FEW
            if played >= pair_games and (not few or played - len(set(opponents)) >= pair_games - 1):
                often = [b for b, n in Counter(opponents).items() if n >= pair_games and b > x]
                if often:
                    yield from _pairs(log, scan, x, codes, opponents, often)
            if losses >= feeder_losses:
                lost = outcomes.translate(_LOSSES)
                to = list(compress(opponents, lost))
                if not few or losses - len(set(to)) >= feeder_need - 1:
                    often = [y for y, n in Counter(to).items() if n >= feeder_need]
                    if often:
                        yield from _feeders(log, scan, x, list(compress(codes, lost)), to, often)
        if losses >= rules.sandbag_streak and streak.search(outcomes):
            yield from _sandbags(log, scan, x, outcomes)


def _pairs(
    log: Log,
    scan: _Scan,
    a: int,
    codes: Sequence[int],
    opponents: Sequence[int],
    often: list[int],
) -> Iterator[Found]:
    """The pairs of ``a`` with the later-numbered entries it met ``often`` (each pair is
    looked at once)."""
    least, span = scan.rules.pair_games, scan.span
    num, den = scan.pair_share
    for b in often:
        meet = [c for c, o in zip(codes, opponents, strict=True) if o == b]
        positions = log.positions(meet)
        at = log.times(positions)
        a_won = [c & 3 == WON for c in meet]
        b_won = [c & 3 == LOST for c in meet]
        for side, other, won in ((a, b, a_won), (b, a, b_won)):
            for s, e in components(at, won, least=least, num=num, den=den, span=span):
                listed = positions[s : e + 1]
                reason = _pair_reason(sum(won[s : e + 1]), len(listed), at[e] - at[s])
                yield Found(PAIR, (side, other), listed[0], listed[-1], listed, reason)


def _pair_reason(wins: int, games: int, seconds: int) -> Callable[[str, str], str]:
    return lambda x, y: f"{x} beat {y} {wins} of {games} times in {days(seconds)}"


def _feeders(
    log: Log, scan: _Scan, x: int, lost: list[int], to: list[int], often: list[int]
) -> Iterator[Found]:
    """``lost``: the codes of the entry's losses; ``to``: who beat it in each; ``often``:
    who beat it at least ``feeder_need`` times."""
    least, span, need = scan.rules.feeder_losses, scan.span, scan.feeder_need
    num, den = scan.feeder_share
    losses = log.positions(lost)
    hot: dict[int, list[int]] = {}
    for y in often:
        # A qualifying run holds ``need`` losses to Y within the span: it lies within the
        # span of the last of ``need`` consecutive losses to Y that fit in the span.
        mine = log.times([p for p, o in zip(losses, to, strict=True) if o == y])
        ends = [mine[i] for i in range(need - 1, len(mine)) if mine[i] - mine[i - need + 1] <= span]
        if ends:
            hot[y] = ends
    if not hot:
        return
    at = log.times(losses)
    for y, ends in hot.items():
        marked = [o == y for o in to]
        for first, last in _around(at, ends, span):
            for s, e in components(
                at, marked, least=least, num=num, den=den, span=span, first=first, last=last
            ):
                listed = list(compress(losses[s : e + 1], marked[s : e + 1]))
                reason = _feeder_reason(len(listed), e - s + 1, at[e] - at[s])
                yield Found(FEEDER, (x, y), losses[s], losses[e], listed, reason)


def _around(at: Sequence[int], ends: Iterable[int], span: int) -> Iterator[tuple[int, int]]:
    """Index ranges ``[first, last)`` of ``at`` within ``span`` of any of ``ends``
    (ascending), overlapping ones merged."""
    first = last = -1
    for t in ends:
        lo, hi = bisect_left(at, t - span), bisect_right(at, t + span)
        if lo < last:
            last = max(last, hi)
            continue
        if last > first:
            yield first, last
        first, last = lo, hi
    if last > first:
        yield first, last


def _feeder_reason(to_one: int, losses: int, seconds: int) -> Callable[[str, str], str]:
    return lambda x, y: f"{x} lost {to_one} of its {losses} losses in {days(seconds)} to {y}"


Streak = tuple[int, int, int, int]
"""A sandbag streak: games lost, MMR lost, MMR won back, seconds from its end to the peak."""


def _sandbags(log: Log, scan: _Scan, x: int, outcomes: bytes) -> Iterator[Found]:
    rules, span = scan.rules, scan.span
    games: _Games | None = None  # read at the first streak
    window: list[int] | None = None  # first and last game index of the flag being built
    streaks: list[Streak] = []
    for run in scan.streak.finditer(outcomes):
        start, end = run.span()
        if games is None:
            games = _Games(log, x)
        drop = -sum(games.change[start:end])
        if drop < rules.sandbag_drop:
            continue
        regain, peak, seconds = _regain(games.change, games.at, end, span)
        if regain < rules.sandbag_regain:
            continue
        if window is not None and start <= window[1]:
            window[1] = max(window[1], peak)
        else:
            if window is not None:
                yield _sandbag(x, games.positions, window, streaks)
                streaks = []
            window = [start, peak]
        streaks.append((end - start, drop, regain, seconds))
    if window is not None and games is not None:
        yield _sandbag(x, games.positions, window, streaks)


class _Games:
    """An entry's games: positions in played order, times, and its MMR change in each."""

    def __init__(self, log: Log, x: int) -> None:
        first, stop = log.starts[x], log.starts[x + 1]
        self.positions: Sequence[int] = log.places[first:stop]
        self.at: Sequence[int] = log.at[first:stop]
        self.change: Sequence[int] = log.change[first:stop]


def _regain(
    change: Sequence[int], at: Sequence[int], after: int, span: int
) -> tuple[int, int, int]:
    """The most MMR won back, summed game by game (``change``, at times ``at``) from game
    index ``after`` while within ``span`` of the streak's last game; the game index where
    it peaked (the first to reach it) and the seconds from the streak's end to that game."""
    end = at[after - 1]
    gain = best = seconds = 0
    peak = after - 1
    for i in range(after, len(at)):
        t = at[i]
        if t - end > span:
            break
        gain += change[i]
        if gain > best:
            best, peak, seconds = gain, i, t - end
    return best, peak, seconds


def _sandbag(x: int, positions: Sequence[int], window: list[int], streaks: list[Streak]) -> Found:
    listed = list(positions[window[0] : window[1] + 1])
    lost, drop, regain, seconds = streaks[0]
    more = f" ({len(streaks)} such streaks)" if len(streaks) > 1 else ""
    return Found(
        SANDBAG,
        (x,),
        listed[0],
        listed[-1],
        listed,
        lambda name: (
            f"{name} lost {lost} in a row, {drop} MMR, then won back {regain} "
            f"within {days(seconds)}{more}"
        ),
    )


def _newcomer(log: Log, scan: _Scan, x: int, first: Sequence[int]) -> Iterator[Found]:
    """``first``: the entry's first games (codes)."""
    rules = scan.rules
    positions = log.positions(first)
    mine, _, theirs = log.sides(positions, x)
    if scan.start_mmr is not None and mine[0] != scan.start_mmr:
        return
    upsets: list[int] = []
    beaten: set[int] = set()
    gaps: list[int] = []
    for i, (c, p) in enumerate(zip(first, positions, strict=True)):
        if c & 3 != WON:
            continue
        gap = theirs[i] - mine[i]
        if gap >= rules.newcomer_gap:
            upsets.append(p)
            beaten.add(log.opponent(c))
            gaps.append(gap)
    if len(beaten) >= rules.newcomer_upsets:
        reason = _newcomer_reason(len(beaten), min(gaps), max(gaps), len(first))
        yield Found(NEWCOMER, (x,), positions[0], positions[-1], upsets, reason)


def _newcomer_reason(beaten: int, low: int, high: int, games: int) -> Callable[[str], str]:
    rated = f"{low}" if low == high else f"{low} to {high}"
    return lambda x: (
        f"{x} beat {beaten} opponents rated {rated} above it in its first {games} games"
    )


__all__ = [
    "DAY",
    "FEEDER",
    "KINDS",
    "LOG_COLUMNS",
    "NEWCOMER",
    "PAIR",
    "SANDBAG",
    "Found",
    "Log",
    "find",
    "log_frame",
]
