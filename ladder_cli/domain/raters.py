"""One seam for every rating system: a :class:`Rater` and the per-entry state it keeps.

Elo keeps an entry's integer MMR (:class:`EloRater`, exactly :func:`ladder_cli.domain.rating.rate`
under the ladder's :class:`~ladder_cli.domain.rules.Rules`); Glicko-2 keeps rating, RD and
volatility as doubles and the entry's last game, from which RD grows (:class:`Glicko2Rater`,
:mod:`ladder_cli.domain.glicko2`). Everything that replays the event log, applies jobs or
previews a write rates through a rater and never through a system's own functions, so a
ladder's rules can change by replaying its log under another rater.

How the later wiring should use it:

* ``rater_for(rules)`` is the one place rules become a rater (``rules.preset == "glicko2"``
  picks Glicko-2). The replay (:class:`ladder_cli.domain.replay.Replay`), the flush's
  :class:`ladder_cli.domain.rating.Ratings`, a correction's plan and ``--as-of`` hold a rater and
  keep one state per entry (``rater.start()`` for a new one) beside the counts they keep
  today; a match is ``rater.rate(s1, s2, score, played_at)`` on both pre-game states; every
  other event is :func:`apply_event` (same kinds and order as :meth:`StateEvent.mmr_from`,
  which it reproduces exactly for Elo); the logged MMR pairs are ``rater.mmr(state)``.
* Voided matches are skipped and amended ones rated with their amended result by the caller,
  as :class:`~ladder_cli.domain.replay.Replay` does; a rater only rates.
* A Glicko-2 state is stored in the ladder's own table (``rating``, ``rd``, ``volatility``,
  doubles) with ``mmr = rater.mmr(state)`` in ``mmrs_1v1`` and its ``last`` being the row's
  ``last_played``; :meth:`Glicko2Rater.stored` reads a row back, treating an MMR that no
  longer matches the rating (the bot wrote it) as an MMR that existed before the log.
* A correction replays only the entries it reaches and starts every other side of a later
  match from that match's logged ``before``. Under Glicko-2 an integer MMR is not a state,
  so the match log should keep each side's state before the game (the three doubles; the
  last game is the log's own), and an entry leaves the reached set only when its whole
  replayed state equals the logged one, not just its MMR.
* ``--as-of`` and the offline preview keep states the same way; an RD or ``provisional``
  shown "as of T" is ``rater.rd(state, T)`` / ``rater.provisional(state, T)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, Protocol, TypeVar

from ladder_cli.domain import glicko2
from ladder_cli.domain.events import (
    ADJUST,
    BASELINE,
    DECAY,
    RESET,
    SEASON,
    SOFT_RESET_SCALE,
    StateEvent,
    decayed,
    soft_reset,
)
from ladder_cli.domain.glicko2 import Glicko2State
from ladder_cli.domain.rating import expected, rate
from ladder_cli.domain.rules import STANDARD, Rules

GLICKO2: Final = "glicko2"
"""The preset name of the Glicko-2 rules."""

GLICKO2_RULES: Final = Rules(GLICKO2)
"""The ``glicko2`` preset as :class:`Rules` (its K and scale are unused): until
:mod:`ladder_cli.domain.rules` lists it among its presets, the domain layer names it here."""

S = TypeVar("S")


class Rater(Protocol[S]):
    """A rating system over per-entry states of type ``S``.

    States are values: every method returns a new state and leaves its arguments alone, so
    a caller can keep the state before a game (a match log's ``mmr_before``) for free.
    """

    @property
    def name(self) -> str:
        """The rules' preset name (``standard``, ``evoladder``, ``glicko2``, ...)."""
        ...

    def start(self) -> S:
        """A new entry's state."""
        ...

    def mmr(self, state: S) -> int:
        """The integer MMR stored in ``mmrs_1v1`` and logged before/after each event."""
        ...

    def expected(self, s1: S, s2: S, at: datetime) -> float:
        """P1's expected score in a game at ``at`` (the prediction ``evaluate`` scores)."""
        ...

    def rate(self, s1: S, s2: S, score1: float, played_at: datetime) -> tuple[S, S]:
        """Both states after a game; ``score1`` is 1, 0.5 or 0 from P1's side."""
        ...

    def reset(self, state: S, mmr: int, keep_stats: bool) -> S:
        """An admin's reset to ``mmr`` (stats, and so the last game, go unless kept)."""
        ...

    def adjust(self, state: S, delta: int) -> S:
        """An admin's adjustment by ``delta`` points."""
        ...

    def season(self, state: S, factor_millionths: int) -> S:
        """A season close's soft reset toward 1500 by the factor (in millionths)."""
        ...

    def decay(self, state: S, points: int, floor: int | None) -> S:
        """An inactivity decay of ``points``, never below ``floor`` (None: no floor)."""
        ...

    def baseline(self, mmr: int, last: datetime | None) -> S:
        """An entry whose values existed before the log began: MMR ``mmr``, last game
        ``last``."""
        ...

    def rd(self, state: S, now: datetime) -> float | None:
        """The rating deviation grown to ``now`` (None where the system has none)."""
        ...

    def provisional(self, state: S, now: datetime) -> bool:
        """Whether the rating is still too uncertain for a letter."""
        ...


def apply_event(rater: Rater[S], state: S, event: StateEvent) -> S:
    """The state after a non-match event of the log, by its kind."""
    kind = event.kind
    if kind == ADJUST:
        return rater.adjust(state, event.amount)
    if kind == SEASON:
        return rater.season(state, event.amount)
    if kind == DECAY:
        return rater.decay(state, event.amount, event.floor)
    if kind == BASELINE:
        return rater.baseline(event.mmr_after, event.last)
    if kind == RESET:
        return rater.reset(state, event.mmr_after, event.keep_stats)
    raise ValueError(f"unknown event kind {kind!r}")


@dataclass(frozen=True, slots=True)
class EloRater:
    """Elo on integer MMRs, rounded as the rules say: the flush's own arithmetic."""

    rules: Rules = STANDARD

    @property
    def name(self) -> str:
        return self.rules.preset

    def start(self) -> int:
        return self.rules.start_mmr

    def mmr(self, state: int) -> int:
        return state

    def expected(self, s1: int, s2: int, at: datetime) -> float:
        return expected(s1, s2, self.rules.scale)

    def rate(self, s1: int, s2: int, score1: float, played_at: datetime) -> tuple[int, int]:
        return rate(s1, s2, score1, self.rules)

    def reset(self, state: int, mmr: int, keep_stats: bool) -> int:
        return mmr

    def adjust(self, state: int, delta: int) -> int:
        return state + delta

    def season(self, state: int, factor_millionths: int) -> int:
        return soft_reset(state, factor_millionths)

    def decay(self, state: int, points: int, floor: int | None) -> int:
        return decayed(state, points, state - points if floor is None else floor)

    def baseline(self, mmr: int, last: datetime | None) -> int:
        return mmr

    def rd(self, state: int, now: datetime) -> float | None:
        return None

    def provisional(self, state: int, now: datetime) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class Glicko2Rater:
    """Glicko-2 as the contract's ``glicko2`` rules: Lichess's constants by default."""

    params: glicko2.Params = glicko2.LICHESS

    @property
    def name(self) -> str:
        return GLICKO2

    def start(self) -> Glicko2State:
        return glicko2.start(self.params)

    def mmr(self, state: Glicko2State) -> int:
        return glicko2.mmr(state.rating)

    def expected(self, s1: Glicko2State, s2: Glicko2State, at: datetime) -> float:
        return glicko2.expected_score(s1, s2, at, self.params)

    def rate(
        self, s1: Glicko2State, s2: Glicko2State, score1: float, played_at: datetime
    ) -> tuple[Glicko2State, Glicko2State]:
        return glicko2.rate_game(s1, s2, score1, played_at, self.params)

    def reset(self, state: Glicko2State, mmr: int, keep_stats: bool) -> Glicko2State:
        """A reset starts the rating over from ``mmr`` with a new entry's RD and
        volatility: nothing is known about a rating an admin set by hand."""
        p = self.params
        return Glicko2State(
            float(mmr), p.start_rd, p.start_volatility, state.last if keep_stats else None
        )

    def adjust(self, state: Glicko2State, delta: int) -> Glicko2State:
        return replace(state, rating=state.rating + delta)

    def season(self, state: Glicko2State, factor_millionths: int) -> Glicko2State:
        return glicko2.soft_reset(state, factor_millionths / SOFT_RESET_SCALE)

    def decay(self, state: Glicko2State, points: int, floor: int | None) -> Glicko2State:
        """Unchanged: under Glicko-2 inactivity grows RD instead (a decay in the log is
        from the ladder's Elo days)."""
        return state

    def baseline(self, mmr: int, last: datetime | None) -> Glicko2State:
        return glicko2.from_mmr(mmr, last, self.params)

    def rd(self, state: Glicko2State, now: datetime) -> float | None:
        return glicko2.rd_at(state, now, self.params)

    def provisional(self, state: Glicko2State, now: datetime) -> bool:
        return glicko2.is_provisional(state, now, self.params)

    def stored(
        self,
        mmr: int,
        rating: float | None,
        rd: float | None,
        volatility: float | None,
        last: datetime | None,
    ) -> Glicko2State:
        """An entry's state from its stored row: the doubles where they still explain the
        MMR, else (no doubles yet, or an outside writer moved the MMR) the MMR as one that
        existed before the log."""
        if rating is None or rd is None or volatility is None or glicko2.mmr(rating) != mmr:
            return glicko2.from_mmr(mmr, last, self.params)
        return Glicko2State(rating, rd, volatility, last)


def rater_for(rules: Rules) -> EloRater | Glicko2Rater:
    """The rater of a ladder's rules."""
    if rules.preset == GLICKO2:
        return Glicko2Rater()
    return EloRater(rules)


__all__ = [
    "GLICKO2",
    "GLICKO2_RULES",
    "EloRater",
    "Glicko2Rater",
    "Rater",
    "apply_event",
    "rater_for",
]
