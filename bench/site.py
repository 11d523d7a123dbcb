"""Workload "site": ``ladder site`` on the demo ladder and on a 100,000-player ladder.

Both run as a user runs them, ``ladder site --out DIR`` in its own process on an embedded
ladder, timed from fork to exit, one warm-up and then several rounds (each into a fresh
directory). The big ladder is ``data.ladder(N)``'s rows with ``10 N`` matches recorded on
top (so the match log, the charts and the statistics have real work), the default
``--players`` (5,000 pages). CPU time (user + system, from ``wait4``) is reported beside
the wall-clock time: on this shared machine the wall clock also counts waiting for a core.

Each round also runs, right after the site, the two reads any site of the ladder needs
at least: ``ladder stats --format json`` (the whole match log and every entry ranked) and
``ladder leaderboard --top 0 --format json`` (every entry with a game). Their sum is the
baseline, and the ratio (the median of the rounds' ratios) says what the pages cost on top
of reading the data, whatever the machine's load.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import data
from bench.harness import (
    Result,
    Sizes,
    clean_env,
    ladder_argv,
    ladder_for,
    log,
    ms,
    new_embedded_ladder,
)

DEMO_TARGET_S = 3.0
BIG_TARGET_S = 60.0
BIG_PLAYERS = 100_000


@dataclass(frozen=True)
class Timed:
    wall: float
    cpu: float


def site(scratch: Path, sizes: Sizes) -> list[Result]:
    rounds = min(sizes.repeats, 3)
    demo_home = scratch / "site_demo_home"
    _demo_ladder(demo_home)
    log(f"site: the demo ladder, warm-up + {rounds} rounds")
    demo = _rounds(demo_home, scratch / "site_demo", rounds)

    players = BIG_PLAYERS if sizes.name == "full" else sizes.flush_players
    matches = 10 * players
    big_home = scratch / "site_big_home"
    log(f"site: a {players:,}-player ladder with {matches:,} matches (building it)")
    entries = _big_ladder(big_home, players, matches)
    log(f"site: the {players:,}-player ladder, warm-up + {rounds} rounds")
    big = _rounds(big_home, scratch / "site_big", rounds)
    return [
        _result(
            "site: `ladder site` of the demo ladder (sample_data/, 6,000 matches, 420 players)",
            demo,
            DEMO_TARGET_S,
            "",
        ),
        _result(
            f"site: `ladder site` of a {players:,}-player ladder ({entries:,} entries, "
            f"{matches:,} matches), default --players (5,000 pages)",
            big,
            BIG_TARGET_S,
            "" if players == BIG_PLAYERS else f" (the target is for {BIG_PLAYERS:,} players)",
        ),
    ]


def _result(
    workload: str, runs: Sequence[tuple[Timed, Timed]], target: float, caveat: str
) -> Result:
    walls = sorted(site.wall for site, _ in runs)
    cpus = sorted(site.cpu for site, _ in runs)
    reads = sorted(r.wall for _, r in runs)
    ratios = sorted(site.wall / r.wall for site, r in runs)
    mid = statistics.median(walls)
    result = Result(
        workload,
        f"{ms(mid)} (rounds {ms(walls[0])}-{ms(walls[-1])}); CPU {ms(statistics.median(cpus))}",
        f"reads: {ms(statistics.median(reads))} (rounds {ms(reads[0])}-{ms(reads[-1])})",
        f"{statistics.median(ratios):.2f}x the reads (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}x)",
        f"≤ {target:g} s{caveat}",
        mid <= target,
    )
    result.notes.append(
        f"`ladder site --out DIR` in its own process on an embedded ladder, {len(runs)} "
        "rounds after a warm-up, each into a new directory; wall clock from fork to exit "
        "(median, and the rounds' range), CPU = user + system time of the process (median: "
        "on a loaded machine the wall clock also counts the wait for a core). Baseline, run "
        "right after the site in each round: `ladder stats --format json` then `ladder "
        "leaderboard --top 0 --format json` of the same ladder, timed together."
    )
    return result


def _rounds(home: Path, out: Path, rounds: int) -> list[tuple[Timed, Timed]]:
    runs = []
    for i in range(rounds + 1):
        target = out.with_name(f"{out.name}_{i}")
        site = _run(home, ["site", "--out", str(target)])
        if not (target / "index.html").is_file():
            raise RuntimeError(f"ladder site wrote no index.html in {target}")
        shutil.rmtree(target, ignore_errors=True)
        stats = _run(home, ["stats", "--format", "json"])
        board = _run(home, ["leaderboard", "--top", "0", "--format", "json"])
        reads = Timed(stats.wall + board.wall, stats.cpu + board.cpu)
        log(
            f"site round {i}: {site.wall:.2f}s wall, {site.cpu:.2f}s CPU; "
            f"reads {reads.wall:.2f}s wall, {reads.cpu:.2f}s CPU"
        )
        if i:
            runs.append((site, reads))
    return runs


def _run(home: Path, args: Sequence[str]) -> Timed:
    argv = [*ladder_argv(), "--home", str(home), *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=clean_env()
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        if code != 0:
            err.seek(0)
            message = err.read().decode(errors="replace").strip()
            raise RuntimeError(f"ladder {' '.join(args)} exited {code}: {message}")
    return Timed(wall, usage.ru_utime + usage.ru_stime)


def _demo_ladder(home: Path) -> None:
    """What `ladder demo` loads: sample_data/ into a fresh embedded ladder."""
    from ladder_cli.cli.setup import sample_matches_path
    from ladder_cli.domain.csvfile import read_matches

    ladder = ladder_for(None, home)
    try:
        ladder.record_many(read_matches(sample_matches_path()))
    finally:
        ladder.close()


def _big_ladder(home: Path, players: int, matches: int) -> int:
    lad = data.ladder(players)
    new_embedded_ladder(home, lad)
    ladder = ladder_for(None, home)
    try:
        ladder.record_many(data.matches(lad, matches), flush=False)
        report = ladder.flush(keep_matches=())
        if report.applied != matches or report.pending or report.failed:
            raise RuntimeError(f"the flush applied {report.applied} of {matches:,}")
    finally:
        ladder.close()
    return lad.entries
