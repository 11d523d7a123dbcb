"""SIGKILL inside a correction, then ``ladder wal replay``: applied exactly once.

The real ``ladder match void|amend`` runs in a subprocess with ``LADDER_FAILPOINT`` set,
so it dies by SIGKILL exactly there (see :mod:`ladder_cli.util.failpoints`): before the job
is durable, once it is durable, inside the transaction that replays the log, and after
that transaction committed but before the queue heard of it. A match recorded after it
(which flushes the pending correction first) and a replay follow. Every entry and every
logged pair must then equal an independent replay of the log, with the correction in it
exactly once (or not at all when it was never durable), one audit row for it, and one
ledger row.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ladder_cli.core.ladder import Ladder
from tests.helpers import query
from tests.invariants import ladder, replay
from tests.test_corrections_stores import EPOCH, Model, check_against_replay

MATCHES = [
    ((1, "bw_zerg"), (2, "bw_terran"), 1),
    ((2, "bw_terran"), (3, "bw_protoss"), 1),
    ((3, "bw_protoss"), (1, "bw_zerg"), 0),
    ((1, "bw_zerg"), (3, "bw_protoss"), 1),
    ((2, "bw_terran"), (1, "bw_zerg"), 1),
]
VOIDED = 2  # the second match: every later one is replayed


def _setup(url: str, home: Path) -> Model:
    model = Model()
    with Ladder.open(db=url, home=home) as lad:
        lad.init()
        for i, (k1, k2, result) in enumerate(MATCHES):
            at = EPOCH + timedelta(hours=i)
            lad.record(*k1, *k2, draw=result == 0, at=at)
            model.last_match += 1
            model.log.append(["match", model.last_match, k1, k2, result, at, "recorded"])
        lad.reset(3, race="bw_protoss", mmr=1450)
        model.log.append(["reset", model.last_match, 3, "bw_protoss", 1450, False])
    return model


def _finish(url: str, home: Path, model: Model) -> None:
    """A match after the correction (its flush applies what is pending first), a replay."""
    at = EPOCH + timedelta(hours=10)
    done = ladder(home, url, "record", "3", "bw_protoss", "2", "bw_terran", "--at", at.isoformat())
    assert done.returncode == 0, done.stderr
    model.last_match += 1
    model.log.append(["match", model.last_match, (3, "bw_protoss"), (2, "bw_terran"), 1, at,
                      "recorded"])  # fmt: skip
    replay(home, url)


def _applied_once(url: str, home: Path, model: Model, action: str, applied: bool) -> None:
    with Ladder.open(db=url, home=home) as lad:
        assert lad.wal_status().pending == 0
        check_against_replay(lad, url, model)
        assert lad.verify().ok
    audit = query(url, "SELECT action, target FROM ladder_audit WHERE action = %s", (action,))
    assert audit == ([(action, f"match {VOIDED}")] if applied else [])
    # one ledger row per job: five records, the reset, the correction, the last record
    [(ledger,)] = query(url, "SELECT count(*) FROM ladder_applied_jobs")
    assert ledger == len(MATCHES) + 2 + applied


#: (the replay test below kills after-db-commit for a void and in-correction on replay)
CASES = [
    ("void", "after-validate"),
    ("void", "after-queue-commit"),
    ("void", "in-correction"),
    ("amend", "after-db-commit"),
]


@pytest.mark.parametrize(("action", "point"), CASES)
def test_sigkill_in_a_correction_then_replay_applies_it_once(
    action: str, point: str, db_url: str, home: Path
) -> None:
    model = _setup(db_url, home)
    args = ["match", action, str(VOIDED), "--reason", "crash test", "--yes"]
    if action == "amend":
        args += ["--result", "p2"]
    done = ladder(home, db_url, *args, env={"LADDER_FAILPOINT": point})
    assert done.returncode == -9, done.stderr
    applied = point != "after-validate"
    if applied:
        entry = model.match(VOIDED)
        if action == "void":
            entry[6] = "voided"
        else:
            entry[4], entry[6] = 2, "amended"
    _finish(db_url, home, model)
    _applied_once(db_url, home, model, action, applied)


def test_replay_killed_inside_the_correction_then_again(db_url: str, home: Path) -> None:
    """Queued (killed once durable), then the replay itself killed mid-correction twice:
    the third replay applies it, once."""
    model = _setup(db_url, home)
    done = ladder(home, db_url, "match", "void", str(VOIDED), "--reason", "crash test", "--yes",
                  env={"LADDER_FAILPOINT": "after-queue-commit"})  # fmt: skip
    assert done.returncode == -9
    for point in ("in-correction", "after-db-commit"):
        killed = ladder(home, db_url, "wal", "replay", env={"LADDER_FAILPOINT": point})
        assert killed.returncode == -9, killed.stderr
    model.match(VOIDED)[6] = "voided"
    _finish(db_url, home, model)
    _applied_once(db_url, home, model, "void", True)
