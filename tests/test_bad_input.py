"""A corpus of bad input: every case is refused cleanly and changes nothing.

Each case runs against a seeded ladder (on the embedded SQLite store and on a real
PostgreSQL database where the store matters) and checks the contract's promise for bad
input: exit code 2 (1 for a fault of the environment), exactly one non-empty line on
stderr that names the problem, no traceback, no raw control character on the terminal,
and the database and the write-ahead queue byte-for-byte the same as before: every row
of ``mmrs_1v1``, ``ladder_matches``, ``ladder_applied_jobs`` and ``ladder_audit`` (read
through the store)
and every row of the queue's ``jobs`` table (read with :mod:`sqlite3`).

Most cases run in-process through :func:`ladder_cli.cli.run` (fast); a representative
subset also runs through the real ``ladder`` command in a subprocess.

A few inputs look hostile but are legal and must be accepted: a CSV file with a UTF-8
byte-order mark, and an SQL injection string given as a player *name* (``--p1-name``) for
a valid discord_uid, which must be stored literally with every table intact.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from devtools.pgcluster import PgCluster
from ladder_cli import Ladder
from ladder_cli.stores import open_store

PASSWORD = "s3cret-PW-never-print"
WRONG_PASSWORD = "Wr0ng-PW-also-secret"
SQL_INJECTION = "x'); DROP TABLE mmrs_1v1;--"
TABLES = {
    "mmrs_1v1": "id",
    "ladder_matches": "match_id",
    "ladder_applied_jobs": "queue_id, job_id",
    "ladder_audit": "audit_id",
}
HEADER = "p1_uid,p1_race,p2_uid,p2_race,result,played_at\n"
GOOD_ROW = "10,bw_terran,11,bw_zerg,1,2026-01-02T03:04:05+00:00\n"
# Control characters other than the line break that ends each printed line.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# -- running the tool ------------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def invoke(
    capsys: pytest.CaptureFixture[str], argv: Sequence[str], *, stdin: str | None = None
) -> Result:
    """``ladder ARGV`` in this process, through the same entry point as the command."""
    from ladder_cli.cli import run

    umask = os.umask(0o022)
    os.umask(umask)
    saved_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code: Any = run(list(argv))
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.stdin = saved_stdin
        os.umask(umask)  # run() sets 077 for the process; keep other tests unaffected
    out, err = capsys.readouterr()
    return Result(int(code or 0), out, err)


def invoke_process(
    argv: Sequence[str], *, stdin: str | None = None, env: dict[str, str] | None = None
) -> Result:
    """The real ``ladder`` command, in a child process with a clean environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LADDER_")}
    base.pop("NO_COLOR", None)
    env = {**base, **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "ladder_cli", *argv],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


# -- the state that must not change -----------------------------------------------------


def dump_database(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the ladder's tables, through the store (its own connection)."""
    store = open_store(url)
    try:
        with store.read_cursor() as cur:
            tables = {}
            for table, order in TABLES.items():
                cur.execute(f"SELECT * FROM {table} ORDER BY {order}")
                tables[table] = [tuple(row) for row in cur.fetchall()]
            return tables
    finally:
        store.close()


def dump_queue(home: Path) -> list[tuple[Any, ...]] | bytes | None:
    """Every row of the queue's ``jobs`` table; the raw bytes if it is not a queue."""
    path = home / "queue.sqlite3"
    if not path.exists():
        return None
    if not path.is_file():
        return b"<not a file>"
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return [tuple(r) for r in conn.execute("SELECT * FROM jobs ORDER BY seq")]
    except sqlite3.DatabaseError:
        return path.read_bytes()


def seed(url: str, home: Path) -> None:
    """Alice (1) beat Bob (2); Twin (4) beat twin (5); a draw; one job left pending."""
    with Ladder.open(db=url, home=home) as ladder:
        ladder.record(1, "bw_terran", 2, "bw_zerg", p1_name="Alice", p2_name="Bob")
        ladder.record(4, "sc2_protoss", 5, "sc2_protoss", p1_name="Twin", p2_name="twin")
        ladder.record(1, "bw_terran", 5, "sc2_protoss", draw=True)
        ladder.record(6, "bw_zerg", 7, "bw_protoss", flush=False)


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def with_host(url: str, host: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{parts.password}@{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


# -- the corpus ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One bad input. ``argv`` follows ``--db URL --home DIR``; placeholders:
    ``{csv}`` the case's CSV file, ``{tmp}`` a scratch directory."""

    id: str
    argv: tuple[str, ...]
    says: str  # a regular expression the error line must match (case-insensitive)
    code: int = 2
    stores: str = "both"  # "both", "pg" (needs a server), or "one" (store-agnostic)
    csv: bytes | None = None
    db: str | None = None  # replaces the database URL: a function name in URLS
    home: str | None = None  # replaces --home: a function name in HOMES
    config: bytes | None = None  # written to <home>/config.toml first
    stdin: str | None = None
    subprocess: bool = False  # also run through the real command
    posix_root_skip: bool = False  # meaningless as root (root ignores permissions)


def C(case_id: str, *argv: str, says: str, **kw: Any) -> Case:
    return Case(case_id, tuple(argv), says, **kw)


def rec(*argv: str) -> tuple[str, ...]:
    return ("record", *argv)


def csv_case(case_id: str, data: bytes | str, says: str, **kw: Any) -> Case:
    raw = data.encode() if isinstance(data, str) else data
    return Case(case_id, ("record", "--file", "{csv}"), says, csv=raw, **kw)


URLS: dict[str, Callable[[str], str]] = {
    "wrong-password": lambda url: with_password(url, WRONG_PASSWORD),
    "unresolvable-host": lambda url: with_host(url, "no-such-host.invalid"),
    "unknown-database": lambda url: with_database(url, "no_such_ladder_db"),
    "wrong-user": lambda url: url.replace("://ladder:", "://nobody_here:", 1),
    "port-out-of-range": lambda url: re.sub(r":\d+/", ":99999/", url),
    "port-not-a-number": lambda url: re.sub(r":\d+/", ":pgport/", url),
    "bad-percent-encoding": lambda url: with_password(url, PASSWORD + "%zz"),
    "unquoted-space": lambda url: with_password(url, PASSWORD.replace("-", " ")),
    "bad-query-option": lambda url: url + "?sslmode=bogus",
    "unknown-query-option": lambda url: url + "?colour=blue",
    "broken-ipv6-host": lambda url: f"postgresql://ladder:{PASSWORD}@[::1/ladder",
    "unknown-scheme": lambda url: f"mysql://ladder:{PASSWORD}@127.0.0.1/ladder",
    "sqlite-without-path": lambda url: "sqlite://",
    "not-a-url": lambda url: "just some words",
}

HOMES: dict[str, Callable[[Path], Path]] = {
    # A home below a regular file cannot be created, not even by root.
    "under-a-file": lambda tmp: _touch(tmp / "a-file") / "home",
    "is-a-file": lambda tmp: _touch(tmp / "a-file"),
    "in-proc": lambda tmp: Path("/proc/self/ladder-home"),
    "read-only": lambda tmp: _mkdir(tmp / "read-only", 0o500),
    "queue-is-a-directory": lambda tmp: (
        _mkdir(_mkdir(tmp / "qdir", 0o700) / "queue.sqlite3", 0o700).parent
    ),
    "queue-not-sqlite": lambda tmp: (
        _write(_mkdir(tmp / "qjunk", 0o700) / "queue.sqlite3", b"not a queue\n" * 100).parent
    ),
}


def _touch(path: Path) -> Path:
    path.write_text("I am a file, not a directory\n")
    return path


def _mkdir(path: Path, mode: int) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _lines(*rows: str, header: str = HEADER) -> str:
    return header + "".join(r if r.endswith("\n") else r + "\n" for r in rows)


LONG_NAME = "N" * 65
MANY_GOOD = [f"{100 + i},bw_terran,{200 + i},bw_zerg,1,\n" for i in range(1000)]

CORPUS: list[Case] = [
    # -- races ------------------------------------------------------------------------
    C(
        "race-unknown-word",
        *rec("1", "zerg", "2", "bw_zerg"),
        says=r"unknown P1 race 'zerg'",
        subprocess=True,
    ),
    C("race-misspelled", *rec("1", "bw_terrn", "2", "bw_zerg"), says=r"did you mean bw_terran"),
    C("race2-unknown", *rec("1", "bw_terran", "2", "sc3_zerg"), says=r"unknown P2 race"),
    C("race-empty", *rec("1", "", "2", "bw_zerg"), says=r"unknown P1 race ''"),
    C("race-random", *rec("1", "sc2_random", "2", "bw_zerg"), says=r"unknown P1 race"),
    C("race-sql-injection", *rec("1", "bw_terran'--", "2", "bw_zerg"), says=r"unknown P1 race"),
    # -- players: the same on both sides ----------------------------------------------
    C(
        "same-uid-both-sides",
        *rec("1", "bw_terran", "1", "bw_zerg"),
        says=r"same player \(1\)",
        subprocess=True,
    ),
    C(
        "same-player-name-and-uid",
        *rec("Alice", "bw_terran", "1", "bw_zerg"),
        says=r"same player \(1\)",
    ),
    C("same-player-zero-padded", *rec("1", "bw_terran", " 01", "bw_zerg"), says=r"same player"),
    # -- discord_uids out of range or not numbers -------------------------------------
    C(
        "uid-zero",
        *rec("0", "bw_terran", "2", "bw_zerg"),
        says=r"0 is out of range",
        subprocess=True,
    ),
    C("uid-zero-padded-zero", *rec("1", "bw_terran", "000", "bw_zerg"), says=r"out of range"),
    C("uid-negative", *rec("--", "-5", "bw_terran", "2", "bw_zerg"), says=r"'-5'.*discord_uid"),
    C(
        "uid-2-pow-63",
        *rec(str(2**63), "bw_terran", "2", "bw_zerg"),
        says=r"9223372036854775808 is out of range",
        subprocess=True,
    ),
    C("uid-2-pow-64-p2", *rec("1", "bw_terran", str(2**64), "bw_zerg"), says=r"out of range"),
    C("uid-100-digits", *rec("9" * 100, "bw_terran", "2", "bw_zerg"), says=r"out of range"),
    C(
        "uid-not-numeric",
        *rec("12abc", "bw_terran", "2", "bw_zerg"),
        says=r"unknown player '12abc'",
    ),
    C("uid-decimal", *rec("1.5", "bw_terran", "2", "bw_zerg"), says=r"unknown player '1.5'"),
    C("uid-hex", *rec("0x10", "bw_terran", "2", "bw_zerg"), says=r"unknown player '0x10'"),
    C(
        "uid-arabic-indic-digits",
        *rec("\u0661\u0662", "bw_terran", "2", "bw_zerg"),
        says=r"not a number",
    ),
    C(
        "uid-fullwidth-digits",
        *rec("1", "bw_terran", "\uff12\uff13", "bw_zerg"),
        says=r"not a number",
    ),
    # -- player names as references ---------------------------------------------------
    C(
        "name-unknown",
        *rec("Nobody", "bw_terran", "2", "bw_zerg"),
        says=r"unknown player 'Nobody'",
        subprocess=True,
    ),
    C(
        "name-misspelled",
        *rec("Alcie", "bw_terran", "2", "bw_zerg"),
        says=r"unknown player 'Alcie'",
    ),
    C(
        "name-ambiguous",
        *rec("TWIN", "sc2_protoss", "1", "bw_terran"),
        says=r"ambiguous: Twin \(4\), twin \(5\)",
        subprocess=True,
    ),
    C("player-empty", *rec("", "bw_terran", "2", "bw_zerg"), says=r"player is empty"),
    C("player-blank", *rec("1", "bw_terran", "   ", "bw_zerg"), says=r"player is empty"),
    C(
        "player-sql-injection",
        *rec(SQL_INJECTION, "bw_terran", "2", "bw_zerg"),
        says=r"unknown player \"x'\); DROP TABLE",
        subprocess=True,
    ),
    C(
        "player-sql-or-true",
        *rec("' OR '1'='1", "bw_terran", "2", "bw_zerg"),
        says=r"unknown player",
    ),
    C(
        "player2-sql-injection",
        *rec("1", "bw_terran", "2; DROP TABLE ladder_matches", "bw_zerg"),
        says=r"unknown player",
    ),
    C(
        "player-with-escape",
        *rec("\x1b[31m", "bw_terran", "2", "bw_zerg"),
        says=r"unknown player '\\x1b\[31m'",
    ),
    C(
        "player-with-markup",
        *rec("[red]Nobody[/red]", "bw_terran", "2", "bw_zerg"),
        says=r"unknown player '\[red\]Nobody\[/red\]'",
    ),
    C(
        "race-with-escape",
        *rec("1", "bw\x1b[2J", "2", "bw_zerg"),
        says=r"unknown P1 race 'bw\\x1b\[2J'",
    ),
    # -- names given with --p1-name / --p2-name --------------------------------------
    C(
        "p1-name-empty",
        *rec("1", "bw_terran", "2", "bw_zerg", "--p1-name", ""),
        says=r"P1 name is empty",
    ),
    C(
        "p1-name-blank",
        *rec("1", "bw_terran", "2", "bw_zerg", "--p1-name", " \u3000 "),
        says=r"P1 name is empty",
    ),
    C(
        "p1-name-65-chars",
        *rec("1", "bw_terran", "2", "bw_zerg", "--p1-name", LONG_NAME),
        says=r"65 characters long: the limit is 64",
        subprocess=True,
    ),
    C(
        "p2-name-10000-chars",
        *rec("1", "bw_terran", "2", "bw_zerg", "--p2-name", "x" * 10_000),
        says=r"P2 name is 10000 characters",
    ),
    C(
        "p1-name-newline",
        *rec("1", "bw_terran", "2", "bw_zerg", "--p1-name", "two\nlines"),
        says=r"control character U\+000A",
    ),
    C("p1-name-tab", *rec("1", "bw_terran", "2", "bw_zerg", "--p1-name", "a\tb"), says=r"U\+0009"),
    C(
        "p1-name-nul",
        *rec("1", "bw_terran", "2", "bw_zerg", "--p1-name", "a\x00b"),
        says=r"U\+0000",
    ),
    C(
        "p1-name-ansi-colour",
        *rec("1", "bw_terran", "2", "bw_zerg", "--p1-name", "\x1b[31mred\x1b[0m"),
        says=r"U\+001B",
        subprocess=True,
    ),
    C(
        "p1-name-ansi-title",
        *rec("1", "bw_terran", "2", "bw_zerg", "--p1-name", "\x1b]0;pwned\x07"),
        says=r"U\+001B",
    ),
    C(
        "p2-name-ansi-clear-screen",
        *rec("1", "bw_terran", "2", "bw_zerg", "--p2-name", "x\x1b[2J\x1b[H"),
        says=r"P2 name .* U\+001B",
    ),
    C(
        "p1-name-c1-csi",
        *rec("1", "bw_terran", "2", "bw_zerg", "--p1-name", "a\x9b31mb"),
        says=r"U\+009B",
    ),
    C(
        "p1-name-delete",
        *rec("1", "bw_terran", "2", "bw_zerg", "--p1-name", "abc\x7f"),
        says=r"U\+007F",
    ),
    C(
        "p1-name-bidi-override",
        *rec("1", "bw_terran", "2", "bw_zerg", "--p1-name", "evil\u202egnp.exe"),
        says=r"U\+202E",
    ),
    # -- dates ------------------------------------------------------------------------
    C(
        "at-february-30",
        *rec("1", "bw_terran", "2", "bw_zerg", "--at", "2026-02-30"),
        says=r"--at '2026-02-30' is not a valid ISO 8601",
        subprocess=True,
    ),
    C(
        "at-month-13",
        *rec("1", "bw_terran", "2", "bw_zerg", "--at", "2026-13-01"),
        says=r"--at '2026-13-01'",
    ),
    C(
        "at-yesterday",
        *rec("1", "bw_terran", "2", "bw_zerg", "--at", "yesterday"),
        says=r"--at 'yesterday'",
    ),
    C("at-empty", *rec("1", "bw_terran", "2", "bw_zerg", "--at", ""), says=r"--at ''"),
    C(
        "at-hour-25",
        *rec("1", "bw_terran", "2", "bw_zerg", "--at", "2026-01-01T25:00:00"),
        says=r"--at",
    ),
    C(
        "at-offset-25h",
        *rec("1", "bw_terran", "2", "bw_zerg", "--at", "2026-01-01T00:00:00+25:00"),
        says=r"--at",
    ),
    C("at-year-0", *rec("1", "bw_terran", "2", "bw_zerg", "--at", "0000-01-01"), says=r"--at"),
    C(
        "at-beyond-year-9999-in-utc",
        *rec("1", "bw_terran", "2", "bw_zerg", "--at", "9999-12-31T23:59:59-23:59"),
        says=r"--at '9999-12-31T23:59:59-23:59'",
    ),
    C(
        "at-before-year-1-in-utc",
        *rec("1", "bw_terran", "2", "bw_zerg", "--at", "0001-01-01T00:00:00+01:00"),
        says=r"--at '0001-01-01",
    ),
    C(
        "at-unix-seconds",
        *rec("1", "bw_terran", "2", "bw_zerg", "--at", "1767225600"),
        says=r"--at '1767225600'",
    ),
    # -- usage ------------------------------------------------------------------------
    C("record-missing-arguments", *rec("1", "bw_terran"), says=r"record needs P1 RACE1 P2 RACE2"),
    C(
        "record-extra-argument",
        *rec("1", "bw_terran", "2", "bw_zerg", "bw_protoss"),
        says=r"unexpected extra argument",
    ),
    C(
        "record-file-and-players",
        *rec("1", "bw_terran", "2", "bw_zerg", "--file", "{csv}"),
        says=r"--file takes no players",
        csv=(HEADER + GOOD_ROW).encode(),
    ),
    C(
        "record-unknown-option",
        *rec("1", "bw_terran", "2", "bw_zerg", "--winner", "1"),
        says=r"no such option.*--winner",
    ),
    C(
        "unknown-command",
        "recrod",
        "1",
        "bw_terran",
        "2",
        "bw_zerg",
        says=r"no such command 'recrod'",
        subprocess=True,
    ),
    C("global-unknown-option", "--colour", "leaderboard", says=r"no such option.*--colour"),
    # -- matches CSV files ------------------------------------------------------------
    csv_case("csv-empty-file", b"", r"the file is empty", subprocess=True),
    csv_case("csv-header-only", HEADER, r"no matches after the header"),
    csv_case("csv-blank-lines-only", HEADER + "\n\n\n", r"no matches after the header"),
    csv_case(
        "csv-wrong-header",
        _lines(
            "1,bw_terran,2,bw_zerg,1,",
            header="winner,winner_race,loser,loser_race,result,played_at\n",
        ),
        r"bad header \(missing column 'p1_uid'\)",
        subprocess=True,
    ),
    csv_case(
        "csv-no-header", "1,bw_terran,2,bw_zerg,1,\n3,bw_zerg,4,bw_terran,0,\n", r"bad header"
    ),
    csv_case(
        "csv-missing-result-column",
        _lines("1,bw_terran,2,bw_zerg", header="p1_uid,p1_race,p2_uid,p2_race\n"),
        r"missing column 'result'",
    ),
    csv_case(
        "csv-unknown-column",
        _lines("1,bw_terran,2,bw_zerg,1,,gg", header=HEADER.strip() + ",notes\n"),
        r"unknown column 'notes'",
    ),
    csv_case(
        "csv-duplicate-column",
        _lines("1,bw_terran,2,bw_zerg,1,1", header="p1_uid,p1_race,p2_uid,p2_race,result,result\n"),
        r"a column appears twice",
    ),
    csv_case(
        "csv-semicolons",
        "p1_uid;p1_race;p2_uid;p2_race;result\n1;bw_terran;2;bw_zerg;1\n",
        r"bad header",
    ),
    csv_case(
        "csv-bad-race-first-line",
        _lines("10,bw_terrn,11,bw_zerg,1,", GOOD_ROW, GOOD_ROW),
        r"line 2: unknown p1_race 'bw_terrn'",
        subprocess=True,
    ),
    csv_case(
        "csv-bad-uid-middle-line",
        _lines(GOOD_ROW, "10,bw_terran,abc,bw_zerg,1,", GOOD_ROW),
        r"line 3: p2_uid 'abc' is not a number",
    ),
    csv_case(
        "csv-same-player-last-line",
        _lines(GOOD_ROW, GOOD_ROW, "12,bw_terran,12,bw_zerg,0,"),
        r"line 4: .*same player \(12\)",
        subprocess=True,
    ),
    csv_case(
        "csv-bad-line-777-of-1001",
        HEADER + "".join(MANY_GOOD[:775]) + "1,bw_terran,2,bw_zerg,7,\n" + "".join(MANY_GOOD[775:]),
        r"line 777: result '7'",
    ),
    csv_case(
        "csv-uid-zero", _lines("0,bw_terran,11,bw_zerg,1,"), r"line 2: p1_uid 0 is out of range"
    ),
    csv_case(
        "csv-uid-2-pow-63",
        _lines(f"10,bw_terran,{2**63},bw_zerg,1,"),
        r"line 2: p2_uid 9223372036854775808 is out of range",
    ),
    csv_case(
        "csv-uid-negative",
        _lines("-10,bw_terran,11,bw_zerg,1,"),
        r"line 2: p1_uid '-10' is not a number",
    ),
    csv_case("csv-result-3", _lines(GOOD_ROW, "10,bw_terran,11,bw_zerg,3,"), r"line 3: result '3'"),
    csv_case("csv-result-empty", _lines("10,bw_terran,11,bw_zerg,,"), r"line 2: result ''"),
    csv_case("csv-result-word", _lines("10,bw_terran,11,bw_zerg,win,"), r"line 2: result 'win'"),
    csv_case(
        "csv-truncated-last-line",
        HEADER + GOOD_ROW + "10,bw_terran,11",
        r"line 3: 3 fields, expected 6",
    ),
    csv_case(
        "csv-extra-field",
        _lines(GOOD_ROW, "10,bw_terran,11,bw_zerg,1,,surplus"),
        r"line 3: 7 fields, expected 6",
    ),
    csv_case(
        "csv-played-at-february-30",
        _lines("10,bw_terran,11,bw_zerg,1,2026-02-30T00:00:00"),
        r"line 2: played_at '2026-02-30T00:00:00'",
    ),
    csv_case(
        "csv-played-at-month-13",
        _lines(GOOD_ROW, "10,bw_terran,11,bw_zerg,0,2026-13-01"),
        r"line 3: played_at",
    ),
    csv_case(
        "csv-played-at-out-of-range",
        _lines("10,bw_terran,11,bw_zerg,1,9999-12-31T23:59:59-23:59"),
        r"line 2: played_at",
    ),
    csv_case(
        "csv-unterminated-quote",
        HEADER + GOOD_ROW + '10,"bw_terran,11,bw_zerg,1,\n',
        r"malformed CSV|fields",
    ),
    csv_case(
        "csv-nul-byte",
        HEADER.encode() + b"10,bw_terran,11,bw_zerg,1,\x00\n",
        r"malformed CSV|line 2",
    ),
    csv_case(
        "csv-newline-inside-uid",
        _lines('"1\n0",bw_terran,11,bw_zerg,1,'),
        r"p1_uid '1\\n0' is not a number",
    ),
    csv_case(
        "csv-not-utf8-name",
        (HEADER.strip() + ",p1_name\n").encode()
        + "10,bw_terran,11,bw_zerg,1,,Jos\u00e9\n".encode("latin-1"),
        r"not UTF-8 text",
    ),
    csv_case("csv-utf16", (HEADER + GOOD_ROW).encode("utf-16"), r"not UTF-8 text|bad header"),
    csv_case(
        "csv-binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", r"not UTF-8 text|malformed"
    ),
    csv_case(
        "csv-name-control-char",
        (HEADER.strip() + ",p1_name,p2_name\n" + "10,bw_terran,11,bw_zerg,1,,ok,bad\x1b[31m\n"),
        r"line 2: p2_name .* U\+001B",
    ),
    csv_case(
        "csv-name-65-chars",
        (HEADER.strip() + ",p1_name\n" + f"10,bw_terran,11,bw_zerg,1,,{LONG_NAME}\n"),
        r"line 2: p1_name is 65 characters",
    ),
    csv_case(
        "csv-name-blank",
        (HEADER.strip() + ",p1_name\n" + "10,bw_terran,11,bw_zerg,1,,   \n"),
        r"line 2: p1_name is empty",
    ),
    C(
        "csv-missing-file",
        "record",
        "--file",
        "{tmp}/no-such.csv",
        says=r"no-such.csv: no such file",
        subprocess=True,
    ),
    C("csv-is-a-directory", "record", "--file", "{tmp}", says=r"is a directory"),
    C(
        "csv-path-with-escape",
        "record",
        "--file",
        "{tmp}/\x1b[2J\x1b]0;pwned\x07.csv",
        says=r"\\x1b\[2J.*: no such file",
    ),
    csv_case(
        "csv-field-too-large",
        (HEADER.strip() + ",p1_name\n" + "10,bw_terran,11,bw_zerg,1,," + "x" * 200_000 + "\n"),
        r"line 2: malformed CSV: field larger than field limit",
    ),
    csv_case("csv-bom-header-only", b"\xef\xbb\xbf" + HEADER.encode(), r"no matches after"),
    csv_case(
        "csv-double-bom",
        b"\xef\xbb\xbf\xef\xbb\xbf" + (HEADER + GOOD_ROW).encode(),
        r"bad header \(missing column 'p1_uid'\)",
    ),
    # -- reads: leaderboard, profile, history -----------------------------------------
    C(
        "leaderboard-top-negative",
        "leaderboard",
        "--top",
        "-1",
        says=r"--top -1 must be 0",
        subprocess=True,
    ),
    C(
        "leaderboard-top-not-a-number",
        "leaderboard",
        "--top",
        "ten",
        says=r"invalid value for '--top'",
    ),
    C("leaderboard-top-float", "leaderboard", "--top", "2.5", says=r"invalid value for '--top'"),
    C("leaderboard-page-zero", "leaderboard", "--page", "0", says=r"--page 0 must be 1 or more"),
    C("leaderboard-page-negative", "leaderboard", "--page", "-3", says=r"--page -3"),
    C("leaderboard-min-games-negative", "leaderboard", "--min-games", "-1", says=r"--min-games -1"),
    C("leaderboard-race-unknown", "leaderboard", "--race", "zerg", says=r"unknown race 'zerg'"),
    C(
        "leaderboard-format-xml",
        "leaderboard",
        "--format",
        "xml",
        says=r"invalid value for '--format'",
        subprocess=True,
    ),
    C(
        "leaderboard-format-empty",
        "leaderboard",
        "--format",
        "",
        says=r"invalid value for '--format'",
    ),
    C(
        "profile-format-csv",
        "profile",
        "1",
        "--format",
        "csv",
        says=r"invalid value for '--format'",
    ),
    C("profile-unknown-uid", "profile", "999", says=r"unknown player 999", subprocess=True),
    C("profile-unknown-name", "profile", "Nobody", says=r"unknown player 'Nobody'"),
    C("profile-ambiguous-name", "profile", "twin", says=r"ambiguous"),
    C("profile-uid-zero", "profile", "0", says=r"out of range"),
    C("profile-uid-2-pow-63", "profile", str(2**63), says=r"out of range"),
    C("profile-sql-injection", "profile", SQL_INJECTION, says=r"unknown player"),
    C("profile-missing-player", "profile", says=r"missing argument 'PLAYER'"),
    C("history-limit-negative", "history", "--limit", "-5", says=r"--limit -5 must be 0"),
    C(
        "history-limit-not-a-number",
        "history",
        "--limit",
        "all",
        says=r"invalid value for '--limit'",
    ),
    C("history-unknown-player", "history", "12345", says=r"unknown player 12345"),
    C("history-ambiguous-player", "history", "Twin", says=r"ambiguous"),
    C("history-format-yaml", "history", "--format", "yaml", says=r"invalid value for '--format'"),
    # -- reset --------------------------------------------------------------------------
    C("reset-unknown-player", "reset", "999", "--yes", says=r"unknown player 999", subprocess=True),
    C("reset-unknown-name", "reset", "Nobody", "--yes", says=r"unknown player 'Nobody'"),
    C("reset-ambiguous-name", "reset", "twin", "--yes", says=r"ambiguous"),
    C("reset-sql-injection", "reset", SQL_INJECTION, "--yes", says=r"unknown player"),
    C("reset-mmr-negative", "reset", "1", "--mmr", "-1", "--yes", says=r"mmr -1 is out of range"),
    C(
        "reset-mmr-too-high",
        "reset",
        "1",
        "--mmr",
        "100001",
        "--yes",
        says=r"mmr 100001 is out of range",
    ),
    C(
        "reset-mmr-not-a-number",
        "reset",
        "1",
        "--mmr",
        "lots",
        "--yes",
        says=r"invalid value for '--mmr'",
    ),
    C("reset-mmr-2-pow-63", "reset", "1", "--mmr", str(2**63), "--yes", says=r"out of range"),
    C(
        "reset-race-unknown",
        "reset",
        "1",
        "--race",
        "terran",
        "--yes",
        says=r"unknown race 'terran'",
    ),
    C(
        "reset-race-not-played",
        "reset",
        "1",
        "--race",
        "sc2_zerg",
        "--yes",
        says=r"player 1 has no sc2_zerg entry",
    ),
    C(
        "reset-declined",
        "reset",
        "1",
        says=r"reset cancelled",
        code=1,
        stdin="n\n",
        subprocess=True,
    ),
    C("reset-no-answer", "reset", "1", says=r"abort|confirm", code=1, stdin=""),
    # -- the queue ----------------------------------------------------------------------
    C("wal-unknown-subcommand", "wal", "flush", says=r"no such command 'flush'"),
    C(
        "wal-list-format-xml",
        "wal",
        "list",
        "--format",
        "xml",
        says=r"invalid value for '--format'",
    ),
    C("wal-list-limit-negative", "wal", "list", "--limit", "-1", says=r"--limit -1 must be 0"),
    C("wal-failed-limit-negative", "wal", "failed", "--limit", "-2", says=r"--limit -2"),
    C(
        "wal-list-limit-not-a-number",
        "wal",
        "list",
        "--limit",
        "x",
        says=r"invalid value for '--limit'",
    ),
    # -- database URLs ------------------------------------------------------------------
    C(
        "url-wrong-password",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"password authentication failed.*check the URL",
        db="wrong-password",
        stores="pg",
        subprocess=True,
    ),
    C(
        "url-wrong-password-by-name",
        *rec("Alice", "bw_terran", "Bob", "bw_zerg"),
        says=r"password authentication failed",
        db="wrong-password",
        stores="pg",
    ),
    C(
        "url-wrong-password-reset",
        "reset",
        "1",
        "--yes",
        says=r"password authentication failed",
        db="wrong-password",
        stores="pg",
    ),
    C(
        "url-wrong-password-csv",
        "record",
        "--file",
        "{csv}",
        says=r"password authentication failed",
        db="wrong-password",
        stores="pg",
        csv=(HEADER + GOOD_ROW).encode(),
    ),
    C(
        "url-wrong-password-leaderboard",
        "leaderboard",
        says=r"password authentication failed",
        db="wrong-password",
        stores="pg",
    ),
    C(
        "url-wrong-user",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"nobody_here.*check the URL",
        db="wrong-user",
        stores="pg",
    ),
    C(
        "url-unresolvable-host",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"no-such-host\.invalid.*check the URL",
        db="unresolvable-host",
        stores="pg",
        subprocess=True,
    ),
    C(
        "url-unknown-database",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"no_such_ladder_db.*does not exist",
        db="unknown-database",
        stores="pg",
    ),
    C(
        "url-port-out-of-range",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"port.*check the URL",
        db="port-out-of-range",
        stores="pg",
    ),
    C(
        "url-port-not-a-number",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"port.*check the URL",
        db="port-not-a-number",
        stores="pg",
    ),
    C(
        "url-bad-percent-encoding",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"percent.*check the URL",
        db="bad-percent-encoding",
        stores="pg",
    ),
    C(
        "url-unquoted-space",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"spaces.*check the URL",
        db="unquoted-space",
        stores="pg",
    ),
    C(
        "url-bad-sslmode",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"sslmode.*check the URL",
        db="bad-query-option",
        stores="pg",
    ),
    C(
        "url-unknown-query-option",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"colour.*check the URL",
        db="unknown-query-option",
        stores="pg",
    ),
    C(
        "url-broken-ipv6-host",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"check the URL",
        db="broken-ipv6-host",
        stores="pg",
        subprocess=True,
    ),
    C(
        "url-unknown-scheme",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"unsupported database URL scheme 'mysql'",
        db="unknown-scheme",
        stores="one",
        subprocess=True,
    ),
    C(
        "url-sqlite-without-path",
        "leaderboard",
        says=r"names no file",
        db="sqlite-without-path",
        stores="one",
    ),
    C(
        "url-not-a-url",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"unsupported database URL",
        db="not-a-url",
        stores="one",
    ),
    # -- config file --------------------------------------------------------------------
    C(
        "config-not-toml",
        "leaderboard",
        says=r"config\.toml is not valid TOML",
        config=b'database_url = "postgresql://x\n',
        stores="one",
        subprocess=True,
    ),
    C(
        "config-not-utf8",
        "leaderboard",
        says=r"config\.toml.*(UTF-8|TOML)",
        config=b"\xff\xfe\x00d\x00b",
        stores="one",
        subprocess=True,
    ),
    C(
        "config-truncated",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"not valid TOML",
        config=b"batch_size = ",
        stores="one",
    ),
    C(
        "config-unknown-setting",
        "leaderboard",
        says=r"unknown setting 'colour'",
        config=b"colour = true\n",
        stores="one",
    ),
    C(
        "config-url-not-a-string",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"database_url must be a string",
        config=b"database_url = 5\n",
        stores="one",
    ),
    C(
        "config-batch-size-zero",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"batch_size must be a whole number",
        config=b"batch_size = 0\n",
        stores="one",
    ),
    C(
        "config-timeout-string",
        "leaderboard",
        says=r"connect_timeout must be a whole number",
        config=b'connect_timeout = "5s"\n',
        stores="one",
    ),
    C(
        "config-integrity-share-above-one",
        "integrity",
        says=r"\[integrity\]: pair_share must be a share above 0 and at most 1",
        config=b"[integrity]\npair_share = 1.5\n",
        stores="one",
        subprocess=True,
    ),
    C(
        "config-integrity-days-a-string",
        "leaderboard",
        says=r"\[integrity\]: window_days must be a whole number of days",
        config=b'[integrity]\nwindow_days = "7"\n',
        stores="one",
    ),
    C(
        "config-integrity-unknown-key",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"\[integrity\]: unknown setting 'pair_gmaes'",
        config=b"[integrity]\npair_gmaes = 10\n",
        stores="one",
    ),
    C(
        "config-integrity-not-a-table",
        "integrity",
        says=r"\[integrity\] must be a table",
        config=b"integrity = 7\n",
        stores="one",
    ),
    # -- integrity flags ----------------------------------------------------------------
    C(
        "integrity-dismiss-unknown-flag",
        "integrity",
        "dismiss",
        "0123456789",
        "--reason",
        "looked at it",
        says=r"unknown flag 0123456789",
        subprocess=True,
    ),
    C(
        "integrity-dismiss-not-a-flag-id",
        "integrity",
        "dismiss",
        "Alice",
        "--reason",
        "looked at it",
        says=r"flag 'Alice' is not a flag id",
    ),
    C(
        "integrity-dismiss-no-reason",
        "integrity",
        "dismiss",
        "0123456789",
        says=r"--reason is required",
    ),
    C(
        "integrity-dismiss-blank-reason",
        "integrity",
        "dismiss",
        "0123456789",
        "--reason",
        "   ",
        says=r"--reason is required",
    ),
    C(
        "integrity-dismiss-reason-with-escape",
        "integrity",
        "dismiss",
        "0123456789",
        "--reason",
        "fine\x1b[2J",
        says=r"--reason contains the control character U\+001B",
    ),
    C(
        "integrity-show-unknown-flag",
        "integrity",
        "show",
        "abcdefabcd",
        says=r"unknown flag abcdefabcd",
    ),
    C(
        "integrity-since-not-a-date",
        "integrity",
        "--since",
        "last week",
        says=r"--since 'last week' is not a valid ISO 8601",
    ),
    C(
        "integrity-since-in-the-future",
        "integrity",
        "--since",
        "2999-01-01",
        says=r"--since '2999-01-01'.*in the future",
    ),
    C(
        "integrity-format-csv",
        "integrity",
        "--format",
        "csv",
        says=r"invalid value for '--format'",
        stores="one",
    ),
    # -- the home directory (faults of the environment) -------------------------------
    C(
        "home-under-a-file",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"a-file/home",
        home="under-a-file",
        code=-1,
        stores="one",
        subprocess=True,
    ),
    C(
        "home-is-a-file",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"a-file",
        home="is-a-file",
        code=-1,
        stores="one",
    ),
    C(
        "home-in-proc",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"/proc/self/ladder-home",
        home="in-proc",
        code=1,
        stores="one",
        subprocess=True,
    ),
    C(
        "home-read-only",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"read-only",
        home="read-only",
        code=1,
        stores="one",
        posix_root_skip=True,
    ),
    C(
        "home-queue-is-a-directory",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"queue\.sqlite3",
        home="queue-is-a-directory",
        code=1,
        stores="one",
    ),
    C(
        "home-queue-not-sqlite",
        *rec("1", "bw_terran", "2", "bw_zerg"),
        says=r"queue\.sqlite3.*not a database",
        home="queue-not-sqlite",
        code=1,
        stores="one",
    ),
]

IDS = [case.id for case in CORPUS]
assert len(set(IDS)) == len(IDS), "case ids must be unique"


def _params(cases: Sequence[Case]) -> list[Any]:
    params = []
    for case in cases:
        stores = {"both": ("sqlite", "postgres"), "pg": ("postgres",), "one": ("sqlite",)}
        for store in stores[case.stores]:
            marks = [pytest.mark.pg] if store == "postgres" else []
            params.append(pytest.param((case, store), id=f"{case.id}-{store}", marks=marks))
    return params


# -- the fixture: a seeded ladder and the case's inputs ------------------------------


@dataclass
class World:
    url: str
    home: Path
    tmp: Path
    case_home: Path = field(default_factory=Path)
    argv: list[str] = field(default_factory=list)

    def snapshot(self) -> tuple[Any, ...]:
        homes = {self.home, self.case_home}
        return (
            dump_database(self.url),
            {str(h): dump_queue(h) for h in sorted(homes) if _is_dir(h)},
        )


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


@pytest.fixture(scope="module")
def pg_template(
    fast_pg_cluster: PgCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """A seeded PostgreSQL database and a home (with one pending job) seeded against it."""
    pg_cluster = fast_pg_cluster
    pg_cluster.start()
    name = f"ladder_bad_input_{uuid.uuid4().hex[:12]}"
    url = pg_cluster.create_database(name)
    home = tmp_path_factory.mktemp("pg-template") / "home"
    seed(url, home)
    try:
        yield url, home
    finally:
        pg_cluster.start()
        pg_cluster.drop_database(name)


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path, home: Path) -> Iterator[World]:
    case, store = request.param
    if case.posix_root_skip and os.geteuid() == 0:
        pytest.skip("root ignores file permissions; the cases under a file cover it")
    if case.home == "in-proc" and not Path("/proc/self").is_dir():
        pytest.skip("needs Linux /proc")
    if store == "sqlite":
        url = f"sqlite:///{tmp_path}/ladder.sqlite3"
        seed(url, home)
    else:
        # One seeded database for the module (bad input must leave it as it is, and every
        # case checks exactly that), and a copy of the home whose queue belongs to it.
        url, template = request.getfixturevalue("pg_template")
        shutil.copytree(template, home, dirs_exist_ok=True)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    w = World(url=url, home=home, tmp=scratch, case_home=home)
    if case.csv is not None:
        (scratch / "matches.csv").write_bytes(case.csv)
    if case.config is not None:
        (home / "config.toml").write_bytes(case.config)
    if case.home is not None:
        w.case_home = HOMES[case.home](scratch)
    db = URLS[case.db](url) if case.db is not None else url
    argv = [
        a.replace("{csv}", str(scratch / "matches.csv")).replace("{tmp}", str(scratch))
        for a in case.argv
    ]
    w.argv = ["--db", db, "--home", str(w.case_home), *argv]
    yield w
    if case.home == "read-only":
        w.case_home.chmod(0o700)


def check_refused(case: Case, world: World, before: tuple[Any, ...], result: Result) -> None:
    everything = result.out + result.err
    assert "Traceback" not in everything, everything
    if case.code == -1:  # either kind of error is right for this one
        assert result.code in (1, 2), (result.code, everything)
    else:
        assert result.code == case.code, (result.code, everything)
    lines = result.err_lines
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    line = lines[0]
    assert line.startswith("error: "), line
    assert re.search(case.says, line, re.IGNORECASE | re.DOTALL), (case.says, line)
    assert not RAW_CONTROL.search(result.err), f"raw control character on stderr: {result.err!r}"
    assert PASSWORD not in everything and WRONG_PASSWORD not in everything
    assert world.snapshot() == before, "bad input changed the database or the queue"
    if case.home is not None and case.home not in (
        "read-only",
        "queue-is-a-directory",
        "queue-not-sqlite",
    ):
        assert not _is_dir(world.case_home), "an impossible home was created"


# -- the tests ------------------------------------------------------------------------


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 50
    categories = {case.id.split("-")[0] for case in CORPUS}
    assert {"race", "uid", "name", "p1", "at", "csv", "url", "config", "home"} <= categories


@pytest.mark.parametrize(("world"), _params(CORPUS), indirect=True)
def test_bad_input_is_refused_and_changes_nothing(
    world: World, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    case: Case = request.node.callspec.params["world"][0]
    before = world.snapshot()
    result = invoke(capsys, world.argv, stdin=case.stdin)
    check_refused(case, world, before, result)


SUBPROCESS_CASES = [case for case in CORPUS if case.subprocess]
#: The real-process cases run every day: the first few on each store (the whole corpus
#: runs in-process every day, above; every real-process case with --run-slow).
EVERYDAY_PROCESS_CASES = [
    *[f"{case.id}-sqlite" for case in SUBPROCESS_CASES if case.stores != "pg"][:4],
    *[f"{case.id}-postgres" for case in SUBPROCESS_CASES if case.stores != "one"][:2],
]


@pytest.mark.slow_except(*EVERYDAY_PROCESS_CASES)
@pytest.mark.parametrize(("world"), _params(SUBPROCESS_CASES), indirect=True)
def test_bad_input_through_the_real_command(world: World, request: pytest.FixtureRequest) -> None:
    case: Case = request.node.callspec.params["world"][0]
    before = world.snapshot()
    result = invoke_process(world.argv, stdin=case.stdin)
    check_refused(case, world, before, result)


def test_subprocess_subset_is_representative() -> None:
    assert len(SUBPROCESS_CASES) >= 15
    kinds = {case.id.split("-")[0] for case in SUBPROCESS_CASES}
    assert {"race", "uid", "csv", "url", "config", "home", "leaderboard"} <= kinds


# -- hostile-looking input that is legal -----------------------------------------------


@pytest.fixture
def seeded(db_url: str, home: Path) -> tuple[str, Path]:
    seed(db_url, home)
    return db_url, home


def test_csv_with_bom_is_accepted_and_applied(
    seeded: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, home = seeded
    path = tmp_path / "bom.csv"
    text = (
        "p1_uid,p1_race,p2_uid,p2_race,result,played_at,p1_name,p2_name\r\n"
        "30,bw_terran,31,bw_zerg,1,2026-01-02T03:04:05+00:00,Zoë,\u00c5sa\r\n"
        "31,bw_zerg,30,bw_terran,0,2026-01-03T00:00:00,,\r\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    before = dump_database(url)
    result = invoke(capsys, ["--db", url, "--home", str(home), "record", "--file", str(path)])
    assert result.code == 0, result.err
    assert "Traceback" not in result.out + result.err
    after = dump_database(url)
    entries = {(r[1], r[3]): r for r in after["mmrs_1v1"]}
    # Win (1500/1500 → 1520/1480), then a draw (1480 vs 1520: 1480 gains 2).
    zoe, asa = entries[(30, "bw_terran")], entries[(31, "bw_zerg")]
    assert (zoe[2], zoe[4], zoe[5:9]) == ("Zoë", 1518, (2, 1, 0, 1))
    assert (asa[2], asa[4], asa[5:9]) == ("\u00c5sa", 1482, (2, 0, 1, 1))
    new_matches = after["ladder_matches"][len(before["ladder_matches"]) :]
    mine = [m for m in new_matches if {m[4], m[8]} == {30, 31}]
    assert len(mine) == 2
    assert dump_queue(home) == [], "the file's jobs (and the pending one) were applied"


def test_sql_injection_as_a_name_is_stored_literally(
    seeded: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, home = seeded
    hostile = ["x'); DROP TABLE mmrs_1v1;--", "Robert'); DROP TABLE ladder_matches;--"]
    result = invoke(
        capsys,
        ["--db", url, "--home", str(home), "record", "40", "bw_terran", "41", "bw_zerg",
         "--p1-name", hostile[0], "--p2-name", hostile[1]],
    )  # fmt: skip
    assert result.code == 0, result.err
    after = dump_database(url)  # every table still there and readable
    names = {r[1]: r[2] for r in after["mmrs_1v1"]}
    assert names[40] == hostile[0] and names[41] == hostile[1]
    assert len(after["ladder_matches"]) == 5  # the seed's three, the pending one, this one
    # The name finds the player again, as a reference, exactly as stored.
    result = invoke(
        capsys, ["--db", url, "--home", str(home), "profile", hostile[0], "--format", "json"]
    )
    assert result.code == 0, result.err
    assert '"discord_uid": 40' in result.out


@pytest.mark.parametrize(
    "argv",
    [
        ["leaderboard", "--top", str(10**20)],
        ["leaderboard", "--page", str(10**20)],
        ["leaderboard", "--page", str(2**63 - 1), "--top", "20"],
        ["leaderboard", "--min-games", str(10**20)],
        ["history", "--limit", str(10**20)],
        ["wal", "list", "--limit", str(10**20)],
        ["wal", "failed", "--limit", str(2**64)],
    ],
    ids=["top", "page", "page-times-top", "min-games", "history-limit", "wal-list", "wal-failed"],
)
def test_huge_counts_mean_all_or_an_empty_page(
    seeded: tuple[str, Path], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Sizes beyond 64 bits are not errors, but must not overflow into a traceback."""
    url, home = seeded
    before = (dump_database(url), dump_queue(home))
    result = invoke(capsys, ["--db", url, "--home", str(home), *argv])
    assert result.code == 0, result.err
    assert "Traceback" not in result.out + result.err and "error" not in result.err
    assert (dump_database(url), dump_queue(home)) == before


# -- a time more than a day in the future --------------------------------------------


def test_a_match_dated_far_in_the_future_is_bad_input(db_url: str, home: Path) -> None:
    """--at or a CSV played_at with a typo'd year: exit 2, one line, nothing queued."""
    import json
    from datetime import UTC, datetime, timedelta

    from ladder_cli.domain.model import MatchJob
    from ladder_cli.util.errors import BadInput
    from tests.invariants import ladder

    args = ("record", "1", "bw_zerg", "2", "bw_terran", "--at")
    for when in ("3000-01-01T00:00:00", (datetime.now(UTC) + timedelta(hours=25)).isoformat()):
        done = ladder(home, db_url, *args, when)
        assert done.returncode == 2, done.stderr
        assert "more than 24 hours in the future" in done.stderr
        assert len(done.stderr.splitlines()) == 1
    csv = home.parent / "m.csv"
    csv.write_text(
        "p1_uid,p1_race,p2_uid,p2_race,result,played_at\n"
        "1,bw_zerg,2,bw_terran,1,2026-01-01T00:00:00\n"
        "1,bw_zerg,2,bw_terran,1,3026-01-01T00:00:00\n"
    )
    done = ladder(home, db_url, "record", "--file", str(csv))
    assert done.returncode == 2 and "line 3" in done.stderr and "future" in done.stderr
    status = ladder(home, db_url, "wal", "status", "--format", "json")
    assert json.loads(status.stdout)["pending"] == 0
    soon = (datetime.now(UTC) + timedelta(hours=23)).isoformat()  # clocks differ: accepted
    assert ladder(home, db_url, *args, soon).returncode == 0
    with pytest.raises(BadInput, match="future"):
        MatchJob.checked(1, "bw_zerg", 2, "bw_terran", played_at=datetime(3000, 1, 1))
