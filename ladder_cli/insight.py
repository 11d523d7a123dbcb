"""What the ladder's data says: a player's side of a match, rating trends, ladder
statistics and head-to-head records.

Pure functions over the match log (lists of :class:`~ladder_cli.model.AppliedMatch`) and
the entries frame, so both stores, the offline snapshot and the pending queue give the
same answers; the :class:`~ladder_cli.ladder.Ladder` only gathers the inputs.
"""

from __future__ import annotations

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
