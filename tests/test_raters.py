"""The rating seam (:mod:`ladder_cli.domain.raters`): Elo through it is the flush's Elo,
and every event kind acts on Glicko-2's state as the contract says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ladder_cli.domain import glicko2
from ladder_cli.domain.events import EVENT_KINDS, StateEvent
from ladder_cli.domain.glicko2 import Glicko2State
from ladder_cli.domain.raters import (
    GLICKO2_RULES,
    EloRater,
    Glicko2Rater,
    apply_event,
    rater_for,
)
from ladder_cli.domain.rating import rate
from ladder_cli.domain.rules import EVOLADDER, STANDARD

T0 = datetime(2026, 3, 1, tzinfo=UTC)
mmrs = st.integers(-5_000, 9_000)
scores = st.sampled_from([1.0, 0.0, 0.5])


@given(m1=mmrs, m2=mmrs, s=scores)
def test_elo_rater_is_the_flushs_elo(m1: int, m2: int, s: float) -> None:
    for rules in (STANDARD, EVOLADDER):
        rater = EloRater(rules)
        assert rater.rate(m1, m2, s, T0) == rate(m1, m2, s, rules)
        assert rater.expected(m1, m2, T0) == 1 / (1 + 10 ** ((m2 - m1) / rules.scale))
        assert rater.mmr(m1) == m1


def test_evoladder_rounds_half_to_even_through_the_rater() -> None:
    """K 40, scale 500, equal MMRs and a draw move nobody; a win between equals moves 20,
    and an exact half rounds to even where half up would not."""
    rater = EloRater(EVOLADDER)
    assert rater.rate(1500, 1500, 0.5, T0) == (1500, 1500)
    assert rater.rate(1500, 1500, 1.0, T0) == (1520, 1480)
    assert EVOLADDER.round(1500.5) == 1500 and STANDARD.round(1500.5) == 1501


def event(kind: str, amount: int, **kw: object) -> StateEvent:
    fields: dict[str, object] = {"keep_stats": False, "mmr_before": 0, "mmr_after": amount}
    fields.update(kw)
    return StateEvent(1, 0, kind, 7, "bw_zerg", amount, at=T0, **fields)  # type: ignore[arg-type]


@given(
    before=mmrs,
    kind=st.sampled_from(EVENT_KINDS),
    amount=st.integers(-300, 1_000_000),
    floor=st.one_of(st.none(), st.integers(800, 1600)),
    keep=st.booleans(),
)
def test_elo_events_are_the_replays(
    before: int, kind: str, amount: int, floor: int | None, keep: bool
) -> None:
    """Every event kind through the seam equals :meth:`StateEvent.mmr_from`, which the
    replay and corrections use today."""
    if kind == "decay":
        amount = abs(amount) % 200 + 1
    e = event(kind, amount, floor=floor, keep_stats=keep, mmr_after=amount % 3000)
    for rules in (STANDARD, EVOLADDER):
        assert apply_event(EloRater(rules), before, e) == e.mmr_from(before)


def test_glicko2_events() -> None:
    rater = Glicko2Rater()
    last = T0 - timedelta(days=2)
    state = Glicko2State(1700.4, 80.0, 0.07, last)

    season = apply_event(rater, state, event("season", 500_000))
    assert season.rating == pytest.approx(1600.2)
    assert (season.rd, season.volatility, season.last) == (80.0, 0.07, last)
    assert rater.mmr(season) == 1600  # floor(1500 + 0.5 * (1700.4 - 1500) + 0.5)

    adjusted = apply_event(rater, state, event("adjust", -25))
    assert adjusted.rating == pytest.approx(1675.4)
    assert (adjusted.rd, adjusted.volatility, adjusted.last) == (80.0, 0.07, last)

    reset = apply_event(rater, state, event("reset", 1500, mmr_after=1500))
    assert reset == Glicko2State(1500.0, 500.0, 0.09, None)
    kept = apply_event(rater, state, event("reset", 1500, mmr_after=1500, keep_stats=True))
    assert kept == Glicko2State(1500.0, 500.0, 0.09, last)

    base = apply_event(rater, state, event("baseline", 1820, mmr_after=1820, last=last))
    assert base == Glicko2State(1820.0, 150.0, 0.09, last)

    assert apply_event(rater, state, event("decay", 25, floor=1200)) == state


def test_rater_for_and_provisional() -> None:
    assert rater_for(STANDARD) == EloRater(STANDARD)
    assert rater_for(EVOLADDER) == EloRater(EVOLADDER)
    g = rater_for(GLICKO2_RULES)
    assert isinstance(g, Glicko2Rater)
    assert g.name == "glicko2"
    assert g.provisional(g.start(), T0) and g.rd(g.start(), T0) == 500.0
    assert not EloRater().provisional(1500, T0) and EloRater().rd(1500, T0) is None


def test_glicko2_rater_rates_as_the_module() -> None:
    g = Glicko2Rater()
    a, b = glicko2.from_mmr(1600, T0), g.start()
    at = T0 + timedelta(days=3)
    assert g.rate(a, b, 0.0, at) == glicko2.rate_game(a, b, 0.0, at)
    assert g.expected(a, b, at) == glicko2.expected_score(a, b, at)


def test_stored_rows() -> None:
    g = Glicko2Rater()
    assert g.stored(1612, 1611.7, 90.0, 0.06, T0) == Glicko2State(1611.7, 90.0, 0.06, T0)
    # no doubles yet, or the bot moved the MMR: the MMR as one from before the log
    assert g.stored(1612, None, None, None, T0) == Glicko2State(1612.0, 150.0, 0.09, T0)
    assert g.stored(1650, 1611.7, 90.0, 0.06, T0) == Glicko2State(1650.0, 150.0, 0.09, T0)
