"""Glicko-2 (:mod:`ladder_cli.domain.glicko2`): the contract's reference vectors, and a
property test against an independent replay written here from Glickman's paper."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ladder_cli.domain import glicko2
from ladder_cli.domain.glicko2 import Glicko2State, Params
from tests.helpers import Player, paper_play

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NO_GROWTH = Params(periods_per_day=0.0)


def test_glickmans_worked_example() -> None:
    """One period, three games, tau 0.5, with the paper's step 6. The paper prints
    figures from intermediates rounded to four places (mu' = -0.2069 -> 1464.06, and
    sigma' = 0.05999 for 0.059996); the unrounded values are within those figures' last
    digit."""
    params = Params(tau=0.5, periods_per_day=0.0)
    games = [(1400.0, 30.0, 1.0), (1550.0, 100.0, 0.0), (1700.0, 300.0, 0.0)]
    rating, rd, volatility = glicko2.rate_period((1500.0, 200.0, 0.06), games, params)
    assert rating == pytest.approx(1464.06, abs=0.01)
    assert round((rating - 1500) / 173.7178, 4) == -0.2069
    assert rd == pytest.approx(151.52, abs=0.005)
    assert volatility == pytest.approx(0.05999, abs=0.00001)


def test_one_game_step_6_skipped() -> None:
    """Two 1500/350/0.06 players, tau 0.75, no growth: the contract's second vector."""
    a = Glicko2State(1500.0, 350.0, 0.06)
    won, lost = glicko2.rate_game(a, a, 1.0, T0, NO_GROWTH)
    assert won.rating == pytest.approx(1662.21, abs=0.005)
    assert lost.rating == pytest.approx(1337.79, abs=0.005)
    for side in (won, lost):
        assert side.rd == pytest.approx(290.2305, abs=0.00005)
        assert side.volatility == pytest.approx(0.0599993, abs=0.00000005)
        assert side.last == T0
    assert (won.mmr, lost.mmr) == (1662, 1338)


def test_a_draw_between_equals_moves_no_rating() -> None:
    a = Glicko2State(1500.0, 350.0, 0.06)
    x, y = glicko2.rate_game(a, a, 0.5, T0, NO_GROWTH)
    assert x.rating == pytest.approx(1500.0, abs=1e-9)
    assert y.rating == pytest.approx(1500.0, abs=1e-9)
    assert x.rd < 350.0


def test_rd_grows_with_idle_days_and_is_capped() -> None:
    state = Glicko2State(1600.0, 100.0, 0.06, T0)
    assert glicko2.rd_at(state, T0) == 100.0
    assert glicko2.rd_at(state, T0 - timedelta(days=3)) == 100.0  # an earlier game
    ten = glicko2.rd_at(state, T0 + timedelta(days=10))
    phi = 100.0 / 173.7178
    assert ten == pytest.approx(173.7178 * math.sqrt(phi**2 + 0.21436 * 10 * 0.06**2), rel=1e-12)
    assert glicko2.rd_at(state, T0 + timedelta(days=100_000)) == 500.0
    assert glicko2.rd_at(Glicko2State(1500.0, 120.0, 0.06), T0 + timedelta(days=30)) == 120.0


def test_growth_replaces_step_6() -> None:
    """A game after an idle spell rates from the grown RD: equal to rating that grown RD
    with growth turned off."""
    p1 = Glicko2State(1600.0, 80.0, 0.06, T0)
    p2 = Glicko2State(1450.0, 200.0, 0.07, T0 - timedelta(days=40))
    at = T0 + timedelta(days=20)
    grown = glicko2.rate_game(p1, p2, 0.0, at)
    g1 = Glicko2State(1600.0, glicko2.rd_at(p1, at), 0.06)
    g2 = Glicko2State(1450.0, glicko2.rd_at(p2, at), 0.07)
    direct = glicko2.rate_game(g1, g2, 0.0, at, Params(periods_per_day=0.0))
    for x, y in zip(grown, direct, strict=True):
        assert (x.rating, x.rd, x.volatility) == (y.rating, y.rd, y.volatility)


def test_starts_mmr_and_provisional() -> None:
    new = glicko2.start()
    assert (new.rating, new.rd, new.volatility, new.last) == (1500.0, 500.0, 0.09, None)
    old = glicko2.from_mmr(1834, T0)
    assert (old.rating, old.rd, old.volatility, old.last) == (1834.0, 150.0, 0.09, T0)
    assert [glicko2.mmr(x) for x in (1499.5, 1500.49, -0.5, 1662.2120)] == [1500, 1500, 0, 1662]
    assert glicko2.is_provisional(new, T0)
    settled = Glicko2State(1700.0, 109.0, 0.06, T0)
    assert not glicko2.is_provisional(settled, T0)
    later = T0 + timedelta(days=30)  # RD grows past 110 with time
    assert glicko2.rd_at(settled, later) >= 110.0
    assert glicko2.is_provisional(settled, later)


def test_bounds() -> None:
    """RD never below 45 however many games; volatility at most 0.1 even after upsets."""
    a, b = Glicko2State(1500.0, 45.0, 0.06), Glicko2State(1500.0, 45.0, 0.06)
    for i in range(200):
        a, b = glicko2.rate_game(a, b, 0.5, T0 + timedelta(seconds=i))
    assert a.rd == 45.0
    strong, weak = Glicko2State(2500.0, 45.0, 0.099), Glicko2State(900.0, 45.0, 0.099)
    for i in range(30):
        weak, strong = glicko2.rate_game(weak, strong, 1.0, T0 + timedelta(seconds=i))
        assert weak.volatility <= 0.1 and strong.volatility <= 0.1


def test_expected_score_formula() -> None:
    """1 / (1 + exp(-g(sqrt(phi1^2 + phi2^2)) (mu1 - mu2))), RDs grown to the game."""
    p1 = Glicko2State(1700.0, 60.0, 0.06, T0)
    p2 = Glicko2State(1500.0, 300.0, 0.06, T0)
    at = T0 + timedelta(days=5)
    phi1, phi2 = glicko2.rd_at(p1, at) / 173.7178, glicko2.rd_at(p2, at) / 173.7178
    phi = math.sqrt(phi1**2 + phi2**2)
    weight = 1 / math.sqrt(1 + 3 * phi**2 / math.pi**2)
    want = 1 / (1 + math.exp(-weight * (1700 - 1500) / 173.7178))
    assert glicko2.expected_score(p1, p2, at) == pytest.approx(want, rel=1e-12)
    assert glicko2.expected_score(p1, p2, at) + glicko2.expected_score(p2, p1, at) == pytest.approx(
        1.0
    )


# -- the independent replay ---------------------------------------------------------------


games = st.lists(
    st.tuples(
        st.integers(0, 4),
        st.integers(0, 3),
        st.sampled_from([1.0, 0.0, 0.5]),
        # seconds since the previous game, now and then backwards (a backfilled game)
        st.one_of(st.integers(0, 200 * 86_400), st.integers(-3 * 86_400, 0)),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(games=games, starts=st.lists(st.booleans(), min_size=5, max_size=5))
def test_matches_an_independent_replay(
    games: list[tuple[int, int, float, int]], starts: list[bool]
) -> None:
    """Random games among five players with random gaps: same ratings, RDs and
    volatilities as the paper's algorithm written out here; RD within 45-500, volatility
    at most 0.1. Some players start new, some with an MMR from before the log."""
    ours = [glicko2.start() if new else glicko2.from_mmr(1400 + 50 * i) for i, new in
            enumerate(starts)]  # fmt: skip
    theirs = [Player(1500.0, 500.0, 0.09) if new else Player(1400.0 + 50 * i, 150.0, 0.09)
              for i, new in enumerate(starts)]  # fmt: skip
    at = T0
    for i, j, s, gap in games:
        j = j + (j >= i)
        at += timedelta(seconds=gap)
        ours[i], ours[j] = glicko2.rate_game(ours[i], ours[j], s, at)
        theirs[i], theirs[j] = paper_play(theirs[i], theirs[j], s, at)
    for mine, paper in zip(ours, theirs, strict=True):
        assert mine.rating == pytest.approx(paper.r, abs=1e-9)
        assert mine.rd == pytest.approx(paper.rd, abs=1e-9)
        assert mine.volatility == pytest.approx(paper.vol, abs=1e-9)
        assert mine.last == paper.last
        assert 45.0 <= mine.rd <= 500.0
        assert mine.volatility <= 0.1


def test_rate_game_equals_rd_at_and_rate_period_exactly() -> None:
    """The written-out single game is the general period, bit for bit: random states, idle
    gaps (none, backfilled, capped) and all three scores."""
    rng = random.Random(25)
    at = datetime(2026, 6, 1, tzinfo=UTC)
    for _ in range(3000):
        states = [
            glicko2.Glicko2State(
                rng.uniform(600, 2800),
                rng.uniform(45, 500),
                rng.uniform(0.03, 0.1),
                rng.choice([None, at - timedelta(days=rng.uniform(-2, 400))]),
            )
            for _ in range(2)
        ]
        p1, p2 = states
        score = rng.choice([1.0, 0.5, 0.0])
        rd1, rd2 = glicko2.rd_at(p1, at), glicko2.rd_at(p2, at)
        one = glicko2.rate_period((p1.rating, rd1, p1.volatility), [(p2.rating, rd2, score)],
                                  step6=False)  # fmt: skip
        two = glicko2.rate_period((p2.rating, rd2, p2.volatility),
                                  [(p1.rating, rd1, 1.0 - score)], step6=False)  # fmt: skip
        n1, n2 = glicko2.rate_game(p1, p2, score, at)
        assert (n1.rating, n1.rd, n1.volatility) == one
        assert (n2.rating, n2.rd, n2.volatility) == two
