"""What the ladder's data says: a player's side of a match, rating trends, ladder
statistics and head-to-head records.

Pure functions over the match log (lists of :class:`~ladder_cli.model.AppliedMatch`) and
the entries frame, so both stores, the offline snapshot and the pending queue give the
same answers; the :class:`~ladder_cli.ladder.Ladder` only gathers the inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ladder_cli.model import AppliedMatch

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
