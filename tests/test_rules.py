"""The rating rules: the two presets' Elo, and fixed allocation of letters.

The ``evoladder`` vectors are the original bot's own unit-test values; the allocation is
checked against an implementation written here the way the bot's ranking service does it
(floats and ``int()``, remainder handed out letter by letter), independent of
``ladder_cli.domain.rules``.
"""

from __future__ import annotations

import math
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ladder_cli.domain.frames import frame_from_entries
from ladder_cli.domain.model import RACES, Entry, MatchJob, QueuedJob
from ladder_cli.domain.ranks import Filters, in_order, leaderboard, leaderboard_in_order, with_ranks
from ladder_cli.domain.rating import Ratings, rate
from ladder_cli.domain.rules import EVOLADDER, PRESETS, STANDARD, Rules, fixed_allocation, preset

NOW = datetime(2026, 6, 1, tzinfo=UTC)


# -- Elo -------------------------------------------------------------------------------


def test_presets():
    assert STANDARD.as_dict() == {
        "preset": "standard",
        "k": 40,
        "scale": 400,
        "rounding": "half_up",
        "start_mmr": 1500,
        "letters": "percentile",
        "activity_days": None,
    }
    assert EVOLADDER.as_dict() == {
        "preset": "evoladder",
        "k": 40,
        "scale": 500,
        "rounding": "half_even",
        "start_mmr": 1500,
        "letters": "fixed",
        "activity_days": 14,
    }
    assert preset("EvoLadder") is EVOLADDER
    assert set(PRESETS) == {"standard", "evoladder"}


@pytest.mark.parametrize(
    ("rules", "mmr1", "mmr2", "score1", "after"),
    [
        # The bot's unit tests: 1700 vs 1500, P2 wins; a draw between 1600 and 1400.
        (EVOLADDER, 1700, 1500, 0.0, (1671, 1529)),
        (EVOLADDER, 1600, 1400, 0.5, (1591, 1409)),
        # Today's rules on the same games (scale 400, half up).
        (STANDARD, 1700, 1500, 0.0, (1670, 1530)),
        (STANDARD, 1600, 1400, 0.5, (1590, 1410)),
    ],
)
def test_vectors(rules, mmr1, mmr2, score1, after):
    assert rate(mmr1, mmr2, score1, rules) == after


def test_an_underdog_win_moves_as_the_bot_moves_it():
    # 1617 beats 2026: E = 1 / (1 + 10 ** (409 / 500)) = 0.1321; 40 * 0.8679 = 34.7 -> +35.
    after, _ = rate(1617, 2026, 1.0, EVOLADDER)
    assert after - 1617 == 35
    # Under the standard rules the same game moves +37 (scale 400: E = 0.0897).
    assert rate(1617, 2026, 1.0, STANDARD)[0] - 1617 == 37


def test_half_even_rounding_differs_from_half_up_on_a_tie():
    # Equal ratings, a draw: 1500 + 0 exactly: both round to 1500. A x.5 case: K 1,
    # scale 400, 1500 vs 1500, P1 wins: 1500 + 0.5 -> half up 1501, half even 1500.
    half_up = Rules("t", k=1, rounding="half_up")
    half_even = Rules("t", k=1, rounding="half_even")
    assert rate(1500, 1500, 1.0, half_up) == (1501, 1500)
    assert rate(1500, 1500, 1.0, half_even) == (1500, 1500)


# -- fixed allocation, independently ---------------------------------------------------

_BOT_SHARES = {"S": 0.01, "A": 0.07, "B": 0.21, "C": 0.21, "D": 0.21, "E": 0.21, "F": 0.08}


def bot_allocation(n: int) -> dict[str, int]:
    """The bot's way: floats truncated by int(), then the remainder one at a time."""
    counts = {letter: int(n * share) for letter, share in _BOT_SHARES.items()}
    remaining = n - sum(counts.values())
    order = ["D", "C", "E", "B"]
    for letter in order:
        if remaining > 0:
            counts[letter] += 1
            remaining -= 1
    order = ["A", "F", "S"] if counts["F"] > counts["S"] + counts["A"] else ["F", "A", "S"]
    for letter in order:
        if remaining > 0:
            counts[letter] += 1
            remaining -= 1
    return counts


def bot_letters(n: int) -> list[str]:
    counts = bot_allocation(n)
    return [letter for letter in "SABCDEF" for _ in range(counts[letter])]


def test_ten_ranked_entries_have_no_s():
    assert bot_allocation(10) == {"S": 0, "A": 0, "B": 2, "C": 3, "D": 3, "E": 2, "F": 0}
    assert fixed_allocation(10) == bot_allocation(10)


def test_allocation_counts():
    for n in range(0, 20_001):
        counts = fixed_allocation(n)
        assert counts == bot_allocation(n), n
        assert sum(counts.values()) == n


def _entries(n: int, *, inactive: int = 0, unplayed: int = 0) -> list[Entry]:
    """n ranked entries with distinct MMRs, then inactive and unplayed ones mixed in
    (their MMRs interleave with the ranked ones, so they sit among them in the order)."""
    out = []
    for i in range(n):
        out.append(Entry(i + 1, "bw_terran", f"P{i}", 3000 - 2 * i, 1, 1, 0, 0, NOW, id=i + 1))
    for j in range(inactive):
        old = NOW - timedelta(days=15 + j)
        uid = 10_000 + j
        out.append(Entry(uid, "bw_zerg", f"I{j}", 3001 - 3 * j, 4, 2, 2, 0, old, id=uid))
    for j in range(unplayed):
        uid = 20_000 + j
        out.append(Entry(uid, "sc2_zerg", f"U{j}", 2999 - 5 * j, id=uid))
    return out


def _letters_by_uid(frame: pl.DataFrame) -> dict[int, str]:
    return dict(frame.select("discord_uid", "rank").iter_rows())


@pytest.mark.parametrize("n", range(1, 301))
def test_with_ranks_allocates_like_the_bot(n):
    frame = frame_from_entries(_entries(n))
    ranked = with_ranks(frame, rules=EVOLADDER, now=NOW)
    assert ranked["rank"].to_list() == bot_letters(n)


@pytest.mark.parametrize(("n", "inactive", "unplayed"), [(10, 5, 3), (1, 3, 0), (37, 20, 7)])
def test_the_activity_window_cuts_entries_out_of_the_allocation(n, inactive, unplayed):
    frame = frame_from_entries(_entries(n, inactive=inactive, unplayed=unplayed))
    ranked = with_ranks(frame, rules=EVOLADDER, now=NOW)
    letters = _letters_by_uid(ranked)
    active = [letters[uid] for uid in range(1, n + 1)]
    assert active == bot_letters(n)
    others = [letter for uid, letter in letters.items() if uid > n]
    assert others == ["U"] * (inactive + unplayed)
    if n == 10:
        counts = {letter: active.count(letter) for letter in "SABCDEF"}
        assert counts == {"S": 0, "A": 0, "B": 2, "C": 3, "D": 3, "E": 2, "F": 0}
    # Without the window (the standard rules' default), the inactive entries are ranked.
    assert "U" not in with_ranks(frame_from_entries(_entries(n, inactive=inactive)))["rank"]


@pytest.mark.parametrize("top", [None, 3, 20])
@pytest.mark.parametrize("n", [1, 10, 57, 150])
def test_every_leaderboard_path_agrees_under_evoladder(n, top):
    frame = frame_from_entries(_entries(n, inactive=6, unplayed=2))
    options = {"top": top, "rules": EVOLADDER, "now": NOW, "min_games": 0}
    expected = leaderboard(frame, **options, filters=Filters(races=tuple(RACES)))  # full path
    fast = leaderboard(frame, **options)  # the top-k page for small pages
    assert fast.equals(expected)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ranked.arrow"
        in_order(frame).write_ipc(path)
        assert leaderboard_in_order(pl.scan_ipc(path), **options).equals(expected)


# -- random histories under both presets ------------------------------------------------


def independent_replay(
    matches: list[tuple[int, str, int, str, int]], rules: Rules
) -> dict[tuple[int, str], tuple[int, int, int, int]]:
    """(mmr, won, lost, drawn) per entry, from the formula written out here."""
    state: dict[tuple[int, str], list[int]] = {}
    for p1, r1, p2, r2, result in matches:
        a = state.setdefault((p1, r1), [rules.start_mmr, 0, 0, 0])
        b = state.setdefault((p2, r2), [rules.start_mmr, 0, 0, 0])
        s1 = 1.0 if result == 1 else 0.5
        e1 = 1 / (1 + 10 ** ((b[0] - a[0]) / rules.scale))
        e2 = 1 / (1 + 10 ** ((a[0] - b[0]) / rules.scale))
        x1 = a[0] + rules.k * (s1 - e1)
        x2 = b[0] + rules.k * ((1 - s1) - e2)
        if rules.rounding == "half_even":
            n1, n2 = round(x1), round(x2)
        else:
            n1, n2 = math.floor(x1 + 0.5), math.floor(x2 + 0.5)
        a[0], b[0] = n1, n2
        if result == 1:
            a[1] += 1
            b[2] += 1
        else:
            a[3] += 1
            b[3] += 1
    return {key: (v[0], v[1], v[2], v[3]) for key, v in state.items()}


_match = st.tuples(
    st.integers(1, 8), st.sampled_from(RACES[:2]), st.integers(1, 8), st.sampled_from(RACES[:2])
).filter(lambda m: m[0] != m[2])


@settings(max_examples=150, deadline=None)
@given(
    matches=st.lists(
        st.tuples(_match, st.sampled_from([1, 1, 0])).map(lambda t: (*t[0], t[1])), max_size=80
    ),
    rules=st.sampled_from([STANDARD, EVOLADDER]),
)
def test_random_histories_replay_as_the_formula_says(matches, rules):
    ratings = Ratings(rules=rules)
    for seq, (p1, r1, p2, r2, result) in enumerate(matches, start=1):
        ratings.apply(QueuedJob(seq, MatchJob(p1, r1, p2, r2, result, NOW)))
    got = {
        key: (e.mmr, e.games_won, e.games_lost, e.games_drawn) for key, e in ratings.entries.items()
    }
    assert got == independent_replay(matches, rules)
    for e in ratings.entries.values():
        assert e.games_played == e.games_won + e.games_lost + e.games_drawn
    # Letters of the result: fixed allocation (or percentiles) over the replayed entries.
    entries = list(ratings.entries.values())
    for i, entry in enumerate(entries, start=1):
        entry.id = i
    if entries:
        ranked = with_ranks(frame_from_entries(entries), rules=rules, now=NOW)
        letters = ranked["rank"].to_list()
        if rules is EVOLADDER:
            assert letters == bot_letters(len(entries))
        else:
            n = len(entries)
            bounds = (("S", 1), ("A", 8), ("B", 29), ("C", 50), ("D", 71), ("E", 92))
            want = [next((lt for lt, b in bounds if 100 * i < b * n), "F") for i in range(n)]
            assert letters == want
