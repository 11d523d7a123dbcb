"""``ladder init``: idempotent on both stores, and on PostgreSQL it adopts the existing
ladder's ``mmrs_1v1`` (the original schema, NULL game counts included) without altering
it, or refuses clearly when the table cannot take the atomic upsert.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ladder_cli import cli
from tests.helpers import Run, invoke, query

# The original system's table, as the design document gives it: game counts nullable.
ORIGINAL_DDL = """
CREATE TABLE mmrs_1v1 (
    id SERIAL PRIMARY KEY,
    discord_uid BIGINT NOT NULL,
    player_name TEXT NOT NULL,
    race TEXT NOT NULL,
    mmr INTEGER NOT NULL,
    games_played INTEGER DEFAULT 0,
    games_won INTEGER DEFAULT 0,
    games_lost INTEGER DEFAULT 0,
    games_drawn INTEGER DEFAULT 0,
    last_played TIMESTAMPTZ{unique}
)
"""
INSERT = (
    "INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr, games_played, games_won, "
    "games_lost, games_drawn, last_played) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
ROWS = [
    (100, "OldTimer", "bw_terran", 1600, 10, 6, 4, 0, "2025-12-01T00:00:00+00:00"),
    (100, "OldTimer", "sc2_zerg", 1450, None, None, None, None, None),
    (200, "Newbie", "bw_zerg", 1500, None, None, None, None, None),
    (300, "Veteran", "bw_protoss", 1550, 3, 1, 1, 1, "2025-11-01T00:00:00+00:00"),
]


def ok(result: Run) -> Run:
    assert result.code == 0, result
    return result


def pg_schema(url: str) -> dict[str, Any]:
    """Everything about ``mmrs_1v1`` that altering it would change."""
    return {
        "columns": query(
            url,
            "SELECT column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_name = 'mmrs_1v1' "
            "ORDER BY ordinal_position",
        ),
        "constraints": query(
            url,
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'mmrs_1v1'::regclass ORDER BY conname",
        ),
        "indexes": query(
            url,
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'mmrs_1v1' "
            "ORDER BY indexname",
        ),
        "triggers": query(
            url,
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'mmrs_1v1'::regclass ORDER BY 1",
        ),
        "storage": query(url, "SELECT reloptions FROM pg_class WHERE oid = 'mmrs_1v1'::regclass"),
    }


def raw_rows(url: str) -> list[tuple[Any, ...]]:
    return query(
        url,
        "SELECT id, discord_uid, player_name, race, mmr, games_played, games_won, games_lost, "
        "games_drawn, last_played FROM mmrs_1v1 ORDER BY id",
    )


def test_init_twice_on_both_stores(home: Path, db_url: str) -> None:
    first = ok(invoke(home, db_url, "init"))
    assert "ready" in first.out
    ok(invoke(home, db_url, "init"))
    ok(invoke(home, db_url, "record", 1, "bw_terran", 2, "bw_zerg"))
    before = raw_rows(db_url)
    ok(invoke(home, db_url, "init"))
    assert raw_rows(db_url) == before
    rows = ok(invoke(home, db_url, "leaderboard", "--format", "json")).json
    assert [(r["discord_uid"], r["mmr"]) for r in rows] == [(1, 1520), (2, 1480)]
    history = ok(invoke(home, db_url, "history", "--format", "json")).json
    assert len(history) == 1


def test_init_creates_tables_for_frequent_updates(home: Path, db_url: str) -> None:
    """Where the ladder creates ``mmrs_1v1`` on PostgreSQL its pages keep room for updated
    rows (HOT updates); the embedded ledger lives in its key's B-tree alone."""
    ok(invoke(home, db_url, "init"))
    if db_url.startswith("sqlite"):
        (ledger,) = query(
            db_url, "SELECT sql FROM sqlite_master WHERE name = 'ladder_applied_jobs'"
        )[0]
        assert ledger.rstrip().endswith("WITHOUT ROWID")
    else:
        assert pg_schema(db_url)["storage"] == [(["fillfactor=80"],)]


def test_init_on_the_embedded_default(home: Path) -> None:
    argv = ["--home", str(home), "init"]
    for _ in range(2):
        with CliRunner().isolation() as (out, _err, _):
            try:
                code = cli.run(argv)
            except SystemExit as exc:
                code = exc.code  # type: ignore[assignment]
            sys.stdout.flush()
            assert code == 0
            assert "ready" in out.getvalue().decode()
    assert (home / "ladder.sqlite3").exists()


@pytest.mark.pg
def test_init_adopts_the_original_table(home: Path, pg_url: str) -> None:
    query(pg_url, ORIGINAL_DDL.format(unique=",\n    UNIQUE (discord_uid, race)"))
    for row in ROWS:
        query(pg_url, INSERT, row)
    schema = pg_schema(pg_url)
    original = raw_rows(pg_url)

    ok(invoke(home, pg_url, "init"))
    ok(invoke(home, pg_url, "init"))
    assert pg_schema(pg_url) == schema
    assert raw_rows(pg_url) == original
    tables = {
        name
        for (name,) in query(
            pg_url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    }
    assert "mmrs_1v1" in tables and len(tables) > 1

    # Reads treat NULL counts as zero.
    played = ok(invoke(home, pg_url, "leaderboard", "--format", "json")).json
    assert [(r["player_name"], r["race"], r["mmr"]) for r in played] == [
        ("OldTimer", "bw_terran", 1600),
        ("Veteran", "bw_protoss", 1550),
    ]
    everything = ok(invoke(home, pg_url, "leaderboard", "--min-games", "0", "--format", "json"))
    unplayed = [r for r in everything.json if r["games_played"] == 0]
    assert {(r["discord_uid"], r["race"], r["rank"]) for r in unplayed} == {
        (100, "sc2_zerg", "U"),
        (200, "bw_zerg", "U"),
    }
    assert all(isinstance(r[k], int) for r in everything.json for k in ("games_won", "games_drawn"))

    # Writes on rows with NULL counts count from zero; names resolve against old rows.
    ok(invoke(home, pg_url, "record", "newbie", "bw_zerg", "OLDTIMER", "sc2_zerg"))
    ok(invoke(home, pg_url, "record", 100, "bw_terran", "Veteran", "bw_protoss", "--draw"))
    ok(invoke(home, pg_url, "record", 400, "sc2_terran", 200, "bw_zerg"))
    assert pg_schema(pg_url) == schema
    stored = {
        (uid, race): (mmr, played, won, lost, drawn)
        for _, uid, _, race, mmr, played, won, lost, drawn, _ in raw_rows(pg_url)
    }
    assert stored[(200, "bw_zerg")][1:] == (2, 1, 1, 0)
    assert stored[(100, "sc2_zerg")][1:] == (1, 0, 1, 0)
    assert stored[(100, "bw_terran")][1:] == (11, 6, 4, 1)
    assert stored[(300, "bw_protoss")][1:] == (4, 1, 1, 2)
    assert stored[(400, "sc2_terran")][1:] == (1, 1, 0, 0)
    assert sum(v[1] for v in stored.values()) == 10 + 3 + 3 * 2
    assert len(stored) == len(ROWS) + 1

    profile = ok(invoke(home, pg_url, "profile", "oldtimer", "--format", "json")).json
    assert {r["race"]: r["games_played"] for r in profile["races"]} == {
        "bw_terran": 11,
        "sc2_zerg": 1,
    }
    assert len(profile["recent_matches"]) == 2


@pytest.mark.pg
def test_init_refuses_a_table_without_the_unique_key(home: Path, pg_url: str) -> None:
    query(pg_url, ORIGINAL_DDL.format(unique=""))
    query(pg_url, INSERT, ROWS[0])
    schema = pg_schema(pg_url)
    original = raw_rows(pg_url)

    result = invoke(home, pg_url, "init")
    assert result.code == 1, result
    assert len(result.err_lines) == 1, result.err
    assert "UNIQUE" in result.err and "discord_uid" in result.err
    assert pg_schema(pg_url) == schema
    assert raw_rows(pg_url) == original
    # Nothing else was created either: init is all or nothing.
    assert query(pg_url, "SELECT to_regclass('ladder_matches')") == [(None,)]


@pytest.mark.pg
def test_init_refuses_a_table_missing_columns(home: Path, pg_url: str) -> None:
    query(
        pg_url,
        "CREATE TABLE mmrs_1v1 (id SERIAL PRIMARY KEY, discord_uid BIGINT NOT NULL, "
        "race TEXT NOT NULL, mmr INTEGER NOT NULL, UNIQUE (discord_uid, race))",
    )
    result = invoke(home, pg_url, "init")
    assert result.code == 1 and len(result.err_lines) == 1
    assert "player_name" in result.err


def test_ladder_tables_of_the_first_builds_keep_exactly_once(home: Path, db_url: str) -> None:
    """The first builds keyed the ledger and the match log by the queue's seq (``job_seq``)
    and had a schema-1 queue. A job applied just before the upgrade, but still in the
    queue, must be found in that ledger, not applied again."""
    from ladder_cli.stores import sql
    from ladder_cli.stores.postgres import PostgresStore
    from ladder_cli.stores.sqlite import SqliteStore
    from ladder_cli.util.urls import mask_url
    from tests.helpers import write_v1_queue

    embedded = db_url.startswith("sqlite")
    # The first builds' layout: ledger keyed by job_seq, a plain (rowid) table
    words = {**(SqliteStore if embedded else PostgresStore).words, "ledger_options": ""}
    old_schema = sql.render(sql.SCHEMA, **words).replace("job_id", "job_seq")
    for statement in old_schema.split(";"):
        if statement.strip():
            query(db_url, statement)
    if embedded:
        query(db_url, "PRAGMA user_version = 1")
    at = 1_767_225_600  # 2026-01-01, a job the old build applied: ledger, log and rows
    query(
        db_url, "INSERT INTO ladder_applied_jobs VALUES ('v1queue', 1, '2026-01-01T00:00:00+00:00')"
    )
    query(
        db_url,
        "INSERT INTO ladder_matches (queue_id, job_seq, played_at, p1_uid, p1_race, "
        "p1_mmr_before, p1_mmr_after, p2_uid, p2_race, p2_mmr_before, p2_mmr_after, result) "
        "VALUES ('v1queue', 1, '2026-01-01T00:00:00+00:00', 1, 'bw_terran', 1500, 1520, "
        "2, 'bw_zerg', 1500, 1480, 1)",
    )
    for uid, race, mmr, won, lost in ((1, "bw_terran", 1520, 1, 0), (2, "bw_zerg", 1480, 0, 1)):
        query(
            db_url,
            "INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr, games_played, "
            "games_won, games_lost, games_drawn, last_played) "
            "VALUES (%s, %s, %s, %s, 1, %s, %s, 0, '2026-01-01T00:00:00+00:00')",
            (uid, f"Player{uid}", race, mmr, won, lost),
        )
    target = db_url if embedded else mask_url(db_url, hide_password=True)
    match = ("match", 1, "bw_terran", 2, "bw_zerg", 1, at, None, None, None, None)
    later = ("match", 1, "bw_terran", 2, "bw_zerg", 1, at + 60, None, None, None, None)
    write_v1_queue(home / "queue.sqlite3", target, [match, later])

    replay = ok(invoke(home, db_url, "wal", "replay", "--format", "json")).json
    assert (replay["applied"], replay["already_applied"], replay["pending"]) == (1, 1, 0)
    [(games,)] = query(db_url, "SELECT games_played FROM mmrs_1v1 WHERE discord_uid = 1")
    assert games == 2  # the first match counted once
    assert query(db_url, "SELECT count(*) FROM ladder_matches") == [(2,)]
    assert query(db_url, "SELECT count(*) FROM ladder_applied_jobs") == [(2,)]
    # the tables now have the current layout, and new jobs keep working
    ok(invoke(home, db_url, "record", "1", "bw_terran", "2", "bw_zerg"))
    assert query(db_url, "SELECT count(*) FROM ladder_applied_jobs WHERE job_id > 2") == [(1,)]
