"""Failover to an asynchronous standby: a multi-host URL finds the new primary, writes
queue while there is none, and `wal reconcile` restores what the promotion lost.

A primary and a streaming-replication standby (``pg_basebackup -R``) run on loopback.
The standby is asynchronous; the primary is killed with ``pg_ctl stop -m immediate``
right after acknowledged writes and the standby is promoted. The deterministic test
stops the standby's WAL receiver before the last writes, so the promotion certainly
loses them (a standby lagging behind); the slow test kills the primary without that, at
whatever point replication has reached.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.pgcluster import PASSWORD, USER, PgCluster
from tests.helpers import invoke
from tests.invariants import Ledger, assert_clean, check_invariants, read_db, report_figure

# A standby beside the primary, and the primary crashed: the whole suite only.
pytestmark = [pytest.mark.pg, pytest.mark.durable, pytest.mark.slow]

PAIRS = [(1, "bw_terran", 2, "bw_zerg"), (2, "bw_zerg", 3, "sc2_protoss"),
         (3, "sc2_protoss", 1, "bw_terran"), (4, "bw_zerg", 1, "bw_terran")]  # fmt: skip


@pytest.fixture
def pair(pg_cluster: PgCluster, pg_url: str) -> Iterator[tuple[PgCluster, PgCluster, str]]:
    """The session's server as the primary (restarted afterwards by ``pg_url``) with a
    fresh database, a standby of it, and the failover URL over both."""
    name = pg_url.rsplit("/", 1)[1]
    standby = PgCluster(standby_of=pg_cluster)
    try:
        standby.start()
        url = (
            f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{pg_cluster.port},"
            f"127.0.0.1:{standby.port}/{name}?target_session_attrs=read-write"
        )
        yield pg_cluster, standby, url
    finally:
        standby.cleanup()


def write(home: Path, url: str, led: Ledger, n: int, rng: random.Random, *, queued: bool) -> None:
    """``n`` single records, each acknowledged (exit 0); ``queued``: the database is not
    writable, so each must say it is queued."""
    for _ in range(n):
        w = led.new(label="record")
        u1, r1, u2, r2 = rng.choice(PAIRS)
        draw = ["--draw"] if rng.random() < 0.2 else []
        done = invoke(home, url, "record", u1, r1, u2, r2, "--at", w.ats[0].isoformat(), *draw)
        assert done.code == 0, done
        assert ("queued and safe" in done.err) == queued, done
        w.acknowledged = True


def scenario(
    pair: tuple[PgCluster, PgCluster, str], home: Path, rng: random.Random, *, lag: bool, n: int
) -> tuple[int, int]:
    """One failover; returns (acknowledged matches, matches the promotion lost)."""
    primary, standby, url = pair
    led = Ledger()
    write(home, url, led, n, rng, queued=False)
    standby.wait_for_replay(primary)
    if lag:
        standby.stop_replication()
    write(home, url, led, n, rng, queued=False)  # acknowledged by the primary
    primary.stop("immediate")
    # No writable server: writes queue, exit 0.
    write(home, url, led, 2, rng, queued=True)
    standby.promote()
    # The next command finds the new primary and applies what was queued.
    write(home, url, led, 2, rng, queued=False)
    standby_url = url.replace(f"127.0.0.1:{primary.port},", "")
    lost = led.judge(read_db(standby_url)).lost
    if lag:
        assert lost == n, "the promotion should have lost the writes after the lag began"
    done = invoke(home, url, "wal", "reconcile", "--format", "json")
    assert done.code == 0, done
    assert done.json["missing"] == done.json["reapplied"] == lost
    assert done.json["checked"] == 2 * n + 4
    outcome = led.judge(check_invariants(standby_url))
    assert_clean(outcome)
    again = invoke(home, url, "wal", "reconcile", "--format", "json")
    assert again.code == 0 and again.json["missing"] == 0
    assert_clean(led.judge(check_invariants(standby_url)))
    report_figure(
        "failover to an async standby (primary killed, standby promoted), then `wal reconcile`",
        "postgres",
        1,
        outcome,
        lost_by_promotion=lost,
    )
    return outcome.acknowledged, lost


def test_failover_loses_nothing_after_reconcile(
    pair: tuple[PgCluster, PgCluster, str], home: Path
) -> None:
    scenario(pair, home, random.Random(14), lag=True, n=4)


@pytest.mark.slow
@pytest.mark.stress
@pytest.mark.parametrize("round_", range(5))
def test_failover_at_whatever_point_replication_reached(
    pair: tuple[PgCluster, PgCluster, str], home: Path, round_: int
) -> None:
    scenario(pair, home, random.Random(round_), lag=round_ % 2 == 0, n=10)
