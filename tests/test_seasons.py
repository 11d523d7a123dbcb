"""Seasons through the real `ladder` command, on both stores: the archive equals the
leaderboard just before the close, the soft reset's arithmetic is exact, a close is applied
exactly once (also when killed, and when two homes race), a correction of an earlier match
replays the live ratings only, and bad input changes nothing."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ladder_cli.domain.events import soft_reset
from tests.helpers import elo, invoke, query
from tests.invariants import ladder, replay, wal_status

# (p1, race1, p2, race2, result, days ago): 1 P1 won, 0 draw. Player 6 last played long
# ago (unranked under an activity window); match 7 is player 5's last game.
MATCHES = [
    (1, "bw_zerg", 2, "bw_terran", 1, 40),
    (2, "bw_terran", 3, "bw_protoss", 1, 30),
    (3, "bw_protoss", 1, "bw_zerg", 1, 20),
    (1, "bw_zerg", 3, "bw_protoss", 0, 9),
    (6, "sc2_zerg", 4, "sc2_terran", 1, 60),
    (4, "sc2_terran", 5, "sc2_protoss", 1, 8),
    (5, "sc2_protoss", 2, "sc2_zerg", 1, 7),
    (2, "bw_terran", 1, "bw_zerg", 1, 5),
    (4, "sc2_terran", 2, "sc2_zerg", 0, 3),
]
NOW = datetime.now(UTC).replace(microsecond=0)


def run(home: Path, url: str, *args: object, code: int = 0) -> Any:
    result = invoke(home, url, *args)
    assert result.code == code, (args, result.code, result.out, result.err)
    return result


def _setup(home: Path, url: str, tmp: Path, rules: str = "standard") -> list[int]:
    run(home, url, "init", "--rules", rules)
    path = tmp / "matches.csv"
    lines = ["p1_uid,p1_race,p2_uid,p2_race,result,played_at,p1_name,p2_name"]
    for p1, r1, p2, r2, result, ago in MATCHES:
        at = (NOW - timedelta(days=ago)).isoformat()
        lines.append(f"{p1},{r1},{p2},{r2},{result},{at},Player {p1},Player {p2}")
    path.write_text("\n".join(lines) + "\n")
    run(home, url, "record", "--file", path)
    log = run(home, url, "history", "--limit", "0", "--format", "json").json
    return sorted(m["match_id"] for m in log)


def _board(home: Path, url: str, *args: object) -> Any:
    return run(home, url, "leaderboard", "--top", "0", "--format", "json", *args).json


def _stored(url: str) -> dict[tuple[int, str], tuple[Any, ...]]:
    rows = query(
        url,
        "SELECT discord_uid, race, mmr, games_played, games_won, games_lost, games_drawn, "
        "last_played FROM mmrs_1v1",
    )
    return {(int(r[0]), str(r[1])): tuple(r[2:]) for r in rows}


def _count(url: str, table: str, where: str = "") -> int:
    return int(query(url, f"SELECT count(*) FROM {table} {where}")[0][0])


VIEWS: list[tuple[object, ...]] = [
    (),
    ("--min-games", "0"),
    ("--race", "bw_zerg"),
    ("--race", "sc2_terran", "--race", "bw_terran"),
    ("--best-race",),
    ("--rank", "S"),
    ("--top", "2", "--page", "2"),
]


@pytest.mark.parametrize("rules", ["standard", "evoladder"])
def test_archive_equals_the_leaderboard_just_before(
    rules: str, db_url: str, home: Path, tmp_path: Path
) -> None:
    _setup(home, db_url, tmp_path, rules)
    before = {view: _board(home, db_url, *view) for view in VIEWS}
    csv_before = run(home, db_url, "leaderboard", "--format", "csv", "--top", "0").out
    assert any(row["rank"] == "U" for row in before[()]) == (rules == "evoladder")
    out = run(home, db_url, "season", "close", "Season 1", "--yes").out
    assert "closed season Season 1" in out
    assert "Player 1" in out  # bw_zerg's champion, shown before the close
    for view, rows in before.items():
        assert _board(home, db_url, "--season", "Season 1", *view) == rows, view
    season_csv = run(
        home, db_url, "leaderboard", "--season", "Season 1", "--format", "csv", "--top", "0"
    ).out
    assert season_csv == csv_before
    # the live board started again: every count is 0, so nobody has a letter
    assert _board(home, db_url) == []
    assert all(r["rank"] == "U" for r in _board(home, db_url, "--min-games", "0"))
    listed = run(home, db_url, "season", "list", "--format", "json").json
    assert [sorted(s) for s in listed] == [
        ["closed_at", "entries", "matches", "name", "soft_reset"]
    ]
    assert listed[0]["name"] == "Season 1"
    assert (listed[0]["entries"], listed[0]["matches"], listed[0]["soft_reset"]) == (
        len(before[("--min-games", "0")]),
        len(MATCHES),
        0.5,
    )
    assert run(home, db_url, "verify").code == 0


def test_soft_reset_arithmetic(db_url: str, home: Path, tmp_path: Path) -> None:
    """F = 0, 0.5, 1 (and 0.3) against values worked out by hand, on MMRs set directly."""
    _setup(home, db_url, tmp_path)
    keys = sorted(_stored(db_url))
    chosen = [1737, 1263, -3000, 1001, 1999, 2, 1501, 1499, 1500]  # the first len(keys)
    # floor(1500 + F * (mmr - 1500) + 0.5), worked out by hand
    by_hand = {
        0.5: [1619, 1382, -750, 1251, 1750, 751, 1501, 1500, 1500],
        0.3: [1571, 1429, 150, 1350, 1650, 1051, 1500, 1500, 1500],
        0.0: [1500] * 9,
        1.0: chosen,
    }
    for factor, expected in by_hand.items():
        assert [soft_reset(m, round(factor * 1_000_000)) for m in chosen] == expected
    previous = _stored(db_url)
    for i, (factor, expected) in enumerate(by_hand.items()):
        for key, mmr in zip(keys, chosen, strict=False):  # each close from the same MMRs
            query(db_url, "UPDATE mmrs_1v1 SET mmr = %s WHERE discord_uid = %s AND race = %s",
                  (mmr, *key))  # fmt: skip
        run(home, db_url, "season", "close", f"S{i}", "--soft-reset", factor, "--yes")
        after = _stored(db_url)
        assert [after[k][0] for k in keys] == expected[: len(keys)], factor
        for key in keys:
            assert after[key][1:5] == (0, 0, 0, 0)
            assert after[key][5] == previous[key][5]  # last_played kept
    events = query(db_url, "SELECT count(*), count(DISTINCT job_id) FROM ladder_events "
                   "WHERE kind = 'season'")[0]  # fmt: skip
    assert (events[0], events[1]) == (4 * len(keys), 4)


def test_void_before_a_close_replays_live_ratings_only(
    db_url: str, home: Path, tmp_path: Path
) -> None:
    ids = _setup(home, db_url, tmp_path)
    run(home, db_url, "season", "close", "Season 1", "--soft-reset", "0.5", "--yes")
    archived = _board(home, db_url, "--season", "Season 1", "--min-games", "0")
    run(home, db_url, "record", "1", "bw_zerg", "3", "bw_protoss")
    # match 7 (5 beat 2 in their sc2 races) was player 5's last game before the close
    run(home, db_url, "match", "void", ids[6], "--reason", "wrong players", "--yes")
    assert _board(home, db_url, "--season", "Season 1", "--min-games", "0") == archived

    # an independent replay: Elo from 1500 over the matches in effect, the soft reset,
    # then the match after the close
    table: dict[tuple[int, str], list[int]] = {}
    last: dict[tuple[int, str], str] = {}
    for i, (p1, r1, p2, r2, result, ago) in enumerate(MATCHES):
        if i == 6:
            continue
        a = table.setdefault((p1, r1), [1500])
        b = table.setdefault((p2, r2), [1500])
        a[0], b[0] = elo(a[0], b[0], 1.0 if result == 1 else 0.5)
        for key in ((p1, r1), (p2, r2)):
            last[key] = max(last.get(key, ""), (NOW - timedelta(days=ago)).isoformat())
    table.setdefault((5, "sc2_protoss"), [1500])
    table.setdefault((2, "sc2_zerg"), [1500])
    for v in table.values():
        v[0] = math.floor(1500 + 0.5 * (v[0] - 1500) + 0.5)
    a, b = table[(1, "bw_zerg")], table[(3, "bw_protoss")]
    a[0], b[0] = elo(a[0], b[0], 1.0)
    stored = _stored(db_url)
    for key, (mmr,) in table.items():
        played = 1 if key in ((1, "bw_zerg"), (3, "bw_protoss")) else 0
        assert stored[key][0] == mmr, key
        assert stored[key][1] == played, key  # the void took no game off a new season
    # player 5's last game is now the one before the voided match; player 2's sc2 entry
    # played only the voided match
    shown = {(r["discord_uid"], r["race"]): r for r in _board(home, db_url, "--min-games", "0")}
    assert shown[(5, "sc2_protoss")]["last_played"] == last[(5, "sc2_protoss")]
    assert shown[(2, "sc2_zerg")]["last_played"] == last[(2, "sc2_zerg")]
    assert run(home, db_url, "verify").code == 0


def test_amend_before_a_close_and_verify(db_url: str, home: Path, tmp_path: Path) -> None:
    ids = _setup(home, db_url, tmp_path)
    run(home, db_url, "season", "close", "Season 1", "--yes")
    counts = {k: v[1:5] for k, v in _stored(db_url).items()}
    run(home, db_url, "match", "amend", ids[0], "--result", "p2", "--reason", "typo", "--yes")
    assert {k: v[1:5] for k, v in _stored(db_url).items()} == counts
    assert run(home, db_url, "verify").code == 0


def test_profile_and_audit_show_the_close(db_url: str, home: Path, tmp_path: Path) -> None:
    _setup(home, db_url, tmp_path)
    board = _board(home, db_url)
    run(home, db_url, "--by", "referee", "season", "close", "Season 1", "--yes")
    profile = run(home, db_url, "profile", "1", "--format", "json").json
    (finish,) = profile["seasons"]
    mine = next(r for r in board if r["discord_uid"] == 1)
    assert finish == {
        "name": "Season 1",
        "race": "bw_zerg",
        "position": mine["position"],
        "race_position": 1,
        "rank": mine["rank"],
        "mmr": mine["mmr"],
        "won": mine["games_won"],
        "lost": mine["games_lost"],
        "drawn": mine["games_drawn"],
    }
    table = run(home, db_url, "profile", "1").out
    assert "Race #" in table and "Season 1" in table
    audit = run(home, db_url, "audit", "--format", "json").json
    assert audit[0]["action"] == "season-close"
    assert audit[0]["actor"] == "referee"
    assert audit[0]["target"].startswith("Season 1")


def _nothing_written(home: Path, url: str, seasons: int, events: int) -> None:
    assert _count(url, "ladder_seasons") == seasons
    assert _count(url, "ladder_events") == events
    assert wal_status(home, url)["pending"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ("leaderboard", "--season", "Season 9"),
        ("season", "close", "New", "--soft-reset", "1.5", "--yes"),
        ("season", "close", "New", "--soft-reset", "-0.1", "--yes"),
        ("season", "close", "New", "--soft-reset", "nan", "--yes"),
        ("season", "close", "Season 1", "--yes"),
        ("season", "close", "Season 1", "--soft-reset", "1", "--yes"),
        ("season", "close", "  ", "--yes"),
        ("season", "close", "New"),  # no terminal to confirm on, no --yes
    ],
)
def test_bad_input_changes_nothing(
    args: tuple[str, ...], db_url: str, home: Path, tmp_path: Path
) -> None:
    _setup(home, db_url, tmp_path)
    run(home, db_url, "season", "close", "Season 1", "--yes")
    seasons, events = _count(db_url, "ladder_seasons"), _count(db_url, "ladder_events")
    stored = _stored(db_url)
    result = run(home, db_url, *args, code=2)
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("error: ")
    _nothing_written(home, db_url, seasons, events)
    assert _stored(db_url) == stored


def test_a_name_queued_twice_is_bad_input(db_url: str, home: Path, tmp_path: Path) -> None:
    _setup(home, db_url, tmp_path)
    run(home, db_url, "season", "close", "Season 1", "--yes", "--no-flush")
    result = run(home, db_url, "season", "close", "Season 1", "--yes", code=2)
    assert "already queued" in result.err
    assert wal_status(home, db_url)["pending"] == 1
    assert _count(db_url, "ladder_seasons") == 0


def test_two_homes_racing_to_close_the_same_name(db_url: str, home: Path, tmp_path: Path) -> None:
    """Both pass the check when queued; the second to apply fails cleanly: one archive."""
    _setup(home, db_url, tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    run(home, db_url, "season", "close", "Season 1", "--yes", "--no-flush")
    listed = run(home, db_url, "wal", "list", "--format", "json").out
    assert "Season 1" in listed
    run(other, db_url, "season", "close", "Season 1", "--yes", "--soft-reset", "0")
    entries = _count(db_url, "mmrs_1v1")
    assert "1 moved to failed" in run(home, db_url, "wal", "replay").out
    assert "already closed" in run(home, db_url, "wal", "failed").out
    assert _count(db_url, "ladder_seasons") == 1
    assert _count(db_url, "ladder_season_standings") == entries
    assert _count(db_url, "ladder_events", "WHERE kind = 'season'") == entries
    assert {v[0] for v in _stored(db_url).values()} == {1500}  # the other home's F = 0
    assert run(home, db_url, "verify").code == 0


@pytest.mark.slow_except("sqlite-in-season-close")
@pytest.mark.parametrize(
    "point", ["after-validate", "after-queue-commit", "in-season-close", "after-db-commit"]
)
def test_sigkill_inside_a_close_then_replay(
    point: str, db_url: str, home: Path, tmp_path: Path
) -> None:
    """The real command killed at each step of a close: after `wal replay` the season is
    closed exactly once (or, killed before it was queued, not at all)."""
    _setup(home, db_url, tmp_path)
    before = _stored(db_url)
    board = _board(home, db_url, "--min-games", "0")
    done = ladder(home, db_url, "season", "close", "Season 1", "--yes",
                  env={"LADDER_FAILPOINT": point})  # fmt: skip
    assert done.returncode == -9, (done.returncode, done.stderr)
    replay(home, db_url)
    replay(home, db_url)
    assert wal_status(home, db_url)["pending"] == 0
    closed = point != "after-validate"
    entries = len(before)
    assert _count(db_url, "ladder_seasons") == int(closed)
    assert _count(db_url, "ladder_season_standings") == entries * closed
    assert _count(db_url, "ladder_events", "WHERE kind = 'season'") == entries * closed
    assert _count(db_url, "ladder_audit", "WHERE action = 'season-close'") == int(closed)
    after = _stored(db_url)
    for key, values in before.items():
        expected = soft_reset(values[0], 500_000) if closed else values[0]
        assert after[key][0] == expected, key
    if closed:
        assert _board(home, db_url, "--season", "Season 1", "--min-games", "0") == board
    assert run(home, db_url, "verify").code == 0


def test_an_old_database_gains_the_season_tables(db_url: str, home: Path, tmp_path: Path) -> None:
    _setup(home, db_url, tmp_path)
    query(db_url, "DROP TABLE ladder_season_standings")
    query(db_url, "DROP TABLE ladder_seasons")
    assert run(home, db_url, "season", "list").out.strip() == "no closed seasons"
    run(home, db_url, "init")
    run(home, db_url, "season", "close", "Season 1", "--yes")
    assert json.loads(run(home, db_url, "season", "list", "--format", "json").out)[0]["name"] == (
        "Season 1"
    )


def test_a_season_name_is_shown_literally(db_url: str, home: Path, tmp_path: Path) -> None:
    _setup(home, db_url, tmp_path)
    name = "[bold red]x[/] S1"
    assert name in run(home, db_url, "season", "close", name, "--yes").out
    assert name in run(home, db_url, "season", "list").out
    assert run(home, db_url, "season", "list", "--format", "json").json[0]["name"] == name
    assert _board(home, db_url, "--season", name) != []
