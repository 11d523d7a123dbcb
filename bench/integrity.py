"""Workload "integrity": the integrity report over a long match log beside ``ladder verify``
of the same log.

End to end (:func:`integrity_end_to_end`): ``ladder integrity`` and ``ladder verify``, each
its own process, over a log flushed into PostgreSQL, in interleaved rounds (floor, verify,
the report's table, its JSON) after a warm-up round; the ratio is the median of the
per-round ratios, with their range. The report's JSON is checked against the engine run in
this process over the same log.

In process (:func:`integrity_report`), both on the same list of logged matches: the report
(:func:`ladder_cli.domain.integrity.find_flags`, the flags of all four kinds) against the
sequential replay of :mod:`ladder_cli.domain.replay` (what ``verify`` spent its time on once the
log is read, row by row; on a large log it now replays a wave at a time, docs/benchmarks.md
round three; the database read is the same for both commands and left out), in
interleaved rounds (replay, report, replay, report...) after a warm-up round, so a ratio
taken within a round sees the same machine load on both sides. Two logs of the same
length: the bench's usual one (many players, one match a second, few repeat meetings) and
a dense one (few players over a year, every pair meeting often), where every entry has
hundreds of games for the report to scan.

``python -m bench.integrity [--quick] [--end-to-end]`` runs it alone (``python -m bench
--only integrity`` runs both parts).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import timedelta
from functools import partial
from pathlib import Path

from bench import data
from bench.harness import (
    FULL,
    QUICK,
    Cluster,
    Result,
    Sizes,
    ladder_argv,
    ladder_for,
    ladder_rusage,
    log,
    ms,
    ratio_text,
    render_text,
    run_process,
)
from ladder_cli.domain.events import LoggedMatch, score
from ladder_cli.domain.integrity import KINDS, Flag, find_flags
from ladder_cli.domain.model import MatchJob
from ladder_cli.domain.rating import rate
from ladder_cli.domain.replay import Replay

#: The dense log: players, and the seconds between matches (a million over a year).
DENSE_PLAYERS = 1_000
DENSE_SPACING = 30


def shapes(sizes: Sizes) -> list[tuple[str, int, int]]:
    """The two logs: (what it is, players, seconds between matches)."""
    return [
        (f"{sizes.file_players:,} players, one match a second", sizes.file_players, 1),
        (f"{DENSE_PLAYERS:,} players over a year", DENSE_PLAYERS, DENSE_SPACING),
    ]


def jobs_of(lad: data.Ladder, n: int, *, seed: int, spacing: int = 1) -> list[MatchJob]:
    """The log's matches as queued jobs, ``spacing`` seconds apart."""
    jobs = data.matches(lad, n, seed=seed)
    if spacing == 1:
        return jobs
    start = data.EPOCH
    return [
        replace(j, played_at=start + timedelta(seconds=i * spacing)) for i, j in enumerate(jobs)
    ]


def logged(lad: data.Ladder, n: int, *, seed: int, spacing: int = 1) -> list[LoggedMatch]:
    """``n`` matches among the ladder's players, ``spacing`` seconds apart, each with the
    pair of MMRs the ladder's own Elo logs for it (every entry from 1500)."""
    mmr: dict[tuple[int, str], int] = {}
    log = []
    for i, job in enumerate(jobs_of(lad, n, seed=seed, spacing=spacing)):
        k1, k2 = (job.p1_uid, job.p1_race), (job.p2_uid, job.p2_race)
        b1, b2 = mmr.get(k1, 1500), mmr.get(k2, 1500)
        a1, a2 = rate(b1, b2, score(job.result))
        mmr[k1], mmr[k2] = a1, a2
        at = job.played_at
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
    results = []
    for shape, players, spacing in shapes(sizes):
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
        kinds = counts(flags)
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


def counts(flags: Iterable[Flag]) -> str:
    """``0 pair, 1 feeder, 12 sandbag, 0 newcomer``."""
    found = [f.kind for f in flags]
    return ", ".join(f"{found.count(k)} {k}" for k in KINDS)


FLOOR_PG = [sys.executable, "-c", "import polars, typer, rich, psycopg"]


def _commands(base: list[str]) -> dict[str, Callable[[int], Sequence[Sequence[str]]]]:
    """The processes of one round: the floor, verify, the report's table and its JSON."""
    return {
        "floor": lambda _: [FLOOR_PG],
        "verify": lambda _: [[*base, "verify"]],
        "integrity": lambda _: [[*base, "integrity"]],
        "json": lambda _: [[*base, "integrity", "--format", "json"]],
    }


def integrity_end_to_end(pg: Cluster, scratch: Path, sizes: Sizes) -> list[Result]:
    """``ladder integrity`` against ``ladder verify`` of the same log, each its own
    process, the log flushed into PostgreSQL (both shapes of :func:`shapes`)."""
    n = sizes.replay_jobs
    results = []
    for shape, players, spacing in shapes(sizes):
        lad = data.ladder(players, seed=7)
        name = f"bench_integrity_{players}"
        log(f"integrity end to end: flushing a log of {n:,} matches ({shape}) into PostgreSQL")
        url = pg.create(name)
        home = scratch / name
        ladder = ladder_for(url, home)
        ladder.init()
        ladder.record_many(jobs_of(lad, n, seed=8, spacing=spacing), flush=False)
        flushed = ladder.flush(keep_matches=())
        ladder.close()
        if flushed.applied != n or flushed.pending or flushed.failed:
            raise RuntimeError(f"flush applied {flushed.applied} of {n}")
        engine = find_flags(logged(lad, n, seed=8, spacing=spacing))
        results.append(
            end_to_end(url, home, scratch, engine, sizes.repeats, f"{n:,} matches ({shape}, ")
        )
        pg.drop(name)
        shutil.rmtree(home, ignore_errors=True)
    return results


def _load() -> float:
    """The machine's load average over the last minute (2 cores shared with others)."""
    return os.getloadavg()[0]


def end_to_end(
    url: str, home: Path, scratch: Path, engine: Sequence[Flag], rounds: int, log_name: str
) -> Result:
    """The timed rounds over a log already in the database at ``url`` (``engine``: the
    flags the engine finds in it in process, which the report's JSON must equal);
    ``log_name`` begins the row's naming of the log, ``1,000,000 matches (its shape, ``."""
    base = [*ladder_argv(), "--home", str(home), "--db", url]
    shown = json.loads(run_process([*base, "integrity", "--format", "json"]).out)
    expected = [(f.flag, list(f.matches)) for f in engine]
    if [(f["flag"], f["matches"]) for f in shown] != expected:
        raise RuntimeError("ladder integrity disagrees with the engine over the same log")
    commands = _commands(base)
    times: dict[str, list[float]] = {name: [] for name in commands}
    loads: list[float] = []
    for i in range(rounds + 1):
        load = _load()
        took = {}
        for name, make in commands.items():
            took[name] = sum(_run(argv) for argv in make(i))
        log(
            f"integrity end to end round {i} (load {load:.1f}): "
            + ", ".join(f"{k} {v:.2f}s" for k, v in took.items())
        )
        if i:
            loads.append(load)
            for name, seconds in took.items():
                times[name].append(seconds)
    loads.append(_load())
    options = ["--home", str(home), "--db", url]
    peaks = {
        what: ladder_rusage([*options, what], scratch).maxrss_kib // 1024
        for what in ("verify", "integrity")
    }
    mid, text = ratio_text(times["integrity"], times["verify"])
    spread = {k: f"{min(v):,.1f}-{max(v):,.1f} s" for k, v in times.items()}
    result = Result(
        f"`ladder integrity` over a log of {log_name}PostgreSQL), end to end",
        ms(statistics.median(times["integrity"])),
        f"`ladder verify` of the same log: {ms(statistics.median(times['verify']))}",
        f"{text} of verify",
        "≤ 1x one verify",
        mid <= 1.0,
    )
    _, json_text = ratio_text(times["json"], times["verify"])
    result.notes.append(
        f"{len(times['verify'])} interleaved rounds (floor, verify, integrity, integrity "
        f"--format json) after a warm-up round; medians, ranges {spread['verify']} "
        f"(verify), {spread['integrity']} (integrity), {spread['json']} (json: "
        f"{ms(statistics.median(times['json']))}, {json_text} of verify); the floor "
        f'`python -c "import polars, typer, rich, psycopg"` took '
        f"{ms(statistics.median(times['floor']))}. Load average (1 minute) at each round's "
        f"start and at the end: {', '.join(f'{x:.1f}' for x in loads)}. Peak RSS of one "
        f"run: verify {peaks['verify']:,} MiB, integrity {peaks['integrity']:,} MiB. The "
        f"log was flushed by `wal replay` on an empty ladder; the report's JSON was checked "
        f"equal to the engine's flags over the same log in process ({counts(engine)})."
    )
    return result


def _run(argv: Sequence[str]) -> float:
    run = run_process(argv)
    if run.code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {run.code}: {run.err.strip()}")
    return run.seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.integrity", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI size")
    parser.add_argument(
        "--end-to-end", action="store_true", help="also the commands over PostgreSQL"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    results = integrity_report(sizes)
    if args.end_to_end:
        from devtools.pgcluster import PgCluster

        scratch = Path(tempfile.mkdtemp(prefix="ladder-bench-"))
        try:
            with PgCluster() as cluster:
                results.extend(integrity_end_to_end(Cluster(cluster), scratch, sizes))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    print(render_text(results))
    for result in results:
        print(*result.notes, sep="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["end_to_end", "integrity_end_to_end", "integrity_report", "logged", "main"]
