"""The Glicko-2 game of :mod:`ladder_cli.domain.glicko2`, on arrays of independent games.

``evaluate`` replays a whole log under Glicko-2 beside the Elo candidates; games that share
no entry are rated together (:mod:`ladder_cli.domain.lockstep`), so each step of the
algorithm is one array operation over all of them. The arithmetic is the scalar module's,
step for step (the Illinois iteration runs until every game has converged, each freezing
when it does); only the last bits of ``exp`` and ``log`` may differ from :mod:`math`'s.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

from ladder_cli.domain.glicko2 import CENTRE, SCALE, SECONDS_PER_DAY, Params

Floats = npt.NDArray[np.float64]

_PI2: Final = math.pi * math.pi


def g(phi: Floats) -> Floats:
    out: Floats = 1.0 / np.sqrt(1.0 + 3.0 * phi * phi / _PI2)
    return out


def grown_rd(rd: Floats, volatility: Floats, seconds: Floats, params: Params) -> Floats:
    """Each RD grown by the idle ``seconds`` before a game (NaN or negative: none)."""
    days = np.where(seconds > 0, seconds / SECONDS_PER_DAY, 0.0)
    t = params.periods_per_day * days
    phi = rd / SCALE
    grown = np.minimum(SCALE * np.sqrt(phi * phi + t * volatility * volatility), params.max_rd)
    out: Floats = np.where(t > 0.0, grown, rd)
    return out


def expected(rating1: Floats, rd1: Floats, rating2: Floats, rd2: Floats) -> Floats:
    """P1's expected score from both ratings and grown RDs (rating scale)."""
    phi1, phi2 = rd1 / SCALE, rd2 / SCALE
    weight = g(np.sqrt(phi1 * phi1 + phi2 * phi2))
    out: Floats = 1.0 / (1.0 + np.exp(-weight * (rating1 - rating2) / SCALE))
    return out


def volatility(sigma: Floats, phi: Floats, v: Floats, delta: Floats, params: Params) -> Floats:
    """Step 5 for every game at once: Glickman's Illinois iteration, elementwise."""
    tau, eps = params.tau, params.epsilon
    a = np.log(sigma * sigma)
    phi2, delta2 = phi * phi, delta * delta
    rest = delta2 - phi2 - v
    tau2 = tau * tau

    def f(x: Floats) -> Floats:
        ex = np.exp(x)
        d = phi2 + v + ex
        out: Floats = ex * (rest - ex) / (2.0 * d * d) - (x - a) / tau2
        return out

    big = rest > 0
    b = np.where(big, np.log(np.where(big, rest, 1.0)), a - tau)
    if not big.all():
        k = np.ones_like(a)
        while True:
            low = ~big & (f(a - k * tau) < 0)
            if not low.any():
                break
            k += low
        b = np.where(big, b, a - k * tau)
    big_a, f_a, f_b = a, f(a), f(b)
    active = np.abs(b - big_a) > eps
    while active.any():
        c = big_a + (big_a - b) * f_a / (f_b - f_a)
        f_c = f(c)
        flip = f_c * f_b <= 0
        big_a = np.where(active & flip, b, big_a)
        f_a = np.where(active, np.where(flip, f_b, f_a / 2.0), f_a)
        b = np.where(active, c, b)
        f_b = np.where(active, f_c, f_b)
        active &= np.abs(b - big_a) > eps
    out: Floats = np.exp(big_a / 2.0)
    return out


def one_game(
    rating: Floats,
    rd: Floats,
    sigma: Floats,
    rating_opp: Floats,
    rd_opp: Floats,
    s: Floats,
    params: Params,
) -> tuple[Floats, Floats, Floats]:
    """Each player after one game as its own period, step 6 skipped (RDs already grown):
    :func:`ladder_cli.domain.glicko2.rate_period` with one game and ``step6=False``."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mu, phi = (rating - CENTRE) / SCALE, rd / SCALE
        g_j = g(rd_opp / SCALE)
        e = 1.0 / (1.0 + np.exp(-g_j * (mu - (rating_opp - CENTRE) / SCALE)))
        v_inv = g_j * g_j * e * (1.0 - e)
        total = g_j * (s - e)
        flat = v_inv == 0.0  # a certain result: the game changes nothing but bounds
        v = 1.0 / np.where(flat, 1.0, v_inv)
        sigma_new = volatility(sigma, phi, v, v * total, params)
        phi_new = 1.0 / np.sqrt(1.0 / (phi * phi) + v_inv)
        mu_new = mu + phi_new * phi_new * total
    rating_new = np.where(flat, rating, SCALE * mu_new + CENTRE)
    rd_new = np.clip(np.where(flat, rd, SCALE * phi_new), params.min_rd, params.max_rd)
    sigma_out = np.where(flat, sigma, np.minimum(sigma_new, params.max_volatility))
    return rating_new, rd_new, sigma_out


__all__ = ["expected", "g", "grown_rd", "one_game", "volatility"]
