"""Ctrl-C and SIGTERM say in one line what happened: nothing recorded, or what is queued
and what to do about it; an interrupted replay says how many jobs applied and how many
are still pending.

Each test pauses the real command at a failpoint (``LADDER_FAILPOINT_PAUSE``: it creates a
mark file and waits), sends the signal while it waits there, and reads the last line.
No timing is asserted: the pause makes the stage deterministic.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers import query
from tests.invariants import cli_argv, cli_env, ladder

MATCHES = 10
BATCH = 3


def _csv(path: Path, n: int = MATCHES) -> Path:
    rows = [f"{i},bw_zerg,{i + 100},bw_terran,1" for i in range(1, n + 1)]
    path.write_text("p1_uid,p1_race,p2_uid,p2_race,result\n" + "\n".join(rows) + "\n")
    return path


def interrupted_at(
    home: Path, url: str, point: str, signum: int, *args: str
) -> tuple[int, list[str]]:
    """Run ``ladder ARGS``, send ``signum`` while it waits at ``point``; rc, stderr lines."""
    (home / "config.toml").write_text(f"batch_size = {BATCH}\n")
    mark = home.parent / f"mark-{point.replace(':', '-')}"
    proc = subprocess.Popen(
        cli_argv(home, url, *args),
        env=cli_env(
            {
                "LADDER_FAILPOINT_PAUSE": point,
                "LADDER_FAILPOINT_MARK": str(mark),
                "LADDER_FAILPOINT_PAUSE_S": "120",
            }
        ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not mark.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "never reached the failpoint"
            time.sleep(0.02)
        os.kill(proc.pid, signum)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    return proc.returncode, lines


def pending(home: Path, url: str) -> int:
    done = ladder(home, url, "wal", "status", "--format", "json")
    return int(json.loads(done.stdout)["pending"])


def applied(url: str) -> int:
    return int(query(url, "SELECT count(*) FROM ladder_matches")[0][0])


@pytest.mark.slow_except("sqlite-reading-csv-SIGINT", "postgres-after-validate-SIGTERM")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("point", ["reading-csv", "after-validate"])
def test_file_interrupted_before_the_queue_records_nothing(
    db_url: str, home: Path, point: str, signum: int
) -> None:
    path = _csv(home.parent / "m.csv")
    code, lines = interrupted_at(home, db_url, point, signum, "record", "--file", str(path))
    verb = "terminated" if signum == signal.SIGTERM else "interrupted"
    assert code == 128 + signum
    assert lines == [f"{verb}: nothing was recorded"]
    assert pending(home, db_url) == 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_file_interrupted_once_queued_says_so(db_url: str, home: Path, signum: int) -> None:
    path = _csv(home.parent / "m.csv")
    code, lines = interrupted_at(
        home, db_url, "after-queue-commit", signum, "record", "--file", str(path)
    )
    verb = "terminated" if signum == signal.SIGTERM else "interrupted"
    assert code == 128 + signum
    assert lines == [
        f"{verb}: the {MATCHES} matches from {path} are queued and will be applied by the "
        "next flush; `ladder wal list`, `ladder wal replay`, or `ladder wal discard 1-10`"
    ]
    assert pending(home, db_url) == MATCHES


def test_file_interrupted_between_batches_says_how_many_applied(db_url: str, home: Path) -> None:
    path = _csv(home.parent / "m.csv")
    code, lines = interrupted_at(
        home, db_url, "between-batches", signal.SIGINT, "record", "--file", str(path)
    )
    assert code == 130
    assert lines == [
        f"interrupted: 3 of the {MATCHES} matches from {path} are applied; the other 7 are "
        "queued and will be applied by the next flush; `ladder wal list`, "
        "`ladder wal replay`, or `ladder wal discard 1-10`"
    ]
    assert pending(home, db_url) == 7 and applied(db_url) == 3


def test_file_interrupted_while_reporting_is_recorded(db_url: str, home: Path) -> None:
    path = _csv(home.parent / "m.csv")
    code, lines = interrupted_at(
        home, db_url, "report", signal.SIGINT, "record", "--file", str(path)
    )
    assert code == 130
    assert lines == [f"interrupted: the {MATCHES} matches from {path} are recorded"]
    assert pending(home, db_url) == 0 and applied(db_url) == MATCHES


def test_one_match_interrupted_once_queued(db_url: str, home: Path) -> None:
    code, lines = interrupted_at(
        home, db_url, "after-queue-commit", signal.SIGINT, "record", "1", "bw_zerg", "2",
        "bw_terran",
    )  # fmt: skip
    assert code == 130
    assert lines == [
        "interrupted: the match is queued and will be applied by the next flush; "
        "`ladder wal list`, `ladder wal replay`, or `ladder wal discard 1`"
    ]
    assert pending(home, db_url) == 1


@pytest.mark.slow_except("postgres-SIGINT")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_replay_says_applied_and_pending(db_url: str, home: Path, signum: int) -> None:
    path = _csv(home.parent / "m.csv")
    queued = ladder(home, db_url, "record", "--file", str(path), "--no-flush")
    assert queued.returncode == 0, queued.stderr
    code, lines = interrupted_at(home, db_url, "between-batches:2", signum, "wal", "replay")
    verb = "terminated" if signum == signal.SIGTERM else "interrupted"
    assert code == 128 + signum
    assert lines == [
        f"{verb}: applied 6 jobs; 4 are still pending: run `ladder wal replay` to apply them"
    ]
    assert pending(home, db_url) == 4 and applied(db_url) == 6


def test_replay_interrupted_inside_a_transaction_applies_nothing(db_url: str, home: Path) -> None:
    path = _csv(home.parent / "m.csv")
    assert ladder(home, db_url, "record", "--file", str(path), "--no-flush").returncode == 0
    code, lines = interrupted_at(home, db_url, "in-db-transaction", signal.SIGINT, "wal", "replay")
    assert code == 130
    assert lines == [
        "interrupted: applied 0 jobs; 10 are still pending: run `ladder wal replay` to apply them"
    ]
    assert pending(home, db_url) == MATCHES
    replayed = ladder(home, db_url, "wal", "replay", "--format", "json")
    assert json.loads(replayed.stdout)["applied"] == MATCHES
    assert applied(db_url) == MATCHES
