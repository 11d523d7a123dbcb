"""``ladder evaluate`` through the command, on both stores: its log-loss, Brier, accuracy and
calibration equal a hand computation (written here from the contract's formulas, Elo from
scratch and Glicko-2 from the paper in ``tests/helpers.py``) to 1e-4, over a log with an
adjustment, a reset and a voided game; ``--since`` scores only the later games; the table
marks the best and the current rules beside the coin flip, and fits 80 columns."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import invoke, paper_expected
from tests.test_glicko2_ladder import Paper
from tests.test_rules_switch import ADJUSTED, GAMES, RESET, VOIDED, build

Key = tuple[int, str]
Scored = list[tuple[float, float]]  # (p, s) of each scored game, P1's side


def elo_predictions(k: int, scale: int, since: datetime | None = None) -> Scored:
    """The log of ``build`` under Elo (``k``, ``scale``): every rated game's P1 prediction
    before it is applied, and its score."""
    mmr: dict[Key, int] = {}
    out: Scored = []
    for i, (a, b, r, at) in enumerate(GAMES, start=1):
        if i == 41:
            mmr[ADJUSTED] -= 20
            mmr[RESET] = 1450
        m1, m2 = mmr.setdefault(a, 1500), mmr.setdefault(b, 1500)
        if i == VOIDED:
            continue
        s = 1.0 if r == 1 else 0.5
        p = 1 / (1 + 10 ** ((m2 - m1) / scale))
        if since is None or at >= since:
            out.append((p, s))
        mmr[a] = math.floor(m1 + k * (s - p) + 0.5)
        mmr[b] = math.floor(m2 + k * ((1 - s) - (1 - p)) + 0.5)
    return out


def glicko_predictions(since: datetime | None = None) -> Scored:
    paper = Paper()
    out: Scored = []
    for i, (a, b, r, at) in enumerate(GAMES, start=1):
        if i == 41:
            paper.adjust(ADJUSTED, -20)
            paper.reset(RESET, 1450)
        s = None if i == VOIDED else 1.0 if r == 1 else 0.5
        if s is not None and (since is None or at >= since):
            out.append((paper_expected(paper.side(a), paper.side(b), at), s))
        paper.match(a, b, s, at)
    return out


def by_hand(scored: Scored) -> dict[str, Any]:
    """The contract's metrics: log-loss (p clipped to [1e-15, 1 - 1e-15]), Brier, accuracy
    over decisive games (p = 0.5 counts half), ten buckets of p counting both sides."""
    n = len(scored)
    clip = [(min(max(p, 1e-15), 1 - 1e-15), s) for p, s in scored]
    decisive = [(p, s) for p, s in scored if s != 0.5]
    right = sum(0.5 if p == 0.5 else float((p > 0.5) == (s == 1)) for p, s in decisive)
    buckets: list[list[tuple[float, float]]] = [[] for _ in range(10)]
    for p, s in scored:
        for q, t in ((p, s), (1 - p, 1 - s)):
            buckets[min(int(q * 10), 9)].append((q, t))
    calibration = [
        (len(b), sum(q for q, _ in b) / len(b) if b else None,
         sum(t for _, t in b) / len(b) if b else None)
        for b in buckets
    ]  # fmt: skip
    return {
        "games": n,
        "log_loss": sum(-(s * math.log(p) + (1 - s) * math.log(1 - p)) for p, s in clip) / n,
        "brier": sum((p - s) ** 2 for p, s in scored) / n,
        "accuracy": right / len(decisive) if decisive else None,
        "calibration": calibration,
    }


def check(found: dict[str, Any], expected: dict[str, Any]) -> None:
    assert found["games"] == expected["games"]
    for key in ("log_loss", "brier", "accuracy"):
        assert found[key] == pytest.approx(expected[key], abs=1e-4), key
    buckets = found["calibration"]
    assert [(b["low"], b["high"]) for b in buckets] == [
        pytest.approx((i / 10, (i + 1) / 10)) for i in range(10)
    ]
    for b, (games, predicted, observed) in zip(buckets, expected["calibration"], strict=True):
        assert b["games"] == games
        if games == 0:
            assert b["predicted"] is None and b["observed"] is None
        else:
            assert b["predicted"] == pytest.approx(predicted, abs=1e-4)
            assert b["observed"] == pytest.approx(observed, abs=1e-4)


def evaluated(home: Path, url: str, *args: object) -> dict[tuple[str, int | None, int | None], Any]:
    done = invoke(home, url, "evaluate", "--format", "json", *args)
    assert done.code == 0, done.err
    rows: list[dict[str, Any]] = done.json
    assert [r["log_loss"] for r in rows] == sorted(r["log_loss"] for r in rows)
    return {(r["rules"], r["k"], r["scale"]): r for r in rows}


@pytest.mark.parametrize("rules", ["standard", "glicko2"])
def test_metrics_equal_a_hand_computation(db_url: str, home: Path, rules: str) -> None:
    build(db_url, home, rules)
    found = evaluated(home, db_url, "--rules", "standard", "--rules", "glicko2",
                      "--k", "24", "--scale", "500")  # fmt: skip
    assert set(found) == {("standard", 40, 400), ("glicko2", None, None), ("elo", 24, 500)}
    check(found["standard", 40, 400], by_hand(elo_predictions(40, 400)))
    check(found["elo", 24, 500], by_hand(elo_predictions(24, 500)))
    check(found["glicko2", None, None], by_hand(glicko_predictions()))
    assert found["standard", 40, 400]["games"] == len(GAMES) - 1  # the voided one unscored


def test_since_scores_only_the_later_games(db_url: str, home: Path) -> None:
    build(db_url, home, "glicko2")
    since = GAMES[55][3].replace(microsecond=0) - timedelta(seconds=1)
    found = evaluated(home, db_url, "--rules", "standard", "--since",
                      since.strftime("%Y-%m-%dT%H:%M:%S"))  # fmt: skip
    later = by_hand(glicko_predictions(since))
    assert later["games"] == len(GAMES) - 55
    check(found["glicko2", None, None], later)
    check(found["standard", 40, 400], by_hand(elo_predictions(40, 400, since)))


def test_the_table_marks_the_best_and_the_current_rules(
    db_url: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(db_url, home, "standard")
    monkeypatch.setenv("COLUMNS", "80")
    found = evaluated(home, db_url)
    assert len(found) == 16  # the defaults: standard, evoladder, glicko2, 13 more Elo points
    best = min(found.values(), key=lambda r: r["log_loss"])
    current = found["standard", 40, 400]
    done = invoke(home, db_url, "evaluate")
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert max(len(line) for line in lines) <= 80, done.out
    marked = [line for line in lines if line.lstrip().startswith("★")]
    assert len(marked) == 1 and f"{best['log_loss']:.4f}" in marked[0]
    assert any(line.rstrip().endswith("current") and "standard" in line for line in lines)
    coin = next(line for line in lines if "coin flip" in line)
    assert f"{math.log(2):.4f}" in coin and "0.2500" in coin
    if best is not current:
        verdict = next(line for line in lines if line.startswith("best:"))
        assert f"{current['log_loss'] - best['log_loss']:.4f}" in verdict


def test_offline_evaluate_exits_1_naming_the_cause(tmp_path: Path) -> None:
    """The log lives in the database: with none reachable, exit 1 and say why."""
    url = "postgresql://ladder@127.0.0.1:9/nowhere?connect_timeout=1"
    done = invoke(tmp_path, url, "evaluate")
    assert done.code == 1
    assert "evaluate" in done.err and done.err.count("\n") <= 3, done.err
    assert "Traceback" not in done.err
