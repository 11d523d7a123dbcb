"""The ladder's event log: matches, resets, adjustments and baselines in one total order.

Matches keep their place in the match log (``match_id``, the order they were applied in);
every other event records the ``match_id`` it was applied after (``after_match``), so the
whole log sorts by ``(position, kind, id)`` with a match before the events applied after it.
Ratings are a sequential replay of that log (see :mod:`ladder_cli.domain.replay`).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from ladder_cli.domain.model import Key

RECORDED: Final = "recorded"
AMENDED: Final = "amended"
VOIDED: Final = "voided"
STATES: Final = (RECORDED, AMENDED, VOIDED)

#: Non-match event kinds. A reset sets the MMR (and, unless it keeps stats, zeroes the
#: counts); an adjustment adds to the MMR; a baseline pins every value of an entry that the
#: log could not explain when the database was upgraded to the event log. A season reset
#: pulls the MMR toward the middle by the soft-reset factor and zeroes the counts (the last
#: game is kept); a decay takes points off an inactive entry, never below its floor. Season
#: resets and decays act on the MMR the entry has when they are replayed, so a correction of
#: an earlier match carries through them.
RESET: Final = "reset"
ADJUST: Final = "adjust"
BASELINE: Final = "baseline"
SEASON: Final = "season"
DECAY: Final = "decay"
EVENT_KINDS: Final = (RESET, ADJUST, BASELINE, SEASON, DECAY)

#: The MMR a season reset pulls toward, and the scale of its stored factor: a season event's
#: ``amount`` is the soft-reset factor F in millionths, so the arithmetic stays exact.
SEASON_MIDDLE: Final = 1500
SOFT_RESET_SCALE: Final = 1_000_000

#: ``result``: 1 P1 won, 2 P2 won, 0 draw (the original system's encoding).
RESULT_NAMES: Final = {"p1": 1, "p2": 2, "draw": 0}


def soft_reset(mmr: int, factor_millionths: int) -> int:
    """``floor(1500 + F * (mmr - 1500) + 0.5)`` in integers, F given in millionths."""
    scale = SOFT_RESET_SCALE
    return (SEASON_MIDDLE * scale + factor_millionths * (mmr - SEASON_MIDDLE) + scale // 2) // scale


def decayed(mmr: int, points: int, floor: int) -> int:
    """``mmr`` less ``points``, never below ``floor`` (an entry already at or below it keeps
    its MMR)."""
    return mmr if mmr <= floor else max(floor, mmr - points)


def score(result: int) -> float:
    """P1's score for a match result."""
    return 1.0 if result == 1 else 0.0 if result == 2 else 0.5


@dataclass(slots=True)
class LoggedMatch:
    """One row of the match log, with both sides' logged MMR before and after."""

    match_id: int
    played_at: datetime
    p1_uid: int
    p1_race: str
    p2_uid: int
    p2_race: str
    result: int
    state: str
    p1_before: int
    p1_after: int
    p2_before: int
    p2_after: int
    #: Imported from the original bot (``import bot-matches``): its rows' ``last_played``
    #: is when the bot completed the match, a little after ``played_at``.
    imported: bool = False

    @property
    def key1(self) -> Key:
        return (self.p1_uid, self.p1_race)

    @property
    def key2(self) -> Key:
        return (self.p2_uid, self.p2_race)

    @property
    def position(self) -> tuple[int, int, int]:
        return (self.match_id, 0, self.match_id)


@dataclass(slots=True)
class StateEvent:
    """A reset, adjustment, baseline, season reset or decay of one entry, with its logged
    MMR before and after.

    ``amount`` is the MMR a reset sets, the points an adjustment adds, a season reset's
    factor in millionths, or the points a decay takes (down to ``floor``). A reset that does
    not keep stats, and a baseline, make the counts absolute (``played``... and ``last``); a
    season reset zeroes them and keeps the last game.
    """

    event_id: int
    after_match: int
    kind: str
    uid: int
    race: str
    amount: int
    keep_stats: bool
    mmr_before: int
    mmr_after: int
    at: datetime
    played: int = 0
    won: int = 0
    lost: int = 0
    drawn: int = 0
    last: datetime | None = None
    floor: int | None = None

    @property
    def key(self) -> Key:
        return (self.uid, self.race)

    @property
    def position(self) -> tuple[int, int, int]:
        return (self.after_match, 1, self.event_id)

    @property
    def sets_counts(self) -> bool:
        """Whether this event replaces the entry's counts (a season reset zeroes them)."""
        return self.kind in (BASELINE, SEASON) or (self.kind == RESET and not self.keep_stats)

    @property
    def keeps_last(self) -> bool:
        """Whether the entry's last game survives an event that sets its counts."""
        return self.kind == SEASON

    def mmr_from(self, before: int) -> int:
        """The MMR after this event, for an entry rated ``before`` just before it."""
        if self.kind == ADJUST:
            return before + self.amount
        if self.kind == SEASON:
            return soft_reset(before, self.amount)
        if self.kind == DECAY:
            floor = before - self.amount if self.floor is None else self.floor
            return decayed(before, self.amount, floor)
        return self.mmr_after


Event = LoggedMatch | StateEvent


def in_order(matches: Iterable[LoggedMatch], others: Iterable[StateEvent]) -> Iterator[Event]:
    """Both streams (each already in order) merged into the log's total order."""
    return heapq.merge(matches, others, key=lambda event: event.position)


__all__ = [
    "ADJUST",
    "AMENDED",
    "BASELINE",
    "DECAY",
    "EVENT_KINDS",
    "RECORDED",
    "RESET",
    "RESULT_NAMES",
    "SEASON",
    "SEASON_MIDDLE",
    "SOFT_RESET_SCALE",
    "STATES",
    "VOIDED",
    "Event",
    "LoggedMatch",
    "StateEvent",
    "decayed",
    "in_order",
    "score",
    "soft_reset",
]
