"""Safety: names are shown literally, the password is never printed, files are private.

* Player names with Rich markup (given by an admin) or terminal escape sequences (written
  into ``mmrs_1v1`` directly by another writer, as the Discord bot does) are stored as
  given, printed literally in every table -- no raw ESC or BEL byte ever reaches the
  terminal -- and come back exactly from JSON.
* The PostgreSQL password never appears in anything the tool prints (stdout, stderr,
  ``--debug``) or writes (queue, snapshots), across success and failure paths.
* Every file the tool creates is 0600 and every directory 0700.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import sqlite3
import stat
import struct
import subprocess
import sys
import termios
import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

import psycopg
import pytest

from devtools.pgcluster import PgCluster
from ladder_cli import Ladder
from ladder_cli.domain.model import MatchJob
from tests.test_bad_input import PASSWORD, Result, invoke, invoke_process

MARKUP = ["[bold red]x[/]", "[link=http://e]y[/link]"]
ESCAPES = {
    3: "\x1b[31mred\x1b[0m",  # SGR colour
    4: "\x1b]0;title\x07",  # OSC: set the window title
    9: "\x1b[2J\x1b[Hwiped",  # clear the screen, cursor home
}
QUEUED_ESCAPE = "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\"  # OSC 8 hyperlink
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # what must never reach the terminal


def execute(url: str, statement: str, params: Sequence[Any] = ()) -> None:
    """Write to the database directly, with its own driver, as another writer would."""
    if url.startswith("sqlite"):
        with closing(sqlite3.connect(url[len("sqlite:///") :])) as conn:
            conn.execute(statement.replace("%s", "?"), tuple(params))
            conn.commit()
        return
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement, tuple(params))  # type: ignore[arg-type]


def cli(capsys: pytest.CaptureFixture[str], url: str, home: Path, *argv: str, **kw: Any) -> Result:
    result = invoke(capsys, ["--db", url, "--home", str(home), *argv], **kw)
    assert "Traceback" not in result.out + result.err
    return result


# -- names are shown literally ----------------------------------------------------------


def test_markup_names_are_stored_and_shown_literally(
    db_url: str, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = cli(capsys, db_url, home, "record", "1", "bw_terran", "2", "bw_zerg",
            "--p1-name", MARKUP[0], "--p2-name", MARKUP[1])  # fmt: skip
    assert r.code == 0, r.err
    assert MARKUP[0] in r.out and MARKUP[1] in r.out
    r = cli(capsys, db_url, home, "record", "5", "bw_terran", "6", "bw_zerg", "--no-flush",
            "--p1-name", "[blink]z[/blink]", "--p2-name", ":smile: [/]")  # fmt: skip
    assert r.code == 0, r.err

    for argv in (["leaderboard"], ["history"], ["profile", "1"], ["profile", MARKUP[1]]):
        r = cli(capsys, db_url, home, *argv)
        assert r.code == 0, (argv, r.err)
        shown = [n for n in MARKUP if n in r.out]
        assert shown, (argv, r.out)
    r = cli(capsys, db_url, home, "leaderboard")
    assert all(n in r.out for n in [*MARKUP, "[blink]z[/blink]", ":smile: [/]"]), r.out
    r = cli(capsys, db_url, home, "wal", "list")
    assert "p1_name=[blink]z[/blink]" in r.out and "p2_name=:smile: [/]" in r.out, r.out

    board = json.loads(cli(capsys, db_url, home, "leaderboard", "--format", "json").out)
    assert {row["discord_uid"]: row["player_name"] for row in board} == {
        1: MARKUP[0], 2: MARKUP[1], 5: "[blink]z[/blink]", 6: ":smile: [/]"
    }  # fmt: skip
    prof = json.loads(cli(capsys, db_url, home, "profile", MARKUP[0], "--format", "json").out)
    assert prof["player_name"] == MARKUP[0]
    jobs = json.loads(cli(capsys, db_url, home, "wal", "list", "--format", "json").out)
    assert (jobs[0]["p1_name"], jobs[0]["p2_name"]) == ("[blink]z[/blink]", ":smile: [/]")
    rows = cli(capsys, db_url, home, "leaderboard", "--format", "csv").out
    assert MARKUP[0] in rows and "[link=http://e]y[/link]" in rows


@pytest.fixture
def hostile_ladder(db_url: str, home: Path) -> tuple[str, Path]:
    """Players whose names another writer set to escape sequences, plus a queued one."""
    with Ladder.open(db=db_url, home=home) as ladder:
        ladder.record(1, "bw_terran", 2, "bw_zerg")
        ladder.record(3, "bw_terran", 4, "bw_zerg")
        ladder.record(3, "bw_terran", 1, "bw_terran", draw=True)
    for uid in (3, 4):
        execute(db_url, "UPDATE mmrs_1v1 SET player_name = %s WHERE discord_uid = %s",
                (ESCAPES[uid], uid))  # fmt: skip
    execute(
        db_url,
        "INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr, games_played, games_won, "
        "games_lost, games_drawn, last_played) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (9, ESCAPES[9], "sc2_zerg", 1600, 3, 2, 1, 0, "2026-01-01T00:00:00+00:00"),
    )
    # The library API takes jobs as given: a program may queue a name the CLI would refuse.
    with Ladder.open(db=db_url, home=home) as ladder:
        job = MatchJob(7, "bw_zerg", 8, "bw_protoss", 1, datetime_utc(), QUEUED_ESCAPE, None)
        ladder.record_many([job], flush=False)
    return db_url, home


def datetime_utc() -> Any:
    from ladder_cli.domain.model import now_utc

    return now_utc()


def assert_literal(text: str, where: object) -> None:
    assert not RAW.search(text), f"raw control character in {where}: {text!r}"


def test_escape_sequences_are_never_sent_to_the_terminal(
    hostile_ladder: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, home = hostile_ladder
    commands = [
        ["leaderboard"], ["leaderboard", "--min-games", "0"], ["leaderboard", "--format", "csv"],
        ["profile", "3"], ["profile", "4"], ["profile", "9"], ["profile", "7"],
        ["history"], ["history", "3"], ["history", "--format", "csv"],
        ["wal", "list"], ["record", "3", "bw_terran", "4", "bw_zerg", "--no-flush"],
        ["wal", "list"], ["leaderboard"],
    ]  # fmt: skip
    for argv in commands:
        r = cli(capsys, url, home, *argv)
        assert r.code == 0, (argv, r.err)
        assert_literal(r.out + r.err, argv)
    board = cli(capsys, url, home, "leaderboard", "--min-games", "0").out
    assert "\\x1b[31mred\\x1b[0m" in board and "\\x1b]0;title\\x07" in board
    assert "\\x1b[2J\\x1b[Hwiped" in board
    # The confirmation prompt names the player too.
    r = cli(capsys, url, home, "reset", "3", stdin="n\n")
    assert r.code == 1 and "\\x1b[31mred" in r.out
    assert_literal(r.out + r.err, "reset prompt")
    # So does an error listing the candidates of an ambiguous name.
    execute(url, "UPDATE mmrs_1v1 SET player_name = %s WHERE discord_uid = 4", (ESCAPES[3],))
    r = cli(capsys, url, home, "profile", ESCAPES[3])
    assert r.code == 2 and "ambiguous" in r.err, r.err
    assert_literal(r.out + r.err, "ambiguous-name error")


def test_escape_sequences_come_back_exactly_from_json(
    hostile_ladder: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, home = hostile_ladder
    board = json.loads(cli(capsys, url, home, "leaderboard", "--format", "json").out)
    names = {row["discord_uid"]: row["player_name"] for row in board}
    assert {uid: names[uid] for uid in ESCAPES} == ESCAPES
    assert names[7] == QUEUED_ESCAPE  # the pending job's name, overlaid
    for uid, name in ESCAPES.items():
        prof = json.loads(cli(capsys, url, home, "profile", str(uid), "--format", "json").out)
        assert prof["player_name"] == name
    jobs = json.loads(cli(capsys, url, home, "wal", "list", "--format", "json").out)
    assert jobs[0]["p1_name"] == QUEUED_ESCAPE


def run_in_terminal(argv: Sequence[str], *, columns: int = 250) -> tuple[int, str]:
    """The real command on a pseudo-terminal: colours, boxes, everything a TTY gets."""
    import pty

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LADDER_")}
    env.pop("NO_COLOR", None)
    env.update(TERM="xterm-256color", COLUMNS=str(columns), COLORTERM="truecolor")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ladder_cli", *argv],
        stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    code = proc.wait(timeout=120)
    os.close(master)
    return code, b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow_except("sqlite")
def test_names_on_a_real_terminal(
    hostile_ladder: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, home = hostile_ladder
    r = cli(capsys, url, home, "record", "11", "bw_terran", "12", "bw_zerg",
            "--p1-name", MARKUP[0], "--p2-name", MARKUP[1])  # fmt: skip
    assert r.code == 0, r.err
    sgr = re.compile(r"\x1b\[[0-9;]*m")  # Rich's own colours
    for argv in (["leaderboard", "--min-games", "0"], ["profile", "3"], ["history"],
                 ["wal", "list"], ["profile", "11"]):  # fmt: skip
        code, screen = run_in_terminal(["--db", url, "--home", str(home), *argv])
        assert code == 0, (argv, screen)
        assert "Traceback" not in screen
        # Nothing a name carried is obeyed: no title, no hyperlink, no clear, no bell.
        for injected in ("\x1b]", "\x07", "\x1b[2J", "\x1b[H", "\x1b[31mred"):
            assert injected not in screen, (argv, injected, screen)
        plain = sgr.sub("", screen)
        assert_literal(plain.replace("\r", ""), argv)
    code, screen = run_in_terminal(["--db", url, "--home", str(home), "leaderboard"])
    plain = sgr.sub("", screen)
    assert MARKUP[0] in plain and MARKUP[1] in plain, plain


# -- the password is never printed ------------------------------------------------------


def secret_forms(password: str) -> set[str]:
    forms = {password, quote(password, safe=""), quote(password), quote_plus(password)}
    return {f for f in forms if f}


class Transcript:
    """Runs the real command (or, given ``capsys``, the same entry point in this process)
    and keeps everything it printed."""

    def __init__(self, home: Path, capsys: pytest.CaptureFixture[str] | None = None) -> None:
        self.home = home
        self.capsys = capsys
        self.text: list[str] = []

    def __call__(
        self, url: str | None, *argv: str, code: int | None = 0, env: dict[str, str] | None = None
    ) -> Result:
        args = ["--home", str(self.home)] + (["--db", url] if url else []) + list(argv)
        if self.capsys is None:
            result = invoke_process(args, stdin="n\n", env=env)
        else:
            with environ(env or {}):
                result = invoke(self.capsys, args, stdin="n\n")
        self.text.append(f"$ ladder {' '.join(argv)}\n{result.out}{result.err}")
        if code is not None:
            assert result.code == code, (argv, result.code, result.out, result.err)
        return result

    def assert_never_shows(self, *passwords: str) -> None:
        everything = "\n".join(self.text)
        for password in passwords:
            for form in secret_forms(password):
                assert form not in everything, f"the password ({form!r}) was printed"
        forms = {form for password in passwords for form in secret_forms(password)}
        for path in self.home.rglob("*"):  # the queue, snapshots, lock files
            if path.is_file():
                data = path.read_bytes()
                for form in forms:
                    assert form.encode() not in data, f"the password is in {path}"


@contextlib.contextmanager
def environ(extra: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``extra`` set, restored afterwards."""
    saved = {name: os.environ.get(name) for name in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username}:{quote(password, safe='')}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def scenario(run: Transcript, url: str, password: str, cluster: PgCluster) -> None:
    """Success, bad input, wrong URLs and an outage; each with and without --debug."""
    parts = urlsplit(url)
    port = parts.port
    wrong = with_password(url, "Wr0ng-" + password)
    user, path, enc = parts.username, parts.path, quote(password, safe="")
    in_query = f"postgresql://{user}@127.0.0.1:{port}{path}?password={enc}"
    malformed = [
        f"postgresql://{user}:{enc}@[::1{path}",  # a broken IPv6 host
        f"postgresql://{user}:{enc}%zz@127.0.0.1:{port}{path}",  # bad percent-encoding
        f"postgresql://{user}:{enc} x@127.0.0.1:{port}{path}",  # an unencoded space
        f"postgresql://{user}:{enc}@127.0.0.1:99999{path}",  # port out of range
        f"postgresql://{user}:{enc}@127.0.0.1:port{path}",  # port not a number
        f"postgresql://{user}:{enc}@127.0.0.1:{port}{path}?sslmode=nope",
        f"postgresql://{user}:{enc}@127.0.0.1:{port}{path}?colour=blue",
    ]
    # It works.
    run(url, "init")
    run(url, "record", "1", "bw_terran", "2", "bw_zerg")
    run(url, "record", "3", "bw_terran", "4", "bw_zerg", "--no-flush")
    for argv in (["leaderboard"], ["history"], ["profile", "1"], ["config"],
                 ["config", "--format", "json"], ["wal", "status"],
                 ["wal", "status", "--format", "json"], ["wal", "list"],
                 ["wal", "list", "--format", "json"], ["wal", "replay"], ["wal", "failed"],
                 ["--debug", "leaderboard"]):  # fmt: skip
        run(url, *argv)
    run(None, "config", env={"LADDER_DATABASE_URL": url})
    run(None, "config", "--format", "json", env={"LADDER_DATABASE_URL": url})
    run(in_query, "config")
    run(in_query, "record", "1", "bw_terran", "2", "bw_zerg")
    # Bad input against a good URL.
    run(url, "record", "1", "bw_terrn", "2", "bw_zerg", code=2)
    run(url, "--debug", "record", "1", "bw_terran", "1", "bw_zerg", code=2)
    run(url, "leaderboard", "--top", "-1", code=2)
    run(url, "profile", "Nobody", code=2)
    run(url, "reset", "1", code=1)
    # A wrong password, with and without --debug.
    for argv in (["record", "1", "bw_terran", "2", "bw_zerg"], ["leaderboard"], ["history"],
                 ["init"], ["--debug", "leaderboard"],
                 ["--debug", "record", "1", "bw_terran", "2", "bw_zerg"]):  # fmt: skip
        run(wrong, *argv, code=2)
    run(wrong, "config")
    run(wrong, "wal", "status")
    run(wrong, "wal", "replay", code=None)  # nothing queued for it: may not even connect
    # URLs libpq cannot parse; each must be refused without echoing the password.
    for bad in malformed:
        run(bad, "record", "1", "bw_terran", "2", "bw_zerg", code=None)
        run(bad, "--debug", "leaderboard", code=None)
        run(bad, "config", code=None)
    # The server goes away.
    cluster.stop()
    try:
        run(url, "record", "1", "bw_terran", "2", "bw_zerg")  # queued: exit 0
        run(url, "--debug", "record", "1", "bw_terran", "2", "bw_zerg")
        run(in_query, "record", "1", "bw_terran", "2", "bw_zerg")
        for argv in (["leaderboard"], ["history"], ["profile", "1"], ["wal", "status"],
                     ["wal", "list"], ["wal", "list", "--format", "json"]):  # fmt: skip
            run(url, *argv, code=None)
        run(url, "wal", "replay", code=1)
        run(url, "--debug", "wal", "replay", code=1)
        run(url, "init", code=1)
        run(url, "--debug", "init", code=1)
        run(url, "record", "1", "bw_terrn", "2", "bw_zerg", code=2)
    finally:
        cluster.start()
    run(url, "wal", "replay")
    # The URL in the config file: shown masked; a broken file does not quote it either.
    config = run.home / "config.toml"
    config.write_text(f"database_url = {json.dumps(url)}\n")
    for argv in (["config"], ["config", "--format", "json"], ["wal", "status"], ["leaderboard"],
                 ["--debug", "record", "1", "bw_terran", "1", "bw_zerg"]):  # fmt: skip
        run(None, *argv, code=None)
    config.write_text(f'database_url = "{url}\nbatch_size = \n')
    run(None, "--debug", "config", code=2)
    config.write_text(f"database_url = {json.dumps(url)}\npassword = {json.dumps(password)}\n")
    run(None, "leaderboard", code=2)
    config.unlink()


@pytest.mark.slow
def test_the_password_is_never_printed(pg_url: str, pg_cluster: PgCluster, tmp_path: Path) -> None:
    run = Transcript(tmp_path / "home")
    scenario(run, pg_url, PASSWORD, pg_cluster)
    assert len(run.text) > 50
    assert "***" in "\n".join(run.text)  # the masked URL was shown
    run.assert_never_shows(PASSWORD, "Wr0ng-" + PASSWORD)


def test_the_password_is_never_printed_in_process(
    pg_url: str, pg_cluster: PgCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same transcript through the command's entry point in this process, every day
    (the real processes above run with the whole suite)."""
    run = Transcript(tmp_path / "home", capsys)
    scenario(run, pg_url, PASSWORD, pg_cluster)
    assert len(run.text) > 50
    assert "***" in "\n".join(run.text)
    run.assert_never_shows(PASSWORD, "Wr0ng-" + PASSWORD)


@pytest.fixture
def odd_password_url(pg_url: str, pg_cluster: PgCluster) -> Iterator[tuple[str, str]]:
    """A role whose password needs percent-encoding in a URL."""
    role = f"odd_{uuid.uuid4().hex[:8]}"
    password = "p@ss:w/rd?#%&é s3cret-ODD"
    with pg_cluster.connect() as conn:
        conn.execute(
            f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{password}'"  # test-only literal
        )
    yield with_password(pg_url.replace("://ladder:", f"://{role}:", 1), password), password
    dbname = urlsplit(pg_url).path.lstrip("/")
    with pg_cluster.connect(dbname) as conn:
        conn.execute(f"REASSIGN OWNED BY {role} TO ladder")
        conn.execute(f"DROP OWNED BY {role}")
    with pg_cluster.connect() as conn:
        conn.execute(f"DROP ROLE {role}")


@pytest.mark.slow
def test_a_password_that_needs_encoding_is_never_printed(
    odd_password_url: tuple[str, str], pg_cluster: PgCluster, tmp_path: Path
) -> None:
    url, password = odd_password_url
    run = Transcript(tmp_path / "home")
    scenario(run, url, password, pg_cluster)
    run.assert_never_shows(password, "Wr0ng-" + password)


# -- files are owner-only ---------------------------------------------------------------


def modes(root: Path) -> dict[str, str]:
    """The permission bits of ``root`` and everything below it, as octal strings."""
    found = {str(root): oct(stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        found[str(path)] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


def assert_private(root: Path, *, expect: Sequence[str] = ()) -> None:
    found = modes(root)
    for name in expect:
        assert str(root / name) in found, f"{name} was not created: {sorted(found)}"
    for path, mode in found.items():
        want = "0o700" if Path(path).is_dir() else "0o600"
        assert mode == want, f"{path} is {mode}, expected {want}"


def permissive_umask() -> None:
    os.umask(0)


def run_open(argv: Sequence[str], env: dict[str, str] | None = None) -> Result:
    """The real command with umask 000, so every mode comes from the tool itself."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LADDER_")}
    proc = subprocess.run(
        [sys.executable, "-m", "ladder_cli", *argv],
        capture_output=True, text=True, env={**base, **(env or {})}, stdin=subprocess.DEVNULL,
        preexec_fn=permissive_umask, timeout=120, check=False,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr
    return Result(proc.returncode, proc.stdout, proc.stderr)


def test_embedded_ladder_files_are_owner_only(tmp_path: Path) -> None:
    home = tmp_path / "not-yet" / "home"
    for argv in (["record", "1", "bw_terran", "2", "bw_zerg"],
                 ["record", "3", "bw_zerg", "4", "bw_zerg", "--no-flush"],
                 ["leaderboard"], ["wal", "status"], ["wal", "replay"]):  # fmt: skip
        r = run_open(["--home", str(home), *argv])
        assert r.code == 0, (argv, r.err)
    assert_private(
        tmp_path / "not-yet", expect=["home", "home/queue.sqlite3", "home/ladder.sqlite3"]
    )


def test_default_data_directory_is_owner_only(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "HOME": str(tmp_path)}  # fmt: skip
    r = run_open(["record", "1", "bw_terran", "2", "bw_zerg"], env)
    assert r.code == 0, r.err
    data = tmp_path / "data" / "ladder"
    assert_private(data, expect=["queue.sqlite3", "ladder.sqlite3"])
    r = run_open(["config", "--format", "json"], env)
    assert json.loads(r.out)["data_dir"] == str(data)


def test_write_ahead_and_shared_memory_files_are_owner_only(tmp_path: Path) -> None:
    """While the databases are open, SQLite's -wal and -shm files exist: they are 0600 too,
    even for a program using the library with a permissive umask."""
    home = tmp_path / "home"
    old = os.umask(0o022)
    try:
        with Ladder.open(home=home) as ladder:
            ladder.record(1, "bw_terran", 2, "bw_zerg")
            ladder.record(3, "bw_terran", 4, "bw_zerg", flush=False)
            ladder.leaderboard()
            assert_private(home, expect=["queue.sqlite3-wal", "queue.sqlite3-shm",
                                         "ladder.sqlite3-wal", "ladder.sqlite3-shm"])  # fmt: skip
        assert_private(home)
    finally:
        os.umask(old)


def test_snapshot_files_are_owner_only(pg_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    for argv in (["record", "1", "bw_terran", "2", "bw_zerg"], ["leaderboard"], ["history"],
                 ["profile", "1"]):  # fmt: skip
        r = run_open(["--db", pg_url, "--home", str(home), *argv])
        assert r.code == 0, (argv, r.err)
    snapshots = list((home / "snapshots").iterdir())
    assert snapshots, "reading a PostgreSQL ladder keeps a local snapshot"
    assert_private(home, expect=["queue.sqlite3", "snapshots"])


def test_demo_home_is_owner_only() -> None:
    r = run_open(["demo"])
    assert r.code == 0, r.err
    found = re.search(r"ladder --home (\S+) ", r.out)
    assert found, r.out
    home = Path(found.group(1))
    try:
        assert_private(home, expect=["queue.sqlite3", "ladder.sqlite3"])
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_existing_modes_are_only_ever_tightened(tmp_path: Path) -> None:
    """A home the user made read-only stays read-only (the tool never adds a permission
    bit, so a non-root user gets a clean error instead of a write); a home that others can
    read is tightened to owner-only."""
    readonly = tmp_path / "read-only"
    readonly.mkdir(mode=0o500)
    readonly.chmod(0o500)
    r = run_open(["--home", str(readonly), "record", "1", "bw_terran", "2", "bw_zerg"])
    if os.geteuid() != 0:  # root writes anyway; anyone else must be refused cleanly
        assert r.code == 1 and len(r.err.splitlines()) == 1, r.err
    assert stat.S_IMODE(readonly.stat().st_mode) == 0o500
    readonly.chmod(0o700)

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    (shared / "queue.sqlite3").touch()
    (shared / "queue.sqlite3").chmod(0o644)
    r = run_open(["--home", str(shared), "record", "1", "bw_terran", "2", "bw_zerg"])
    assert r.code == 0, r.err
    assert_private(shared, expect=["queue.sqlite3", "ladder.sqlite3"])


def test_debug_tracebacks_are_scrubbed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unexpected error whose message quotes the URL: --debug shows the traceback, but
    with the password masked; without --debug it is one scrubbed line."""
    from ladder_cli.cli import session as cli_module

    url = f"postgresql://ladder:{PASSWORD}@127.0.0.1:1/ladder"

    def explode() -> Any:
        raise RuntimeError(f"could not use {url} (password {PASSWORD})")

    monkeypatch.setattr(cli_module, "open_ladder", explode)
    r = invoke(capsys, ["--db", url, "--debug", "leaderboard"])
    assert r.code == 1
    assert "Traceback" in r.err and "RuntimeError" in r.err
    assert r.err_lines[-1].startswith("error: unexpected RuntimeError")
    assert PASSWORD not in r.out + r.err
    r = invoke(capsys, ["--db", url, "leaderboard"])
    assert r.code == 1 and len(r.err_lines) == 1 and "Traceback" not in r.err
    assert PASSWORD not in r.out + r.err
    assert "--debug" in r.err


# -- masking is structural: it never mangles the rest of a message ----------------------


@pytest.mark.parametrize(
    ("user", "password"),
    [("ladder", "postgres"), ("postgres", "postgres"), ("ladder", "p"), ("admin", "admin")],
)
def test_scrub_masks_the_password_field_not_other_words(user: str, password: str) -> None:
    from ladder_cli.util.urls import mask_url, scrub

    url = f"postgresql://{user}:{password}@127.0.0.1:1/ladder"
    shown = f"postgresql://{user}@127.0.0.1:1/ladder"
    refused = (
        f'cannot reach {shown}: connection failed: connection to server at "127.0.0.1", '
        "port 1 failed: Connection refused Is the server running on that host and accepting "
        "TCP/IP connections?"
    )
    assert scrub(refused, url) == refused
    denied = f'FATAL:  password authentication failed for user "{user}"'
    assert scrub(denied, url) == denied
    assert scrub(f"could not use {url}", url) == f"could not use {mask_url(url)}"
    assert mask_url(url) == f"postgresql://{user}:***@127.0.0.1:1/ladder"
    # The password on its own, as a driver might quote it, is masked as a whole token.
    if password != user:
        assert scrub(f'bad password "{password}" given', url) == 'bad password "***" given'
    assert scrub(f"host=db user={user} password={password} dbname=x", url) == (
        f"host=db user={user} password=*** dbname=x"
    )


def test_scrub_url_escaped_password() -> None:
    from ladder_cli.util.urls import scrub

    secret = "a/b@c d%"
    url = f"postgresql://ladder:{quote(secret, safe='')}@db.example:5432/ladder"
    text = scrub(f"could not use {url}; the password {secret!r} was refused", url)
    assert text == (
        "could not use postgresql://ladder:***@db.example:5432/ladder; "
        "the password '***' was refused"
    )
    for form in secret_forms(secret):
        assert form not in text


@pytest.mark.pg
@pytest.mark.parametrize("password", ["postgres", "p", "ladder", "x/y@z w%"])
def test_errors_with_weak_or_escaped_passwords_read_whole(
    pg_url: str, home: Path, password: str
) -> None:
    """A wrong password that is an everyday word, one letter, the user name itself, or
    needs escaping: the errors keep every other word, and the password field is masked."""
    from tests.helpers import invoke as run

    parts = urlsplit(pg_url)
    host = f"127.0.0.1:{parts.port}"
    wrong = f"postgresql://ladder:{quote(password, safe='')}@{host}{parts.path}"
    denied = run(home, wrong, "leaderboard")
    assert denied.code == 2, denied
    assert denied.err.startswith(f"error: cannot connect to postgresql://ladder@{host}{parts.path}")
    assert 'password authentication failed for user "ladder"' in denied.err
    assert denied.err.rstrip().endswith("check the URL")
    down = f"postgresql://ladder:{quote(password, safe='')}@127.0.0.1:1/ladder"
    queued = run(home, down, "record", "1", "bw_terran", "2", "bw_zerg")
    assert queued.code == 0, queued
    assert "cannot reach postgresql://ladder@127.0.0.1:1/ladder" in queued.err
    assert "accepting TCP/IP connections" in queued.err
    config = run(home, wrong, "config")
    assert f"postgresql://ladder:***@{host}{parts.path}" in config.out
    for result in (denied, queued, config):
        for form in secret_forms(password):
            assert f":{form}@" not in result.out + result.err
        if password != "ladder" and len(password) > 1:
            assert not re.search(rf"(?<!\w){re.escape(password)}(?!\w)", result.out + result.err)
