"""The library API (:class:`ladder_cli.Ladder`) on both stores: ratings, players, the
queue, resets, leaderboards and the match log, all checked against the contract.

Every test runs twice (``db_url`` is the embedded SQLite file and a real PostgreSQL
database); the database is inspected directly with its own driver, never only through
the code under test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ladder_cli import Ladder
from ladder_cli.domain.model import MatchJob
from ladder_cli.util.errors import BadInput
from tests.helpers import elo, query

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# -- helpers --------------------------------------------------------------------------


def db_entries(url: str) -> dict[tuple[int, str], dict[str, Any]]:
    rows = query(
        url,
        "SELECT discord_uid, race, player_name, mmr, games_played, games_won, games_lost, "
        "games_drawn FROM mmrs_1v1",
    )
    keys = ("player_name", "mmr", "games_played", "games_won", "games_lost", "games_drawn")
    return {(int(r[0]), r[1]): dict(zip(keys, r[2:], strict=True)) for r in rows}


def table_count(url: str, table: str) -> int:
    rows = query(url, f"SELECT count(*) FROM {table}")
    return int(rows[0][0])


class Reference:
    """A tiny independent model of the ladder to compare against."""

    def __init__(self) -> None:
        self.mmr: dict[tuple[int, str], int] = {}
        self.games: dict[tuple[int, str], list[int]] = {}  # played, won, lost, drawn

    def match(self, p1: int, r1: str, p2: int, r2: str, result: int) -> None:
        k1, k2 = (p1, r1), (p2, r2)
        a, b = self.mmr.get(k1, 1500), self.mmr.get(k2, 1500)
        self.mmr[k1], self.mmr[k2] = elo(a, b, 1.0 if result == 1 else 0.5)
        for key, won, lost in ((k1, result, 0), (k2, 0, result)):
            g = self.games.setdefault(key, [0, 0, 0, 0])
            g[0] += 1
            g[1] += won
            g[2] += lost
            g[3] += 1 - result


def board(ladder: Ladder, **kwargs: Any) -> list[dict[str, Any]]:
    return ladder.leaderboard(top=0, **kwargs).to_dicts()


def by_key(rows: list[dict[str, Any]]) -> dict[tuple[int, str], dict[str, Any]]:
    return {(r["discord_uid"], r["race"]): r for r in rows}


@pytest.fixture
def ladder(db_url: str, home: Path) -> Any:
    with Ladder.open(db=db_url, home=home) as lad:
        lad.init()
        yield lad


def nothing_queued(ladder: Ladder) -> bool:
    status = ladder.wal_status()
    return status.pending == 0 and status.failed == 0


# -- record: ratings ------------------------------------------------------------------


def test_elo_reference_matches_hand_computed_values() -> None:
    # Worked by hand: equal ratings, a win moves 20 points each way.
    assert elo(1500, 1500, 1.0) == (1520, 1480)
    # E1 = 1 / (1 + 10 ** (-20 / 400)) = 0.52875; 1520 + 40 * (0.5 - 0.52875) = 1518.85
    assert elo(1520, 1500, 0.5) == (1519, 1501)
    # E(1480 vs 1520) = 0.44269; 1480 + 40 * 0.55731 = 1502.29; 1520 - 22.29 = 1497.71
    assert elo(1480, 1520, 1.0) == (1502, 1498)


def test_first_match_creates_players_with_default_names(ladder: Ladder, db_url: str) -> None:
    outcome = ladder.record(111, "bw_terran", 222, "bw_zerg", at=T0)
    assert outcome.applied and outcome.pending == 0
    [m] = outcome.matches
    assert (m.p1_mmr_before, m.p1_mmr_after, m.p2_mmr_before, m.p2_mmr_after) == (
        1500,
        1520,
        1500,
        1480,
    )
    assert db_entries(db_url) == {
        (111, "bw_terran"): {
            "player_name": "Player111",
            "mmr": 1520,
            "games_played": 1,
            "games_won": 1,
            "games_lost": 0,
            "games_drawn": 0,
        },
        (222, "bw_zerg"): {
            "player_name": "Player222",
            "mmr": 1480,
            "games_played": 1,
            "games_won": 0,
            "games_lost": 1,
            "games_drawn": 0,
        },
    }
    rows = board(ladder)
    assert [(r["discord_uid"], r["player_name"], r["mmr"]) for r in rows] == [
        (111, "Player111", 1520),
        (222, "Player222", 1480),
    ]


def test_before_and_after_follow_elo_over_a_sequence(ladder: Ladder, db_url: str) -> None:
    games = [
        (1, "bw_terran", 2, "bw_zerg", 1),
        (2, "bw_zerg", 1, "bw_terran", 1),
        (1, "bw_terran", 3, "bw_protoss", 0),
        (3, "bw_protoss", 2, "bw_zerg", 1),
        (1, "sc2_zerg", 2, "sc2_terran", 1),
        (4, "sc2_protoss", 1, "sc2_zerg", 0),
        (3, "bw_protoss", 1, "bw_terran", 1),
        (2, "bw_zerg", 4, "bw_terran", 1),
    ]
    ref = Reference()
    for i, (p1, r1, p2, r2, result) in enumerate(games):
        before = (ref.mmr.get((p1, r1), 1500), ref.mmr.get((p2, r2), 1500))
        ref.match(p1, r1, p2, r2, result)
        after = (ref.mmr[(p1, r1)], ref.mmr[(p2, r2)])
        outcome = ladder.record(p1, r1, p2, r2, draw=result == 0, at=T0 + timedelta(minutes=i))
        [m] = outcome.matches
        assert (m.p1_mmr_before, m.p2_mmr_before) == before
        assert (m.p1_mmr_after, m.p2_mmr_after) == after
        assert m.result == result
    stored = db_entries(db_url)
    assert {k: v["mmr"] for k, v in stored.items()} == ref.mmr
    assert {
        k: [v["games_played"], v["games_won"], v["games_lost"], v["games_drawn"]]
        for k, v in stored.items()
    } == ref.games
    shown = by_key(board(ladder))
    assert {k: r["mmr"] for k, r in shown.items()} == ref.mmr
    assert table_count(db_url, "ladder_matches") == len(games)


def test_draw_counts_for_both_and_moves_ratings_toward_each_other(
    ladder: Ladder, db_url: str
) -> None:
    ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0)  # 1520 / 1480
    outcome = ladder.record(1, "bw_terran", 2, "bw_zerg", draw=True, at=T0 + timedelta(1))
    [m] = outcome.matches
    assert m.result == 0
    assert (m.p1_mmr_after, m.p2_mmr_after) == elo(1520, 1480, 0.5) == (1518, 1482)
    stored = db_entries(db_url)
    assert stored[(1, "bw_terran")]["games_drawn"] == 1
    assert stored[(2, "bw_zerg")]["games_drawn"] == 1
    assert stored[(1, "bw_terran")]["games_won"] == 1
    assert stored[(2, "bw_zerg")]["games_lost"] == 1
    assert stored[(1, "bw_terran")]["games_played"] == 2
    [latest, _] = ladder.history(limit=None)
    assert latest.result == 0


def test_p1_and_p2_names_set_and_rename_every_race(ladder: Ladder, db_url: str) -> None:
    ladder.record(1, "bw_terran", 2, "bw_zerg", p1_name="Alice", p2_name="Bob", at=T0)
    ladder.record(1, "sc2_zerg", 3, "sc2_terran", at=T0 + timedelta(minutes=1))
    names = {k: v["player_name"] for k, v in db_entries(db_url).items()}
    assert names == {
        (1, "bw_terran"): "Alice",
        (2, "bw_zerg"): "Bob",
        (1, "sc2_zerg"): "Alice",  # a new race keeps the player's name
        (3, "sc2_terran"): "Player3",
    }
    # Renaming through one race renames the player everywhere.
    ladder.record(3, "sc2_terran", 1, "sc2_zerg", p2_name="Alicia", at=T0 + timedelta(2))
    names = {k: v["player_name"] for k, v in db_entries(db_url).items()}
    assert names[(1, "bw_terran")] == names[(1, "sc2_zerg")] == "Alicia"
    assert {r["player_name"] for r in board(ladder) if r["discord_uid"] == 1} == {"Alicia"}
    assert ladder.profile("alicia").player_name == "Alicia"
    with pytest.raises(BadInput):
        ladder.profile("Alice")


def test_at_with_and_without_offset_is_stored_in_utc(ladder: Ladder) -> None:
    plus2 = timezone(timedelta(hours=2))
    ladder.record(1, "bw_terran", 2, "bw_zerg", at=datetime(2026, 1, 1, 12, 0, tzinfo=plus2))
    ladder.record(1, "bw_terran", 2, "bw_zerg", at=datetime(2026, 1, 2, 9, 30, 15))
    played = sorted(m.played_at for m in ladder.history(limit=None))
    assert played == [
        datetime(2026, 1, 1, 10, 0, tzinfo=UTC),
        datetime(2026, 1, 2, 9, 30, 15, tzinfo=UTC),
    ]
    assert [m.as_dict()["played_at"] for m in ladder.history(limit=None)] == [
        "2026-01-02T09:30:15+00:00",
        "2026-01-01T10:00:00+00:00",
    ]
    [entry] = [r for r in board(ladder) if r["discord_uid"] == 1]
    assert entry["last_played"] == datetime(2026, 1, 2, 9, 30, 15, tzinfo=UTC)


def test_without_at_the_match_is_played_now(ladder: Ladder) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    ladder.record(1, "bw_terran", 2, "bw_zerg")
    after = datetime.now(UTC)
    [m] = ladder.history()
    assert before <= m.played_at <= after
    assert m.played_at.utcoffset() == timedelta(0)


# -- record: players by name ----------------------------------------------------------


def test_names_resolve_case_insensitively(ladder: Ladder, db_url: str) -> None:
    ladder.record(1, "bw_terran", 2, "bw_zerg", p1_name="Flash", p2_name="Jaedong", at=T0)
    outcome = ladder.record("jAEDONG", "bw_zerg", "FLASH", "bw_terran", at=T0 + timedelta(1))
    [m] = outcome.matches
    assert (m.p1_uid, m.p2_uid) == (2, 1)
    assert ladder.resolve_player("flash") == 1
    assert ladder.resolve_player(" 2 ") == 2
    assert ladder.profile("FlAsH").discord_uid == 1
    assert db_entries(db_url)[(2, "bw_zerg")]["games_won"] == 1


def test_unknown_name_is_bad_input_and_writes_nothing(ladder: Ladder, db_url: str) -> None:
    ladder.record(1, "bw_terran", 2, "bw_zerg", p1_name="Flash", at=T0)
    before = db_entries(db_url)
    with pytest.raises(BadInput, match="Nobody"):
        ladder.record("Nobody", "bw_terran", 1, "bw_zerg")
    with pytest.raises(BadInput, match="Nobody"):
        ladder.record(1, "bw_terran", "Nobody", "bw_zerg")
    assert nothing_queued(ladder)
    assert db_entries(db_url) == before
    assert table_count(db_url, "ladder_matches") == 1


def test_unknown_name_lists_close_candidates(ladder: Ladder, db_url: str) -> None:
    ladder.record(1, "bw_terran", 2, "bw_zerg", p1_name="Flash", p2_name="Jaedong", at=T0)
    ladder.record(3, "bw_protoss", 2, "bw_zerg", p1_name="Bisu", at=T0)
    with pytest.raises(BadInput) as info:
        ladder.profile("flsh")
    message = str(info.value)
    assert "did you mean Flash (1)?" in message
    assert "Bisu" not in message and "Jaedong" not in message
    with pytest.raises(BadInput) as info:
        ladder.profile("zzzzzz")
    assert "did you mean" not in str(info.value)


def test_ambiguous_name_lists_candidates_and_writes_nothing(ladder: Ladder, db_url: str) -> None:
    ladder.record(10, "bw_terran", 20, "bw_zerg", p1_name="Twin", p2_name="twin", at=T0)
    before = db_entries(db_url)
    with pytest.raises(BadInput, match="ambiguous") as info:
        ladder.record("TWIN", "bw_terran", 30, "bw_zerg")
    assert "10" in str(info.value) and "20" in str(info.value)
    with pytest.raises(BadInput, match="ambiguous"):
        ladder.profile("twin")
    assert nothing_queued(ladder)
    assert db_entries(db_url) == before
    # The uid always works.
    assert ladder.profile(20).player_name == "twin"


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((1, "bw_terran", 1, "bw_zerg"), {}, "same player"),
        ((1, "bw_terrran", 2, "bw_zerg"), {}, "did you mean bw_terran"),
        ((1, "bw_terran", 2, "starcraft"), {}, "unknown P2 race"),
        ((0, "bw_terran", 2, "bw_zerg"), {}, "out of range"),
        ((2**63, "bw_terran", 2, "bw_zerg"), {}, "out of range"),
        ((1, "bw_terran", 2, "bw_zerg"), {"p1_name": ""}, "empty"),
        ((1, "bw_terran", 2, "bw_zerg"), {"p2_name": "x" * 65}, "64"),
        ((1, "bw_terran", 2, "bw_zerg"), {"p1_name": "a\x1b[31mb"}, "control character"),
    ],
)
def test_invalid_matches_write_nothing(
    ladder: Ladder, db_url: str, args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        ladder.record(*args, **kwargs)
    assert nothing_queued(ladder)
    assert db_entries(db_url) == {}


def test_largest_uid_and_longest_name_are_accepted(ladder: Ladder, db_url: str) -> None:
    big = 2**63 - 1
    ladder.record(big, "bw_terran", 1, "bw_zerg", p1_name="n" * 64, at=T0)
    assert db_entries(db_url)[(big, "bw_terran")]["player_name"] == "n" * 64
    assert ladder.profile(big).discord_uid == big


# -- the queue ------------------------------------------------------------------------


def test_no_flush_queues_and_flush_applies_exactly_once(ladder: Ladder, db_url: str) -> None:
    ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0)
    outcome = ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0 + timedelta(1), flush=False)
    assert not outcome.applied
    assert outcome.pending == 1
    assert ladder.wal_status().pending == 1
    # Nothing reached the database yet...
    assert db_entries(db_url)[(1, "bw_terran")]["games_played"] == 1
    # ...but reads include the pending write.
    assert by_key(board(ladder))[(1, "bw_terran")]["games_played"] == 2
    assert len(ladder.history(limit=None)) == 2

    report = ladder.flush()
    assert (report.applied, report.already_applied, report.pending) == (1, 0, 0)
    assert ladder.wal_status().pending == 0
    stored = db_entries(db_url)
    assert stored[(1, "bw_terran")]["games_played"] == 2
    assert stored[(1, "bw_terran")]["mmr"] == elo(1520, 1480, 1.0)[0]

    again = ladder.flush()
    assert (again.applied, again.already_applied) == (0, 0)
    assert db_entries(db_url) == stored
    assert table_count(db_url, "ladder_matches") == 2
    assert table_count(db_url, "ladder_applied_jobs") == 2


def test_a_second_ladder_on_the_same_home_replays_the_queue(db_url: str, home: Path) -> None:
    with Ladder.open(db=db_url, home=home) as first:
        first.record(1, "bw_terran", 2, "bw_zerg", at=T0, flush=False)
        first.record(3, "bw_terran", 4, "bw_zerg", at=T0, flush=False)
    with Ladder.open(db=db_url, home=home) as second:
        assert second.wal_status().pending == 2
        assert second.flush().applied == 2
    with Ladder.open(db=db_url, home=home) as third:
        assert third.flush().applied == 0
        assert sum(r["games_played"] for r in board(third)) == 4
    assert table_count(db_url, "ladder_applied_jobs") == 2


# -- the seed's bug: new rows must show up at once ---------------------------------------


def test_new_race_combinations_appear_immediately(ladder: Ladder, db_url: str) -> None:
    ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0)
    ladder.record(3, "sc2_zerg", 4, "sc2_protoss", at=T0)
    n = len(board(ladder))  # loads and caches this Ladder's frame
    assert n == 4

    # Existing players, one new race: N -> N + 1, in the same process.
    ladder.record(1, "bw_protoss", 2, "bw_zerg", at=T0 + timedelta(1))
    rows = by_key(board(ladder))
    assert len(rows) == n + 1
    assert rows[(1, "bw_protoss")]["games_played"] == 1
    assert rows[(1, "bw_protoss")]["mmr"] == elo(1500, 1480, 1.0)[0]
    assert rows[(2, "bw_zerg")]["games_played"] == 2

    # Two new races at once: N + 1 -> N + 3.
    ladder.record(3, "sc2_terran", 4, "sc2_zerg", draw=True, at=T0 + timedelta(2))
    rows = by_key(board(ladder))
    assert len(rows) == n + 3
    assert rows[(3, "sc2_terran")]["games_drawn"] == 1
    assert rows[(4, "sc2_zerg")]["games_drawn"] == 1
    assert rows[(3, "sc2_terran")]["rank"] != "U"

    profile = ladder.profile(1)
    assert {r["race"]: r["games_played"] for r in profile.races} == {
        "bw_terran": 1,
        "bw_protoss": 1,
    }
    assert all(r["rank"] in "SABCDEF" for r in profile.races)
    assert len(profile.recent_matches) == 2

    # What this process shows is what the database holds.
    with Ladder.open(db=db_url, home=ladder.settings.data_dir) as fresh:
        assert by_key(board(fresh)) == rows
    assert len(db_entries(db_url)) == n + 3


# -- the match log ----------------------------------------------------------------------


def test_history_is_newest_first_and_match_ids_follow_apply_order(ladder: Ladder) -> None:
    # Applied in this order, but played out of order.
    plays = [
        (1, 2, T0 + timedelta(hours=3)),
        (3, 4, T0 + timedelta(hours=1)),
        (5, 6, T0 + timedelta(hours=2)),
    ]
    for p1, p2, at in plays:
        ladder.record(p1, "bw_terran", p2, "bw_zerg", at=at)
    # Two more queued, then flushed together: ids still in queue order.
    ladder.record(7, "bw_terran", 8, "bw_zerg", at=T0, flush=False)
    ladder.record(9, "bw_terran", 10, "bw_zerg", at=T0 + timedelta(hours=5), flush=False)
    ladder.flush()

    log = ladder.history(limit=None)
    assert [m.p1_uid for m in log] == [9, 1, 5, 3, 7]  # newest played first
    by_id = sorted(log, key=lambda m: m.match_id or 0)
    assert [m.p1_uid for m in by_id] == [1, 3, 5, 7, 9]
    ids = [m.match_id for m in by_id]
    assert all(isinstance(i, int) for i in ids)
    assert len(set(ids)) == 5

    assert [m.p1_uid for m in ladder.history(limit=2)] == [9, 1]
    assert [m.p1_uid for m in ladder.history(5, limit=None)] == [5]
    assert [m.p2_uid for m in ladder.history(6, limit=None)] == [6]
    with pytest.raises(BadInput):
        ladder.history(99)
    with pytest.raises(BadInput):
        ladder.history(limit=-1)


# -- reset ------------------------------------------------------------------------------


def _two_race_player(ladder: Ladder) -> None:
    ladder.record(1, "bw_terran", 2, "bw_zerg", p1_name="Reset", at=T0)
    ladder.record(1, "sc2_zerg", 3, "sc2_terran", at=T0 + timedelta(1))
    ladder.record(3, "sc2_terran", 1, "sc2_zerg", draw=True, at=T0 + timedelta(2))


def test_reset_every_race_zeroes_mmr_and_stats(ladder: Ladder, db_url: str) -> None:
    _two_race_player(ladder)
    others = {k: v for k, v in db_entries(db_url).items() if k[0] != 1}
    outcome = ladder.reset("reset")
    assert outcome.applied
    stored = db_entries(db_url)
    for race in ("bw_terran", "sc2_zerg"):
        assert stored[(1, race)] == {
            "player_name": "Reset",
            "mmr": 1500,
            "games_played": 0,
            "games_won": 0,
            "games_lost": 0,
            "games_drawn": 0,
        }
    assert {k: v for k, v in stored.items() if k[0] != 1} == others
    # No games: off the default leaderboard, unranked with --min-games 0.
    assert 1 not in {r["discord_uid"] for r in board(ladder)}
    unplayed = [r for r in board(ladder, min_games=0) if r["discord_uid"] == 1]
    assert {r["rank"] for r in unplayed} == {"U"}
    assert {r["race"]: r["games_played"] for r in ladder.profile(1).races} == {
        "bw_terran": 0,
        "sc2_zerg": 0,
    }
    # Later games count from zero.
    ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0 + timedelta(3))
    assert db_entries(db_url)[(1, "bw_terran")]["games_played"] == 1


def test_reset_one_race_to_a_given_mmr(ladder: Ladder, db_url: str) -> None:
    _two_race_player(ladder)
    before = db_entries(db_url)
    ladder.reset(1, race="sc2_zerg", mmr=1234)
    after = db_entries(db_url)
    assert after[(1, "sc2_zerg")]["mmr"] == 1234
    assert after[(1, "sc2_zerg")]["games_played"] == 0
    assert after[(1, "bw_terran")] == before[(1, "bw_terran")]


def test_reset_keep_stats_changes_only_mmr(ladder: Ladder, db_url: str) -> None:
    _two_race_player(ladder)
    before = db_entries(db_url)
    ladder.reset(1, mmr=1700, keep_stats=True)
    after = db_entries(db_url)
    for race in ("bw_terran", "sc2_zerg"):
        assert after[(1, race)] == {**before[(1, race)], "mmr": 1700}
    assert {r["race"]: r["mmr"] for r in board(ladder) if r["discord_uid"] == 1} == {
        "bw_terran": 1700,
        "sc2_zerg": 1700,
    }


def test_reset_then_match_in_one_flush(ladder: Ladder, db_url: str) -> None:
    _two_race_player(ladder)
    ladder.reset(1, race="bw_terran", flush=False)
    ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0 + timedelta(5), flush=False)
    # Reads show the queued reset and match on top of the database.
    shown = by_key(board(ladder))[(1, "bw_terran")]
    assert (shown["mmr"], shown["games_played"]) == (elo(1500, 1480, 1.0)[0], 1)
    ladder.flush()
    stored = db_entries(db_url)[(1, "bw_terran")]
    assert (stored["mmr"], stored["games_played"], stored["games_won"]) == (shown["mmr"], 1, 1)


@pytest.mark.parametrize(
    ("player", "kwargs", "message"),
    [
        (99, {}, "unknown player 99"),
        ("Nobody", {}, "unknown player"),
        (1, {"race": "bw_protoss"}, "no bw_protoss entry"),
        (1, {"race": "protoss"}, "unknown race"),
        (1, {"mmr": -1}, "out of range"),
    ],
)
def test_reset_bad_input_changes_nothing(
    ladder: Ladder, db_url: str, player: Any, kwargs: dict[str, Any], message: str
) -> None:
    _two_race_player(ladder)
    before = db_entries(db_url)
    with pytest.raises(BadInput, match=message):
        ladder.reset(player, **kwargs)
    assert nothing_queued(ladder)
    assert db_entries(db_url) == before


# -- leaderboard -----------------------------------------------------------------------


def expected_letter(i: int, n: int) -> str:
    pct = 100 * i / n
    for letter, bound in (("S", 1), ("A", 8), ("B", 29), ("C", 50), ("D", 71), ("E", 92)):
        if pct < bound:
            return letter
    return "F"


def test_leaderboard_order_positions_and_letters(ladder: Ladder) -> None:
    ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0)  # 1520 / 1480
    ladder.record(3, "bw_terran", 4, "bw_zerg", at=T0 + timedelta(1))  # ties, played later
    ladder.record(5, "bw_terran", 6, "bw_zerg", at=T0 + timedelta(1))  # ties, same time, newer
    ladder.record(7, "sc2_terran", 8, "sc2_zerg", draw=True, at=T0)  # 1500 / 1500
    rows = board(ladder)
    assert [(r["discord_uid"], r["mmr"]) for r in rows] == [
        (5, 1520),
        (3, 1520),
        (1, 1520),
        (8, 1500),
        (7, 1500),
        (6, 1480),
        (4, 1480),
        (2, 1480),
    ]
    assert [r["position"] for r in rows] == list(range(1, 9))
    assert [r["rank"] for r in rows] == [expected_letter(i, 8) for i in range(8)]

    # Filtering by race counts positions within the race; ranks stay global.
    zerg = board(ladder, race="bw_zerg")
    assert [(r["position"], r["discord_uid"]) for r in zerg] == [(1, 6), (2, 4), (3, 2)]
    assert [r["rank"] for r in zerg] == [r["rank"] for r in rows if r["race"] == "bw_zerg"]

    # Pages of --top entries, positions continuing across pages.
    page2 = ladder.leaderboard(top=3, page=2).to_dicts()
    assert page2 == rows[3:6]
    assert ladder.leaderboard(top=3, page=4).is_empty()
    assert len(ladder.leaderboard().to_dicts()) == 8  # default top 20


def test_leaderboard_min_games(ladder: Ladder) -> None:
    for i in range(3):
        ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0 + timedelta(i))
    ladder.record(3, "bw_terran", 1, "bw_terran", at=T0 + timedelta(5))
    assert {r["discord_uid"] for r in board(ladder, min_games=3)} == {1, 2}
    assert {r["discord_uid"] for r in board(ladder, min_games=4)} == {1}
    assert [r["position"] for r in board(ladder, min_games=3)] == [1, 2]
    assert len(board(ladder, min_games=1)) == 3
    assert board(ladder, min_games=5) == []
    with pytest.raises(BadInput):
        ladder.leaderboard(min_games=-1)
    with pytest.raises(BadInput):
        ladder.leaderboard(top=-1)
    with pytest.raises(BadInput):
        ladder.leaderboard(page=0)
    with pytest.raises(BadInput, match="unknown race"):
        ladder.leaderboard(race="zerg")


# -- many matches at once ---------------------------------------------------------------


def test_record_many_applies_all_in_order(ladder: Ladder, db_url: str) -> None:
    ref = Reference()
    jobs = []
    for i in range(120):
        p1, p2 = 1 + i % 7, 1 + (i * 3 + 1) % 7
        if p1 == p2:
            p2 = 1 + p2 % 7
        r1 = ("bw_terran", "bw_zerg")[i % 2]
        r2 = ("bw_protoss", "bw_zerg", "bw_terran")[i % 3]
        result = 0 if i % 11 == 0 else 1
        ref.match(p1, r1, p2, r2, result)
        jobs.append(
            MatchJob.checked(p1, r1, p2, r2, result=result, played_at=T0 + timedelta(minutes=i))
        )
    seen: list[tuple[int, int]] = []
    outcome = ladder.record_many(jobs, progress=lambda done, total: seen.append((done, total)))
    assert outcome.applied
    assert seen and seen[-1] == (120, 120)
    stored = db_entries(db_url)
    assert {k: v["mmr"] for k, v in stored.items()} == ref.mmr
    assert sum(v["games_played"] for v in stored.values()) == 240
    assert table_count(db_url, "ladder_matches") == 120
    assert table_count(db_url, "ladder_applied_jobs") == 120
    assert {k: r["mmr"] for k, r in by_key(board(ladder)).items()} == ref.mmr


# -- jobs applied from memory right after they are queued ---------------------------------


def _chain(n: int, start: datetime, *, players: int = 5) -> list[MatchJob]:
    return [
        MatchJob(1 + i % players, "bw_terran", 1 + (i + 1) % players, "bw_zerg", int(i % 4 != 0),
                 start + timedelta(minutes=i))
        for i in range(n)
    ]  # fmt: skip


def test_older_pending_jobs_apply_before_the_ones_just_recorded(ladder: Ladder, db_url: str):
    ref = Reference()
    older, newer = _chain(7, T0), _chain(9, T0 + timedelta(days=1))
    for job in older + newer:
        ref.match(job.p1_uid, job.p1_race, job.p2_uid, job.p2_race, job.result)
    ladder.record_many(older, flush=False)
    assert ladder.record_many(newer).applied  # flushes the older ones first
    assert {k: v["mmr"] for k, v in db_entries(db_url).items()} == ref.mmr
    logged = sorted(ladder.history(limit=None), key=lambda m: m.match_id or 0)
    assert [m.played_at for m in logged] == [j.played_at for j in older + newer]


def test_jobs_another_flush_applied_first_are_not_applied_again(ladder: Ladder, db_url: str):
    jobs = _chain(6, T0)
    ids = ladder.queue.append_with_ids(jobs)
    ladder.flush()  # as another process of this home would, between our append and flush
    before = db_entries(db_url)
    report = ladder.flush(fresh=(ids, jobs))
    assert (report.applied, report.already_applied) == (0, len(jobs))
    assert db_entries(db_url) == before
    assert table_count(db_url, "ladder_matches") == len(jobs)


def test_a_job_applied_from_memory_writes_what_a_replay_would(ladder: Ladder, db_url: str):
    # to the second and in UTC, as the queue keeps it, whatever the caller's datetime
    east = timezone(timedelta(hours=9))
    job = MatchJob(1, "bw_terran", 2, "bw_zerg", 1, datetime(2026, 3, 1, 21, 0, 7, 999, east))
    assert ladder.record_many([job]).applied
    [logged] = ladder.history(limit=1)
    assert logged.played_at == datetime(2026, 3, 1, 12, 0, 7, tzinfo=UTC)
    assert logged.played_at.microsecond == 0
    [row] = [r for r in board(ladder) if r["discord_uid"] == 1]
    assert row["last_played"] == logged.played_at


def test_reset_wants_a_whole_number(ladder: Ladder):
    ladder.record(1, "bw_terran", 2, "bw_zerg", at=T0)
    with pytest.raises(BadInput, match="whole number"):
        ladder.reset(1, mmr=1600.0)  # type: ignore[arg-type]
    assert ladder.queue.pending_count() == 0
