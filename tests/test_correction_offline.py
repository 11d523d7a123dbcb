"""Corrections while PostgreSQL is down: the preview comes from this home's snapshot and
says so in one line; the correction is queued and applied once the server is back."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.pgcluster import PgCluster
from tests.helpers import invoke, query

MATCHES = [["1", "bw_zerg", "2", "bw_terran"], ["2", "bw_terran", "3", "bw_zerg"],
           ["3", "bw_zerg", "1", "bw_zerg"]]  # fmt: skip


@pytest.mark.pg
def test_offline_correction_previews_from_the_snapshot(
    home: Path, pg_url: str, pg_cluster: PgCluster
) -> None:
    assert invoke(home, pg_url, "init").code == 0
    for args in MATCHES:
        assert invoke(home, pg_url, "record", *args).code == 0
    live = invoke(home, pg_url, "match", "amend", "1", "--result", "draw", "--dry-run")
    assert live.code == 0 and not live.err
    assert invoke(home, pg_url, "leaderboard").code == 0  # leaves this home's snapshot
    pg_cluster.stop("fast")
    try:
        dry = invoke(home, pg_url, "match", "amend", "1", "--result", "draw", "--dry-run")
        assert dry.code == 0
        assert dry.out == live.out, "the snapshot holds the whole log: the same preview"
        [line] = dry.err_lines
        assert line.startswith("warning: offline: preview from this home's snapshot of ")
        assert "its newest 3 matches; resets and adjustments are not in it" in line
        unknown = invoke(home, pg_url, "match", "void", "99", "--dry-run")
        assert unknown.code == 0 and "no entry" not in unknown.out
        assert "match 99 is not among the newest 3 matches" in unknown.err
        same = invoke(home, pg_url, "match", "amend", "1", "--result", "p1", "--reason", "x",
                      "--yes")  # fmt: skip
        assert same.code == 2 and "already has that result" in same.err
        done = invoke(home, pg_url, "match", "amend", "1", "--result", "draw", "--reason",
                      "misreported", "--yes")  # fmt: skip
        assert done.code == 0, done.err
        assert done.out == live.out
        assert "amend is queued and safe; 1 job pending" in done.err
        assert invoke(home, pg_url, "wal", "status", "--format", "json").json["pending"] == 1
    finally:
        pg_cluster.start()
    assert invoke(home, pg_url, "wal", "replay").code == 0
    assert query(pg_url, "SELECT state, result FROM ladder_matches WHERE match_id = 1") == [
        ("amended", 0)
    ]
    assert query(pg_url, "SELECT action, reason FROM ladder_audit WHERE action = 'amend'") == [
        ("amend", "misreported")
    ]
    assert invoke(home, pg_url, "verify").code == 0
