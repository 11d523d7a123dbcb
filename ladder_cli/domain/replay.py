"""The sequential replay of the event log from the starting MMR.

Ratings are defined as this replay: ``verify`` runs it over the whole log and compares with
``mmrs_1v1``; a correction replays only what it reaches (:mod:`ladder_cli.domain.corrections`)
with the same rating function. :func:`rating_rules` is the one seam through which the
ladder's Elo rules (K, scale, rounding, starting MMR) reach both. Under Glicko-2 rules each
standing also keeps its state, rated by :class:`~ladder_cli.domain.raters.Glicko2Rater`
(the flush's own :func:`ladder_cli.domain.glicko2.rate_game`), and its MMR follows the
rating.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Final

from ladder_cli.domain.events import VOIDED, Event, LoggedMatch, StateEvent, score
from ladder_cli.domain.glicko2 import Glicko2State
from ladder_cli.domain.model import Key
from ladder_cli.domain.raters import Glicko2Rater, apply_event
from ladder_cli.domain.rules import STANDARD, Rules

Rate = Callable[[int, int, float], tuple[int, int]]
"""New MMRs of both sides from their MMRs before a game and P1's score."""


def rating_rules(rules: Rules = STANDARD) -> tuple[Rate, int]:
    """The rating function and starting MMR of the ladder's ``rules``: the flush's own
    :func:`ladder_cli.domain.rating.rate`, so a replay rates exactly as the flush did."""
    from ladder_cli.domain.rating import rate

    return partial(rate, rules=rules), rules.start_mmr


@dataclass(slots=True)
class Standing:
    """An entry's values as the replay has them."""

    mmr: int
    played: int = 0
    won: int = 0
    lost: int = 0
    drawn: int = 0
    last: datetime | None = None
    #: Under Glicko-2 rules, the entry's rating, RD and volatility.
    state: Glicko2State | None = None
    #: Whether the game that set ``last`` was imported from the original bot.
    last_imported: bool = False

    def values(self) -> tuple[int, int, int, int, int, datetime | None]:
        """The values in the order of :data:`STANDING_COLUMNS`."""
        return (self.mmr, self.played, self.won, self.lost, self.drawn, self.last)


#: ``mmrs_1v1``'s columns for :meth:`Standing.values`, in that order.
STANDING_COLUMNS: Final = (
    "mmr",
    "games_played",
    "games_won",
    "games_lost",
    "games_drawn",
    "last_played",
)


def counts_of(result: int, side: int) -> tuple[int, int, int]:
    """(won, lost, drawn) a match adds to its side 1 or 2."""
    if result == 0:
        return (0, 0, 1)
    return (1, 0, 0) if result == side else (0, 1, 0)


@dataclass
class Replay:
    """Applies events in log order to per-entry standings."""

    rate: Rate
    start_mmr: int
    standings: dict[Key, Standing] = field(default_factory=dict)
    #: Under Glicko-2 rules: what rates each standing's state (``rate`` is then unused).
    glicko: Glicko2Rater | None = None

    @classmethod
    def with_rules(cls, rules: Rules = STANDARD) -> Replay:
        rate, start = rating_rules(rules)
        return cls(rate, start, glicko=Glicko2Rater() if rules.glicko else None)

    def standing(self, key: Key) -> Standing:
        found = self.standings.get(key)
        if found is None:
            glicko = self.glicko
            if glicko is None:
                found = self.standings[key] = Standing(self.start_mmr)
            else:
                state = glicko.start()
                found = self.standings[key] = Standing(glicko.mmr(state), state=state)
        return found

    def apply(self, event: Event) -> tuple[int, int, int, int] | tuple[int, int]:
        """Apply one event; its MMR pair(s) as the replay has them (before, after)."""
        if isinstance(event, LoggedMatch):
            return self.match(event)
        return self.state_event(event)

    def match(self, m: LoggedMatch) -> tuple[int, int, int, int]:
        s1, s2 = self.standing(m.key1), self.standing(m.key2)
        b1, b2 = s1.mmr, s2.mmr
        if m.state == VOIDED:
            return (b1, b1, b2, b2)
        glicko = self.glicko
        if glicko is None:
            a1, a2 = self.rate(b1, b2, score(m.result))
        else:
            n1, n2 = glicko.rate(_state(s1), _state(s2), score(m.result), m.played_at)
            s1.state, s2.state = n1, n2
            a1, a2 = glicko.mmr(n1), glicko.mmr(n2)
        for s, after, side in ((s1, a1, 1), (s2, a2, 2)):
            won, lost, drawn = counts_of(m.result, side)
            s.mmr = after
            s.played += 1
            s.won += won
            s.lost += lost
            s.drawn += drawn
            if s.last is None or m.played_at > s.last:
                s.last, s.last_imported = m.played_at, m.imported
            elif m.played_at == s.last:
                s.last_imported = s.last_imported or m.imported
        return (b1, a1, b2, a2)

    def state_event(self, e: StateEvent) -> tuple[int, int]:
        s = self.standing(e.key)
        before = s.mmr
        glicko = self.glicko
        if glicko is None:
            s.mmr = e.mmr_from(before)
        else:
            s.state = apply_event(glicko, _state(s), e)
            s.mmr = glicko.mmr(s.state)
        if e.keeps_last:
            s.played = s.won = s.lost = s.drawn = 0
        elif e.sets_counts:
            s.played, s.won, s.lost, s.drawn, s.last = e.played, e.won, e.lost, e.drawn, e.last
            s.last_imported = False
        return (before, s.mmr)

    def run(self, events: Iterable[Event]) -> Replay:
        for event in events:
            self.apply(event)
        return self


def _state(standing: Standing) -> Glicko2State:
    """A Glicko-2 replay's standing always has its state."""
    state = standing.state
    assert state is not None
    return state


__all__ = ["STANDING_COLUMNS", "Rate", "Replay", "Standing", "counts_of", "rating_rules"]
