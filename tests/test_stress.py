"""Random SIGKILLs: ``ladder record``, ``record --file`` and ``wal replay`` killed at random.

Each round starts one real command in a subprocess and SIGKILLs it at a random moment:
four times in five somewhere in its write path (timed from the first failpoint it passes,
which ``LADDER_FAILPOINT_TRACE`` reveals, and as long as that path took in earlier runs),
otherwise anywhere in its run. A round where the command finished first is not counted
as a kill. After every round the database must satisfy the invariants of
:mod:`tests.invariants` as it stands, without any replay: its transactions are atomic.
Every few kills, and at the end, an unkilled ``wal replay`` runs and every write is
judged: acknowledged writes applied exactly once, killed ones wholly applied or absent.
The trace also tells where each kill landed; the figures count them by phase.

The normal suite kills 24 times per store; ``--run-slow`` (``nox -s stress``) 200 times.
Set ``LADDER_STRESS_SEED`` to replay a failing run; the seed is in every failure message.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.invariants import (
    Ledger,
    Write,
    assert_clean,
    check_invariants,
    kill_after,
    ladder,
    read_db,
    replay,
    report_figure,
    spawn,
    store_name,
    wal_status,
    write_csv,
)

PLAYERS = [
    (11, "bw_terran"), (12, "bw_zerg"), (13, "bw_protoss"), (14, "sc2_terran"),
    (15, "sc2_zerg"), (11, "sc2_protoss"), (12, "bw_zerg"), (16, "bw_terran"),
]  # fmt: skip
CHECK_EVERY = 8  # kills between full replays

#: Where a kill landed, by the last failpoint the process passed (LADDER_FAILPOINT_TRACE).
PHASES = {
    "": "before any durable step",
    "reading-csv": "before any durable step",
    "after-validate": "during the queue commit",
    "after-queue-commit": "queued, before the database transaction",
    "in-db-transaction": "inside a database transaction",
    "after-db-commit": "database committed, queue not yet updated",
    "between-batches": "between batches, or after the last",
    "report": "applied, while reporting",
}


def _pair(rng: random.Random) -> tuple[int, str, int, str, int]:
    (u1, r1), (u2, r2) = rng.sample(PLAYERS, 2)
    while u1 == u2:
        (u1, r1), (u2, r2) = rng.sample(PLAYERS, 2)
    return u1, r1, u2, r2, 0 if rng.random() < 0.15 else 1


@dataclass
class Tally:
    kills: Counter[str] = field(default_factory=Counter)
    finished: Counter[str] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)
    killed_then_applied: int = 0
    killed_then_absent: int = 0
    replays: int = 0


class Stress:
    def __init__(self, home: Path, url: str, seed: int) -> None:
        self.home, self.url, self.seed = home, url, seed
        self.rng = random.Random(seed)
        self.book = Ledger()
        self.tally = Tally()
        self.window: dict[str, tuple[float, float]] = {}
        self.killed: list[Write] = []
        (home / "config.toml").write_text("batch_size = 3\n")

    def fail(self, message: str) -> str:
        return f"[LADDER_STRESS_SEED={self.seed}] {message}"

    def _csv(self, write: Write) -> Path:
        path = self.home.parent / f"batch-{len(self.book.writes)}.csv"
        return write_csv(path, write, [_pair(self.rng) for _ in write.ats])

    def _command(self, kind: str) -> tuple[list[str], Write]:
        if kind == "record":
            write = self.book.new(1, "record")
            u1, r1, u2, r2, result = _pair(self.rng)
            args = ["record", str(u1), r1, str(u2), r2, "--at", write.ats[0].isoformat()]
            return args + (["--draw"] if result == 0 else []), write
        if kind == "file":
            write = self.book.new(self.rng.randint(5, 40), "record --file")
            return ["record", "--file", str(self._csv(write))], write
        # replay: queue a unit of work without flushing (acknowledged), then replay it
        queued = self.book.new(self.rng.randint(5, 40), "queued for replay")
        done = ladder(self.home, self.url, "record", "--file", str(self._csv(queued)),
                      "--no-flush")  # fmt: skip
        assert done.returncode == 0, self.fail(done.stderr)
        queued.acknowledged = True
        return ["wal", "replay"], queued

    def _learn(self, kind: str, passed: list[tuple[str, float]]) -> None:
        """Remember when the write path starts (first failpoint) and how long it lasts."""
        if not passed:
            return
        first, span = passed[0][1], passed[-1][1] - passed[0][1]
        old = self.window.get(kind, (first, span))
        self.window[kind] = (0.6 * old[0] + 0.4 * first, 0.6 * old[1] + 0.4 * span)

    def _run(self, kind: str, proc: subprocess.Popen[str], trace: Path, kill: bool) -> Any:
        """Let ``proc`` run, or kill it: 4 times in 5 at a random moment of its write path
        (timed from its first failpoint, so the start-up time does not blur the aim),
        otherwise at a random moment of its whole run."""
        if not kill:
            return kill_after(proc, 600.0)
        first, span = self.window.get(kind, (0.3, 0.05))
        if self.rng.random() < 0.2:
            return kill_after(proc, self.rng.uniform(0.0, first + span))
        while proc.poll() is None and not trace.exists():
            time.sleep(0.0005)
        return kill_after(proc, self.rng.uniform(0.0, span + 0.02))

    def round(self, *, kind: str | None = None, kill: bool = True) -> bool:
        """One command, killed at a random moment; True if the kill landed."""
        kind = kind or self.rng.choice(["record", "record", "file", "replay"])
        args, write = self._command(kind)
        trace = self.home.parent / "trace"
        trace.unlink(missing_ok=True)
        started = time.time()
        proc = spawn(self.home, self.url, *args, env={"LADDER_FAILPOINT_TRACE": str(trace)})
        rc, _, err = self._run(kind, proc, trace, kill)
        assert rc in (0, -9), self.fail(f"{kind} exited {rc}: {err}")
        passed = [
            (name, float(at) - started)
            for name, at in (line.split() for line in trace.read_text().splitlines())
        ] if trace.exists() else []  # fmt: skip
        if rc == 0:
            self._learn(kind, passed)
            self.tally.finished[kind] += 1
            if kind != "replay":
                write.acknowledged = True
        else:
            self.tally.kills[kind] += 1
            self.tally.phases[PHASES[passed[-1][0] if passed else ""]] += 1
            if kind != "replay":
                write.acknowledged = False
                self.killed.append(write)
        # No replay yet: what the database holds must already be consistent.
        try:
            check_invariants(self.url)
        except AssertionError as exc:
            raise AssertionError(self.fail(str(exc))) from None
        return rc == -9

    def settle(self) -> None:
        """An unkilled replay; then every write is wholly applied or wholly absent."""
        report = replay(self.home, self.url)
        self.tally.replays += 1
        assert report["pending"] == 0 and report["failed"] == 0, self.fail(str(report))
        db = check_invariants(self.url)
        outcome = self.book.judge(db)
        assert not outcome.problems, self.fail("\n".join(outcome.problems[:10]))

    def run(self, kills: int) -> None:
        for kind in ("record", "file", "replay"):  # calibrate: unkilled runs
            self.round(kind=kind, kill=False)
        landed = rounds = 0
        while landed < kills:
            rounds += 1
            # Every 10th round runs to the end, to keep the aim calibrated under load.
            if self.round(kill=rounds % 10 != 0):
                landed += 1
                if landed % CHECK_EVERY == 0:
                    self.settle()
        self.settle()
        status = wal_status(self.home, self.url)
        assert (status["pending"], status["failed"]) == (0, 0), self.fail(str(status))
        db = read_db(self.url)
        seen = {m.played_at for m in db.matches}
        for write in self.killed:
            if all(at in seen for at in write.ats):
                self.tally.killed_then_applied += 1
            else:
                self.tally.killed_then_absent += 1
        outcome = self.book.judge(db)
        assert_clean(outcome)
        assert outcome.acknowledged > 0
        report_figure(
            "random SIGKILL of record / record --file / wal replay",
            store_name(self.url),
            self.tally.kills.total(),
            outcome,
            kills=dict(self.tally.kills),
            finished=dict(self.tally.finished),
            phases=dict(self.tally.phases),
            killed_then_applied=self.tally.killed_then_applied,
            killed_then_absent=self.tally.killed_then_absent,
            matches=len(db.matches),
            seed=self.seed,
        )


def _seed() -> int:
    return int(os.environ.get("LADDER_STRESS_SEED") or random.SystemRandom().randrange(2**32))


@pytest.mark.slow
def test_random_sigkills(home: Path, db_url: str) -> None:
    Stress(home, db_url, _seed()).run(24)


@pytest.mark.slow
@pytest.mark.stress
def test_random_sigkills_full(home: Path, db_url: str) -> None:
    Stress(home, db_url, _seed()).run(200)
