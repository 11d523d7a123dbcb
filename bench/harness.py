"""What every workload of the bench uses: the sizes, a result row, timing a ``ladder``
process (with its peak memory), the throwaway PostgreSQL databases, a fresh ladder of
deterministic data, and the ratios taken within interleaved rounds."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql as pgsql

from bench import data
from devtools.pgcluster import PgCluster
from ladder_cli.core.ladder import Ladder
from ladder_cli.stores.postgres import PostgresStore
from ladder_cli.stores.sqlite import SqliteStore
from ladder_cli.util.config import resolve

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sizes:
    name: str
    flush_matches: int
    flush_players: int
    baseline_sample: int
    load_rows: int
    board_entries: int
    record_players: int
    file_matches: int
    file_players: int
    seed_sample: int
    replay_jobs: int
    repeats: int
    flush_rounds: int = 3
    compare_rank_index: bool = True


FULL = Sizes(
    "full",
    100_000,
    100_000,
    2_000,
    1_000_000,
    1_000_000,
    100_000,
    1_000_000,
    100_000,
    1_000,
    1_000_000,
    5,
)


QUICK = Sizes(
    "quick", 10_000, 10_000, 300, 100_000, 100_000, 10_000, 50_000, 10_000, 50, 100_000, 3, 2, False
)


@dataclass
class Result:
    """One row of the table."""

    workload: str
    ours: str
    baselines: str
    ratio: str
    target: str
    met: bool | None
    notes: list[str] = field(default_factory=list)
    profile: str | None = None


def log(text: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {text}", file=sys.stderr, flush=True)


def ladder_argv() -> list[str]:
    exe = Path(sys.executable).parent / "ladder"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ladder_cli"]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LADDER_")}
    env["NO_COLOR"] = "1"
    return env


@dataclass
class Run:
    seconds: float
    maxrss_kib: int
    code: int
    out: str
    err: str


# The measured `ladder` runs as the child of this small launcher, not of the bench: on
# Linux a process's ru_maxrss starts from the high-water mark of the memory image it was
# forked from (kept across exec), so a child of the big bench process would report the
# bench's own size. The launcher is small, so RUSAGE_CHILDREN is the ladder process's.
_RUSAGE_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call([sys.executable, '-m', 'ladder_cli', *sys.argv[2:]])\n"
    "with open(sys.argv[1], 'w') as fh:\n"
    "    fh.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


def run_process(argv: Sequence[str], *, rusage_file: Path | None = None) -> Run:
    """Run a command, timing it from fork to exit (wall clock)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=clean_env()
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        maxrss = usage.ru_maxrss
        if rusage_file is not None and rusage_file.exists():
            maxrss = int(rusage_file.read_text() or 0)
        return Run(seconds, maxrss, proc.returncode, out.read(), err.read())


def ladder_rusage(args: Sequence[str], scratch: Path) -> Run:
    """``ladder ARGS`` in a child process that reports its own ``getrusage`` peak RSS."""
    report = scratch / f"rusage-{time.monotonic_ns()}"
    run = run_process(
        [sys.executable, "-c", _RUSAGE_WRAPPER, str(report), *args], rusage_file=report
    )
    if run.code != 0:
        raise RuntimeError(f"ladder {' '.join(args)} exited {run.code}: {run.err.strip()}")
    return run


def median_runs(make_argv: Callable[[int], Sequence[str]], repeats: int) -> list[float]:
    """One warm-up run, then ``repeats`` timed runs."""
    times = []
    for i in range(repeats + 1):
        run = run_process(make_argv(i))
        if run.code != 0:
            raise RuntimeError(f"{' '.join(make_argv(i))} exited {run.code}: {run.err.strip()}")
        if i:
            times.append(run.seconds)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def top_profile(profile: cProfile.Profile, lines: int = 25) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(profile, stream=stream)
    stats.strip_dirs().sort_stats("cumulative").print_stats(lines)
    text = stream.getvalue()
    return text[text.find("   ncalls") :] if "   ncalls" in text else text


class Cluster:
    """Databases in the bench's own PostgreSQL server."""

    def __init__(self, cluster: PgCluster) -> None:
        self.cluster = cluster

    def create(self, name: str, template: str | None = None) -> str:
        with self.cluster.connect() as conn:
            if template is None:
                conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
            else:
                conn.execute(
                    pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        pgsql.Identifier(name), pgsql.Identifier(template)
                    )
                )
        return self.cluster.url(name)

    def drop(self, name: str) -> None:
        self.cluster.drop_database(name)


def ladder_for(url: str | None, home: Path) -> Ladder:
    return Ladder(resolve(db=url, home=home, env={}))


def new_postgres_ladder(pg: Cluster, name: str, lad: data.Ladder) -> str:
    url = pg.create(name)
    store = PostgresStore(url)
    store.init_schema()
    store.close()
    with psycopg.connect(url) as conn:
        data.fill_postgres(conn, lad)
    return url


def new_embedded_ladder(home: Path, lad: data.Ladder) -> Path:
    settings = resolve(home=home, env={})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    SqliteStore(settings.embedded_path).close()  # the store creates its schema
    data.fill_sqlite(settings.embedded_path, lad)
    return settings.embedded_path


def process_profile(argv: Sequence[str], scratch: Path) -> str:
    out = scratch / "cli.prof"
    args = argv[1:] if argv[0].endswith("ladder") else argv[3:]
    run_process([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "ladder_cli", *args])
    stream = io.StringIO()
    pstats.Stats(str(out), stream=stream).strip_dirs().sort_stats("cumulative").print_stats(40)
    text = stream.getvalue()
    return text[text.find("   ncalls") :] if "   ncalls" in text else text


def interleaved(
    commands: dict[str, Callable[[int], Sequence[Sequence[str]]]], rounds: int
) -> dict[str, list[float]]:
    """Each command once per round, in turn (A B A B ...), after one warm-up round: a
    ratio taken within a round sees the same machine load on both sides. A command is a
    sequence of processes run one after the other (timed together)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(rounds + 1):
        for name, make in commands.items():
            total = 0.0
            for argv in make(i):
                run = run_process(argv)
                if run.code != 0:
                    raise RuntimeError(f"{' '.join(argv)} exited {run.code}: {run.err.strip()}")
                total += run.seconds
            if i:
                times[name].append(total)
    return times


def ratio_text(ours: list[float], floor: list[float], per: float = 1.0) -> tuple[float, str]:
    """The median of the per-round ratios (``per`` floors a round) and their spread."""
    ratios = sorted(o / (f * per) for o, f in zip(ours, floor, strict=True))
    mid = statistics.median(ratios)
    return mid, f"{mid:.2f}x (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}x)"


def settle(cluster: PgCluster) -> None:
    """Let the server finish writing what a workload dirtied before the next one is timed:
    otherwise its checkpoint runs on the same 2 cores during the embedded workloads."""
    with cluster.connect() as conn:
        conn.execute("CHECKPOINT")
    time.sleep(1.0)


def quiesce() -> None:
    """Write back the files the bench itself just made (the CSV, copied ladders) before a
    timed process starts: otherwise the kernel's writeback of them competes with the
    fsyncs of the process being measured."""
    os.sync()
    time.sleep(1.0)


def mark(met: bool | None) -> str:
    return "—" if met is None else ("met" if met else "**missed**")


def render_text(results: Sequence[Result]) -> str:
    """The results as the bench prints them on its terminal."""
    lines = []
    for r in results:
        lines.append(
            f"{r.workload}\n    ladder:    {r.ours}\n    baseline:  {r.baselines}\n"
            f"    ratio:     {r.ratio}\n    target:    {r.target}: {mark(r.met)}"
        )
    return "\n".join(lines)
