"""Glicko-2 as Lichess rates: each game its own rating period, RD grown by the idle days.

Glickman's algorithm ("Example of the Glicko-2 system", 2013) works on its own scale
(μ, φ: rating and RD over 173.7178, centred on 1500). The ladder rates every game as one
period: before the game each side's φ grows with the days since its last game,
``φ² + t·sigma²`` with ``t = periods_per_day * days``, capped at the largest RD, and that growth
takes the place of the algorithm's step 6 (φ* = φ). Both sides are updated from both
pre-game states. :func:`rate_period` is the general form (one period, several games, step 6
optional) that Glickman's worked example exercises; :func:`rate_game` is the ladder's.

Everything here is a pure function of floats and :class:`Glicko2State`; the parameters are
one frozen :class:`Params`, so a test can change τ or turn growth off.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

SCALE: Final = 173.7178
"""Glickman's factor between the rating scale and the Glicko-2 scale (400 / ln 10)."""

CENTRE: Final = 1500.0
SECONDS_PER_DAY: Final = 86_400.0
_PI2: Final = math.pi * math.pi


@dataclass(frozen=True, slots=True)
class Params:
    """The system's constants: Lichess's by default."""

    tau: float = 0.75
    #: Convergence tolerance of the volatility iteration (Illinois).
    epsilon: float = 0.000001
    start_rating: float = 1500.0
    start_rd: float = 500.0
    start_volatility: float = 0.09
    min_rd: float = 45.0
    max_rd: float = 500.0
    max_volatility: float = 0.1
    #: Rating periods per idle day (``t = periods_per_day * days``); 0 turns growth off.
    periods_per_day: float = 0.21436
    #: RD of an entry whose MMR existed before the log began.
    baseline_rd: float = 150.0
    #: An entry is provisional while its RD, grown to now, is at least this.
    provisional_rd: float = 110.0


LICHESS: Final = Params()


@dataclass(frozen=True, slots=True)
class Glicko2State:
    """One entry's Glicko-2 values on the rating scale, and its last game (for RD growth:
    the latest ``played_at`` of its rated games, as ``last_played`` keeps it)."""

    rating: float
    rd: float
    volatility: float
    last: datetime | None = None

    @property
    def mmr(self) -> int:
        return mmr(self.rating)


def mmr(rating: float) -> int:
    """The integer the ladder stores and shows for a rating: ``floor(rating + 0.5)``."""
    return math.floor(rating + 0.5)


def start(params: Params = LICHESS) -> Glicko2State:
    """A new entry."""
    return Glicko2State(params.start_rating, params.start_rd, params.start_volatility)


def from_mmr(value: float, last: datetime | None = None, params: Params = LICHESS) -> Glicko2State:
    """An entry whose MMR existed before the log began: rated that MMR, with RD 150."""
    return Glicko2State(float(value), params.baseline_rd, params.start_volatility, last)


def of_row(
    mmr_value: int,
    rating: float | None,
    rd: float | None,
    volatility: float | None,
    last: datetime | None,
    played: int = 1,
    params: Params = LICHESS,
) -> Glicko2State:
    """An entry's state from its stored row (``mmrs_1v1``'s MMR, games and last game, and
    the doubles kept beside it): the doubles where they still explain the MMR; else (no
    doubles, or an outside writer moved the MMR) the MMR as one that existed before the
    log, except that a row without doubles that is still a new entry's (the start MMR, no
    game, no last game) starts as a new entry, as a replay of the log starts it."""
    if rating is None or rd is None or volatility is None or mmr(rating) != mmr_value:
        if rating is None and not played and last is None and mmr_value == mmr(params.start_rating):
            return start(params)
        return from_mmr(mmr_value, last, params)
    return Glicko2State(rating, rd, volatility, last)


def reset(
    state: Glicko2State, mmr_value: int, keep_stats: bool, params: Params = LICHESS
) -> Glicko2State:
    """An admin's reset to ``mmr_value``: the rating starts over from it with a new entry's
    RD and volatility (nothing is known about a rating set by hand); the last game goes
    with the stats unless they are kept."""
    return Glicko2State(
        float(mmr_value),
        params.start_rd,
        params.start_volatility,
        state.last if keep_stats else None,
    )


def adjusted(state: Glicko2State, delta: int) -> Glicko2State:
    """An admin's adjustment: the rating moves by ``delta`` points (so the MMR does too),
    RD and volatility kept."""
    return replace(state, rating=state.rating + delta)


def g(phi: float) -> float:
    """Glickman's weight of an opponent with deviation ``phi`` (Glicko-2 scale)."""
    return 1.0 / math.sqrt(1.0 + 3.0 * phi * phi / _PI2)


def expectation(mu: float, mu_j: float, phi_j: float) -> float:
    """E(μ, μj, φj): the expected score against opponent j (Glicko-2 scale)."""
    return 1.0 / (1.0 + math.exp(-g(phi_j) * (mu - mu_j)))


def idle_days(last: datetime | None, at: datetime) -> float:
    """Days from the entry's last game to ``at``; 0 without a last game or for a game the
    log places after a later one (a backfilled import)."""
    if last is None:
        return 0.0
    seconds = (at - last).total_seconds()
    return seconds / SECONDS_PER_DAY if seconds > 0 else 0.0


def grown_rd(rd: float, volatility: float, days: float, params: Params = LICHESS) -> float:
    """RD after ``days`` idle: ``sqrt(φ² + t·sigma²)`` on the Glicko-2 scale, capped."""
    t = params.periods_per_day * days
    if t <= 0.0:
        return rd
    phi = rd / SCALE
    grown = SCALE * math.sqrt(phi * phi + t * volatility * volatility)
    return grown if grown < params.max_rd else params.max_rd


def rd_at(state: Glicko2State, at: datetime, params: Params = LICHESS) -> float:
    """The entry's RD grown to ``at`` (what a game at ``at``, or a read then, sees)."""
    return grown_rd(state.rd, state.volatility, idle_days(state.last, at), params)


def is_provisional(state: Glicko2State, now: datetime, params: Params = LICHESS) -> bool:
    return rd_at(state, now, params) >= params.provisional_rd


def new_volatility(sigma: float, phi: float, v: float, delta: float, params: Params) -> float:
    """Step 5: the root of Glickman's f by the Illinois iteration, as sigma'."""
    tau, eps = params.tau, params.epsilon
    a = math.log(sigma * sigma)
    phi2, delta2 = phi * phi, delta * delta
    tau2 = tau * tau

    def f(x: float) -> float:
        ex = math.exp(x)
        d = phi2 + v + ex
        return ex * (delta2 - phi2 - v - ex) / (2.0 * d * d) - (x - a) / tau2

    big_a = a
    if delta2 > phi2 + v:
        big_b = math.log(delta2 - phi2 - v)
    else:
        k = 1
        while f(a - k * tau) < 0:
            k += 1
        big_b = a - k * tau
    f_a, f_b = f(big_a), f(big_b)
    while abs(big_b - big_a) > eps:
        big_c = big_a + (big_a - big_b) * f_a / (f_b - f_a)
        f_c = f(big_c)
        if f_c * f_b <= 0:
            big_a, f_a = big_b, f_b
        else:
            f_a /= 2.0
        big_b, f_b = big_c, f_c
    return math.exp(big_a / 2.0)


def rate_period(
    player: tuple[float, float, float],
    games: Iterable[tuple[float, float, float]],
    params: Params = LICHESS,
    *,
    step6: bool = True,
) -> tuple[float, float, float]:
    """One rating period of Glickman's algorithm (steps 2 to 8) on the rating scale.

    ``player`` is (rating, RD, volatility) at the start of the period, ``games`` each
    opponent's (rating, RD) with the player's score. With ``step6`` off, φ* is φ itself
    (the ladder grows RD before a game instead). The new RD and volatility are kept within
    the parameters' bounds.
    """
    rating, rd, sigma = player
    mu, phi = (rating - CENTRE) / SCALE, rd / SCALE
    v_inv = 0.0
    total = 0.0
    for r_j, rd_j, s in games:
        g_j = g(rd_j / SCALE)
        e = 1.0 / (1.0 + math.exp(-g_j * (mu - (r_j - CENTRE) / SCALE)))
        v_inv += g_j * g_j * e * (1.0 - e)
        total += g_j * (s - e)
    if v_inv == 0.0:  # no games: the period changes nothing but (optionally) RD
        phi_star = math.sqrt(phi * phi + sigma * sigma) if step6 else phi
        return rating, _bound_rd(SCALE * phi_star, params), sigma
    v = 1.0 / v_inv
    sigma_new = new_volatility(sigma, phi, v, v * total, params)
    phi_star2 = phi * phi + sigma_new * sigma_new if step6 else phi * phi
    phi_new = 1.0 / math.sqrt(1.0 / phi_star2 + v_inv)
    mu_new = mu + phi_new * phi_new * total
    return (
        SCALE * mu_new + CENTRE,
        _bound_rd(SCALE * phi_new, params),
        min(sigma_new, params.max_volatility),
    )


def _bound_rd(rd: float, params: Params) -> float:
    return params.min_rd if rd < params.min_rd else params.max_rd if rd > params.max_rd else rd


def rate_game(
    p1: Glicko2State,
    p2: Glicko2State,
    score1: float,
    played_at: datetime,
    params: Params = LICHESS,
) -> tuple[Glicko2State, Glicko2State]:
    """Both entries after one game (``score1`` 1, 0.5 or 0 from P1's side): each side's RD
    grown to the game, then one period each from both pre-game states, step 6 skipped.

    The flush's innermost step, so :func:`rd_at` and :func:`rate_period` are written out
    here for one game each way (the same arithmetic in the same order: equal to calling
    them, tested)."""
    rd1 = _grown_to(p1, played_at, params)
    rd2 = _grown_to(p2, played_at, params)
    r1, d1, v1 = _one_game(p1.rating, rd1, p1.volatility, p2.rating, rd2, score1, params)
    r2, d2, v2 = _one_game(p2.rating, rd2, p2.volatility, p1.rating, rd1, 1.0 - score1, params)
    last1 = played_at if p1.last is None or played_at > p1.last else p1.last
    last2 = played_at if p2.last is None or played_at > p2.last else p2.last
    return Glicko2State(r1, d1, v1, last1), Glicko2State(r2, d2, v2, last2)


def _grown_to(state: Glicko2State, at: datetime, params: Params) -> float:
    """:func:`rd_at`, written out."""
    last = state.last
    if last is None:
        return state.rd
    seconds = (at - last).total_seconds()
    t = params.periods_per_day * (seconds / SECONDS_PER_DAY if seconds > 0 else 0.0)
    if t <= 0.0:
        return state.rd
    phi = state.rd / SCALE
    sigma = state.volatility
    grown = SCALE * math.sqrt(phi * phi + t * sigma * sigma)
    return grown if grown < params.max_rd else params.max_rd


def _one_game(
    rating: float, rd: float, sigma: float, r_j: float, rd_j: float, s: float, params: Params
) -> tuple[float, float, float]:
    """:func:`rate_period` for one game with step 6 off, :func:`new_volatility` inlined."""
    mu, phi = (rating - CENTRE) / SCALE, rd / SCALE
    phi_j = rd_j / SCALE
    g_j = 1.0 / math.sqrt(1.0 + 3.0 * phi_j * phi_j / _PI2)
    e = 1.0 / (1.0 + math.exp(-g_j * (mu - (r_j - CENTRE) / SCALE)))
    v_inv = 0.0 + g_j * g_j * e * (1.0 - e)
    total = 0.0 + g_j * (s - e)
    if v_inv == 0.0:
        return rating, _bound_rd(SCALE * phi, params), sigma
    v = 1.0 / v_inv
    delta = v * total
    # Step 5, as new_volatility.
    tau, eps = params.tau, params.epsilon
    exp = math.exp
    a = math.log(sigma * sigma)
    phi2, delta2 = phi * phi, delta * delta
    tau2 = tau * tau
    big_a = a
    if delta2 > phi2 + v:
        big_b = math.log(delta2 - phi2 - v)
    else:
        k = 1
        while True:
            x = a - k * tau
            ex = exp(x)
            d = phi2 + v + ex
            if ex * (delta2 - phi2 - v - ex) / (2.0 * d * d) - (x - a) / tau2 >= 0:
                break
            k += 1
        big_b = a - k * tau
    ex = exp(big_a)
    d = phi2 + v + ex
    f_a = ex * (delta2 - phi2 - v - ex) / (2.0 * d * d) - (big_a - a) / tau2
    ex = exp(big_b)
    d = phi2 + v + ex
    f_b = ex * (delta2 - phi2 - v - ex) / (2.0 * d * d) - (big_b - a) / tau2
    while abs(big_b - big_a) > eps:
        big_c = big_a + (big_a - big_b) * f_a / (f_b - f_a)
        ex = exp(big_c)
        d = phi2 + v + ex
        f_c = ex * (delta2 - phi2 - v - ex) / (2.0 * d * d) - (big_c - a) / tau2
        if f_c * f_b <= 0:
            big_a, f_a = big_b, f_b
        else:
            f_a /= 2.0
        big_b, f_b = big_c, f_c
    sigma_new = exp(big_a / 2.0)
    phi_new = 1.0 / math.sqrt(1.0 / (phi * phi) + v_inv)
    mu_new = mu + phi_new * phi_new * total
    return (
        SCALE * mu_new + CENTRE,
        _bound_rd(SCALE * phi_new, params),
        min(sigma_new, params.max_volatility),
    )


def expected_score(
    p1: Glicko2State, p2: Glicko2State, at: datetime, params: Params = LICHESS
) -> float:
    """P1's expected score in a game at ``at``, both RDs grown to it:
    ``1 / (1 + exp(-g(sqrt(φ1² + φ2²)) (μ1 - μ2)))``."""
    phi1 = rd_at(p1, at, params) / SCALE
    phi2 = rd_at(p2, at, params) / SCALE
    return expected_from(p1.rating, phi1, p2.rating, phi2)


def expected_from(rating1: float, phi1: float, rating2: float, phi2: float) -> float:
    """:func:`expected_score` from ratings and grown φs (Glicko-2 scale)."""
    weight = g(math.sqrt(phi1 * phi1 + phi2 * phi2))
    return 1.0 / (1.0 + math.exp(-weight * (rating1 - rating2) / SCALE))


def soft_reset(state: Glicko2State, factor: float) -> Glicko2State:
    """A season close: the rating pulled toward 1500 by ``factor`` (``1500 + F·(r - 1500)``,
    so the MMR is the contract's ``floor(1500 + F·(mmr - 1500) + 0.5)`` of the rating),
    RD and volatility kept."""
    return replace(state, rating=CENTRE + factor * (state.rating - CENTRE))


__all__ = [
    "CENTRE",
    "LICHESS",
    "SCALE",
    "Glicko2State",
    "Params",
    "adjusted",
    "expectation",
    "expected_from",
    "expected_score",
    "from_mmr",
    "g",
    "grown_rd",
    "idle_days",
    "is_provisional",
    "mmr",
    "new_volatility",
    "of_row",
    "rate_game",
    "rate_period",
    "rd_at",
    "reset",
    "soft_reset",
    "start",
]
