"""Messages and summaries wrap at word boundaries on a terminal (issue: ``ladder verify``
printed ``checked 1,099 entries: 837 differen`` / ``ces`` at 80 columns).

Each command runs in a pseudo-terminal 80 and 40 columns wide, with colour and with
``NO_COLOR``, its message on stdout or on stderr: every line must fit the width, and the
words must be those the same command prints when piped (one line, for scripts), none cut
in two. A terminal does not wrap a long line at a word: it breaks it at the last column.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import sqlite3
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from tests.helpers import invoke, query, read_until_closed

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
DOWN = "postgresql://ladder@127.0.0.1:1/ladder"


def _env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "LADDER_HOME", "COLUMNS", "LINES", "LADDER_DATABASE_URL")
    }
    environ.update(LADDER_HOME=str(home), TERM="xterm-256color", **(extra or {}))
    return environ


def on_terminal(
    home: Path, args: list[str], columns: int, *, no_color: bool = False, answer: bytes = b""
) -> str:
    """``ladder ARGS`` with stdin, stdout and stderr on one pseudo-terminal ``columns``
    wide (``answer`` typed at its first question); what it printed, without colour codes."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = _env(home, {"NO_COLOR": "1"} if no_color else None)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ladder_cli", *args],
            stdin=follower,
            stdout=follower,
            stderr=follower,
            env=env,
        )
    finally:
        os.close(follower)
    try:
        asked = b""
        if answer:
            while b"[y/N]" not in asked:
                ready, _, _ = select.select([leader], [], [], 60)
                assert ready, asked
                asked += os.read(leader, 4096)
            os.write(leader, answer)
        output = asked + read_until_closed(leader)
    finally:
        os.close(leader)
        proc.wait(timeout=60)
    return ANSI.sub("", output.decode("utf-8", "replace").replace("\r\n", "\n"))


def piped(home: Path, args: list[str]) -> str:
    """What the command prints with stdout and stderr piped."""
    done = subprocess.run(
        [sys.executable, "-m", "ladder_cli", *args],
        capture_output=True,
        text=True,
        env=_env(home),
        stdin=subprocess.DEVNULL,
    )
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def ladder_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded ladder with a match and an (empty) table of the bot's matches."""
    home = tmp_path_factory.mktemp("wrap")
    piped(home, ["record", "101", "bw_terran", "102", "bw_zerg", "--p1-name", "Flash"])
    with sqlite3.connect(home / "ladder.sqlite3") as conn:
        conn.execute(
            "CREATE TABLE matches_1v1 (id INTEGER PRIMARY KEY, player_1_discord_uid INTEGER, "
            "player_2_discord_uid INTEGER, player_1_race TEXT, player_2_race TEXT, "
            "player_1_mmr INTEGER, player_2_mmr INTEGER, match_result INTEGER, "
            "mmr_change INTEGER, played_at TEXT)"
        )
    return home


CASES = {
    # a summary on stdout (89 characters piped)
    "summary": (["import", "bot-matches", "--dry-run"], False),
    "summary-no-color": (["import", "bot-matches", "--dry-run"], True),
    # the error a run ends with, on stderr
    "error": (["leaderboard", "--as-of", "last friday"], False),
    # a warning on stderr and a report on stdout: a write queued while the server is down
    "warning-no-color": (["--db", DOWN, "record", "1", "bw_zerg", "2", "bw_terran"], True),
}


# Every case at 80 columns each day; at 40, two of them (the rest with the whole suite).
@pytest.mark.slow_except(
    *(f"{case}-80" for case in CASES), "summary-no-color-40", "warning-no-color-40"
)
@pytest.mark.parametrize("columns", [80, 40])
@pytest.mark.parametrize("case", list(CASES))
def test_lines_wrap_at_word_boundaries(
    ladder_home: Path, tmp_path: Path, case: str, columns: int
) -> None:
    args, no_color = CASES[case]
    homes = [ladder_home] * 2
    if "--db" in args:  # a write: each run in a home of its own, so both queue one job
        homes = [tmp_path / "piped", tmp_path / "terminal"]
    one_line = piped(homes[0], args)
    assert max(map(len, one_line.splitlines())) > columns  # long enough to need wrapping
    shown = on_terminal(homes[1], args, columns, no_color=no_color)
    lines = [line.rstrip() for line in shown.splitlines() if line.strip()]
    assert all(len(line) <= columns for line in lines), shown
    assert " ".join(lines).split() == one_line.split(), (one_line, shown)


@pytest.mark.parametrize("columns", [80, 40])
def test_a_question_wraps_too(ladder_home: Path, columns: int) -> None:
    args = ["reset", "Flash", "--race", "bw_terran", "--mmr", "1234", "--keep-stats"]
    shown = on_terminal(ladder_home, args, columns, answer=b"n\n")
    lines = [line.rstrip() for line in shown.splitlines() if line.strip()]
    assert all(len(line) <= columns for line in lines), shown
    # the typed answer's echo may come before the space Click writes after the question
    words = " ".join(lines).replace("[y/N]:n", "[y/N]: n").split()
    question = ["Reset", "MMR", "of", "Flash", "(101),", "bw_terran,", "to", "1234?", "[y/N]:"]
    question.append("n")
    assert words[: len(question)] == question, shown
    assert "cancelled" in shown


def test_verify_says_it_in_lines_that_fit_even_piped(tmp_path: Path, home: Path) -> None:
    """Piped, nothing is wrapped; so verify's summary is two short lines, not one that
    passed 80 columns on a ladder of thousands of entries."""
    url = f"sqlite:///{tmp_path}/ladder.sqlite3"
    matches = tmp_path / "matches.csv"
    rows = [f"{i},bw_terran,{10_000 + i},bw_zerg,1," for i in range(1, 1_001)]
    matches.write_text("p1_uid,p1_race,p2_uid,p2_race,result,played_at\n" + "\n".join(rows))
    assert invoke(home, url, "record", "--file", matches).code == 0
    query(url, "UPDATE mmrs_1v1 SET mmr = mmr + 1")
    done = invoke(home, url, "verify")
    assert done.code == 1
    summary = done.out.splitlines()[:2]
    assert summary == [
        "replayed 1,000 matches with the standard rules",
        "checked 2,000 entries: 2,000 differences",
    ]
