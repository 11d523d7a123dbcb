"""Behaviour that must not depend on the Python version: a replay that spans several
batches while the database is unreachable ends promptly (it hung on Python 3.13, whose
daemon threads stop for good once the interpreter shuts down)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ladder_cli.core.ladder import Ladder
from ladder_cli.domain.model import MatchJob
from ladder_cli.util.config import resolve
from ladder_cli.util.errors import DatabaseUnavailable
from tests.invariants import cli_env

#: Nothing listens on port 1: the connection is refused at once.
DOWN = "postgresql://ladder:pw@127.0.0.1:1/ladder"


def _queued_home(home: Path, matches: int = 10, batch: int = 3) -> Path:
    (home / "config.toml").write_text(f"batch_size = {batch}\n")
    with Ladder(resolve(db=DOWN, home=home, env={})) as ladder:
        jobs = [MatchJob.checked(i + 1, "bw_zerg", i + 1000, "bw_terran") for i in range(matches)]
        outcome = ladder.record_many(jobs)
        assert outcome.unavailable and outcome.pending == matches
    return home


def test_a_failed_flush_leaves_no_helper_thread_behind(home: Path) -> None:
    """The flush's prefetch thread is stopped and joined before the error leaves flush, even
    while the error's traceback (which holds the flush's frames) is still alive."""
    _queued_home(home)
    with Ladder(resolve(db=DOWN, home=home, env={})) as ladder:
        with pytest.raises(DatabaseUnavailable) as caught:
            ladder.flush()
        alive = [t.name for t in threading.enumerate() if t.name == "ladder-queue-prefetch"]
        assert caught.value.__traceback__ is not None
        assert alive == [], "the prefetch thread outlived the flush"
        assert ladder.queue.pending_count() == 10


def test_replay_while_down_exits_promptly(home: Path) -> None:
    """`wal replay` of several batches with the database down: exit 1 and one line, at once
    (the suite runs on each supported Python; 3.13 used to hang here forever)."""
    _queued_home(home)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ladder_cli",
                "--home",
                str(home),
                "--db",
                DOWN,
                "wal",
                "replay",
            ],
            env=cli_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`ladder wal replay` hung on Python {sys.version.split()[0]}")
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: cannot reach"), done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_messages_agree_with_their_counts(home: Path, tmp_path: Path) -> None:
    """One job, one match: singular; several: plural (no "job(s)", no "10 matches is")."""
    from tests.invariants import ladder

    one = tmp_path / "one.csv"
    one.write_text("p1_uid,p1_race,p2_uid,p2_race,result\n1,bw_zerg,2,bw_terran,1\n")
    done = ladder(home, DOWN, "record", "--file", str(one))
    assert done.returncode == 0
    assert f"the match from {one} is queued and safe; 1 job pending" in done.stderr
    assert "queued 1 match from" in done.stdout
    two = tmp_path / "two.csv"
    two.write_text(one.read_text() + "3,bw_zerg,4,bw_terran,1\n")
    done = ladder(home, DOWN, "record", "--file", str(two))
    assert f"the 2 matches from {two} are queued and safe; 3 jobs pending" in done.stderr
    assert "(s)" not in done.stderr + done.stdout
