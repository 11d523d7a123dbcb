"""``evaluate`` (:mod:`ladder_cli.domain.evaluation`): metrics checked by hand, the
``since`` and voided rules, and the one-pass engine (:mod:`ladder_cli.domain.lockstep`)
checked against the verify replay and the plain per-candidate replay."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ladder_cli.domain.evaluation import (
    Candidate,
    candidates,
    default_candidates,
    evaluate,
    grid,
    score_one,
)
from ladder_cli.domain.events import (
    AMENDED,
    EVENT_KINDS,
    RECORDED,
    VOIDED,
    Event,
    LoggedMatch,
    StateEvent,
)
from ladder_cli.domain.glicko2 import Glicko2State
from ladder_cli.domain.lockstep import Elo, Lockstep, score_all
from ladder_cli.domain.metrics import Scores
from ladder_cli.domain.model import Key
from ladder_cli.domain.raters import GLICKO2_RULES, Glicko2Rater, apply_event
from ladder_cli.domain.replay import Replay
from ladder_cli.domain.rules import EVOLADDER, STANDARD, Rules

T0 = datetime(2026, 2, 1, tzinfo=UTC)
A, B, C = 101, 102, 103
RACE = "bw_terran"


def match(i: int, p1: int, p2: int, result: int, state: str = RECORDED) -> LoggedMatch:
    return LoggedMatch(i, T0 + timedelta(hours=i), p1, RACE, p2, RACE, result, state,
                       0, 0, 0, 0)  # fmt: skip


SMALL = [
    match(1, A, B, 1),
    match(2, A, C, 0),
    match(3, B, C, 1),
    match(4, A, C, 2),
    match(5, A, B, 1, VOIDED),
    match(6, B, A, 1, AMENDED),  # amended to P2 (A) won below
]
SMALL[5].result = 2


def test_metrics_by_hand() -> None:
    """The small log under ``standard``, worked from the contract's formulas: Elo K 40
    over 400, half up; each p before its game; the voided match neither scored nor rated;
    the amended one scored and rated with its amended result."""

    def e(m1: int, m2: int) -> float:
        return 1 / (1 + 10 ** ((m2 - m1) / 400))

    # Worked by hand: A beats B from 1500 each (p 0.5) -> 1520 / 1480; A 1520 draws
    # C 1500 -> 1519 / 1501; B 1480 beats C 1501 -> 1501 / 1480; C 1480 beats A 1519
    # -> A 1497, C 1502; (void); A 1497 beats B 1501 as amended (P1 is B, p is B's)
    # -> A 1517, B 1481.
    games = [
        (e(1500, 1500), 1.0),
        (e(1520, 1500), 0.5),
        (e(1480, 1501), 1.0),
        (e(1519, 1480), 0.0),
        (e(1501, 1497), 0.0),
    ]
    log_loss = sum(-(s * math.log(p) + (1 - s) * math.log(1 - p)) for p, s in games) / 5
    brier = sum((p - s) ** 2 for p, s in games) / 5

    replay = Replay.with_rules(STANDARD).run(SMALL)
    assert {k[0]: s.mmr for k, s in replay.standings.items()} == {A: 1517, B: 1481, C: 1502}

    result = evaluate(SMALL, candidates(STANDARD)).results[0]
    assert result.candidate.own
    assert result.games == 5
    assert result.log_loss == pytest.approx(log_loss, abs=1e-4)
    assert result.brier == pytest.approx(brier, abs=1e-4)
    # decisive: game 1 at p 0.5 (half), games 3, 4 and 5 called wrong
    assert result.accuracy == pytest.approx(0.5 / 4)
    by_low = {b.low: b for b in result.calibration}
    assert by_low[0.4].games == 1 and by_low[0.5].games == 4
    assert by_low[0.5].observed == pytest.approx((1.0 + 0.5 + 0.0 + 0.0) / 4)
    assert by_low[0.5].predicted == pytest.approx(
        (games[0][0] + games[1][0] + games[3][0] + games[4][0]) / 4
    )
    assert by_low[0.0].games == 0 and by_low[0.0].predicted is None


def random_log(seed: int, n: int = 400, players: int = 12, big: bool = False) -> list[Event]:
    """Matches (some voided, some amended, some draws) among a few entries, with every
    other event kind in between; ``big`` adds adjustments large enough to push MMR gaps
    past the Elo tables' span."""
    rng = random.Random(seed)
    races = ("bw_terran", "sc2_zerg")
    log: list[Event] = []
    at, match_id, event_id = T0, 0, 0
    for _ in range(n):
        at += timedelta(seconds=rng.choice([0, 60, 3_600, 86_400 * rng.randint(1, 60)]))
        uid, race = rng.randrange(players), rng.choice(races)
        if rng.random() < 0.06:
            event_id += 1
            kind = rng.choice(EVENT_KINDS)
            amount = {
                "adjust": rng.choice([-30_000, 30_000]) if big else rng.randint(-80, 80),
                "season": rng.randint(0, 1_000_000),
                "decay": rng.randint(1, 60),
            }.get(kind, rng.randint(1_100, 1_900))
            log.append(StateEvent(
                event_id, match_id, kind, uid, race, amount, rng.random() < 0.5, 0,
                amount if kind in ("reset", "baseline") else 0, at,
                last=rng.choice([None, at - timedelta(days=9)]),
                floor=rng.choice([None, 1_300]),
            ))  # fmt: skip
            continue
        match_id += 1
        other = rng.randrange(players - 1)
        other += other >= uid
        state = rng.choice([RECORDED] * 8 + [VOIDED, AMENDED])
        result = rng.choice([1, 1, 2, 2, 0])
        log.append(LoggedMatch(match_id, at, uid, race, other, rng.choice(races), result,
                               state, 0, 0, 0, 0))  # fmt: skip
    return log


def replay_scores(log: list[Event], rules: Rules, since: datetime | None = None) -> Scores:
    """The predictions as ``verify``'s replay has them: each rated game's p from the MMRs
    :class:`Replay` holds just before it."""
    replay, out = Replay.with_rules(rules), Scores()
    for event in log:
        if not isinstance(event, LoggedMatch):
            replay.apply(event)
            continue
        b1, _, b2, _ = replay.match(event)
        if event.state != VOIDED and (since is None or event.played_at >= since):
            p = 1 / (1 + 10 ** ((b2 - b1) / rules.scale))
            out.add(p, 1.0 if event.result == 1 else 0.0 if event.result == 2 else 0.5)
    return out


def same_scores(x: Scores, y: Scores, tol: float = 1e-9) -> None:
    assert x.games == y.games and x.decisive == y.decisive
    assert x.bucket_games == y.bucket_games
    assert x.correct == pytest.approx(y.correct, abs=1e-9)
    for a, b in ((x.log_loss, y.log_loss), (x.brier, y.brier)):
        assert a == pytest.approx(b, rel=tol, abs=tol)
    for a, b in zip(x.bucket_predicted + x.bucket_observed,
                    y.bucket_predicted + y.bucket_observed, strict=True):  # fmt: skip
        assert a == pytest.approx(b, rel=tol, abs=tol)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10**9), big=st.booleans())
def test_own_elo_candidate_sees_the_replays_mmrs(seed: int, big: bool) -> None:
    """The ladder's own Elo rules in the one-pass engine: every entry ends at exactly the
    MMR ``verify``'s replay computes, and every prediction is the replay's."""
    log = random_log(seed, big=big)
    for own in (STANDARD, EVOLADDER):
        rules = [c.rules for c in default_candidates(own)]
        done = Lockstep.run(log, rules)
        assert done.elo is not None
        replay = Replay.with_rules(own).run(log)
        for key, row in done.waves.slots.items():
            assert int(done.elo.mmr[row, 0]) == replay.standing(key).mmr
        same_scores(done.scores(rules)[0], replay_scores(log, own), tol=1e-12)


def test_each_candidate_rounds_its_own_way() -> None:
    """An exact half (which Elo's games all but never produce) goes to even under
    ``evoladder`` and up under ``standard``, in the same pass."""
    elo = Elo([EVOLADDER, STANDARD, *grid([16], [500])], entries=1)
    halves = np.array([[1500.5, 1500.5, 1500.5], [-2.5, -2.5, -2.5], [7.49, 7.49, 7.49]])
    assert elo.round(halves).tolist() == [[1500, 1501, 1501], [-2, -2, -2], [7, 7, 7]]
    assert [EVOLADDER.round(x) for x in (1500.5, -2.5)] == [1500, -2]
    assert [STANDARD.round(x) for x in (1500.5, -2.5)] == [1501, -2]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**9))
def test_one_pass_equals_each_candidates_own_replay(seed: int) -> None:
    """Every default candidate, Glicko-2 included, scores in the one pass as in its own
    plain replay through its rater."""
    log = random_log(seed, n=300)
    since = T0 + timedelta(days=200)
    rules = [c.rules for c in default_candidates(STANDARD)]
    for r, fast in zip(rules, score_all(log, rules, since), strict=True):
        same_scores(fast, score_one(log, r, since))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**9))
def test_one_pass_glicko2_states(seed: int) -> None:
    """Glicko-2's values after the one pass are the scalar replay's. Not to the last bit:
    numpy's vectorised exp and log may differ from libm's in the last place, which moves
    a rating by about 1e-9 (and does not grow with the log: Glicko-2 forgets)."""
    log = random_log(seed, n=300)
    done = Lockstep.run(log, [GLICKO2_RULES])
    g = done.glicko
    assert g is not None
    rater = Glicko2Rater()
    states: dict[Key, Glicko2State] = {}
    for event in log:
        if isinstance(event, LoggedMatch):
            if event.state == VOIDED:
                continue
            s1 = states.get(event.key1, rater.start())
            s2 = states.get(event.key2, rater.start())
            result = 1.0 if event.result == 1 else 0.0 if event.result == 2 else 0.5
            states[event.key1], states[event.key2] = rater.rate(s1, s2, result, event.played_at)
        else:
            before = states.get(event.key, rater.start())
            states[event.key] = apply_event(rater, before, event)
    for key, state in states.items():
        row = done.waves.slots[key]
        assert g.rating[row] == pytest.approx(state.rating, abs=1e-6)
        assert g.rd[row] == pytest.approx(state.rd, abs=1e-6)
        assert g.vol[row] == pytest.approx(state.volatility, abs=1e-9)


def test_calibration_buckets_hold_every_game() -> None:
    log = random_log(7, n=1_500)
    results = evaluate(log, default_candidates(STANDARD)).results
    assert len(results) == 16
    for r in results:
        assert sum(b.games for b in r.calibration) == r.games > 0
        assert [b.low for b in r.calibration] == [i / 10 for i in range(10)]
        assert r.calibration[-1].high == 1.0


def test_since_scores_later_games_after_replaying_from_the_start() -> None:
    log = random_log(11, n=1_000)
    matches = [e for e in log if isinstance(e, LoggedMatch)]
    since = matches[600].played_at
    later = [m for m in matches if m.state != VOIDED and m.played_at >= since]
    scored = evaluate(log, candidates(STANDARD), since).results[0]
    assert scored.games == len(later)
    naive = evaluate(log, candidates(STANDARD), since.replace(tzinfo=None)).results[0]
    assert naive == scored  # a time without an offset is UTC
    want = replay_scores(log, STANDARD, since)
    assert scored.log_loss == pytest.approx(want.log_loss / want.games, rel=1e-12)
    # Replaying only the later part would predict from fresh ratings: not the same.
    fresh = evaluate([e for e in log if e.position >= later[0].position],
                     candidates(STANDARD), since).results[0]  # fmt: skip
    assert fresh.games == scored.games
    assert fresh.log_loss != pytest.approx(scored.log_loss, rel=1e-6)


def test_voided_games_are_neither_scored_nor_rated() -> None:
    log = random_log(5, n=800)
    voided = [e for e in log if isinstance(e, LoggedMatch) and e.state == VOIDED]
    assert voided
    kept = [e for e in log if not (isinstance(e, LoggedMatch) and e.state == VOIDED)]
    every = default_candidates(STANDARD)
    with_void, without = evaluate(log, every).results, evaluate(kept, every).results
    for x, y in zip(with_void, without, strict=True):
        assert x.candidate == y.candidate
        assert x.games == y.games == sum(isinstance(e, LoggedMatch) for e in kept)
        assert x.log_loss == pytest.approx(y.log_loss, rel=1e-12)


def test_default_candidates() -> None:
    """The own rules, the other presets, the grid K x scale with the grid point equal to
    ``standard`` (K 40 / 400, half up) left out: 16 for every preset."""
    for own in (STANDARD, EVOLADDER, GLICKO2_RULES):
        chosen = default_candidates(own)
        assert len(chosen) == 16
        assert chosen[0] == Candidate(own, own=True)
        assert sum(c.own for c in chosen) == 1
        names = [c.name for c in chosen]
        assert sorted(names[:3]) == ["evoladder", "glicko2", "standard"]
        points = {(c.k, c.scale) for c in chosen if c.name == "elo"}
        assert len(points) == 13 and (40, 400) not in points and (40, 500) in points
    assert len(grid()) == 14
    assert [c.name for c in candidates(STANDARD, grid([40], [400]))] == ["standard"]


def test_ranked_json() -> None:
    log = random_log(3, n=600)
    done = evaluate(log, default_candidates(GLICKO2_RULES))
    losses = [r.log_loss for r in done.results]
    assert losses == sorted(losses)  # type: ignore[type-var]
    assert [r.best for r in done.results] == [True] + [False] * 15
    assert done.own is not None and done.own.candidate.name == "glicko2"
    rows = done.as_json()
    assert all(
        list(row) == ["rules", "k", "scale", "games", "log_loss", "brier", "accuracy",
                      "calibration"]
        for row in rows
    )  # fmt: skip
    g = next(row for row in rows if row["rules"] == "glicko2")
    assert g["k"] is None and g["scale"] is None
    std = next(row for row in rows if row["rules"] == "standard")
    assert (std["k"], std["scale"]) == (40, 400)
    assert list(std["calibration"][0]) == ["low", "high", "games", "predicted", "observed"]  # type: ignore[index]


def test_an_empty_log() -> None:
    done = evaluate([], default_candidates(STANDARD))
    assert [r.games for r in done.results] == [0] * 16
    assert all(r.log_loss is None and r.accuracy is None for r in done.results)
    assert not any(r.best for r in done.results)
