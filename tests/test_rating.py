"""Elo and the sequential Ratings engine, checked against hand-computed values.

Contract: K = 40, E1 = 1 / (1 + 10 ** ((mmr2 - mmr1) / 400)), S = 1 / 0 / 0.5,
new = floor(old + K * (S - E) + 0.5), both sides from the pre-match integers.

Powers of ten used below (to 9 significant digits):
    10 ** (100 / 400) = 10 ** 0.25 = 1.77827941
    10 ** (200 / 400) = 10 ** 0.5  = 3.16227766
    10 ** (400 / 400) = 10
    10 ** (800 / 400) = 100
    10 ** (40 / 400)  = 10 ** 0.1  = 1.25892541
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ladder_cli.domain.model import RACES, Entry, MatchJob, QueuedJob, ResetJob
from ladder_cli.domain.rating import K, PoisonJob, Ratings, expected, rate

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def match(p1, r1, p2, r2, result=1, *, at=T0, n1=None, n2=None, seq=1) -> QueuedJob:
    return QueuedJob(seq, MatchJob(p1, r1, p2, r2, result, at, n1, n2))


def reset(uid, race=None, mmr=1500, *, keep_stats=False, seq=1) -> QueuedJob:
    return QueuedJob(seq, ResetJob(uid, race, mmr, keep_stats, T0))


# -- expected score --------------------------------------------------------------------


def test_k_is_40():
    assert K == 40


@pytest.mark.parametrize(
    ("mmr", "opponent", "value"),
    [
        (1500, 1500, 0.5),  # 1 / (1 + 10**0) = 1/2
        (1600, 1400, 0.759746927),  # 1 / (1 + 10**-0.5) = 1 / 1.316227766
        (1400, 1600, 0.240253073),  # 1 / (1 + 10**0.5) = 1 / 4.16227766
        (1900, 1500, 0.909090909),  # 1 / (1 + 10**-1) = 1 / 1.1 = 10/11
        (1500, 1900, 0.0909090909),  # 1 / (1 + 10) = 1/11
        (2300, 1500, 0.990099010),  # 1 / (1 + 1/100) = 100/101
        (1600, 1500, 0.640065),  # 1 / (1 + 1/1.77827941) = 1 / 1.562341325
    ],
)
def test_expected_score(mmr, opponent, value):
    assert expected(mmr, opponent) == pytest.approx(value, abs=1e-6)


@given(st.integers(0, 4000), st.integers(0, 4000))
def test_expected_scores_of_both_sides_sum_to_one(a, b):
    # 1/(1+q) + 1/(1+1/q) = 1/(1+q) + q/(q+1) = 1
    assert expected(a, b) + expected(b, a) == pytest.approx(1.0)


# -- one game --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mmr1", "mmr2", "score1", "after"),
    [
        # Equal ratings, E = 0.5 for both.
        #   win:  1500 + 40*(1 - .5) + .5 = 1520.5 -> 1520
        #         1500 + 40*(0 - .5) + .5 = 1480.5 -> 1480
        (1500, 1500, 1.0, (1520, 1480)),
        #   loss: mirror image
        (1500, 1500, 0.0, (1480, 1520)),
        #   draw: 1500 + 40*0 + .5 = 1500.5 -> 1500 both
        (1500, 1500, 0.5, (1500, 1500)),
        # 1600 vs 1400: E1 = 0.759746927, E2 = 0.240253073, 40*E2 = 9.61012292
        #   P1 wins: 1600 + 9.6101 + .5 = 1610.110 -> 1610;  1400 - 9.6101 + .5 = 1390.890 -> 1390
        #   (a delta of -9.61 rounds to -10, not towards zero to -9)
        (1600, 1400, 1.0, (1610, 1390)),
        #   P1 loses: 40*E1 = 30.3898771: 1600 - 30.3899 + .5 = 1570.110 -> 1570;
        #             1400 + 30.3899 + .5 = 1430.890 -> 1430
        (1600, 1400, 0.0, (1570, 1430)),
        #   draw: 40*(.5 - .759746927) = -10.3898771: 1600 - 10.39 + .5 = 1590.110 -> 1590;
        #         1400 + 10.39 + .5 = 1410.890 -> 1410
        (1600, 1400, 0.5, (1590, 1410)),
        # 1900 vs 1500: E1 = 10/11, E2 = 1/11; 40/11 = 3.63636, 40*10/11 = 36.3636
        #   favourite wins: 1900 + 3.636 + .5 = 1904.136 -> 1904;
        #                   1500 - 3.636 + .5 = 1496.864 -> 1496
        (1900, 1500, 1.0, (1904, 1496)),
        #   upset (P1 = 1500 wins): 1500 + 36.364 + .5 = 1536.864 -> 1536;
        #                            1900 - 36.364 + .5 = 1864.136 -> 1864
        (1500, 1900, 1.0, (1536, 1864)),
        #   draw: 40*(.5 - 10/11) = -16.3636: 1900 - 16.364 + .5 = 1884.136 -> 1884;
        #         1500 + 16.364 + .5 = 1516.864 -> 1516
        (1900, 1500, 0.5, (1884, 1516)),
        # 1600 vs 1500: E2 = 1/(1 + 1.77827941) = 0.359935; 40*E2 = 14.3974
        #   1600 + 14.397 + .5 = 1614.897 -> 1614;  1500 - 14.397 + .5 = 1486.103 -> 1486
        (1600, 1500, 1.0, (1614, 1486)),
        # 2300 vs 1500: E1 = 100/101, E2 = 1/101; 40/101 = 0.39604, 4000/101 = 39.604
        #   favourite wins: 2300 + .396 + .5 = 2300.896 -> 2300; 1500 - .396 + .5 = 1500.104 -> 1500
        (2300, 1500, 1.0, (2300, 1500)),
        #   upset: 1500 + 39.604 + .5 = 1540.104 -> 1540; 2300 - 39.604 + .5 = 2260.896 -> 2260
        (1500, 2300, 1.0, (1540, 2260)),
        #   draw: 40*(.5 - 100/101) = -19.604: 2300 - 19.604 + .5 = 2280.896 -> 2280;
        #         1500 + 19.604 + .5 = 1520.104 -> 1520
        (2300, 1500, 0.5, (2280, 1520)),
    ],
)
def test_rate_hand_computed(mmr1, mmr2, score1, after):
    assert rate(mmr1, mmr2, score1) == after


def test_rate_returns_integers():
    new1, new2 = rate(1600, 1400, 1.0)
    assert type(new1) is int and type(new2) is int


def test_both_sides_use_pre_match_ratings():
    # 1500 vs 1500, P1 wins: P2 uses E2 = 0.5 from the pre-match 1500, giving 1480.
    # Had P2 been computed against P1's new 1520, E2 = 1 / (1 + 10**(20/400)) =
    # 1 / (1 + 1.12201845) = 0.471249 and P2 = floor(1500 - 18.85 + .5) = 1481.
    assert rate(1500, 1500, 1.0)[1] == 1480


def test_rounding_is_half_up():
    # rate() is fed stored integers in practice; half-integer inputs pin the rounding rule.
    # 1500.5 vs 1500.5: E = .5
    #   win:  1500.5 + 20 = 1520.5 -> floor(1521.0) = 1521 (banker's rounding would give 1520)
    #   loss: 1500.5 - 20 = 1480.5 -> floor(1481.0) = 1481 (half up, not away from zero: 1480)
    assert rate(1500.5, 1500.5, 1.0) == (1521, 1481)  # type: ignore[arg-type]
    # 1499.5 vs 1499.5, draw: 1499.5 -> floor(1500.0) = 1500 for both
    assert rate(1499.5, 1499.5, 0.5) == (1500, 1500)  # type: ignore[arg-type]


@given(st.integers(0, 5000), st.integers(0, 5000), st.sampled_from([0.0, 0.5, 1.0]))
def test_rating_points_are_conserved_within_one(a, b, score):
    # K*(S1 - E1) = -K*(S2 - E2), so the two unrounded deltas cancel; rounding each side
    # to an integer can leave at most one point over or under.
    new1, new2 = rate(a, b, score)
    assert abs((new1 + new2) - (a + b)) <= 1
    # and each side moves by at most K
    assert abs(new1 - a) <= K and abs(new2 - b) <= K


@given(st.integers(0, 5000), st.integers(0, 5000))
def test_winner_never_loses_points(a, b):
    new1, new2 = rate(a, b, 1.0)
    assert new1 >= a and new2 <= b


# -- the Ratings engine ----------------------------------------------------------------


def test_new_entries_start_at_1500_with_default_names():
    ratings = Ratings()
    ratings.apply(match(10, "bw_zerg", 20, "sc2_terran", seq=7))
    e1, e2 = ratings.entries[(10, "bw_zerg")], ratings.entries[(20, "sc2_terran")]
    assert (e1.player_name, e2.player_name) == ("Player10", "Player20")
    # 1500 vs 1500, P1 wins -> 1520 / 1480 (see test_rate_hand_computed)
    assert (e1.mmr, e2.mmr) == (1520, 1480)
    assert (e1.games_played, e1.games_won, e1.games_lost, e1.games_drawn) == (1, 1, 0, 0)
    assert (e2.games_played, e2.games_won, e2.games_lost, e2.games_drawn) == (1, 0, 1, 0)
    assert e1.last_played == e2.last_played == T0
    [m] = ratings.matches
    assert (m.p1_mmr_before, m.p1_mmr_after, m.p2_mmr_before, m.p2_mmr_after) == (
        1500, 1520, 1500, 1480,
    )  # fmt: skip
    assert (m.p1_uid, m.p1_race, m.p2_uid, m.p2_race) == (10, "bw_zerg", 20, "sc2_terran")
    assert m.result == 1 and m.seq == 7 and m.played_at == T0


def test_each_race_is_a_separate_entry():
    ratings = Ratings()
    ratings.apply(match(10, "bw_zerg", 20, "bw_terran"))
    ratings.apply(match(20, "sc2_protoss", 10, "sc2_zerg"))
    # the second match is again 1500 vs 1500 (fresh race entries): 1520 / 1480
    assert ratings.entries[(10, "bw_zerg")].mmr == 1520
    assert ratings.entries[(10, "sc2_zerg")].mmr == 1480
    assert ratings.entries[(20, "bw_terran")].mmr == 1480
    assert ratings.entries[(20, "sc2_protoss")].mmr == 1520
    assert len(ratings.entries) == 4


def test_existing_entries_are_the_starting_point():
    ratings = Ratings.from_entries(
        [
            Entry(1, "bw_terran", "Flash", mmr=1600, games_played=4, games_won=3, games_lost=1),
            Entry(2, "bw_zerg", "Jaedong", mmr=1400, games_played=2, games_drawn=2),
        ]
    )
    ratings.apply(match(2, "bw_zerg", 1, "bw_terran", result=0))  # a draw
    # 1400 vs 1600 draw: 1400 + 10.39 + .5 = 1410.89 -> 1410; 1600 - 10.39 + .5 -> 1590
    flash, jd = ratings.entries[(1, "bw_terran")], ratings.entries[(2, "bw_zerg")]
    assert (jd.mmr, flash.mmr) == (1410, 1590)
    assert (flash.games_played, flash.games_won, flash.games_lost, flash.games_drawn) == (
        5, 3, 1, 1,
    )  # fmt: skip
    assert (jd.games_played, jd.games_won, jd.games_lost, jd.games_drawn) == (3, 0, 0, 3)
    assert flash.player_name == "Flash" and jd.player_name == "Jaedong"
    # the batch's change is a delta on the stored row
    change = ratings.changes[(1, "bw_terran")]
    assert (change.played, change.won, change.lost, change.drawn) == (1, 0, 0, 1)
    assert change.absolute is False


def test_consecutive_matches_use_updated_ratings():
    ratings = Ratings()
    ratings.apply(match(1, "bw_terran", 2, "bw_zerg", seq=1))  # 1520 / 1480
    ratings.apply(match(1, "bw_terran", 2, "bw_zerg", seq=2))
    # 1520 vs 1480: E1 = 1 / (1 + 10**(-40/400)) = 1 / (1 + 1/1.25892541) = 0.557312
    # 40 * (1 - .557312) = 17.7075: 1520 + 17.7075 + .5 = 1538.21 -> 1538;
    # 1480 - 17.7075 + .5 = 1462.79 -> 1462
    assert ratings.entries[(1, "bw_terran")].mmr == 1538
    assert ratings.entries[(2, "bw_zerg")].mmr == 1462
    assert [(m.p1_mmr_before, m.p1_mmr_after) for m in ratings.matches] == [
        (1500, 1520),
        (1520, 1538),
    ]
    change = ratings.changes[(1, "bw_terran")]
    assert (change.played, change.won, change.lost, change.drawn) == (2, 2, 0, 0)
    assert change.entry is ratings.entries[(1, "bw_terran")]


def test_explicit_name_renames_every_race_of_the_player():
    ratings = Ratings.from_entries(
        [
            Entry(1, "bw_terran", "Old", mmr=1500, games_played=1, games_won=1),
            Entry(1, "sc2_terran", "Old", mmr=1500, games_played=1, games_lost=1),
        ]
    )
    ratings.apply(match(1, "bw_terran", 2, "bw_zerg", n1="New Name"))
    assert ratings.entries[(1, "bw_terran")].player_name == "New Name"
    assert ratings.entries[(1, "sc2_terran")].player_name == "New Name"
    assert ratings.renamed == {1: "New Name"}
    # a later race of the same player takes the new name, not Player1
    ratings.apply(match(1, "bw_protoss", 2, "bw_zerg"))
    assert ratings.entries[(1, "bw_protoss")].player_name == "New Name"


def test_known_name_is_used_for_a_new_race():
    ratings = Ratings.from_entries([Entry(1, "bw_terran", "Flash")])
    ratings.apply(match(1, "sc2_terran", 2, "sc2_zerg"))
    assert ratings.entries[(1, "sc2_terran")].player_name == "Flash"
    assert ratings.renamed == {}


def test_name_for_a_new_player():
    ratings = Ratings()
    ratings.apply(match(1, "bw_terran", 2, "bw_zerg", n1="[bold]x[/]", n2="Zerg★"))
    assert ratings.entries[(1, "bw_terran")].player_name == "[bold]x[/]"
    assert ratings.entries[(2, "bw_zerg")].player_name == "Zerg★"


def test_draw_counts():
    ratings = Ratings()
    ratings.apply(match(1, "bw_terran", 2, "bw_zerg", result=0))
    for key in ((1, "bw_terran"), (2, "bw_zerg")):
        e = ratings.entries[key]
        assert (e.mmr, e.games_played, e.games_won, e.games_lost, e.games_drawn) == (
            1500, 1, 0, 0, 1,
        )  # fmt: skip
    assert ratings.matches[0].result == 0


def test_last_played_is_the_latest_match():
    later = T0 + timedelta(days=3)
    ratings = Ratings()
    ratings.apply(match(1, "bw_terran", 2, "bw_zerg", at=later))
    ratings.apply(match(1, "bw_terran", 2, "bw_zerg", at=T0))  # entered out of order
    assert ratings.entries[(1, "bw_terran")].last_played == later


# -- resets ----------------------------------------------------------------------------


def _player_with_two_races() -> Ratings:
    return Ratings.from_entries(
        [
            Entry(1, "bw_terran", "Flash", 1700, 10, 7, 2, 1, T0, id=1),
            Entry(1, "sc2_terran", "Flash", 1300, 4, 1, 3, 0, T0, id=2),
            Entry(2, "bw_zerg", "Jaedong", 1500, 3, 1, 1, 1, T0, id=3),
        ]
    )


def test_reset_one_race_clears_stats():
    ratings = _player_with_two_races()
    ratings.apply(reset(1, "bw_terran", 1500))
    bw, sc2 = ratings.entries[(1, "bw_terran")], ratings.entries[(1, "sc2_terran")]
    assert (bw.mmr, bw.games_played, bw.games_won, bw.games_lost, bw.games_drawn) == (
        1500, 0, 0, 0, 0,
    )  # fmt: skip
    assert bw.last_played is None
    # the other race is untouched
    assert (sc2.mmr, sc2.games_played, sc2.last_played) == (1300, 4, T0)
    assert set(ratings.changes) == {(1, "bw_terran")}
    assert ratings.changes[(1, "bw_terran")].absolute is True


def test_reset_all_races():
    ratings = _player_with_two_races()
    ratings.apply(reset(1, None, 1200))
    for race in ("bw_terran", "sc2_terran"):
        e = ratings.entries[(1, race)]
        assert (e.mmr, e.games_played, e.games_won, e.games_lost, e.games_drawn) == (
            1200, 0, 0, 0, 0,
        )  # fmt: skip
        assert ratings.changes[(1, race)].absolute is True
    assert ratings.entries[(2, "bw_zerg")].mmr == 1500
    assert (2, "bw_zerg") not in ratings.changes


def test_reset_keep_stats_changes_only_mmr():
    ratings = _player_with_two_races()
    ratings.apply(reset(1, None, 1500, keep_stats=True))
    bw = ratings.entries[(1, "bw_terran")]
    assert (bw.mmr, bw.games_played, bw.games_won, bw.games_lost, bw.games_drawn) == (
        1500, 10, 7, 2, 1,
    )  # fmt: skip
    assert bw.last_played == T0
    change = ratings.changes[(1, "bw_terran")]
    assert change.absolute is False
    assert (change.played, change.won, change.lost, change.drawn) == (0, 0, 0, 0)


def test_reset_then_match_in_one_batch_is_absolute():
    ratings = _player_with_two_races()
    ratings.apply(reset(1, "bw_terran", 1500, seq=1))
    ratings.apply(match(1, "bw_terran", 2, "bw_zerg", seq=2))
    # after the reset 1500 vs 1500, P1 wins: 1520 / 1480
    bw = ratings.entries[(1, "bw_terran")]
    assert (bw.mmr, bw.games_played, bw.games_won, bw.games_lost, bw.games_drawn) == (
        1520, 1, 1, 0, 0,
    )  # fmt: skip
    change = ratings.changes[(1, "bw_terran")]
    # absolute: the write replaces the stored 10 games with exactly 1
    assert change.absolute is True
    assert (change.played, change.won, change.lost, change.drawn) == (1, 1, 0, 0)
    jd = ratings.changes[(2, "bw_zerg")]
    assert jd.absolute is False and (jd.played, jd.lost) == (1, 1)
    assert ratings.entries[(2, "bw_zerg")].games_played == 4


def test_match_then_reset_in_one_batch_discards_the_match_counts():
    ratings = _player_with_two_races()
    ratings.apply(match(1, "bw_terran", 2, "bw_zerg", seq=1))
    ratings.apply(reset(1, "bw_terran", 1600, seq=2))
    bw = ratings.entries[(1, "bw_terran")]
    assert (bw.mmr, bw.games_played) == (1600, 0)
    change = ratings.changes[(1, "bw_terran")]
    assert change.absolute is True
    assert (change.played, change.won, change.lost, change.drawn) == (0, 0, 0, 0)


def test_reset_of_unknown_player_changes_nothing():
    ratings = _player_with_two_races()
    ratings.apply(reset(99, None, 1500))
    assert ratings.changes == {}
    assert (99, "bw_terran") not in ratings.entries


# -- poison jobs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "job",
    [
        MatchJob(1, "bw_terran", 1, "bw_zerg", 1, T0),  # same player
        MatchJob(1, "bogus", 2, "bw_zerg", 1, T0),
        MatchJob(1, "bw_terran", 2, "BW_ZERG", 1, T0),  # not normalised: not a race
        MatchJob(1, "bw_terran", 2, "bw_zerg", 2, T0),  # result neither 1 nor 0
        MatchJob(1, "bw_terran", 2, "bw_zerg", -1, T0),
        ResetJob(1, "bogus", 1500, False, T0),
    ],
)
def test_invalid_jobs_are_poison_and_change_nothing(job):
    ratings = _player_with_two_races()
    before = {k: (e.mmr, e.games_played, e.player_name) for k, e in ratings.entries.items()}
    with pytest.raises(PoisonJob):
        ratings.apply(QueuedJob(1, job))
    after = {k: (e.mmr, e.games_played, e.player_name) for k, e in ratings.entries.items()}
    assert after == before
    assert ratings.changes == {} and ratings.matches == []


def test_poison_job_is_a_value_error():
    assert issubclass(PoisonJob, ValueError)


# -- properties over random batches ----------------------------------------------------

matches_strategy = st.lists(
    st.tuples(
        st.integers(1, 5),
        st.sampled_from(RACES),
        st.integers(1, 5),
        st.sampled_from(RACES),
        st.sampled_from([0, 1]),
    ).filter(lambda m: m[0] != m[2]),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(matches_strategy)
def test_counts_are_consistent_after_any_batch(games):
    ratings = Ratings()
    for seq, (p1, r1, p2, r2, result) in enumerate(games, 1):
        ratings.apply(match(p1, r1, p2, r2, result, seq=seq))
    entries = list(ratings.entries.values())
    for e in entries:
        assert e.games_played == e.games_won + e.games_lost + e.games_drawn
        change = ratings.changes[e.key]
        # no resets: changes are deltas from zero, equal to the entry's counts
        assert not change.absolute
        assert (change.played, change.won, change.lost, change.drawn) == (
            e.games_played, e.games_won, e.games_lost, e.games_drawn,
        )  # fmt: skip
    assert sum(e.games_played for e in entries) == 2 * len(games)
    assert sum(e.games_won for e in entries) == sum(e.games_lost for e in entries)
    assert sum(e.games_won for e in entries) == sum(r for *_, r in games)
    assert len(ratings.matches) == len(games)
    # every match conserves rating points within one, so the batch within len(games)
    total = sum(e.mmr for e in entries)
    assert abs(total - 1500 * len(entries)) <= len(games)
    for m in ratings.matches:
        assert abs((m.p1_mmr_after + m.p2_mmr_after) - (m.p1_mmr_before + m.p2_mmr_before)) <= 1


@settings(max_examples=40, deadline=None)
@given(matches_strategy)
def test_replaying_a_batch_is_deterministic(games):
    def run() -> list[tuple[int, int]]:
        ratings = Ratings()
        for seq, (p1, r1, p2, r2, result) in enumerate(games, 1):
            ratings.apply(match(p1, r1, p2, r2, result, seq=seq))
        return [(m.p1_mmr_after, m.p2_mmr_after) for m in ratings.matches]

    assert run() == run()
