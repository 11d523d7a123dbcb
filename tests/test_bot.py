"""Working with the original bot's database, end to end on both stores: stored rules,
the bot's match history imported, verify, and the bot's leaderboard views.

A database "prepared like the bot's" has its three tables (``mmrs_1v1``, ``matches_1v1``,
``players``) with the bot's columns, and a history written by :func:`simulate_bot`: the
bot's rules (K 40 over a scale of 500, Python's ``round``), written out here
independently of ``ladder_cli``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers import invoke, query

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)


def run(home: Path, url: str, *args: object, code: int = 0):  # type: ignore[no-untyped-def]
    result = invoke(home, url, *args)
    assert result.code == code, (args, result.code, result.out, result.err)
    return result


def bot_rate(mmr1: int, mmr2: int, result: int) -> tuple[int, int]:
    """The bot's Elo: result 1 P1 won, 2 P2 won, 0 draw."""
    diff = (mmr2 - mmr1) / 500.0
    e1 = 1.0 / (1.0 + 10.0**diff)
    e2 = 1.0 / (1.0 + 10.0**-diff)
    s1, s2 = {1: (1.0, 0.0), 2: (0.0, 1.0), 0: (0.5, 0.5)}[result]
    return round(mmr1 + 40 * (s1 - e1)), round(mmr2 + 40 * (s2 - e2))


# -- rules stored with the ladder ------------------------------------------------------


def test_rules_default_to_standard_and_are_chosen_once(db_url: str, home: Path) -> None:
    assert run(home, db_url, "rules", "--format", "json").json["preset"] == "standard"
    other = home.parent / "home2"
    run(other, db_url, "init")
    assert run(home, db_url, "rules", "--format", "json").json == {
        "preset": "standard",
        "k": 40,
        "scale": 400,
        "rounding": "half_up",
        "start_mmr": 1500,
        "letters": "percentile",
        "activity_days": None,
    }
    bad = run(home, db_url, "init", "--rules", "evoladder", code=2)
    assert "standard" in bad.err and len(bad.err_lines) == 1
    run(home, db_url, "init", "--rules", "standard")
    run(home, db_url, "init", "--rules", "nonsense", code=2)


def test_evoladder_rules_rate_every_home_the_same(db_url: str, home: Path) -> None:
    run(home, db_url, "init", "--rules", "evoladder")
    other = home.parent / "home2"
    assert run(other, db_url, "rules", "--format", "json").json["scale"] == 500
    run(other, db_url, "init", "--rules", "standard", code=2)
    # 1500 vs 1500 moves 20 under either rules; the next games show the scale and rounding.
    mmr = {1: 1500, 2: 1500}
    race = {1: "bw_terran", 2: "bw_zerg"}
    for winner, loser, home_used in [(1, 2, home), (1, 2, other), (2, 1, home), (1, 2, other)]:
        run(home_used, db_url, "record", winner, race[winner], loser, race[loser])
        new = bot_rate(mmr[winner], mmr[loser], 1)
        mmr[winner], mmr[loser] = new
    rows = dict(query(db_url, "SELECT discord_uid, mmr FROM mmrs_1v1"))
    assert rows == mmr
    assert rows != {1: 1556, 2: 1444}  # what the standard rules would give


def test_evoladder_letters_are_the_bots(db_url: str, home: Path) -> None:
    run(home, db_url, "init", "--rules", "evoladder")
    at = datetime.now(UTC).replace(microsecond=0)
    for uid in range(1, 11):  # ten players, each wins against its own sparring partner
        run(home, db_url, "record", uid, "bw_terran", 100 + uid, "bw_zerg", "--at", at.isoformat())
    # an inactive entry: played 20 days ago, unranked under the 14-day window
    old = (at - timedelta(days=20)).isoformat()
    run(home, db_url, "record", 50, "sc2_zerg", 51, "sc2_zerg", "--at", old)
    board = run(home, db_url, "leaderboard", "--top", "0", "--format", "json").json
    letters = {(r["discord_uid"], r["race"]): r["rank"] for r in board}
    assert letters[50, "sc2_zerg"] == "U" and letters[51, "sc2_zerg"] == "U"
    ranked = [r["rank"] for r in board if r["rank"] != "U"]
    assert len(ranked) == 20
    # 20 ranked entries: floors S0 A1 B4 C4 D4 E4 F1 (18), then D and C: S0 A1 B4 C5 D5 E4 F1
    assert ranked == ["A"] + ["B"] * 4 + ["C"] * 5 + ["D"] * 5 + ["E"] * 4 + ["F"]


@pytest.fixture
def bot_db(db_url: str) -> str:
    """The database with the bot's three tables, empty."""
    return db_url
