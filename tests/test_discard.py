"""``ladder wal discard SEQ [--yes]``: drops a pending job that was never applied, after
showing it; refuses one the database's ledger has (exit 2), an unknown seq (exit 2), and
anything while the ledger cannot be checked (exit 1). Both stores."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import query
from tests.invariants import ladder

DOWN = "postgresql://ladder:pw@127.0.0.1:1/ladder"


def _status(home: Path, url: str) -> dict[str, int]:
    return dict(json.loads(ladder(home, url, "wal", "status", "--format", "json").stdout))


def test_discard_drops_a_pending_job(db_url: str, home: Path) -> None:
    args = ("record", "1", "bw_zerg", "2", "bw_terran", "--p1-name", "Flash", "--no-flush")
    assert ladder(home, db_url, *args).returncode == 0
    asked = ladder(home, db_url, "wal", "discard", "1")  # no terminal, no --yes
    assert asked.returncode == 2 and "pass --yes" in asked.stderr
    assert "p1_name=Flash" in asked.stdout  # it showed what the job holds
    assert _status(home, db_url)["pending"] == 1
    done = ladder(home, db_url, "wal", "discard", "1", "--yes")
    assert done.returncode == 0, done.stderr
    assert "p1_name=Flash" in done.stdout and "discarded 1 job" in done.stdout
    assert _status(home, db_url)["pending"] == 0
    replayed = ladder(home, db_url, "wal", "replay", "--format", "json")
    assert json.loads(replayed.stdout)["applied"] == 0
    assert query(db_url, "SELECT count(*) FROM mmrs_1v1")[0][0] == 0


def test_discard_a_range(db_url: str, home: Path) -> None:
    for uid in (1, 3, 5):
        args = ("record", str(uid), "bw_zerg", str(uid + 1), "bw_terran", "--no-flush")
        assert ladder(home, db_url, *args).returncode == 0
    done = ladder(home, db_url, "wal", "discard", "1-2", "--yes")
    assert done.returncode == 0 and "discarded 2 jobs" in done.stdout
    assert _status(home, db_url)["pending"] == 1


def test_unknown_or_malformed_seq_is_bad_input(db_url: str, home: Path) -> None:
    assert ladder(home, db_url, "record", "1", "bw_zerg", "2", "bw_terran").returncode == 0
    for seq in ("1", "99", "abc", "5-2", "0"):  # 1 was applied and left the queue
        done = ladder(home, db_url, "wal", "discard", seq, "--yes")
        assert done.returncode == 2, (seq, done.stderr)
        assert (
            (len(done.stderr.splitlines()) == 1 and "nothing was discarded" in (done.stderr))
            or "seq" in done.stderr
            or "range" in done.stderr
        )


def test_a_job_the_ledger_has_is_refused(db_url: str, home: Path) -> None:
    """Killed after the database committed and before the queue forgot the job: pending
    here, applied there. Discarding it would lie; replay clears it instead."""
    (home / "config.toml").write_text("")
    assert ladder(home, db_url, "record", "1", "bw_zerg", "2", "bw_terran", "--no-flush")
    killed = ladder(home, db_url, "wal", "replay", env={"LADDER_FAILPOINT": "after-db-commit"})
    assert killed.returncode != 0
    assert _status(home, db_url)["pending"] == 1
    done = ladder(home, db_url, "wal", "discard", "1", "--yes")
    assert done.returncode == 2
    assert "ledger already has 1" in done.stderr and "cannot be discarded" in done.stderr
    assert _status(home, db_url)["pending"] == 1
    replayed = ladder(home, db_url, "wal", "replay", "--format", "json")
    assert json.loads(replayed.stdout)["already_applied"] == 1
    assert query(db_url, "SELECT count(*) FROM ladder_matches")[0][0] == 1


def test_nothing_is_discarded_while_the_ledger_cannot_be_checked(home: Path) -> None:
    queued = ladder(home, DOWN, "record", "1", "bw_zerg", "2", "bw_terran")
    assert queued.returncode == 0
    done = ladder(home, DOWN, "wal", "discard", "1", "--yes")
    assert done.returncode == 1
    assert "cannot be checked, so nothing was discarded" in done.stderr
    assert len(done.stderr.splitlines()) == 1 and "pw@" not in done.stderr
    assert _status(home, DOWN)["pending"] == 1
