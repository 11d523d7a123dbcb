"""Workload "integrity": the integrity report over a long match log beside the replay that
``ladder verify`` runs over the same log.

Both are timed in process on the same list of logged matches: the report
(:func:`ladder_cli.domain.integrity.find_flags`, the flags of all four kinds) against the
sequential replay of :mod:`ladder_cli.domain.replay` (what ``verify`` spent its time on once the
log is read, row by row; on a large log it now replays a wave at a time, docs/benchmarks.md
round three; the database read is the same for both commands and left out), in
interleaved rounds (replay, report, replay, report...) after a warm-up round, so a ratio
taken within a round sees the same machine load on both sides. Two logs of the same
length: the bench's usual one (many players, one match a second, few repeat meetings) and
a dense one (few players over a year, every pair meeting often), where every entry has
hundreds of games for the report to scan.

``python -m bench.integrity [--quick]`` runs it alone.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from functools import partial

from bench import data
from bench.harness import FULL, QUICK, Result, Sizes, log, ms, ratio_text
from bench.run import render_text
from ladder_cli.domain.events import LoggedMatch, score
from ladder_cli.domain.integrity import find_flags
from ladder_cli.domain.rating import rate
from ladder_cli.domain.replay import Replay

#: The dense log: players, and the seconds between matches (a million over a year).
DENSE_PLAYERS = 1_000
DENSE_SPACING = 30


def logged(lad: data.Ladder, n: int, *, seed: int, spacing: int = 1) -> list[LoggedMatch]:
    """``n`` matches among the ladder's players, ``spacing`` seconds apart, each with the
    pair of MMRs the ladder's own Elo logs for it (every entry from 1500)."""
    mmr: dict[tuple[int, str], int] = {}
    log = []
    for i, job in enumerate(data.matches(lad, n, seed=seed)):
        k1, k2 = (job.p1_uid, job.p1_race), (job.p2_uid, job.p2_race)
        b1, b2 = mmr.get(k1, 1500), mmr.get(k2, 1500)
        a1, a2 = rate(b1, b2, score(job.result))
        mmr[k1], mmr[k2] = a1, a2
        at = data.EPOCH + timedelta(seconds=i * spacing)
        log.append(LoggedMatch(i + 1, at, *k1, *k2, job.result, "recorded", b1, a1, b2, a2))
    return log


def _timed(work: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``work``."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def _range(seconds: Iterable[float]) -> str:
    ordered = sorted(seconds)
    return f"{ordered[0]:.2f}-{ordered[-1]:.2f} s"


def integrity_report(sizes: Sizes) -> list[Result]:
    n, rounds = sizes.replay_jobs, min(sizes.repeats, 5)
    shapes = (
        (f"{sizes.file_players:,} players, one match a second", sizes.file_players, 1),
        (f"{DENSE_PLAYERS:,} players over a year", DENSE_PLAYERS, DENSE_SPACING),
    )
    results = []
    for shape, players, spacing in shapes:
        log(f"integrity: a log of {n:,} matches, {shape}")
        matches = logged(data.ladder(players, seed=7), n, seed=8, spacing=spacing)
        flags = find_flags(matches)
        replays: list[tuple[float, float]] = []
        reports: list[tuple[float, float]] = []
        for i in range(rounds + 1):
            replay = _timed(partial(Replay.with_rules().run, matches))
            report = _timed(partial(find_flags, matches))
            log(
                f"integrity ({shape}) round {i}: replay {replay[0]:.2f}s "
                f"(CPU {replay[1]:.2f}s), report {report[0]:.2f}s (CPU {report[1]:.2f}s)"
            )
            if i:
                replays.append(replay)
                reports.append(report)
        cpu_mid, cpu_text = ratio_text([r[1] for r in reports], [r[1] for r in replays])
        _, wall_text = ratio_text([r[0] for r in reports], [r[0] for r in replays])
        result = Result(
            f"integrity report over {n:,} matches ({shape}), in process",
            f"{ms(statistics.median(r[1] for r in reports))} CPU",
            f"the replay `verify` runs: {ms(statistics.median(r[1] for r in replays))} CPU",
            f"{cpu_text} CPU; {wall_text} wall",
            "≤ 1x one verify replay",
            cpu_mid <= 1.0,
        )
        kinds = ", ".join(
            f"{sum(f.kind == k for f in flags)} {k}"
            for k in ("pair", "feeder", "sandbag", "newcomer")
        )
        result.notes.append(
            f"{rounds} interleaved rounds (the replay of `ladder_cli.domain.replay` from 1500, "
            "then `find_flags` with the default thresholds) after a warm-up round, on the same "
            "list of logged matches, each after a full garbage collection. Judged on CPU "
            "time (both are single-threaded; on a shared machine the wall clock also counts "
            "the other processes' turns); wall-clock ratios beside it. Ranges: replay "
            f"{_range(r[1] for r in replays)} CPU, {_range(r[0] for r in replays)} wall; "
            f"report {_range(r[1] for r in reports)} CPU, {_range(r[0] for r in reports)} "
            f"wall. The log's flags: {kinds}."
        )
        results.append(result)
        matches = []  # free it before the next log is made
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.integrity", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI size")
    args = parser.parse_args(argv)
    results = integrity_report(QUICK if args.quick else FULL)
    print(render_text(results))
    for result in results:
        print(*result.notes, sep="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["integrity_report", "logged", "main"]
