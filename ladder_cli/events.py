"""The ladder's event log: matches, resets, adjustments and baselines in one total order.

Matches keep their place in the match log (``match_id``, the order they were applied in);
every other event records the ``match_id`` it was applied after (``after_match``), so the
whole log sorts by ``(position, kind, id)`` with a match before the events applied after it.
Ratings are a sequential replay of that log (see :mod:`ladder_cli.replay`).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from ladder_cli.model import Key

RECORDED: Final = "recorded"
AMENDED: Final = "amended"
VOIDED: Final = "voided"
STATES: Final = (RECORDED, AMENDED, VOIDED)

#: Non-match event kinds. A reset sets the MMR (and, unless it keeps stats, zeroes the
#: counts); an adjustment adds to the MMR; a baseline pins every value of an entry that the
#: log could not explain when the database was upgraded to the event log.
RESET: Final = "reset"
ADJUST: Final = "adjust"
BASELINE: Final = "baseline"
EVENT_KINDS: Final = (RESET, ADJUST, BASELINE)

#: ``result``: 1 P1 won, 2 P2 won, 0 draw (the original system's encoding).
RESULT_NAMES: Final = {"p1": 1, "p2": 2, "draw": 0}


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
    """A reset, adjustment or baseline of one entry, with its logged MMR before and after.

    ``amount`` is the MMR a reset sets or the points an adjustment adds. A reset that does
    not keep stats, and a baseline, make the counts absolute (``played``... and ``last``).
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

    @property
    def key(self) -> Key:
        return (self.uid, self.race)

    @property
    def position(self) -> tuple[int, int, int]:
        return (self.after_match, 1, self.event_id)

    @property
    def sets_counts(self) -> bool:
        """Whether this event replaces the entry's counts and last game."""
        return self.kind == BASELINE or (self.kind == RESET and not self.keep_stats)

    def mmr_from(self, before: int) -> int:
        """The MMR after this event, for an entry rated ``before`` just before it."""
        return before + self.amount if self.kind == ADJUST else self.mmr_after


Event = LoggedMatch | StateEvent


def in_order(matches: Iterable[LoggedMatch], others: Iterable[StateEvent]) -> Iterator[Event]:
    """Both streams (each already in order) merged into the log's total order."""
    return heapq.merge(matches, others, key=lambda event: event.position)


__all__ = [
    "ADJUST",
    "AMENDED",
    "BASELINE",
    "EVENT_KINDS",
    "RECORDED",
    "RESET",
    "RESULT_NAMES",
    "STATES",
    "VOIDED",
    "Event",
    "LoggedMatch",
    "StateEvent",
    "in_order",
    "score",
]
