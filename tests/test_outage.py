"""PostgreSQL outages: writes are accepted into the queue, reads come from the snapshot
(and say so), and ``ladder wal replay`` applies everything once the server is back,
nothing lost and nothing doubled.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from devtools.pgcluster import PASSWORD, PgCluster
from tests.helpers import Run, elo, invoke, query

pytestmark = pytest.mark.pg


def process(home: Path, url: str, *args: object) -> Run:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "LADDER_HOME")}
    done = subprocess.run(
        [sys.executable, "-m", "ladder_cli", "--home", str(home), "--db", url, *map(str, args)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    result = Run(done.returncode, done.stdout, done.stderr)
    assert PASSWORD not in result.out + result.err
    assert "Traceback" not in result.err
    return result


def ok(result: Run) -> Run:
    assert result.code == 0, result
    return result


def entries(result: Run) -> dict[tuple[int, str], dict[str, Any]]:
    return {(r["discord_uid"], r["race"]): r for r in ok(result).json}


def test_outage_queues_reads_snapshot_and_replays(
    home: Path, pg_url: str, pg_cluster: PgCluster
) -> None:
    def run(*args: object) -> Run:
        return invoke(home, pg_url, *args)

    # Online: the write goes straight to the database.
    ok(run("record", 1, "bw_terran", 2, "bw_zerg", "--p1-name", "Alice"))
    assert ok(run("wal", "status", "--format", "json")).json["pending"] == 0

    pg_cluster.stop()
    try:
        # Down: the real command accepts the write, warns, and previews from the snapshot.
        a1, b1 = elo(1520, 1500, 1.0)
        down = process(home, pg_url, "record", "alice", "bw_terran", 3, "bw_zerg")
        assert down.code == 0, down
        assert "1 job pending" in down.err
        assert "ladder wal replay" in down.err
        assert "snapshot" in down.err
        assert f"1520 → {a1}" in down.out and f"1500 → {b1}" in down.out
        assert "Alice" in down.out

        # A second queued write, on top of the first (P1's entry exists only in the
        # queue so far) and a new race combination for Alice.
        a2, c2 = elo(b1, 1500, 0.5)
        second = ok(run("record", 3, "bw_zerg", "ALICE", "sc2_zerg", "--draw"))
        assert "2 jobs pending" in second.err and "ladder wal replay" in second.err
        assert f"{b1} → {a2}" in second.out and f"1500 → {c2}" in second.out

        # Reads show the pending writes on top of the snapshot, and say so.
        board = run("leaderboard", "--format", "json")
        shown = entries(board)
        assert "snapshot" in board.err
        assert set(shown) == {(1, "bw_terran"), (2, "bw_zerg"), (3, "bw_zerg"), (1, "sc2_zerg")}
        assert shown[(1, "bw_terran")]["games_played"] == 2
        assert shown[(1, "bw_terran")]["mmr"] == a1
        assert shown[(3, "bw_zerg")]["mmr"] == a2
        assert shown[(3, "bw_zerg")]["games_played"] == 2
        assert shown[(1, "sc2_zerg")]["games_drawn"] == 1
        assert shown[(1, "sc2_zerg")]["player_name"] == "Alice"

        profile = run("profile", "Alice", "--format", "json")
        assert ok(profile).json["player_name"] == "Alice"
        assert "snapshot" in profile.err
        assert {r["race"]: r["games_played"] for r in profile.json["races"]} == {
            "bw_terran": 2,
            "sc2_zerg": 1,
        }
        table = ok(run("leaderboard"))
        assert "Alice" in table.out and "snapshot" in table.err

        # The match log too: the snapshot's logged match under the two pending ones.
        history = run("history", "--format", "json")
        assert "snapshot" in history.err
        logged = [(m["match_id"], m["p1_uid"], m["p2_uid"]) for m in ok(history).json]
        assert sorted(logged) == [(1, 1, 2), (2, 1, 3), (3, 3, 1)]
        recent = profile.json["recent_matches"]
        assert sorted(m["match_id"] for m in recent) == [1, 2, 3]
        assert ok(run("history", "2", "--format", "json")).json[0]["match_id"] == 1

        status = ok(run("wal", "status", "--format", "json")).json
        assert status["pending"] == 2 and status["failed"] == 0

        # Replaying while it is still down fails cleanly and keeps everything queued.
        early = run("wal", "replay")
        assert early.code == 1 and len(early.err_lines) == 1
        assert ok(run("wal", "status", "--format", "json")).json["pending"] == 2
    finally:
        pg_cluster.start()

    replay = ok(run("wal", "replay", "--format", "json")).json
    assert replay == {"applied": 2, "already_applied": 0, "failed": 0, "pending": 0}
    again = ok(run("wal", "replay", "--format", "json")).json
    assert again["applied"] == 0 and again["pending"] == 0

    # Nothing lost, nothing doubled.
    [(games, won, lost, drawn)] = query(
        pg_url,
        "SELECT sum(games_played), sum(games_won), sum(games_lost), sum(games_drawn) FROM mmrs_1v1",
    )
    assert (games, won, lost, drawn) == (6, 2, 2, 2)
    assert query(pg_url, "SELECT count(*) FROM ladder_matches") == [(3,)]
    ledger = query(
        pg_url, "SELECT queue_id, job_id, count(*) FROM ladder_applied_jobs GROUP BY 1, 2"
    )
    assert len(ledger) == 3 and all(n == 1 for _, _, n in ledger)
    stored = {(u, r): m for u, r, m in query(pg_url, "SELECT discord_uid, race, mmr FROM mmrs_1v1")}
    assert stored == {
        (1, "bw_terran"): a1,
        (2, "bw_zerg"): 1480,
        (3, "bw_zerg"): a2,
        (1, "sc2_zerg"): c2,
    }
    # Back online, reads come from the database again, without a snapshot warning.
    board = run("leaderboard", "--format", "json")
    assert {k: r["mmr"] for k, r in entries(board).items()} == stored
    assert "snapshot" not in board.err
    history = ok(run("history", "--format", "json")).json
    assert len(history) == 3


def test_never_reached_database(home: Path, pg_url: str, pg_cluster: PgCluster) -> None:
    def run(*args: object) -> Run:
        return invoke(home, pg_url, *args)

    pg_cluster.stop()
    try:
        for args in (
            ["leaderboard"],
            ["leaderboard", "--format", "json"],
            ["profile", "1"],
            ["history"],
        ):
            result = run(*args)
            assert result.code == 1, (args, result)
            assert result.out == ""
            assert len(result.err_lines) == 1, result.err
            assert "cannot reach" in result.err
            assert "snapshot" in result.err or "never" in result.err

        # Writes are still accepted: queued, durable, exit 0.
        queued = process(home, pg_url, "record", 1, "bw_terran", 2, "bw_zerg")
        assert queued.code == 0, queued
        assert "1 job pending" in queued.err and "ladder wal replay" in queued.err
        assert ok(run("wal", "status", "--format", "json")).json["pending"] == 1
        # Still nothing to read: no snapshot, and the pending write is not enough.
        assert run("leaderboard").code == 1
    finally:
        pg_cluster.start()

    assert ok(run("wal", "replay", "--format", "json")).json["applied"] == 1
    rows = ok(run("leaderboard", "--format", "json")).json
    assert [(r["discord_uid"], r["mmr"], r["games_played"]) for r in rows] == [
        (1, 1520, 1),
        (2, 1480, 1),
    ]
    assert query(pg_url, "SELECT count(*) FROM ladder_applied_jobs") == [(1,)]


def test_unreachable_host_port(home: Path, pg_cluster: PgCluster) -> None:
    """A URL nobody listens on behaves like a database that was never reached."""
    url = pg_cluster.url("nowhere").replace(f":{pg_cluster.port}/", ":1/")
    result = invoke(home, url, "leaderboard")
    assert result.code == 1 and len(result.err_lines) == 1
    queued = invoke(home, url, "record", 5, "bw_zerg", 6, "bw_zerg")
    assert queued.code == 0 and "ladder wal replay" in queued.err
    assert ok(invoke(home, url, "wal", "status", "--format", "json")).json["pending"] == 1
