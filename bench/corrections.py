"""Workload 9: voiding a match near the start of a long match log.

A void replays every later event of every entry it reaches; near the start of a log of
many matches among fewer players that is nearly the whole log. Measured against what the
admin would otherwise do, importing the log again with ``record --file``:

* 9a, embedded: rounds of (import the log into an empty ladder, void match 10 of a copy
  of the imported ladder), interleaved, so both sides of a round see the same load;
* 9b, PostgreSQL: the log imported once (timed), then rounds of the void, each on a
  fresh copy of that database (``CREATE DATABASE ... TEMPLATE``);
* 9c, memory: the peak RSS of the void near the start of a far longer embedded log,
  filled directly (the ladder's own Elo, every pair logged as a flush logs it).
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import data
from bench.harness import (
    Cluster,
    Result,
    ladder_argv,
    ladder_rusage,
    log,
    ms,
    process_profile,
    quiesce,
    ratio_text,
    run_process,
)
from ladder_cli.domain.events import score
from ladder_cli.domain.rating import rate
from ladder_cli.stores.postgres import PostgresStore
from ladder_cli.stores.sqlite import SqliteStore
from ladder_cli.util.config import resolve

VOIDED = 10
"""The match voided: near the start, so nearly every later event is replayed."""


@dataclass(frozen=True)
class VoidSizes:
    matches: int
    players: int
    rounds: int
    memory_matches: int


FULL = VoidSizes(100_000, 10_000, 3, 1_000_000)
QUICK = VoidSizes(10_000, 1_000, 3, 100_000)


def _void_argv(home: Path, url: str | None = None) -> list[str]:
    db = [] if url is None else ["--db", url]
    return [*ladder_argv(), "--home", str(home), *db, "match", "void", str(VOIDED), "--reason",
            "bench", "--yes"]  # fmt: skip


def _empty_home(home: Path) -> Path:
    settings = resolve(home=home, env={})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    SqliteStore(settings.embedded_path).close()  # the store creates its schema
    return settings.embedded_path


def _run(argv: list[str]) -> float:
    done = run_process(argv)
    if done.code != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.code}: {done.err.strip()}")
    return done.seconds


def w9_void(pg: Cluster, scratch: Path, quick: bool) -> list[Result]:
    sizes = QUICK if quick else FULL
    n, players = sizes.matches, sizes.players
    lad = data.ladder(players, seed=11)
    csv_path = scratch / "w9.csv"
    data.write_csv(csv_path, data.matches(lad, n, seed=12))
    empty = scratch / "w9-empty"
    _empty_home(empty)
    log(f"w9: {n:,}-match log of {players:,} players, imported once to copy from")
    imported = scratch / "w9-imported"
    shutil.copytree(empty, imported)
    _run([*ladder_argv(), "--home", str(imported), "record", "--file", str(csv_path)])

    # 9a: interleaved rounds of (import, void), after a warm-up void.
    imports, voids = [], []
    for i in range(sizes.rounds + 1):
        fresh, target = scratch / f"w9-fresh{i}", scratch / f"w9-void{i}"
        shutil.copytree(empty, fresh)
        shutil.copytree(imported, target)
        quiesce()
        if i:
            log(f"w9: round {i}: import, then void")
            imports.append(_run([*ladder_argv(), "--home", str(fresh), "record", "--file",
                                 str(csv_path)]))  # fmt: skip
        voids.append(_run(_void_argv(target)))
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
    voids = voids[1:]
    mid, text = ratio_text(voids, imports)
    embedded = Result(
        f"9. `ladder match void` of match {VOIDED} of a {n:,}-match log ({players:,} players, "
        "embedded)",
        ms(statistics.median(voids)),
        f"`record --file` of the same log: {ms(statistics.median(imports))}",
        text,
        "≤ 0.5x the import",
        mid <= 0.5,
    )
    embedded.notes.append(
        f"{len(voids)} interleaved rounds (import the log into an empty ladder; void match "
        f"{VOIDED} of a copy of the imported one) after a warm-up void; each a whole `ladder` "
        "process (the preview the command prints, the durable queue, the replay of every "
        "later event of every entry the void reaches, the rewritten pairs and the entries in "
        "one transaction). The ratio is the median of the per-round ratios, with their range."
    )
    if mid > 0.5:
        target = scratch / "w9-profile"
        shutil.copytree(imported, target)
        embedded.profile = process_profile(_void_argv(target), scratch)

    # 9b: the same log on PostgreSQL, imported once, voided on copies.
    log("w9: the same log imported into PostgreSQL")
    url = pg.create("bench_w9")
    store = PostgresStore(url)
    store.init_schema()
    store.close()
    t_import = _run([*ladder_argv(), "--home", str(scratch / "w9-pg-import"), "--db", url,
                     "record", "--file", str(csv_path)])  # fmt: skip
    pg.cluster.terminate_backends("bench_w9")
    pg_voids = []
    for i in range(sizes.rounds + 1):
        name = f"bench_w9_{i}"
        copy = pg.create(name, template="bench_w9")
        if i:
            log(f"w9: PostgreSQL void, round {i}")
        pg_voids.append(_run(_void_argv(scratch / f"w9-pg{i}", copy)))
        pg.drop(name)
    pg.drop("bench_w9")
    pg_voids = pg_voids[1:]
    ratios = sorted(v / t_import for v in pg_voids)
    on_pg = Result(
        f"9. `ladder match void` of match {VOIDED} of a {n:,}-match log ({players:,} players, "
        "PostgreSQL)",
        ms(statistics.median(pg_voids)),
        f"`record --file` of the same log: {ms(t_import)}",
        f"{statistics.median(ratios):.2f}x (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}x)",
        "≤ 0.5x the import",
        statistics.median(ratios) <= 0.5,
    )
    on_pg.notes.append(
        f"The log imported once (timed); then {len(pg_voids)} voids after a warm-up one, each "
        "on a fresh copy of that database. The rewritten pairs go through a temporary table "
        "in bulk (COPY, then one UPDATE), as the flush writes its rows."
    )
    return [embedded, on_pg, w9_memory(scratch, sizes)]


def fill_log(path: Path, lad: data.Ladder, n: int) -> None:
    """``n`` matches among the ladder's players written straight into an embedded ladder
    the store created: every pair as the flush logs it, and the entries they end at."""
    conn = sqlite3.connect(path)
    standings: dict[tuple[int, str], list[Any]] = {}
    rows = []
    for i, job in enumerate(data.matches(lad, n, seed=13)):
        s1 = standings.setdefault((job.p1_uid, job.p1_race), [1500, 0, 0, 0, 0, None])
        s2 = standings.setdefault((job.p2_uid, job.p2_race), [1500, 0, 0, 0, 0, None])
        b1, b2 = s1[0], s2[0]
        a1, a2 = rate(b1, b2, score(job.result))
        at = job.played_at.isoformat()
        rows.append(("bench", i + 1, at, job.p1_uid, job.p1_race, b1, a1, job.p2_uid,
                     job.p2_race, b2, a2, job.result))  # fmt: skip
        draw = job.result == 0
        for s, after, won in ((s1, a1, not draw), (s2, a2, False)):
            s[0] = after
            s[1] += 1
            s[2] += won
            s[3] += not (won or draw)
            s[4] += draw
            s[5] = at
    with conn:
        conn.executemany(
            "INSERT INTO ladder_matches (queue_id, job_id, played_at, p1_uid, p1_race, "
            "p1_mmr_before, p1_mmr_after, p2_uid, p2_race, p2_mmr_before, p2_mmr_after, "
            "result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            f"INSERT INTO mmrs_1v1 ({data.COPY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((uid, f"Player{uid}", race, *s) for (uid, race), s in standings.items()),
        )
    conn.close()


def w9_memory(scratch: Path, sizes: VoidSizes) -> Result:
    n, players = sizes.memory_matches, sizes.players
    home = scratch / "w9-memory"
    log(f"w9: memory of the void in a {n:,}-match log ({players:,} players, filled directly)")
    fill_log(_empty_home(home), data.ladder(players, seed=14), n)
    quiesce()
    run = ladder_rusage(_void_argv(home)[len(ladder_argv()) :], scratch)
    mib = run.maxrss_kib / 1024
    shutil.rmtree(home, ignore_errors=True)
    return Result(
        f"memory: `ladder match void` of match {VOIDED} of a {n:,}-match log ({players:,} "
        "players, embedded)",
        f"peak RSS {mib:,.0f} MiB; {ms(run.seconds)}",
        "—",
        "—",
        "bounded (well under 1 GiB)",
        mib < 512,
        [
            "The log is written straight into the embedded database (the ladder's own Elo, "
            "every logged pair and entry as a flush leaves them), not imported. The replay "
            "reads the log a page at a time and hands the rewritten pairs to the database "
            "in chunks: its memory is that of the entries the void reaches, not of the log."
        ],
    )


__all__ = ["fill_log", "w9_void"]
