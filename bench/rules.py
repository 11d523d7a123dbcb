"""Workloads "glicko" and "evaluate-cli": what the rules of issue 25 cost as an admin runs them.

* glicko: a flush of N queued matches on a ``glicko2`` ladder against the same flush on a
  ``standard`` one (fresh copies of the same ladder, in process as ``ladder wal replay``
  applies a queue: :meth:`Ladder.flush`), interleaved (glicko2, standard, glicko2...) after
  a warm-up round, on both stores.
* glicko-void: ``ladder match void`` of a match near the start of a long log on a
  ``glicko2`` ladder against the same void on a ``standard`` one, each in its own process
  on a copy of the imported ladder, interleaved after a warm-up round. Under Glicko-2 a
  correction replays the whole log (once as it stands and, from the first event it
  reaches, once as corrected); under Elo only the events of the entries it reaches.
* evaluate-cli: ``ladder evaluate --format json`` (the 16 default candidates) against
  ``ladder verify`` of the same embedded ladder, each in its own process, interleaved after
  a warm-up round: both read the whole match log from the database and replay it.
"""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench import data
from bench.harness import (
    Cluster,
    Result,
    Sizes,
    ladder_argv,
    ladder_for,
    log,
    ms,
    new_embedded_ladder,
    new_postgres_ladder,
    quiesce,
)
from bench.site import _run

if TYPE_CHECKING:
    from ladder_cli.domain.model import Job

FLUSH_TARGET = 1.5
EVALUATE_TARGET = 3.0

Where = tuple[str | None, Path, Callable[[], None]]
Fresh = Callable[[Path], Where]


def glicko_flush(pg: Cluster, scratch: Path, sizes: Sizes) -> list[Result]:
    n = sizes.flush_matches
    rounds = min(sizes.repeats, 3)
    lad = data.ladder(sizes.flush_players)
    jobs = data.matches(lad, n)
    log(f"glicko: {n:,} matches on {lad.entries:,} entries, glicko2 vs standard, {rounds} rounds")
    results = []
    stores: list[tuple[str, Fresh]] = [
        ("PostgreSQL", _postgres(pg, lad)),
        ("embedded SQLite", _embedded(lad)),
    ]
    for store, fresh in stores:
        glicko, standard = [], []
        for i in range(rounds + 1):
            t_g = _flush(fresh(scratch / f"glicko_g{i}_{store[:2]}"), "glicko2", jobs, n)
            t_s = _flush(fresh(scratch / f"glicko_s{i}_{store[:2]}"), "standard", jobs, n)
            log(f"glicko ({store}) round {i}: glicko2 {t_g:.2f}s, standard {t_s:.2f}s")
            if i:
                glicko.append(t_g)
                standard.append(t_s)
        ratios = sorted(g / s for g, s in zip(glicko, standard, strict=True))
        mid = statistics.median(ratios)
        result = Result(
            f"flush of {n:,} matches on a glicko2 ladder vs the same flush under standard "
            f"({store}, {lad.entries:,} entries)",
            f"{ms(statistics.median(glicko))} (rounds {ms(min(glicko))}-{ms(max(glicko))})",
            f"standard: {ms(statistics.median(standard))} "
            f"(rounds {ms(min(standard))}-{ms(max(standard))})",
            f"{mid:.2f}x (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}x)",
            f"≤ {FLUSH_TARGET}x the standard flush",
            mid <= FLUSH_TARGET,
        )
        result.notes.append(
            f"Medians of {rounds} interleaved rounds after a warm-up, each on a fresh copy of "
            "the same ladder with its rules stored by `Ladder.init(rules)`: `Ladder.flush()` "
            f"applying {n:,} queued matches (as `ladder wal replay` does). Under glicko2 the "
            "flush also reads and writes each entry's rating, RD and volatility "
            "(`ladder_glicko`, one row per entry beside `mmrs_1v1`)."
        )
        results.append(result)
    return results


def glicko_void(scratch: Path, quick: bool) -> list[Result]:
    from bench.corrections import FULL as VOID_FULL
    from bench.corrections import QUICK as VOID_QUICK
    from bench.corrections import VOIDED, _run, _void_argv

    sizes = VOID_QUICK if quick else VOID_FULL
    n, players, rounds = sizes.matches, sizes.players, sizes.rounds
    lad = data.ladder(players, seed=11)
    csv_path = scratch / "glicko-void.csv"
    data.write_csv(csv_path, data.matches(lad, n, seed=12))
    imported: dict[str, Path] = {}
    imports: dict[str, float] = {}
    for rules in ("glicko2", "standard"):
        home = imported[rules] = scratch / f"glicko-void-{rules}"
        _run([*ladder_argv(), "--home", str(home), "init", "--rules", rules])
        log(f"glicko-void: importing {n:,} matches among {players:,} players under {rules}")
        imports[rules] = _run([*ladder_argv(), "--home", str(home), "record", "--file",
                               str(csv_path)])  # fmt: skip
    times: dict[str, list[float]] = {"glicko2": [], "standard": []}
    for i in range(rounds + 1):
        for rules in times:
            target = scratch / f"glicko-void-{rules}-{i}"
            shutil.copytree(imported[rules], target)
            quiesce()
            seconds = _run(_void_argv(target))
            shutil.rmtree(target, ignore_errors=True)
            log(f"glicko-void round {i}: {rules} {seconds:.2f}s")
            if i:
                times[rules].append(seconds)
    g, e = times["glicko2"], times["standard"]
    ratios = sorted(a / b for a, b in zip(g, e, strict=True))
    mid = statistics.median(ratios)
    result = Result(
        f"`ladder match void` of match {VOIDED} of a {n:,}-match log ({players:,} players, "
        "embedded) on a glicko2 ladder vs the same void under standard",
        f"{ms(statistics.median(g))} (rounds {ms(min(g))}-{ms(max(g))})",
        f"standard: {ms(statistics.median(e))} (rounds {ms(min(e))}-{ms(max(e))})",
        f"{mid:.2f}x (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}x)",
        "for information (the corrections target, ≤ 0.5x the import, is workload 9's)",
        None,
    )
    result.notes.append(
        f"{rounds} interleaved rounds after a warm-up, each void a whole `ladder` process on "
        "a copy of the ladder imported under those rules. For scale, the import itself "
        f"(`record --file`, once): glicko2 {ms(imports['glicko2'])}, standard "
        f"{ms(imports['standard'])}; the glicko2 void is "
        f"{statistics.median(g) / imports['glicko2']:.2f}x its import."
    )
    return [result]


def evaluate_cli(scratch: Path, sizes: Sizes) -> list[Result]:
    players, matches = sizes.file_players, sizes.replay_jobs
    rounds = min(sizes.repeats, 3)
    home = scratch / "evaluate_cli_home"
    lad = data.ladder(players, seed=7)
    log(f"evaluate-cli: recording {matches:,} matches among {players:,} players")
    ladder = ladder_for(None, home)
    try:
        ladder.init()  # an empty ladder: every entry comes from the log, so verify agrees
        ladder.record_many(data.matches(lad, matches, seed=8), flush=False)
        report = ladder.flush(keep_matches=())
        if report.applied != matches or report.pending or report.failed:
            raise RuntimeError(f"the flush applied {report.applied} of {matches:,}")
    finally:
        ladder.close()
    log(f"evaluate-cli: evaluate vs verify, warm-up + {rounds} rounds")
    scored, verified = [], []
    for i in range(rounds + 1):
        ev = _run(home, ["evaluate", "--format", "json"])
        ve = _run(home, ["verify"])
        log(f"evaluate-cli round {i}: evaluate {ev.wall:.2f}s, verify {ve.wall:.2f}s")
        if i:
            scored.append(ev)
            verified.append(ve)
    shutil.rmtree(home, ignore_errors=True)
    ratios = sorted(e.wall / v.wall for e, v in zip(scored, verified, strict=True))
    mid = statistics.median(ratios)
    walls = sorted(e.wall for e in scored)
    vwalls = sorted(v.wall for v in verified)
    result = Result(
        f"`ladder evaluate` (16 default candidates) of {matches:,} matches among {players:,} "
        "players vs one `ladder verify` of the same ladder (embedded, own processes)",
        f"{ms(statistics.median(walls))} (rounds {ms(walls[0])}-{ms(walls[-1])}); "
        f"CPU {ms(statistics.median(e.cpu for e in scored))}",
        f"verify: {ms(statistics.median(vwalls))} (rounds {ms(vwalls[0])}-{ms(vwalls[-1])}); "
        f"CPU {ms(statistics.median(v.cpu for v in verified))}",
        f"{mid:.2f}x (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}x)",
        f"≤ {EVALUATE_TARGET:g}x one verify",
        mid <= EVALUATE_TARGET,
    )
    result.notes.append(
        f"`ladder evaluate --format json` then `ladder verify`, each in its own process on "
        f"the same embedded ladder (built from an empty one by recording the log, so verify "
        f"finds every entry matching), {rounds} interleaved rounds after a warm-up; wall "
        "clock from fork to exit (medians and the rounds' range), CPU = user + system time."
    )
    return [result]


def _postgres(pg: Cluster, lad: data.Ladder) -> Fresh:
    new_postgres_ladder(pg, "glicko_base", lad)
    made: list[str] = []

    def fresh(home: Path) -> Where:
        name = f"glicko_{len(made)}"
        made.append(name)
        return pg.create(name, template="glicko_base"), home, lambda: pg.drop(name)

    return fresh


def _embedded(lad: data.Ladder) -> Fresh:
    base: list[Path] = []

    def fresh(home: Path) -> Where:
        if not base:
            base.append(home.parent / "glicko_base_home")
            new_embedded_ladder(base[0], lad)
        shutil.copytree(base[0], home)
        return None, home, lambda: shutil.rmtree(home, ignore_errors=True)

    return fresh


def _flush(where: Where, rules: str, jobs: Sequence[Job], n: int) -> float:
    url, home, cleanup = where
    ladder = ladder_for(url, home)
    try:
        stored = ladder.init(rules)
        if stored.preset != rules:
            raise RuntimeError(f"the ladder rates by {stored.preset}, not {rules}")
        ladder.record_many(jobs, flush=False)
        start = time.perf_counter()
        report = ladder.flush(keep_matches=())
        seconds = time.perf_counter() - start
        if report.applied != n or report.pending or report.failed:
            raise RuntimeError(f"flush applied {report.applied} of {n:,}: {report.failed[:3]}")
    finally:
        ladder.close()
        cleanup()
    return seconds


__all__ = ["evaluate_cli", "glicko_flush", "glicko_void"]
