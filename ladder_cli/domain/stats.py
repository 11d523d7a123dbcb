"""What the ladder's data says: a player's side of a match, rating trends, ladder
statistics and head-to-head records.

Pure functions over the match log (lists of :class:`~ladder_cli.domain.model.AppliedMatch`) and
the entries frame, so both stores, the offline snapshot and the pending queue give the
same answers; the :class:`~ladder_cli.core.ladder.Ladder` only gathers the inputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from ladder_cli.domain.model import DEFAULT_MMR, RACES, AppliedMatch

if TYPE_CHECKING:
    import polars as pl

Outcome = Literal["W", "L", "D"]


@dataclass(frozen=True, slots=True)
class Side:
    """One match as one of its players saw it."""

    match_id: int | None
    played_at: datetime
    race: str
    outcome: Outcome
    opponent_uid: int
    opponent_race: str
    mmr_before: int
    mmr_after: int


def outcome_for(match: AppliedMatch, uid: int) -> Outcome:
    """W, L or D for ``uid`` (``result`` 1: P1 won, 2: P2 won, 0: draw)."""
    if match.result == 0:
        return "D"
    p1_won = match.result == 1
    return "W" if p1_won == (match.p1_uid == uid) else "L"


def player_side(match: AppliedMatch, uid: int) -> Side:
    """``match`` from the side of ``uid``, who must have played it."""
    if match.p1_uid == uid:
        return Side(
            match.match_id,
            match.played_at,
            match.p1_race,
            outcome_for(match, uid),
            match.p2_uid,
            match.p2_race,
            match.p1_mmr_before,
            match.p1_mmr_after,
        )
    if match.p2_uid != uid:
        raise ValueError(f"player {uid} did not play match {match.match_id}")
    return Side(
        match.match_id,
        match.played_at,
        match.p2_race,
        outcome_for(match, uid),
        match.p1_uid,
        match.p1_race,
        match.p2_mmr_before,
        match.p2_mmr_after,
    )


# -- a player's rating trend -------------------------------------------------------------

#: How many of an entry's latest games its sparkline shows.
RECENT_GAMES = 12


@dataclass(frozen=True, slots=True)
class Trend:
    """One (player, race) entry's recent MMR, peak and current streak, from the match log.

    Games are taken in the order they were applied (``match_id``), which is the order
    the MMRs chain in; ``recent_mmr`` is the MMR before the first of the latest
    :data:`RECENT_GAMES` games, then after each of them.
    """

    race: str
    recent_mmr: list[int]
    peak_mmr: int
    streak_outcome: Outcome | None
    streak_games: int

    def as_dict(self) -> dict[str, object]:
        return {
            "race": self.race,
            "peak_mmr": self.peak_mmr,
            "streak": None
            if self.streak_outcome is None
            else {"outcome": self.streak_outcome, "games": self.streak_games},
            "recent_mmr": self.recent_mmr,
        }


def in_applied_order(matches: Iterable[AppliedMatch]) -> list[AppliedMatch]:
    return sorted(matches, key=lambda m: (m.match_id or 0, m.played_at))


def trends(uid: int, matches: Iterable[AppliedMatch], current: Mapping[str, int]) -> list[Trend]:
    """Per race of ``current`` (race → MMR now), the trend of ``uid``'s games in it."""
    by_race: dict[str, list[Side]] = {race: [] for race in current}
    for match in in_applied_order(matches):
        if uid in (match.p1_uid, match.p2_uid):
            side = player_side(match, uid)
            by_race.setdefault(side.race, []).append(side)
    out = []
    for race, mmr in current.items():
        sides = by_race.get(race, [])
        recent = sides[-RECENT_GAMES:]
        series = ([recent[0].mmr_before] if recent else []) + [s.mmr_after for s in recent]
        peak = max([mmr, *(s.mmr_before for s in sides), *(s.mmr_after for s in sides)])
        outcome: Outcome | None = sides[-1].outcome if sides else None
        games = 0
        for side in reversed(sides):
            if side.outcome != outcome:
                break
            games += 1
        out.append(Trend(race, series, peak, outcome, games))
    return out


# -- the ladder at a glance --------------------------------------------------------------

#: Width of one bin of the MMR histogram.
BIN = 50


@dataclass(frozen=True, slots=True)
class Matchup:
    race1: str
    race2: str
    games: int = 0
    race1_wins: int = 0
    race2_wins: int = 0
    draws: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "race1": self.race1,
            "race2": self.race2,
            "games": self.games,
            "race1_wins": self.race1_wins,
            "race2_wins": self.race2_wins,
            "draws": self.draws,
        }


@dataclass
class LadderStats:
    """The contract's ``stats`` keys, plus the histogram and weekly activity."""

    entries: int
    players: int
    matches: int
    matchups: list[Matchup]
    mirrors: list[dict[str, object]]
    distribution: list[dict[str, object]]
    histogram: list[dict[str, int]]
    activity: list[dict[str, object]]

    def as_dict(self) -> dict[str, object]:
        return {
            "entries": self.entries,
            "players": self.players,
            "matches": self.matches,
            "matchups": [m.as_dict() for m in self.matchups],
            "mirrors": self.mirrors,
            "distribution": self.distribution,
            "histogram": self.histogram,
            "activity": self.activity,
        }


def wilson(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default): honest at small n."""
    if trials == 0:
        return (0.0, 1.0)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # At 0 or n successes a bound is exactly 0 or 1; floating point would miss it by 1e-16.
    low = 0.0 if successes == 0 else max(0.0, centre - spread)
    high = 1.0 if successes == trials else min(1.0, centre + spread)
    return (low, high)


def ladder_stats(ranked: pl.DataFrame, matches: Sequence[AppliedMatch]) -> LadderStats:
    """Counts, matchups, the rank distribution, the histogram and weekly activity.

    ``ranked`` is every entry with its ``rank`` letter; ``matches`` the matches in effect.
    """
    import polars as pl

    order = {race: i for i, race in enumerate(RACES)}
    pairs: dict[tuple[str, str], list[int]] = {}
    mirrors: dict[str, list[int]] = {}
    weeks: dict[date, int] = {}
    for m in matches:
        week = m.played_at.astimezone(UTC).date()
        week -= timedelta(days=week.weekday())
        weeks[week] = weeks.get(week, 0) + 1
        if m.p1_race == m.p2_race:
            counts = mirrors.setdefault(m.p1_race, [0, 0])
            counts[0] += 1
            counts[1] += m.result == 0
            continue
        flipped = order.get(m.p1_race, 99) > order.get(m.p2_race, 99)
        key = (m.p2_race, m.p1_race) if flipped else (m.p1_race, m.p2_race)
        games, first, second, draws = pairs.setdefault(key, [0, 0, 0, 0])
        games += 1
        if m.result == 0:
            draws += 1
        elif (m.result == 1) != flipped:
            first += 1
        else:
            second += 1
        pairs[key] = [games, first, second, draws]
    matchups = [
        Matchup(r1, r2, *pairs[(r1, r2)])
        for r1, r2 in sorted(pairs, key=lambda k: (order.get(k[0], 99), order.get(k[1], 99)))
    ]
    letters = ranked.group_by("rank").agg(
        pl.len().alias("entries"),
        pl.col("mmr").min().alias("min_mmr"),
        pl.col("mmr").max().alias("max_mmr"),
    )
    by_letter = {row["rank"]: row for row in letters.to_dicts()}
    distribution = [
        {k: by_letter[r][k] for k in ("rank", "entries", "min_mmr", "max_mmr")}
        for r in RANK_ORDER
        if r in by_letter
    ]
    played = ranked.filter(pl.col("games_played") > 0)
    histogram = []
    if not played.is_empty():
        bins = (played["mmr"] // BIN).value_counts()
        per_bin = dict(zip(bins["mmr"].to_list(), bins["count"].to_list(), strict=True))
        for b in range(min(per_bin), max(per_bin) + 1):
            histogram.append(
                {"min_mmr": b * BIN, "max_mmr": b * BIN + BIN - 1, "entries": per_bin.get(b, 0)}
            )
    activity: list[dict[str, object]] = []
    if weeks:
        week = min(weeks)
        while week <= max(weeks):
            activity.append({"week": week.isoformat(), "matches": weeks.get(week, 0)})
            week += timedelta(days=7)
    return LadderStats(
        entries=ranked.height,
        players=ranked["discord_uid"].n_unique(),
        matches=len(matches),
        matchups=matchups,
        mirrors=[
            {"race": r, "games": mirrors[r][0], "draws": mirrors[r][1]}
            for r in sorted(mirrors, key=lambda r: order.get(r, 99))
        ],
        distribution=distribution,
        histogram=histogram,
        activity=activity,
    )


RANK_ORDER = ("S", "A", "B", "C", "D", "E", "F", "U")


# -- head to head ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pairing:
    """Two players' record in one race pairing, and P1's win probability there now."""

    p1_race: str
    p2_race: str
    games: int
    p1_wins: int
    p2_wins: int
    draws: int
    p1_mmr: int
    p2_mmr: int
    p1_win_probability: float

    def as_dict(self) -> dict[str, object]:
        return {
            "p1_race": self.p1_race,
            "p2_race": self.p2_race,
            "games": self.games,
            "p1_wins": self.p1_wins,
            "p2_wins": self.p2_wins,
            "draws": self.draws,
            "p1_mmr": self.p1_mmr,
            "p2_mmr": self.p2_mmr,
            "p1_win_probability": round(self.p1_win_probability, 4),
        }


@dataclass
class HeadToHead:
    p1: tuple[int, str]
    p2: tuple[int, str]
    games: int
    p1_wins: int
    p2_wins: int
    draws: int
    matches: list[AppliedMatch]
    pairings: list[Pairing]
    #: The pairing the ratings would meet in now: their latest meeting's races, else each
    #: player's highest-rated entry.
    now: Pairing | None

    def as_dict(self) -> dict[str, object]:
        return {
            "p1": {"discord_uid": self.p1[0], "player_name": self.p1[1]},
            "p2": {"discord_uid": self.p2[0], "player_name": self.p2[1]},
            "games": self.games,
            "p1_wins": self.p1_wins,
            "p2_wins": self.p2_wins,
            "draws": self.draws,
            "matches": [m.as_dict() for m in self.matches],
            "pairings": [p.as_dict() for p in self.pairings],
            "win_probability": None if self.now is None else self.now.as_dict(),
        }


def head_to_head(
    p1: tuple[int, str],
    p2: tuple[int, str],
    matches: Sequence[AppliedMatch],
    mmrs: Mapping[tuple[int, str], int],
    expected: Callable[[float, float], float],
) -> HeadToHead:
    """The meetings of ``p1`` and ``p2`` among ``matches`` (newest first), from P1's side.

    ``mmrs`` holds both players' current MMR by (uid, race); ``expected`` is the rating
    rules' expected score, which is P1's win probability against P2.
    """
    u1, u2 = p1[0], p2[0]
    met = [m for m in matches if {m.p1_uid, m.p2_uid} == {u1, u2}]
    counts: dict[tuple[str, str], list[int]] = {}
    for m in met:
        side = player_side(m, u1)
        c = counts.setdefault((side.race, side.opponent_race), [0, 0, 0, 0])
        c[0] += 1
        c[{"W": 1, "L": 2, "D": 3}[side.outcome]] += 1

    def pairing(r1: str, r2: str) -> Pairing:
        g, w, lost, d = counts.get((r1, r2), [0, 0, 0, 0])
        m1, m2 = mmrs.get((u1, r1), DEFAULT_MMR), mmrs.get((u2, r2), DEFAULT_MMR)
        return Pairing(r1, r2, g, w, lost, d, m1, m2, expected(m1, m2))

    pairings = [pairing(r1, r2) for r1, r2 in sorted(counts, key=lambda k: -counts[k][0])]
    now = None
    if met:
        latest = player_side(met[0], u1)
        now = pairing(latest.race, latest.opponent_race)
    else:
        best1 = max(((m, r) for (u, r), m in mmrs.items() if u == u1), default=None)
        best2 = max(((m, r) for (u, r), m in mmrs.items() if u == u2), default=None)
        if best1 and best2:
            now = pairing(best1[1], best2[1])
    return HeadToHead(
        p1,
        p2,
        len(met),
        sum(p.p1_wins for p in pairings),
        sum(p.p2_wins for p in pairings),
        sum(p.draws for p in pairings),
        met,
        pairings,
        now,
    )


# -- a match before it is recorded, and MMR over time -------------------------------------


@dataclass(frozen=True, slots=True)
class Preview:
    """What recording a match would do: both sides before → after, and P1's chance."""

    match: AppliedMatch
    names: Mapping[int, str]
    p1_win_probability: float

    def as_dict(self) -> dict[str, object]:
        m = self.match
        return {
            "dry_run": True,
            "played_at": m.played_at,
            "p1": self._side(m.p1_uid, m.p1_race, m.p1_mmr_before, m.p1_mmr_after),
            "p2": self._side(m.p2_uid, m.p2_race, m.p2_mmr_before, m.p2_mmr_after),
            "result": m.result,
            "p1_win_probability": round(self.p1_win_probability, 4),
        }

    def _side(self, uid: int, race: str, before: int, after: int) -> dict[str, object]:
        return {
            "discord_uid": uid,
            "player_name": self.names.get(uid),
            "race": race,
            "mmr_before": before,
            "mmr_after": after,
        }


@dataclass(frozen=True, slots=True)
class Point:
    """One entry's MMR after one match."""

    race: str
    played_at: datetime
    mmr: int
    match_id: int | None

    def as_dict(self) -> dict[str, object]:
        return {
            "race": self.race,
            "played_at": self.played_at,
            "mmr": self.mmr,
            "match_id": self.match_id,
        }


def mmr_points(
    uid: int,
    matches: Iterable[AppliedMatch],
    *,
    race: str | None = None,
    since: datetime | None = None,
) -> list[Point]:
    """``uid``'s MMR after each of their matches (of ``race``, played at or after
    ``since``), by race, in the order they were played."""
    points = []
    for m in in_applied_order(matches):
        if uid not in (m.p1_uid, m.p2_uid):
            continue
        side = player_side(m, uid)
        if (race is None or side.race == race) and (since is None or m.played_at >= since):
            points.append(Point(side.race, m.played_at, side.mmr_after, m.match_id))
    order = {r: i for i, r in enumerate(RACES)}
    return sorted(points, key=lambda p: (order.get(p.race, 99), p.played_at))
