"""The ``ladder`` command end to end, on both stores.

Most cases run in-process through :func:`ladder_cli.cli.run` inside Typer's CliRunner
isolation (stdin, stdout, stderr and the environment swapped), which is what the real
entry point runs; a representative set runs the real command in a subprocess
(``python -m ladder_cli``), including one on a pseudo-terminal.
"""

from __future__ import annotations

import csv
import io
import os
import pty
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ladder_cli import cli
from tests.helpers import Run, elo, query, read_until_closed

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "matches.csv"
RACES = ("bw_terran", "bw_zerg", "bw_protoss", "sc2_terran", "sc2_zerg", "sc2_protoss")
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
ANSI = re.compile(r"\x1b\[")
LEADERBOARD_KEYS = [
    "position", "rank", "discord_uid", "player_name", "race", "mmr",
    "games_played", "games_won", "games_lost", "games_drawn", "last_played",
    "rd", "provisional",
]  # fmt: skip
HISTORY_KEYS = [
    "match_id", "played_at", "p1_uid", "p1_race", "p1_mmr_before", "p1_mmr_after",
    "p2_uid", "p2_race", "p2_mmr_before", "p2_mmr_after", "result", "state",
]  # fmt: skip
MARKUP = "[bold red]x[/]"


# -- running the command ----------------------------------------------------------------


def invoke(
    argv: Sequence[str], *, input: str | None = None, env: dict[str, str] | None = None
) -> Run:
    """``ladder ARGV`` in this process, as the entry point runs it."""
    with CliRunner().isolation(input=input, env=env) as (out, err, _):
        try:
            code = cli.run([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        return Run(code, out.getvalue().decode(), err.getvalue().decode())


Ladder = Callable[..., Run]


@pytest.fixture
def ladder(home: Path, db_url: str) -> Ladder:
    def run(*args: object, input: str | None = None, env: dict[str, str] | None = None) -> Run:
        return invoke(["--home", home, "--db", db_url, *map(str, args)], input=input, env=env)

    return run


def ok(result: Run) -> Run:
    assert result.code == 0, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    return result


def fails(result: Run, code: int = 2, *fragments: str) -> Run:
    """Exit ``code`` with exactly one clear error line on stderr and no traceback."""
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err and "Traceback" not in result.out
    assert len(result.err_lines) == 1, result.err
    assert result.err_lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in result.err_lines[0], result.err
    return result


def db_state(url: str) -> tuple[list[tuple[Any, ...]], int, int]:
    """Everything a write could change: every entry, the match log and ledger sizes."""
    entries = query(
        url,
        "SELECT discord_uid, race, player_name, mmr, games_played, games_won, games_lost, "
        "games_drawn FROM mmrs_1v1 ORDER BY discord_uid, race",
    )
    [(matches,)] = query(url, "SELECT count(*) FROM ladder_matches")
    [(jobs,)] = query(url, "SELECT count(*) FROM ladder_applied_jobs")
    return entries, int(matches), int(jobs)


def queue_empty(ladder: Ladder) -> bool:
    status = ok(ladder("wal", "status", "--format", "json")).json
    return status["pending"] == 0 and status["failed"] == 0


def entries(ladder: Ladder, *args: object) -> dict[tuple[int, str], dict[str, Any]]:
    rows = ok(ladder("leaderboard", "--top", "0", "--format", "json", *args)).json
    return {(r["discord_uid"], r["race"]): r for r in rows}


def check_leaderboard_row(row: dict[str, Any]) -> None:
    assert list(row) == LEADERBOARD_KEYS
    for key in ("discord_uid", "mmr", "games_played", "games_won", "games_lost", "games_drawn"):
        assert type(row[key]) is int, (key, row)
    assert row["position"] is None or type(row["position"]) is int
    assert row["rank"] in ("S", "A", "B", "C", "D", "E", "F", "U")
    assert isinstance(row["player_name"], str) and row["player_name"]
    assert row["race"] in RACES
    if row["games_played"]:
        assert isinstance(row["last_played"], str) and ISO_UTC.match(row["last_played"])
    else:
        assert row["last_played"] is None or ISO_UTC.match(row["last_played"])


def check_history_row(row: dict[str, Any]) -> None:
    assert list(row) == HISTORY_KEYS
    for key in HISTORY_KEYS:
        if key not in ("played_at", "p1_race", "p2_race", "state"):
            assert type(row[key]) is int, (key, row)
    assert row["state"] in ("recorded", "amended", "voided")
    assert ISO_UTC.match(row["played_at"])
    assert row["p1_race"] in RACES and row["p2_race"] in RACES
    assert row["result"] in (0, 1)


# -- record -----------------------------------------------------------------------------


def test_record_prints_before_and_after(ladder: Ladder, db_url: str) -> None:
    result = ok(ladder("record", 111, "bw_terran", 222, "bw_zerg"))
    assert result.err == ""
    assert "Player111" in result.out and "Player222" in result.out
    assert "1500 → 1520" in result.out
    assert "1500 → 1480" in result.out
    result = ok(ladder("record", 222, "bw_zerg", 111, "bw_terran", "--draw"))
    assert "1480 → 1482" in result.out and "1520 → 1518" in result.out
    assert elo(1480, 1520, 0.5) == (1482, 1518)
    assert db_state(db_url)[0] == [
        (111, "bw_terran", "Player111", 1518, 2, 1, 0, 1),
        (222, "bw_zerg", "Player222", 1482, 2, 0, 1, 1),
    ]


def test_leaderboard_json_has_the_contract_keys_and_types(ladder: Ladder) -> None:
    ok(ladder("record", 1, "bw_terran", 2, "bw_zerg", "--at", "2026-02-01T10:00:00"))
    ok(ladder("record", 3, "sc2_zerg", 1, "sc2_protoss", "--draw"))
    ok(ladder("record", 2, "bw_zerg", 4, "bw_protoss", "--at", "2026-02-02T10:00:00+05:00"))
    rows = ok(ladder("leaderboard", "--format", "json")).json
    assert isinstance(rows, list) and len(rows) == 5
    for row in rows:
        check_leaderboard_row(row)
    assert [r["position"] for r in rows] == list(range(1, 6))
    assert [r["mmr"] for r in rows] == sorted((r["mmr"] for r in rows), reverse=True)
    by_key = {(r["discord_uid"], r["race"]): r for r in rows}
    assert by_key[(1, "bw_terran")]["last_played"] == "2026-02-01T10:00:00+00:00"
    assert by_key[(4, "bw_protoss")]["last_played"] == "2026-02-02T05:00:00+00:00"
    assert by_key[(3, "sc2_zerg")]["games_drawn"] == 1


def test_leaderboard_csv_matches_json(ladder: Ladder) -> None:
    ok(ladder("record", 1, "bw_terran", 2, "bw_zerg", "--p1-name", "Comma, Inc."))
    ok(ladder("record", 3, "bw_zerg", 2, "bw_zerg", "--draw"))
    text = ok(ladder("leaderboard", "--format", "csv")).out
    assert text.splitlines()[0] == ",".join(LEADERBOARD_KEYS)
    parsed = list(csv.DictReader(io.StringIO(text)))
    rows = ok(ladder("leaderboard", "--format", "json")).json
    assert len(parsed) == len(rows) == 3
    for got, want in zip(parsed, rows, strict=True):
        assert got == {k: "" if v is None else str(v) for k, v in want.items()}
    assert parsed[0]["player_name"] == "Comma, Inc."


def test_leaderboard_top_page_race_and_min_games(ladder: Ladder, tmp_path: Path) -> None:
    lines = ["p1_uid,p1_race,p2_uid,p2_race,result,played_at"]
    for i in range(30):
        p1, p2 = 100 + i % 13, 100 + (i * 5 + 3) % 13
        if p1 == p2:
            p2 = 100 + (p2 - 99) % 13
        race = RACES[i % 6]
        lines.append(f"{p1},{race},{p2},{race},{i % 5 and 1},2026-03-01T00:{i:02d}:00Z")
    path = tmp_path / "m.csv"
    path.write_text("\n".join(lines) + "\n")
    ok(ladder("record", "--file", path))
    everything = ok(ladder("leaderboard", "--top", "0", "--format", "json")).json
    assert len(everything) == len({(r["discord_uid"], r["race"]) for r in everything}) > 20
    assert [r["position"] for r in everything] == list(range(1, len(everything) + 1))
    # The default page size is 20.
    assert ok(ladder("leaderboard", "--format", "json")).json == everything[:20]
    page2 = ok(ladder("leaderboard", "--top", "7", "--page", "2", "--format", "json")).json
    assert page2 == everything[7:14]
    assert [r["position"] for r in page2] == list(range(8, 15))
    beyond = ok(ladder("leaderboard", "--top", "7", "--page", "99", "--format", "json")).json
    assert beyond == []
    assert "no entries" in ok(ladder("leaderboard", "--top", "7", "--page", "99")).out

    zerg = ok(ladder("leaderboard", "--race", "SC2_ZERG", "--top", "0", "--format", "json")).json
    assert zerg and {r["race"] for r in zerg} == {"sc2_zerg"}
    assert [r["position"] for r in zerg] == list(range(1, len(zerg) + 1))
    assert [(r["discord_uid"], r["rank"]) for r in zerg] == [
        (r["discord_uid"], r["rank"]) for r in everything if r["race"] == "sc2_zerg"
    ]

    busy = ok(ladder("leaderboard", "--min-games", "3", "--top", "0", "--format", "json")).json
    assert busy == [
        {**r, "position": i}
        for i, r in enumerate((r for r in everything if r["games_played"] >= 3), start=1)
    ]


def test_new_player_names_and_renames(ladder: Ladder, db_url: str) -> None:
    ok(ladder("record", 1, "bw_terran", 2, "bw_zerg", "--p1-name", "Flash"))
    ok(ladder("record", 1, "sc2_terran", 3, "sc2_zerg", "--p2-name", "Maru"))
    names = {(u, r): n for u, r, n, *_ in db_state(db_url)[0]}
    assert names == {
        (1, "bw_terran"): "Flash",
        (1, "sc2_terran"): "Flash",
        (2, "bw_zerg"): "Player2",
        (3, "sc2_zerg"): "Maru",
    }
    ok(ladder("record", "flash", "bw_terran", "MARU", "sc2_zerg", "--p1-name", "FlashNew"))
    names = {(u, r): n for u, r, n, *_ in db_state(db_url)[0]}
    assert names[(1, "bw_terran")] == names[(1, "sc2_terran")] == "FlashNew"
    profile = ok(ladder("profile", "flashnew", "--format", "json")).json
    assert profile["discord_uid"] == 1 and profile["player_name"] == "FlashNew"
    fails(ladder("profile", "Flash"), 2, "Flash")


def test_names_resolve_case_insensitively(ladder: Ladder) -> None:
    ok(
        ladder(
            "record", 10, "bw_protoss", 20, "bw_zerg", "--p1-name", "Bisu", "--p2-name", "Jaedong"
        )
    )
    result = ok(ladder("record", "JAEDONG", "bw_zerg", "bisu", "bw_protoss"))
    assert "Jaedong (bw_zerg) beat Bisu (bw_protoss)" in result.out
    history = ok(ladder("history", "bIsU", "--format", "json")).json
    assert [(m["p1_uid"], m["p2_uid"]) for m in history] == [(20, 10), (10, 20)]


def test_unknown_and_ambiguous_names_write_nothing(ladder: Ladder, db_url: str) -> None:
    ok(ladder("record", 10, "bw_terran", 20, "bw_zerg", "--p1-name", "Twin", "--p2-name", "TWIN"))
    before = db_state(db_url)
    fails(ladder("record", "Nobody", "bw_terran", 10, "bw_zerg"), 2, "Nobody")
    fails(ladder("record", 10, "bw_terran", "nobody", "bw_zerg"), 2, "nobody")
    error = fails(ladder("record", "twin", "bw_terran", 30, "bw_zerg"), 2, "ambiguous")
    assert "10" in error.err and "20" in error.err
    fails(ladder("profile", "Twin"), 2, "ambiguous")
    fails(ladder("history", "Nobody"), 2, "Nobody")
    fails(ladder("reset", "Nobody", "--yes"), 2, "Nobody")
    assert db_state(db_url) == before
    assert queue_empty(ladder)


def test_at_with_and_without_offset(ladder: Ladder) -> None:
    ok(ladder("record", 1, "bw_terran", 2, "bw_zerg", "--at", "2026-01-01T12:00:00+02:00"))
    ok(ladder("record", 1, "bw_terran", 2, "bw_zerg", "--at", "2026-01-02T09:30:00"))
    ok(ladder("record", 1, "bw_terran", 2, "bw_zerg", "--at", "2026-01-03T00:00:00Z"))
    history = ok(ladder("history", "--format", "json")).json
    assert [m["played_at"] for m in history] == [
        "2026-01-03T00:00:00+00:00",
        "2026-01-02T09:30:00+00:00",
        "2026-01-01T10:00:00+00:00",
    ]


def test_history_json_csv_order_and_limit(ladder: Ladder, tmp_path: Path) -> None:
    # 25 matches applied in file order, played in a scrambled order.
    lines = ["p1_uid,p1_race,p2_uid,p2_race,result,played_at"]
    for i in range(25):
        minute = (i * 7) % 25
        lines.append(f"{1 + i % 4},bw_terran,{5 + i % 3},bw_zerg,{i % 6 and 1},"
                     f"2026-05-05T10:{minute:02d}:00+00:00")  # fmt: skip
    path = tmp_path / "m.csv"
    path.write_text("\n".join(lines) + "\n")
    ok(ladder("record", "--file", path))
    ok(ladder("record", 9, "sc2_zerg", 1, "sc2_zerg", "--at", "2026-05-05T09:00:00"))

    default = ok(ladder("history", "--format", "json")).json
    everything = ok(ladder("history", "--limit", "0", "--format", "json")).json
    assert len(default) == 20 and len(everything) == 26
    assert default == everything[:20]
    assert len(ok(ladder("history", "--limit", "3", "--format", "json")).json) == 3
    for row in everything:
        check_history_row(row)
    # Newest played first...
    played = [m["played_at"] for m in everything]
    assert played == sorted(played, reverse=True)
    # ...and match ids increase in the order the matches were applied.
    by_id = sorted(everything, key=lambda m: m["match_id"])
    assert [m["played_at"][11:16] for m in by_id[:25]] == [
        f"10:{(i * 7) % 25:02d}" for i in range(25)
    ]
    assert by_id[-1]["p1_uid"] == 9
    assert len({m["match_id"] for m in everything}) == 26

    text = ok(ladder("history", "--limit", "0", "--format", "csv")).out
    assert text.splitlines()[0] == ",".join(HISTORY_KEYS)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed == [{k: str(v) for k, v in m.items()} for m in everything]

    mine = ok(ladder("history", 9, "--format", "json")).json
    assert [(m["p1_uid"], m["p2_uid"], m["p1_race"]) for m in mine] == [(9, 1, "sc2_zerg")]
    table = ok(ladder("history", "9")).out
    assert "Player9" in table and "Player1" in table and "beat" in table


def test_profile_json_has_the_contract_keys(ladder: Ladder) -> None:
    ok(ladder("record", 7, "bw_zerg", 8, "bw_terran", "--p1-name", "Zergling"))
    ok(ladder("record", 8, "sc2_terran", 7, "sc2_protoss", "--draw"))
    ok(ladder("record", 7, "bw_zerg", 9, "bw_protoss"))
    profile = ok(ladder("profile", "zergling", "--format", "json")).json
    contract = ["discord_uid", "player_name", "races", "recent_matches"]
    assert [k for k in profile if k in contract] == contract
    assert {"country", "region", "battletag", "trends"} <= set(profile)
    assert profile["country"] is profile["region"] is profile["battletag"] is None
    assert profile["discord_uid"] == 7 and profile["player_name"] == "Zergling"
    assert [r["race"] for r in profile["races"]] == ["bw_zerg", "sc2_protoss"]
    for race in profile["races"]:
        check_leaderboard_row(race)
        assert race["discord_uid"] == 7 and race["rank"] != "U"
    assert {r["race"]: r["games_played"] for r in profile["races"]} == {
        "bw_zerg": 2,
        "sc2_protoss": 1,
    }
    assert len(profile["recent_matches"]) == 3
    for match in profile["recent_matches"]:
        check_history_row(match)
        assert 7 in (match["p1_uid"], match["p2_uid"])
    table = ok(ladder("profile", 7)).out
    assert "Zergling" in table and "bw_zerg" in table and "sc2_protoss" in table
    fails(ladder("profile", 99), 2, "99")


def test_new_race_combinations_show_immediately(ladder: Ladder, db_url: str) -> None:
    """The seed's bug: rows created by a match must appear in every read at once."""
    ok(ladder("record", 1, "bw_terran", 2, "bw_zerg"))
    ok(ladder("record", 3, "sc2_zerg", 4, "sc2_zerg"))
    n = len(entries(ladder))
    assert n == 4
    ok(ladder("record", 1, "sc2_protoss", 4, "sc2_zerg"))
    after = entries(ladder)
    assert len(after) == n + 1
    assert after[(1, "sc2_protoss")]["games_played"] == 1
    assert after[(4, "sc2_zerg")]["games_played"] == 2
    ok(ladder("record", 2, "bw_protoss", 3, "bw_terran", "--draw"))
    after = entries(ladder)
    assert len(after) == n + 3
    assert after[(3, "bw_terran")]["games_drawn"] == 1
    profile = ok(ladder("profile", 3, "--format", "json")).json
    assert {r["race"]: r["games_played"] for r in profile["races"]} == {
        "bw_terran": 1,
        "sc2_zerg": 1,
    }
    assert all(r["rank"] != "U" for r in profile["races"])
    assert len(db_state(db_url)[0]) == n + 3


# -- the queue --------------------------------------------------------------------------


def test_no_flush_then_wal_replay_exactly_once(ladder: Ladder, db_url: str) -> None:
    ok(ladder("record", 1, "bw_terran", 2, "bw_zerg"))
    before = db_state(db_url)
    queued = ok(ladder("record", 2, "bw_zerg", 1, "bw_terran", "--no-flush"))
    assert "wal replay" in queued.err
    assert "1480 → 1502" in queued.out  # the expected result, from the database
    status = ok(ladder("wal", "status", "--format", "json")).json
    assert list(status) == ["pending", "failed", "oldest_pending_age_s"]
    assert status["pending"] == 1 and status["failed"] == 0
    assert isinstance(status["oldest_pending_age_s"], int | float)
    assert status["oldest_pending_age_s"] >= 0
    assert db_state(db_url) == before
    pending = ok(ladder("wal", "list", "--format", "json")).json
    assert len(pending) == 1 and pending[0]["p1_uid"] == 2
    # Reads show the queued match already.
    assert entries(ladder)[(2, "bw_zerg")]["games_played"] == 2

    replay = ok(ladder("wal", "replay", "--format", "json")).json
    assert replay == {"applied": 1, "already_applied": 0, "failed": 0, "pending": 0}
    after = db_state(db_url)
    assert after[1:] == (2, 2)
    assert after[0] == [
        (1, "bw_terran", "Player1", 1498, 2, 1, 1, 0),
        (2, "bw_zerg", "Player2", 1502, 2, 1, 1, 0),
    ]
    replay = ok(ladder("wal", "replay", "--format", "json")).json
    assert replay == {"applied": 0, "already_applied": 0, "failed": 0, "pending": 0}
    assert db_state(db_url) == after
    status = ok(ladder("wal", "status", "--format", "json")).json
    assert status == {"pending": 0, "failed": 0, "oldest_pending_age_s": None}
    assert "applied 0 jobs" in ok(ladder("wal", "replay")).out


# -- reset ------------------------------------------------------------------------------


@pytest.fixture
def two_races(ladder: Ladder) -> Ladder:
    ok(ladder("record", 1, "bw_terran", 2, "bw_zerg", "--p1-name", "Victim"))
    ok(ladder("record", 1, "sc2_zerg", 2, "sc2_zerg"))
    ok(ladder("record", 2, "sc2_zerg", 1, "sc2_zerg", "--draw"))
    return ladder


def test_reset_yes_zeroes_every_race(two_races: Ladder, db_url: str) -> None:
    before = {(u, r): row for u, r, *row in db_state(db_url)[0]}
    ok(two_races("reset", "victim", "--yes"))
    after = {(u, r): row for u, r, *row in db_state(db_url)[0]}
    assert after[(1, "bw_terran")] == ["Victim", 1500, 0, 0, 0, 0]
    assert after[(1, "sc2_zerg")] == ["Victim", 1500, 0, 0, 0, 0]
    assert after[(2, "bw_zerg")] == before[(2, "bw_zerg")]
    assert after[(2, "sc2_zerg")] == before[(2, "sc2_zerg")]
    assert 1 not in {u for u, _ in entries(two_races)}
    unplayed = entries(two_races, "--min-games", "0")
    assert unplayed[(1, "bw_terran")]["rank"] == "U"
    assert unplayed[(1, "bw_terran")]["games_played"] == 0


def test_reset_one_race_mmr_and_keep_stats(two_races: Ladder, db_url: str) -> None:
    before = {(u, r): row for u, r, *row in db_state(db_url)[0]}
    ok(two_races("reset", 1, "--race", "sc2_zerg", "--mmr", "1800", "--keep-stats", "--yes"))
    after = {(u, r): row for u, r, *row in db_state(db_url)[0]}
    assert after[(1, "sc2_zerg")] == [
        *before[(1, "sc2_zerg")][:1],
        1800,
        *before[(1, "sc2_zerg")][2:],
    ]
    assert after[(1, "bw_terran")] == before[(1, "bw_terran")]
    ok(two_races("reset", 1, "--race", "bw_terran", "--mmr", "1400", "-y"))
    after = {(u, r): row for u, r, *row in db_state(db_url)[0]}
    assert after[(1, "bw_terran")] == ["Victim", 1400, 0, 0, 0, 0]
    assert after[(1, "sc2_zerg")][1:3] == [1800, 2]


def test_reset_asks_for_confirmation(two_races: Ladder, db_url: str) -> None:
    before = db_state(db_url)
    # No stdin at all: refused, nothing changed.
    refused = two_races("reset", 1)
    assert refused.code != 0
    assert "Traceback" not in refused.err
    assert db_state(db_url) == before
    # Answering no: nothing changed.
    declined = two_races("reset", 1, input="n\n")
    assert declined.code != 0
    assert db_state(db_url) == before
    assert queue_empty(two_races)
    # Answering yes: done.
    accepted = ok(two_races("reset", 1, input="y\n"))
    assert "Victim" in accepted.out
    assert {(u, r): row[1:3] for u, r, *row in db_state(db_url)[0] if u == 1} == {
        (1, "bw_terran"): [1500, 0],
        (1, "sc2_zerg"): [1500, 0],
    }


def test_reset_bad_input(two_races: Ladder, db_url: str) -> None:
    before = db_state(db_url)
    fails(two_races("reset", 99, "--yes"), 2, "99")
    fails(two_races("reset", 1, "--race", "bw_protoss", "--yes"), 2, "bw_protoss")
    fails(two_races("reset", 1, "--race", "terran", "--yes"), 2, "terran")
    fails(two_races("reset", 1, "--mmr", "x", "--yes"), 2, "--mmr")
    fails(two_races("reset", "--yes"), 2)
    assert db_state(db_url) == before
    assert queue_empty(two_races)


# -- record --file ----------------------------------------------------------------------


def test_record_file_applies_the_sample_completely(ladder: Ladder, db_url: str) -> None:
    mmr: dict[tuple[int, str], int] = {}
    games: dict[tuple[int, str], list[int]] = {}
    names: dict[int, str] = {}
    with SAMPLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        k1 = (int(row["p1_uid"]), row["p1_race"])
        k2 = (int(row["p2_uid"]), row["p2_race"])
        result = int(row["result"])
        mmr[k1], mmr[k2] = elo(mmr.get(k1, 1500), mmr.get(k2, 1500), 1.0 if result else 0.5)
        for key, won, lost in ((k1, result, 0), (k2, 0, result)):
            g = games.setdefault(key, [0, 0, 0, 0])
            g[0], g[1], g[2], g[3] = g[0] + 1, g[1] + won, g[2] + lost, g[3] + 1 - result
        for uid, name in ((k1[0], row["p1_name"]), (k2[0], row["p2_name"])):
            if name:
                names[uid] = name

    result = ok(ladder("record", "--file", SAMPLE))
    assert f"queued {len(rows):,} matches" in result.out
    assert f"applied {len(rows):,}" in result.out
    stored, matches, jobs = db_state(db_url)
    assert matches == jobs == len(rows)
    assert {(u, r): m for u, r, _, m, *_ in stored} == mmr
    assert {(u, r): list(g) for u, r, _, _, *g in stored} == games
    assert {u: n for u, _, n, *_ in stored} == {u: names.get(u, f"Player{u}") for u, _ in mmr}
    assert queue_empty(ladder)
    shown = entries(ladder)
    assert len(shown) == len(mmr)
    assert {k: r["mmr"] for k, r in shown.items()} == mmr
    assert len(ok(ladder("history", "--limit", "0", "--format", "json")).json) == len(rows)


def test_record_file_no_flush_queues_one_unit(ladder: Ladder, db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text(
        "p1_uid,p1_race,p2_uid,p2_race,result\n"
        "1,bw_terran,2,bw_zerg,1\n"
        "2,bw_zerg,3,bw_protoss,0\n"
        "3,bw_protoss,1,bw_terran,1\n"
    )
    ok(ladder("record", "--file", path, "--no-flush"))
    assert ok(ladder("wal", "status", "--format", "json")).json["pending"] == 3
    assert sum(r["games_played"] for r in entries(ladder).values()) == 6
    assert ok(ladder("wal", "replay", "--format", "json")).json["applied"] == 3
    stored, matches, jobs = db_state(db_url)
    assert (matches, jobs, sum(row[4] for row in stored)) == (3, 3, 6)


GOOD = [
    "111,bw_terran,222,bw_zerg,1,2026-01-01T00:00:00+00:00",
    "222,bw_zerg,333,bw_protoss,0,2026-01-01T01:00:00+00:00",
    "333,sc2_terran,111,sc2_zerg,1,",
    "444,sc2_protoss,111,sc2_zerg,1,2026-01-01T03:00:00Z",
    "555,bw_zerg,444,bw_zerg,0,2026-01-01T04:00:00",
]
BAD = {
    "race": "111,bw_terrran,222,bw_zerg,1,2026-01-01T00:00:00+00:00",
    "same-player": "111,bw_terran,111,bw_zerg,1,",
    "result": "111,bw_terran,222,bw_zerg,3,",  # 2 (P2 won) is a result since the bot import
    "timestamp": "111,bw_terran,222,bw_zerg,1,yesterday",
    "fields": "111,bw_terran,222,bw_zerg,1",
    "uid": "-5,bw_terran,222,bw_zerg,1,",
}


def test_record_file_with_one_bad_line_anywhere_writes_nothing(
    ladder: Ladder, db_url: str, tmp_path: Path
) -> None:
    ok(ladder("record", 9, "bw_terran", 8, "bw_zerg"))
    before = db_state(db_url)
    path = tmp_path / "bad.csv"
    for kind, bad in sorted(BAD.items()):
        for where in (0, 3, len(GOOD)):
            lines = [*GOOD[:where], bad, *GOOD[where:]]
            path.write_text(
                f"p1_uid,p1_race,p2_uid,p2_race,result,played_at\n{chr(10).join(lines)}\n"
            )
            line = f"line {where + 2}"
            fails(ladder("record", "--file", path), 2, line, "bad.csv")
            fails(ladder("record", "--file", path, "--no-flush"), 2, line)
            assert db_state(db_url) == before, (kind, where)
            assert queue_empty(ladder), (kind, where)
    # The same lines without the bad one are fine.
    path.write_text("p1_uid,p1_race,p2_uid,p2_race,result,played_at\n" + "\n".join(GOOD) + "\n")
    ok(ladder("record", "--file", path))
    assert db_state(db_url)[1] == before[1] + len(GOOD)


# -- usage errors -----------------------------------------------------------------------


USAGE_ERRORS = [
    (["record", "1", "bw_terran", "2", "bw_zergg"], "bw_zergg"),
    (["record", "1", "terran", "2", "bw_zerg"], "terran"),
    (["record", "1", "bw_terran", "1", "bw_zerg"], "same player"),
    (["record", "1", "bw_terran", "2"], "RACE2"),
    (["record"], "record"),
    (["record", "0", "bw_terran", "2", "bw_zerg"], "out of range"),
    (["record", "1", "bw_terran", "9223372036854775808", "bw_zerg"], "out of range"),
    (["record", "1", "bw_terran", "2", "bw_zerg", "--at", "soon"], "--at"),
    (["record", "1", "bw_terran", "2", "bw_zerg", "--p1-name", ""], "name"),
    (["record", "1", "bw_terran", "2", "bw_zerg", "--p2-name", "n" * 65], "64"),
    (["record", "1", "bw_terran", "2", "bw_zerg", "--bogus"], "--bogus"),
    (["record", "--file", "/nonexistent/m.csv"], "m.csv"),
    (["record", "1", "bw_terran", "2", "bw_zerg", "--file", "x.csv"], "--file"),
    (["leaderboard", "--format", "xml"], "xml"),
    (["leaderboard", "--format"], "--format"),
    (["leaderboard", "--race", "zerg"], "zerg"),
    (["leaderboard", "--top", "-1"], "--top"),
    (["leaderboard", "--top", "many"], "--top"),
    (["leaderboard", "--page", "0"], "--page"),
    (["leaderboard", "--min-games", "-2"], "--min-games"),
    (["history", "--limit", "-1"], "--limit"),
    (["history", "--format", "yaml"], "yaml"),
    (["profile"], "argument"),
    (["profile", "1", "--format", "csv"], "csv"),
    (["wal", "status", "--format", "xml"], "xml"),
    (["frobnicate"], "frobnicate"),
]


def test_usage_errors_are_one_line_exit_2(ladder: Ladder, db_url: str) -> None:
    ok(ladder("record", 1, "bw_terran", 2, "bw_zerg"))
    before = db_state(db_url)
    for args, fragment in USAGE_ERRORS:
        fails(ladder(*args), 2, fragment)
    assert db_state(db_url) == before
    assert queue_empty(ladder)


def test_no_arguments_shows_usage_not_a_mangled_line(home: Path) -> None:
    result = invoke([], env={"LADDER_HOME": str(home)})
    assert result.code in (0, 2)
    text = result.out + result.err
    assert "Usage:" in text and "record" in text and "leaderboard" in text
    assert "\\n" not in text
    assert "Traceback" not in text
    assert len(text.splitlines()) > 5


def test_help_and_version(home: Path) -> None:
    result = invoke(["--help"])
    assert result.code == 0 and "record" in result.out and "leaderboard" in result.out
    version = invoke(["--version"])
    assert version.code == 0 and re.match(r"^ladder \d+\.\d+", version.out)
    assert "--no-flush" in invoke(["record", "--help"]).out


# -- output -----------------------------------------------------------------------------


@pytest.mark.parametrize("no_color", [False, True])
def test_piped_output_is_plain_and_names_are_literal(ladder: Ladder, no_color: bool) -> None:
    env = {"NO_COLOR": "1"} if no_color else None
    outputs = [
        ok(ladder("record", 5, "bw_terran", 6, "bw_zerg", "--p1-name", MARKUP, env=env)),
        ok(
            ladder(
                "record",
                6,
                "bw_zerg",
                7,
                "bw_zerg",
                "--p2-name",
                "[link=http://x]y[/link]",
                env=env,
            )
        ),
        ok(ladder("leaderboard", env=env)),
        ok(ladder("profile", MARKUP, env=env)),
        ok(ladder("history", env=env)),
        ok(ladder("wal", "status", env=env)),
        ok(ladder("leaderboard", "--format", "csv", env=env)),
    ]
    for result in outputs:
        assert not ANSI.search(result.out), result.out
        assert not ANSI.search(result.err), result.err
    record, _, board, profile, history, _, text = outputs
    for result in (record, board, profile, history):
        assert MARKUP in result.out
    assert "[link=http://x]y[/link]" in board.out
    assert f"{MARKUP}," in text.out
    rows = ok(ladder("leaderboard", "--format", "json")).json
    assert MARKUP in {r["player_name"] for r in rows}
    # The name resolves literally (case-insensitively) too.
    assert ok(ladder("profile", "[BOLD RED]X[/]", "--format", "json")).json["discord_uid"] == 5


def test_errors_show_names_literally(ladder: Ladder) -> None:
    result = fails(ladder("profile", "[red]nobody[/red]"), 2)
    assert "[red]nobody[/red]" in result.err


def test_the_default_database_is_embedded_in_home(home: Path) -> None:
    result = invoke(["record", "1", "bw_terran", "2", "bw_zerg"], env={"LADDER_HOME": str(home)})
    ok(result)
    assert (home / "ladder.sqlite3").exists()
    board = invoke(["--home", home, "leaderboard", "--format", "json"])
    assert [r["discord_uid"] for r in ok(board).json] == [1, 2]
    mode = (home / "ladder.sqlite3").stat().st_mode & 0o777
    assert mode & 0o077 == 0


# -- the real command ---------------------------------------------------------------------


def ladder_process(
    home: Path,
    db: str | None,
    *args: object,
    input: str | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "LADDER_HOME")}
    environ["LADDER_HOME"] = str(home)
    environ.update(env or {})
    argv = [sys.executable, "-m", "ladder_cli", *(["--db", db] if db else []), *map(str, args)]
    done = subprocess.run(
        argv,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        cwd=home,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.mark.slow_except("sqlite")
def test_real_command_round_trip(home: Path, db_url: str) -> None:
    def run(*args: object, **kwargs: Any) -> Run:
        return ladder_process(home, db_url, *args, **kwargs)

    recorded = ok(run("record", 1, "bw_terran", 2, "bw_zerg", "--p1-name", MARKUP))
    assert "1500 → 1520" in recorded.out and MARKUP in recorded.out
    assert not ANSI.search(recorded.out)
    ok(run("record", 2, "bw_zerg", 3, "sc2_zerg", "--no-flush"))
    assert ok(run("wal", "status", "--format", "json")).json["pending"] == 1
    rows = ok(run("leaderboard", "--format", "json")).json
    assert len(rows) == 3
    for row in rows:
        check_leaderboard_row(row)
    assert ok(run("wal", "replay", "--format", "json")).json["applied"] == 1
    assert ok(run("wal", "replay", "--format", "json")).json["applied"] == 0
    profile = ok(run("profile", 2, "--format", "json")).json
    assert [r["games_played"] for r in profile["races"]] == [2]
    stored, matches, jobs = db_state(db_url)
    assert (matches, jobs, sum(row[4] for row in stored)) == (2, 2, 4)

    fails(run("record", 1, "bw_terran", 2, "zerg"), 2, "zerg")
    fails(run("leaderboard", "--format", "xml"), 2, "xml")
    fails(run("profile", "nobody"), 2, "nobody")

    refused = run("reset", 1)
    assert refused.code != 0 and "Traceback" not in refused.err
    assert db_state(db_url)[0] == stored
    ok(run("reset", 1, input="y\n"))
    assert [row[3:5] for row in db_state(db_url)[0] if row[0] == 1] == [(1500, 0)]


def test_real_command_default_embedded_and_version(home: Path) -> None:
    ok(ladder_process(home, None, "record", 1, "bw_terran", 2, "bw_zerg"))
    assert (home / "ladder.sqlite3").exists()
    assert [
        r["mmr"] for r in ok(ladder_process(home, None, "leaderboard", "--format", "json")).json
    ] == [
        1520,
        1480,
    ]
    assert ok(ladder_process(home, None, "--version")).out.startswith("ladder ")
    result = ladder_process(home, None, "frobnicate")
    fails(result, 2, "frobnicate")


def _on_a_terminal(home: Path, args: Sequence[str], env: dict[str, str]) -> str:
    """Run ``ladder ARGS`` with stdout and stderr on a pseudo-terminal; return its output."""
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "LADDER_HOME")}
    environ.update(LADDER_HOME=str(home), TERM="xterm-256color", COLUMNS="200", **env)
    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ladder_cli", *args],
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=follower,
            env=environ,
        )
    finally:
        os.close(follower)
    try:
        data = read_until_closed(leader)
    finally:
        os.close(leader)
        assert proc.wait(timeout=60) == 0
    return data.decode("utf-8", "replace")


def test_terminal_output_obeys_no_color(home: Path) -> None:
    ok(ladder_process(home, None, "record", 1, "bw_terran", 2, "bw_zerg", "--p1-name", MARKUP))
    coloured = _on_a_terminal(home, ["leaderboard"], {})
    plain = _on_a_terminal(home, ["leaderboard"], {"NO_COLOR": "1"})
    assert ANSI.search(coloured)  # a terminal gets colour...
    assert not ANSI.search(plain)  # ...unless NO_COLOR is set
    assert MARKUP in plain
    assert MARKUP in re.sub(r"\x1b\[[0-9;]*m", "", coloured)
