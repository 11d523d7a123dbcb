"""Letter ranks and leaderboard order.

Contract: entries with at least one game, ordered mmr DESC, last_played DESC, id DESC;
the entry at 0-based position i of n has percentile 100*i/n and gets S below 1, A below 8,
B below 29, C below 50, D below 71, E below 92, F otherwise. No games (or, with an
activity window, no game inside it): U.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ladder_cli.domain.frames import frame_from_entries
from ladder_cli.domain.model import RACES, Entry
from ladder_cli.domain.ranks import (
    LEADERBOARD_COLUMNS,
    in_order,
    leaderboard_in_order,
    letter_for,
    race_positions,
    with_ranks,
)
from ladder_cli.domain.ranks import leaderboard as board_of_frame

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def expand(spec: str) -> list[str]:
    """'S1 A7' -> ['S', 'A', 'A', ...]: letters with their counts, in order."""
    out: list[str] = []
    for part in spec.split():
        out += [part[0]] * int(part[1:])
    return out


# Hand-derived letter sequences, position i = 0 .. n-1.
# n = 100: percentile = i. S: i=0; A: 1..7; B: 8..28; C: 29..49; D: 50..70; E: 71..91;
#          F: 92..99  -> 1 + 7 + 21 + 21 + 21 + 21 + 8 = 100
N100 = expand("S1 A7 B21 C21 D21 E21 F8")
# n = 1: i=0 -> 0% -> S
N1 = ["S"]
# n = 3: 0% S; 33.3% (>= 29, < 50) C; 66.7% (>= 50, < 71) D
N3 = ["S", "C", "D"]
# n = 13: 100*i/13 = 0, 7.69, 15.4, 23.1, 30.8, 38.5, 46.2, 53.8, 61.5, 69.2, 76.9, 84.6, 92.3
#         S  A  B  B  C  C  C  D  D  D  E  E  F      (i=9: 900 < 71*13 = 923 -> D;
#         i=12: 1200 >= 92*13 = 1196 -> F; i=1: 100 < 8*13 = 104 -> A)
N13 = ["S", "A", "B", "B", "C", "C", "C", "D", "D", "D", "E", "E", "F"]
# n = 25: percentile = 4*i: 0 S; 4 A; 8 (exactly on the bound, not below 8) B .. 28 B (i=7);
#         32..48 C (i=8..12); 52..68 D (i=13..17); 72..88 E (i=18..22); 92, 96 F
N25 = expand("S1 A1 B6 C5 D5 E5 F2")
# n = 50: percentile = 2*i: 0 S; 2..6 A (i=1..3); 8..28 B (i=4..14); 30..48 C (i=15..24);
#         50..70 D (i=25..35); 72..90 E (i=36..45); 92..98 F (i=46..49)
N50 = expand("S1 A3 B11 C10 D11 E10 F4")
# n = 200: percentile = i/2: i=0,1 (0, 0.5) S; i=2 is exactly 1% -> A; A up to i=15 (7.5);
#          B i=16..57 (8 .. 28.5); C i=58..99; D i=100..141; E i=142..183; F i=184..199
N200 = expand("S2 A14 B42 C42 D42 E42 F16")


@pytest.mark.parametrize(
    ("n", "letters"),
    [(1, N1), (3, N3), (13, N13), (25, N25), (50, N50), (100, N100), (200, N200)],
)
def test_letter_for(n, letters):
    assert len(letters) == n
    assert [letter_for(i, n) for i in range(n)] == letters


def ladder_frame(entries: list[Entry]) -> pl.DataFrame:
    return frame_from_entries(entries)


def played(uid: int, mmr: int, *, race="bw_terran", games=1, at=NOW, id=None) -> Entry:
    return Entry(uid, race, f"P{uid}", mmr, games, games, 0, 0, at, id=uid if id is None else id)


def unplayed(uid: int, mmr: int = 1500, *, race="bw_terran") -> Entry:
    return Entry(uid, race, f"P{uid}", mmr, id=uid)


@pytest.mark.parametrize(
    ("n", "letters"),
    [(1, N1), (3, N3), (13, N13), (25, N25), (50, N50), (100, N100), (200, N200)],
)
def test_with_ranks_matches_the_percentile_rule(n, letters):
    # distinct MMRs, given in shuffled order: uid k has mmr 1000 + k, so the highest uid
    # is first; with_ranks must sort
    uids = list(range(1, n + 1))
    uids = uids[::2] + uids[1::2]
    ranked = with_ranks(ladder_frame([played(u, 1000 + u) for u in uids]))
    assert ranked["discord_uid"].to_list() == list(range(n, 0, -1))
    assert ranked["rank"].to_list() == letters


def test_order_mmr_then_last_played_then_id():
    earlier = NOW - timedelta(days=1)
    entries = [
        played(1, 1500, at=earlier, id=10),
        played(2, 1500, at=NOW, id=1),  # same mmr, later game: before uid 1
        played(3, 1500, at=earlier, id=11),  # same mmr and time as uid 1, higher id: first
        played(4, 1600, at=earlier, id=2),  # highest mmr: first of all
        played(5, 1400, at=NOW, id=99),
    ]
    ranked = with_ranks(ladder_frame(entries))
    assert ranked["discord_uid"].to_list() == [4, 2, 3, 1, 5]


def test_unplayed_entries_are_u_and_not_counted():
    entries = [
        unplayed(1, 2000),  # highest MMR but no games
        played(2, 1700),
        played(3, 1600),
        unplayed(4, 1650),
        played(5, 1500),
    ]
    ranked = with_ranks(ladder_frame(entries))
    got = dict(zip(ranked["discord_uid"], ranked["rank"], strict=True))
    # n = 3 over the played entries: S, C, D (as N3); had the unplayed counted (n = 5),
    # uid 2 at i=1 would be 20% -> B
    assert got == {1: "U", 4: "U", 2: "S", 3: "C", 5: "D"}


def test_activity_window_makes_stale_entries_unranked():
    fresh, stale = NOW - timedelta(days=3), NOW - timedelta(days=40)
    entries = [
        played(1, 2000, at=stale),
        played(2, 1700, at=fresh),
        played(3, 1600, at=NOW - timedelta(days=30)),  # exactly on the window edge
        played(4, 1500, at=fresh),
    ]
    ranked = with_ranks(ladder_frame(entries), activity_days=30, now=NOW)
    got = dict(zip(ranked["discord_uid"], ranked["rank"], strict=True))
    # n = 3 (uids 2, 3, 4): S, C, D
    assert got == {1: "U", 2: "S", 3: "C", 4: "D"}
    # without a window every entry with games counts: n = 4 -> 0% S, 25% B, 50% D, 75% E
    ranked = with_ranks(ladder_frame(entries))
    got = dict(zip(ranked["discord_uid"], ranked["rank"], strict=True))
    assert got == {1: "S", 2: "B", 3: "D", 4: "E"}


def test_ranks_are_across_races():
    entries = [
        played(1, 1900, race="bw_zerg"),
        played(2, 1800, race="sc2_terran"),
        played(3, 1700, race="bw_zerg"),
    ]
    ranked = with_ranks(ladder_frame(entries))
    assert ranked["rank"].to_list() == N3


def test_empty_frame():
    ranked = with_ranks(ladder_frame([]))
    assert ranked.height == 0 and "rank" in ranked.columns


# -- leaderboard -----------------------------------------------------------------------


def _in_order(frame: pl.DataFrame, **options):
    """The page read from a ladder stored in rank order, as the embedded store keeps it."""
    return leaderboard_in_order(in_order(frame).lazy(), **options)


@pytest.fixture(params=[board_of_frame, _in_order], ids=["frame", "in-order"])
def leaderboard(request):
    """Every leaderboard test runs on both ways of reading a page."""
    return request.param


def _mixed() -> pl.DataFrame:
    return ladder_frame(
        [
            played(1, 2000, race="bw_zerg", games=10),
            played(2, 1900, race="sc2_zerg", games=2),
            played(3, 1800, race="bw_zerg", games=5),
            played(4, 1700, race="sc2_zerg", games=1),
            played(5, 1600, race="bw_zerg", games=3),
            unplayed(6, 2500, race="bw_zerg"),
        ]
    )


def test_leaderboard_columns_and_positions(leaderboard):
    board = leaderboard(_mixed(), top=None)
    assert board.columns == LEADERBOARD_COLUMNS
    assert board["position"].to_list() == [1, 2, 3, 4, 5]
    assert board["discord_uid"].to_list() == [1, 2, 3, 4, 5]
    # n = 5: percentile 20*i: 0 S, 20 B, 40 C, 60 D, 80 E
    assert board["rank"].to_list() == ["S", "B", "C", "D", "E"]
    assert board["position"].dtype == pl.Int64


def test_leaderboard_race_filter_keeps_global_ranks(leaderboard):
    board = leaderboard(_mixed(), race="bw_zerg", top=None)
    assert board["discord_uid"].to_list() == [1, 3, 5]
    assert board["position"].to_list() == [1, 2, 3]  # positions within the filter
    assert board["rank"].to_list() == ["S", "C", "E"]  # letters over all races
    assert set(board["race"]) == {"bw_zerg"}


def test_leaderboard_min_games(leaderboard):
    board = leaderboard(_mixed(), min_games=3, top=None)
    assert board["discord_uid"].to_list() == [1, 3, 5]
    assert board["position"].to_list() == [1, 2, 3]
    # min_games=0 lists the unplayed entry too, unranked; it sorts first on MMR
    board = leaderboard(_mixed(), min_games=0, top=None)
    assert board["discord_uid"].to_list() == [6, 1, 2, 3, 4, 5]
    assert board["rank"].to_list() == ["U", "S", "B", "C", "D", "E"]


def test_leaderboard_top_and_page(leaderboard):
    frame = _mixed()
    assert leaderboard(frame, top=2)["discord_uid"].to_list() == [1, 2]
    page2 = leaderboard(frame, top=2, page=2)
    assert page2["discord_uid"].to_list() == [3, 4]
    assert page2["position"].to_list() == [3, 4]
    assert leaderboard(frame, top=2, page=3)["position"].to_list() == [5]
    assert leaderboard(frame, top=2, page=4).height == 0
    assert leaderboard(frame, top=None).height == 5
    # the default page size is 20
    many = ladder_frame([played(u, 1000 + u) for u in range(1, 31)])
    assert leaderboard(many).height == 20
    assert leaderboard(many, page=2)["position"].to_list() == list(range(21, 31))


def test_leaderboard_pages_beyond_any_ladder(leaderboard):
    frame = _mixed()
    assert leaderboard(frame, top=20, page=300_000_000).height == 0
    assert leaderboard(frame, top=5, page=10**20).height == 0
    assert leaderboard(frame, top=5_000_000_000)["position"].to_list() == [1, 2, 3, 4, 5]


def test_leaderboard_activity_window(leaderboard):
    frame = ladder_frame([played(1, 2000, at=NOW - timedelta(days=100)), played(2, 1500, at=NOW)])
    board = leaderboard(frame, activity_days=7, now=NOW, top=None)
    assert dict(zip(board["discord_uid"], board["rank"], strict=True)) == {1: "U", 2: "S"}


def test_race_positions():
    ranked = with_ranks(_mixed())
    positions = race_positions(ranked)
    got = {
        (uid, race): pos
        for uid, race, pos in positions.select("discord_uid", "race", "position").iter_rows()
    }
    assert got == {
        (6, "bw_zerg"): None,  # no games: no position
        (1, "bw_zerg"): 1,
        (3, "bw_zerg"): 2,
        (5, "bw_zerg"): 3,
        (2, "sc2_zerg"): 1,
        (4, "sc2_zerg"): 2,
    }


# -- both ways of reading a page agree -----------------------------------------------------


_entry = st.builds(
    lambda uid, race, mmr, games, days, rid: Entry(
        uid,
        race,
        f"P{uid}",
        mmr,
        games,
        games,
        0,
        0,
        None if days is None else NOW - timedelta(days=days),
        id=rid,
    ),
    st.integers(1, 10**6),
    st.sampled_from(RACES),
    st.sampled_from([1400, 1500, 1501, 1600]),  # few values: many ties
    st.sampled_from([0, 0, 1, 2, 5]),
    st.sampled_from([None, 0, 0, 1, 10, 40]),
    st.integers(1, 10**6),
)


@settings(max_examples=300, deadline=None)
@given(
    # ids are a primary key: unique, as (player, race) is
    entries=st.lists(
        _entry, max_size=60, unique_by=(lambda e: (e.discord_uid, e.race), lambda e: e.id)
    ),
    race=st.sampled_from([None, *RACES]),
    min_games=st.integers(0, 3),
    top=st.sampled_from([None, 1, 3, 20, 150]),
    page=st.integers(1, 5),
    activity_days=st.sampled_from([None, 7]),
)
def test_a_page_read_in_order_equals_the_page_of_the_frame(
    entries, race, min_games, top, page, activity_days
):
    frame = ladder_frame(entries)
    options = {
        "race": race,
        "min_games": min_games,
        "top": top,
        "page": page,
        "activity_days": activity_days,
        "now": NOW,
    }
    expected = board_of_frame(frame, **options)
    with tempfile.TemporaryDirectory() as tmp:  # scanned from a file, as the store does
        path = Path(tmp) / "ranked.arrow"
        in_order(frame).write_ipc(path)
        got = leaderboard_in_order(pl.scan_ipc(path), **options)
    assert got.equals(expected), (got, expected)
