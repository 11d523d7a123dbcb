"""``wal discard`` leaves an audit row: who, when, which jobs and what they held (action
``discard``). The row is an audit-only job queued with the drop, in one queue
transaction, and written to the database like any job: exactly once. If the database
goes away after the drop, the discard stands and the row follows with the next flush.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from devtools.pgcluster import PgCluster
from ladder_cli.core.ladder import Ladder
from tests.helpers import invoke, query


def run(home: Path, url: str, *args: object, code: int = 0) -> Any:
    result = invoke(home, url, *args)
    assert result.code == code, (args, result.code, result.out, result.err)
    return result


def _discards(url: str) -> list[tuple[Any, ...]]:
    return query(url, "SELECT actor, action, target FROM ladder_audit WHERE action = 'discard'")


def test_a_discard_is_audited_once(db_url: str, home: Path) -> None:
    run(home, db_url, "record", 1, "bw_zerg", 2, "bw_terran", "--p1-name", "Flash")
    run(home, db_url, "record", 1, "bw_zerg", 2, "bw_terran", "--no-flush")
    run(home, db_url, "record", 2, "bw_terran", 1, "bw_zerg", "--draw", "--no-flush")
    run(home, db_url, "reset", 2, "--mmr", 1600, "--yes", "--no-flush")
    assert run(home, db_url, "wal", "status", "--format", "json").json["pending"] == 3
    done = run(home, db_url, "--by", "alice", "wal", "discard", "2-4", "--yes")
    assert "discarded 3 jobs" in done.out and not done.err_lines
    [(actor, action, target)] = _discards(db_url)
    assert (actor, action) == ("alice", "discard")
    assert target == (
        "jobs 2-4: match 1 bw_zerg vs 2 bw_terran; match 2 bw_terran vs 1 bw_zerg drawn; "
        "reset 2 (every race) to 1600"
    )
    # nothing left queued, and no replay or later write writes it again
    assert run(home, db_url, "wal", "status", "--format", "json").json["pending"] == 0
    assert run(home, db_url, "wal", "replay", "--format", "json").json["applied"] == 0
    run(home, db_url, "record", 1, "bw_zerg", 2, "bw_terran")
    assert len(_discards(db_url)) == 1
    # the trail shows it like any row: players by name, races short
    table = run(home, db_url, "audit").out
    assert "discard" in table and "match Flash BW Z vs" in table
    trail = run(home, db_url, "audit", "--format", "json").json
    assert [r["action"] for r in trail] == ["record", "discard", "record"]


def test_a_big_discard_counts_what_it_held(db_url: str, home: Path) -> None:
    for _ in range(5):
        run(home, db_url, "record", 1, "bw_zerg", 2, "bw_terran", "--no-flush")
    adjust = ("adjust", 1, "--race", "bw_zerg", "--by", 5, "--reason", "x", "--yes")
    run(home, db_url, *adjust, "--no-flush")
    run(home, db_url, "wal", "discard", "1-6", "--yes")
    [(_, _, target)] = _discards(db_url)
    assert target == "jobs 1-6, 6 in all: 5 match, 1 adjust"


def test_nothing_discarded_no_row(db_url: str, home: Path) -> None:
    run(home, db_url, "record", 1, "bw_zerg", 2, "bw_terran")
    run(home, db_url, "wal", "discard", "1", "--yes", code=2)  # applied: not pending
    run(home, db_url, "wal", "discard", "9", "--yes", code=2)
    assert _discards(db_url) == []


@pytest.mark.pg
def test_offline_after_the_drop_the_row_follows(
    pg_url: str, pg_cluster: PgCluster, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database goes away between the drop and the audit row's write: the discard
    stands (exit 0), the row waits in the queue, and a replay writes it once."""
    run(home, pg_url, "record", 1, "bw_zerg", 2, "bw_terran")
    run(home, pg_url, "record", 1, "bw_zerg", 2, "bw_terran", "--no-flush")
    mark = tmp_path / "paused"
    monkeypatch.setenv("LADDER_FAILPOINT_PAUSE", "after-discard")
    monkeypatch.setenv("LADDER_FAILPOINT_MARK", str(mark))
    monkeypatch.setenv("LADDER_FAILPOINT_PAUSE_S", "60")
    outcome: list[Any] = []
    with Ladder.open(db=pg_url, home=home) as ladder:
        ladder.by = "alice"
        plan = ladder.discards.check(2, 2)
        worker = threading.Thread(target=lambda: outcome.append(ladder.discards.discard(plan)))
        worker.start()
        deadline = time.monotonic() + 60
        while not mark.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert mark.exists()
        pg_cluster.stop()  # the jobs are dropped; the audit row is not written yet
        mark.unlink()
        worker.join(60)
    monkeypatch.delenv("LADDER_FAILPOINT_PAUSE")
    [done] = outcome
    assert done.dropped == 1 and not done.audited and done.unavailable
    pg_cluster.start()
    assert _discards(pg_url) == []
    assert run(home, pg_url, "wal", "status", "--format", "json").json["pending"] == 0
    replayed = run(home, pg_url, "wal", "replay")
    assert "applied 1 job" in replayed.out
    [(actor, action, target)] = _discards(pg_url)
    assert (actor, action, target) == ("alice", "discard", "job 2: match 1 bw_zerg vs 2 bw_terran")
    run(home, pg_url, "wal", "replay")
    assert len(_discards(pg_url)) == 1
    assert query(pg_url, "SELECT count(*) FROM ladder_matches") == [(1,)]  # the job is gone


def test_offline_before_the_drop_nothing_is_discarded(home: Path) -> None:
    """Offline before the discard: nothing is discarded (the ledger cannot be checked),
    so no row either."""
    down = "postgresql://ladder@127.0.0.1:1/ladder"
    run(home, down, "record", 1, "bw_zerg", 2, "bw_terran")
    refused = run(home, down, "wal", "discard", "1", "--yes", code=1)
    assert "nothing was discarded" in refused.err
    assert run(home, down, "wal", "status", "--format", "json").json["pending"] == 1
