"""Workload "season": closing a season of N entries beside one flush of N queued matches.

Both are timed the same way, in process, as ``ladder wal replay`` applies a queued job
(:meth:`Ladder.flush`), on fresh copies of the same ladder, in interleaved rounds (close,
flush, close, flush...) after a warm-up round, so a ratio taken within a round sees the
same machine load on both sides.
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
    ladder_for,
    log,
    ms,
    new_embedded_ladder,
    new_postgres_ladder,
)

if TYPE_CHECKING:
    from ladder_cli.domain.model import Job

NAME = "Season 1"


def season_close(pg: Cluster, scratch: Path, sizes: Sizes) -> list[Result]:
    n = sizes.flush_players
    rounds = min(sizes.repeats, 3)
    lad = data.ladder_of_entries(n)
    jobs = data.matches(lad, n)
    log(f"season: {n:,} entries; close vs flush of {n:,} matches, {rounds} rounds + warm-up")
    results = []
    for store, fresh in (("PostgreSQL", _postgres(pg, lad)), ("embedded SQLite", _embedded(lad))):
        close, flush = [], []
        for i in range(rounds + 1):
            t_close = _timed(fresh(scratch / f"season_c{i}_{store[:2]}"), None, n)
            t_flush = _timed(fresh(scratch / f"season_f{i}_{store[:2]}"), jobs, n)
            log(f"season ({store}) round {i}: close {t_close:.2f}s, flush {t_flush:.2f}s")
            if i:
                close.append(t_close)
                flush.append(t_flush)
        ratios = sorted(c / f for c, f in zip(close, flush, strict=True))
        mid = statistics.median(ratios)
        result = Result(
            f"season close of {n:,} entries vs one flush of {n:,} matches ({store})",
            f"{ms(statistics.median(close))}",
            f"flush: {ms(statistics.median(flush))}",
            f"{mid:.2f}x (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}x)",
            "≤ 1.5x one flush (about as long)",
            mid <= 1.5,
        )
        result.notes.append(
            "Medians of the interleaved rounds, each on a fresh copy of the same ladder: "
            "`Ladder.flush()` applying one queued `season close` job (archive by INSERT ... "
            f"SELECT, {n:,} season events, the soft reset, the rows read back for the "
            f"home's frame) against `Ladder.flush()` applying {n:,} queued matches."
        )
        results.append(result)
    return results


def _postgres(pg: Cluster, lad: data.Ladder):  # type: ignore[no-untyped-def]
    new_postgres_ladder(pg, "season_base", lad)
    made: list[str] = []

    def fresh(home: Path) -> tuple[str | None, Path, Callable[[], None]]:
        name = f"season_{len(made)}"
        made.append(name)
        return pg.create(name, template="season_base"), home, lambda: pg.drop(name)

    return fresh


def _embedded(lad: data.Ladder):  # type: ignore[no-untyped-def]
    base: list[Path] = []

    def fresh(home: Path) -> tuple[str | None, Path, Callable[[], None]]:
        if not base:
            base.append(home.parent / "season_base_home")
            new_embedded_ladder(base[0], lad)
        shutil.copytree(base[0], home)
        return None, home, lambda: shutil.rmtree(home, ignore_errors=True)

    return fresh


def _timed(
    where: tuple[str | None, Path, Callable[[], None]], jobs: Sequence[Job] | None, n: int
) -> float:
    from ladder_cli.core.seasons import ClosePreview

    url, home, cleanup = where
    ladder = ladder_for(url, home)
    try:
        if jobs is None:
            ladder.seasons.close(ClosePreview(NAME, 500_000), flush=False)
        else:
            ladder.record_many(jobs, flush=False)
        start = time.perf_counter()
        report = ladder.flush(keep_matches=())
        seconds = time.perf_counter() - start
        if report.failed or report.pending:
            raise RuntimeError(f"flush left {report.pending} pending: {report.failed[:3]}")
        if jobs is None:
            archived = ladder.seasons.list()
            if not archived or archived[0].entries != n:
                raise RuntimeError(f"the close archived {archived}, expected {n:,} entries")
    finally:
        ladder.close()
        cleanup()
    return seconds
