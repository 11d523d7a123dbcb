"""Checkers shared by the fault, stress, concurrency and property tests.

Everything here reads the database directly (``sqlite3`` or ``psycopg``), not through the
library under test, and recomputes the ratings with nothing from the library but the Elo
formula itself (:func:`ladder_cli.domain.rating.rate`), so a bug in the flush cannot hide behind
the same bug in the checker.

The invariants (:func:`check_invariants`), which hold at every moment, crash or not:

* ``sum(games_played) == 2 x matches in the log`` and, per row,
  ``games_played == games_won + games_lost + games_drawn``;
* no job id twice, neither in ``ladder_applied_jobs`` nor among the logged matches, and
  every logged match's job id is in the ledger;
* the ratings equal a sequential recomputation of the match log from 1500 in
  ``match_id`` order: each logged before/after pair, and every row's MMR, counts and
  ``last_played``.

Writes are identified by their ``played_at`` (each test write gets its own second), so
:class:`Ledger` can say, after a replay, which acknowledged writes were lost or doubled.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ladder_cli.domain.rating import rate

START_MMR = 1500
#: The first ``played_at`` tests hand out; each write gets the next second.
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
REPO = Path(__file__).resolve().parent.parent

Key = tuple[int, str]


# -- reading the database ----------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    discord_uid: int
    race: str
    player_name: str
    mmr: int
    games_played: int
    games_won: int
    games_lost: int
    games_drawn: int
    last_played: datetime | None


@dataclass(frozen=True)
class Match:
    match_id: int
    queue_id: str
    job_id: int
    played_at: datetime
    p1_uid: int
    p1_race: str
    p1_mmr_before: int
    p1_mmr_after: int
    p2_uid: int
    p2_race: str
    p2_mmr_before: int
    p2_mmr_after: int
    result: int


@dataclass
class DbState:
    rows: dict[Key, Row]
    matches: list[Match]
    ledger: list[tuple[str, int]]
    duplicate_keys: list[Key] = field(default_factory=list)


def store_name(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgres"


def _ts(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


_ROWS = (
    "SELECT discord_uid, race, player_name, mmr, games_played, games_won, games_lost, "
    "games_drawn, last_played FROM mmrs_1v1"
)
_MATCHES = (
    "SELECT match_id, queue_id, job_id, played_at, p1_uid, p1_race, p1_mmr_before, "
    "p1_mmr_after, p2_uid, p2_race, p2_mmr_before, p2_mmr_after, result "
    "FROM ladder_matches ORDER BY match_id"
)
_LEDGER = "SELECT queue_id, job_id FROM ladder_applied_jobs"


def _fetch(url: str) -> tuple[list[Any], list[Any], list[Any]]:
    if url.startswith("sqlite"):
        path = url[len("sqlite:///") :]
        if not Path(path).exists():
            return [], [], []
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
        try:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "mmrs_1v1" not in names:
                return [], [], []
            # One read transaction, so the three tables are one consistent picture.
            conn.execute("BEGIN")
            out = (
                conn.execute(_ROWS).fetchall(),
                conn.execute(_MATCHES).fetchall(),
                conn.execute(_LEDGER).fetchall(),
            )
            conn.execute("COMMIT")
            return out
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url, autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute("SELECT to_regclass('mmrs_1v1') IS NOT NULL")
        row = cur.fetchone()
        if row is None or not row[0]:
            return [], [], []
        cur.execute(_ROWS)
        rows = cur.fetchall()
        cur.execute(_MATCHES)
        matches = cur.fetchall()
        cur.execute(_LEDGER)
        ledger = cur.fetchall()
        return rows, matches, ledger


def read_db(url: str) -> DbState:
    raw_rows, raw_matches, raw_ledger = _fetch(url)
    rows: dict[Key, Row] = {}
    duplicates: list[Key] = []
    for r in raw_rows:
        row = Row(
            int(r[0]), r[1], r[2], int(r[3]),
            int(r[4] or 0), int(r[5] or 0), int(r[6] or 0), int(r[7] or 0), _ts(r[8]),
        )  # fmt: skip
        key = (row.discord_uid, row.race)
        if key in rows:
            duplicates.append(key)
        rows[key] = row
    matches = []
    for m in raw_matches:
        played_at = _ts(m[3])
        assert played_at is not None
        ints = [int(v) for v in (m[0], m[2], m[4], m[6], m[7], m[8], m[10], m[11], m[12])]
        mid, seq, u1, b1, a1, u2, b2, a2, result = ints
        matches.append(
            Match(mid, str(m[1]), seq, played_at, u1, m[5], b1, a1, u2, m[9], b2, a2, result)
        )
    ledger = [(str(q), int(s)) for q, s in raw_ledger]
    return DbState(rows, matches, ledger, duplicates)


# -- the invariants ----------------------------------------------------------------------


@dataclass
class Expected:
    mmr: int = START_MMR
    played: int = 0
    won: int = 0
    lost: int = 0
    drawn: int = 0
    last_played: datetime | None = None


def recompute(matches: Sequence[Match]) -> tuple[dict[Key, Expected], list[str]]:
    """Replay the match log from 1500 in order; also report log rows that disagree."""
    state: dict[Key, Expected] = {}
    problems: list[str] = []
    for m in matches:
        k1, k2 = (m.p1_uid, m.p1_race), (m.p2_uid, m.p2_race)
        e1, e2 = state.setdefault(k1, Expected()), state.setdefault(k2, Expected())
        if (m.p1_mmr_before, m.p2_mmr_before) != (e1.mmr, e2.mmr):
            problems.append(
                f"match {m.match_id}: logged before ({m.p1_mmr_before}, {m.p2_mmr_before}) "
                f"!= recomputed ({e1.mmr}, {e2.mmr})"
            )
        after1, after2 = rate(e1.mmr, e2.mmr, 1.0 if m.result == 1 else 0.5)
        if (m.p1_mmr_after, m.p2_mmr_after) != (after1, after2):
            problems.append(
                f"match {m.match_id}: logged after ({m.p1_mmr_after}, {m.p2_mmr_after}) "
                f"!= recomputed ({after1}, {after2})"
            )
        for e, after, won, lost in ((e1, after1, m.result, 0), (e2, after2, 0, m.result)):
            e.mmr = after
            e.played += 1
            e.won += won
            e.lost += lost
            e.drawn += 1 - m.result
            if e.last_played is None or m.played_at > e.last_played:
                e.last_played = m.played_at
    return state, problems


def invariant_problems(db: DbState, *, extra_ledger: int = 0, chain: bool = True) -> list[str]:
    """Every broken invariant, as text; empty when the database is consistent.

    ``extra_ledger`` is how many ledger entries may belong to jobs that log no match
    (resets); without resets the ledger is exactly the logged matches' job ids.
    ``chain=False`` (the stream had resets, which the match log does not record): skip
    the checks that replay the log from 1500; check each logged match on its own.
    """
    problems: list[str] = [f"two rows for {k}" for k in db.duplicate_keys]
    games = sum(r.games_played for r in db.rows.values())
    if chain and games != 2 * len(db.matches):
        problems.append(f"sum(games_played) = {games} != 2 x {len(db.matches)} matches")
    for key, r in db.rows.items():
        if r.games_played != r.games_won + r.games_lost + r.games_drawn:
            problems.append(
                f"{key}: games_played {r.games_played} != won {r.games_won} + lost "
                f"{r.games_lost} + drawn {r.games_drawn}"
            )
    ledger = Counter(db.ledger)
    problems += [f"job {job} is {n} times in the ledger" for job, n in ledger.items() if n > 1]
    logged = Counter((m.queue_id, m.job_id) for m in db.matches)
    problems += [f"job {job} logged {n} matches" for job, n in logged.items() if n > 1]
    problems += [f"job {job} logged a match but is not in the ledger" for job in logged.keys()
                 - ledger.keys()]  # fmt: skip
    unlogged = len(ledger.keys() - logged.keys())
    if unlogged > extra_ledger:
        problems.append(f"{unlogged} ledger entries have no logged match (allowed {extra_ledger})")
    ids = [m.match_id for m in db.matches]
    if len(set(ids)) != len(ids):
        problems.append("match_id repeats")
    if not chain:
        for m in db.matches:
            after = rate(m.p1_mmr_before, m.p2_mmr_before, 1.0 if m.result == 1 else 0.5)
            if (m.p1_mmr_after, m.p2_mmr_after) != after:
                problems.append(f"match {m.match_id}: logged after != Elo of its before")
        return problems
    expected, log_problems = recompute(db.matches)
    problems += log_problems
    for key in sorted(expected.keys() | db.rows.keys()):
        want, have = expected.get(key), db.rows.get(key)
        if have is None:
            problems.append(f"{key}: in the match log but has no mmrs_1v1 row")
            continue
        if want is None:
            problems.append(f"{key}: a mmrs_1v1 row that no logged match explains")
            continue
        got = (have.mmr, have.games_played, have.games_won, have.games_lost, have.games_drawn,
               have.last_played)  # fmt: skip
        wanted = (want.mmr, want.played, want.won, want.lost, want.drawn, want.last_played)
        if got != wanted:
            problems.append(
                f"{key}: (mmr, played, won, lost, drawn, last_played) = {got}, but a "
                f"sequential recomputation of the log gives {wanted}"
            )
    return problems


def check_invariants(url_or_state: str | DbState, **kwargs: Any) -> DbState:
    db = read_db(url_or_state) if isinstance(url_or_state, str) else url_or_state
    problems = invariant_problems(db, **kwargs)
    assert not problems, "invariants broken:\n  " + "\n  ".join(problems[:20])
    return db


# -- which writes made it ----------------------------------------------------------------


@dataclass
class Write:
    """One command's worth of matches (one ``record``, or one ``record --file``)."""

    ats: tuple[datetime, ...]
    acknowledged: bool | None = None  # None: not yet known
    label: str = ""


@dataclass
class Outcome:
    acknowledged: int = 0
    unacknowledged: int = 0
    unacknowledged_applied: int = 0
    lost: int = 0
    doubled: int = 0
    torn: int = 0
    phantom: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


class Ledger:
    """Hands out unique ``played_at`` seconds and judges, after a replay, what survived."""

    def __init__(self, start: datetime = EPOCH) -> None:
        self._next = start
        self.writes: list[Write] = []

    def new(self, n: int = 1, label: str = "") -> Write:
        ats = tuple(self._next + timedelta(seconds=i) for i in range(n))
        self._next += timedelta(seconds=n)
        write = Write(ats, label=label)
        self.writes.append(write)
        return write

    def judge(self, db: DbState, *, settled: bool = True) -> Outcome:
        """What happened to every write.

        ``settled``: the queue was fully replayed, so a write is either wholly present
        or wholly absent; unsettled, a ``record --file`` may be partly applied still.
        """
        seen = Counter(m.played_at for m in db.matches)
        known = {at for w in self.writes for at in w.ats}
        out = Outcome()
        for w in self.writes:
            counts = [seen.get(at, 0) for at in w.ats]
            doubled = sum(1 for c in counts if c > 1)
            out.doubled += doubled
            present = sum(1 for c in counts if c >= 1)
            if w.acknowledged:
                out.acknowledged += 1
                if present < len(w.ats):
                    out.lost += 1
                    out.problems.append(
                        f"acknowledged {w.label or 'write'} {w.ats[0].isoformat()}: "
                        f"{len(w.ats) - present} of {len(w.ats)} matches missing"
                    )
            else:
                out.unacknowledged += 1
                if present == len(w.ats):
                    out.unacknowledged_applied += 1
                elif present and settled:
                    out.torn += 1
                    out.problems.append(
                        f"unacknowledged {w.label or 'write'} {w.ats[0].isoformat()}: "
                        f"{present} of {len(w.ats)} matches applied after a full replay"
                    )
            if doubled:
                out.problems.append(f"{w.label or 'write'} {w.ats[0].isoformat()}: doubled")
        phantom = [at for at in seen if at not in known]
        out.phantom = len(phantom)
        if phantom:
            out.problems.append(f"{len(phantom)} logged matches no test write explains")
        return out


def assert_clean(outcome: Outcome) -> None:
    assert not outcome.problems, "\n".join(outcome.problems[:20])
    assert (outcome.lost, outcome.doubled, outcome.torn, outcome.phantom) == (0, 0, 0, 0)


# -- running the real command ------------------------------------------------------------


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("LADDER_DATABASE_URL", "LADDER_HOME", "LADDER_FAILPOINT")
        and not k.startswith("LADDER_FAILPOINT")
    }
    env["NO_COLOR"] = "1"
    env["PYTHONPATH"] = str(REPO)
    env.update(extra or {})
    return env


def cli_argv(home: Path, url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "ladder_cli", "--home", str(home), "--db", url, *args]


def ladder(
    home: Path,
    url: str,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    process: bool | None = None,
) -> subprocess.CompletedProcess[str]:
    """``ladder ARGS`` against ``home`` and ``url``: what it printed and its exit code.

    A real process when ``process`` is true, when ``env`` is given (a failpoint, a trace:
    the process is what the test kills or watches) or off the main thread (concurrent
    processes); otherwise the same command in this process, which is far cheaper.
    """
    if process is None:
        process = env is not None or threading.current_thread() is not threading.main_thread()
    if not process:
        from tests.helpers import invoke

        done = invoke(home, url, *args)
        return subprocess.CompletedProcess(cli_argv(home, url, *args), done.code, done.out,
                                           done.err)  # fmt: skip
    return subprocess.run(
        cli_argv(home, url, *args),
        env=cli_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
    )


def spawn(home: Path, url: str, *args: str, env: Mapping[str, str] | None = None) -> Any:
    return subprocess.Popen(
        cli_argv(home, url, *args),
        env=cli_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=REPO,
    )


def kill_after(proc: subprocess.Popen[str], delay: float) -> tuple[int, str, str]:
    """SIGKILL ``proc`` after ``delay`` seconds unless it ended first; its rc and output."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.002)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def replay(home: Path, url: str, *, env: Mapping[str, str] | None = None) -> dict[str, int]:
    done = ladder(home, url, "wal", "replay", "--format", "json", env=env)
    assert done.returncode == 0, f"wal replay failed: {done.stderr}"
    data: dict[str, int] = json.loads(done.stdout)
    return data


def wal_status(home: Path, url: str) -> dict[str, Any]:
    done = ladder(home, url, "wal", "status", "--format", "json")
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def write_csv(path: Path, write: Write, pairs: Iterable[tuple[int, str, int, str, int]]) -> Path:
    lines = ["p1_uid,p1_race,p2_uid,p2_race,result,played_at"]
    for at, (u1, r1, u2, r2, result) in zip(write.ats, pairs, strict=True):
        lines.append(f"{u1},{r1},{u2},{r2},{result},{at.isoformat()}")
    path.write_text("\n".join(lines) + "\n")
    return path


# -- figures for docs/reliability.md -----------------------------------------------------


def report_figure(scenario: str, store: str, runs: int, outcome: Outcome | None = None,
                  **extra: object) -> None:  # fmt: skip
    """Append one line of figures to ``$LADDER_RELIABILITY_REPORT`` (when it is set)."""
    target = os.environ.get("LADDER_RELIABILITY_REPORT")
    if not target:
        return
    line = {"scenario": scenario, "store": store, "runs": runs, **extra}
    if outcome is not None:
        line.update(outcome.as_dict())
    with open(target, "a") as fh:
        fh.write(json.dumps(line, default=str) + "\n")


def summarize(path: str) -> str:
    """The figures of a run (``$LADDER_RELIABILITY_REPORT``) as a Markdown table."""
    totals: dict[tuple[str, str], dict[str, int]] = {}
    with open(path) as fh:
        for line in fh:
            fig = json.loads(line)
            key = (fig["scenario"], fig["store"])
            into = totals.setdefault(key, Counter())
            for name in ("runs", "lost", "doubled", "torn", "phantom", "acknowledged",
                         "unacknowledged", "unacknowledged_applied", "writes"):  # fmt: skip
                value = fig.get(name, 0)
                into[name] += value if isinstance(value, int) else 0
    out = ["| scenario | store | runs | acknowledged writes checked | lost | doubled |",
           "|---|---|---:|---:|---:|---:|"]  # fmt: skip
    for (scenario, store), t in sorted(totals.items()):
        checked = t["acknowledged"] or t["writes"]
        out.append(
            f"| {scenario} | {store} | {t['runs']} | {checked} | {t['lost']} | "
            f"{t['doubled'] + t['torn'] + t['phantom']} |"
        )
    return "\n".join(out)


if __name__ == "__main__":
    print(summarize(sys.argv[1]))
