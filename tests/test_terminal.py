"""Output encodings: no command's exit status depends on what the terminal can show.

Every command runs as the real ``ladder`` process with ``PYTHONIOENCODING=ascii`` and
``latin-1`` (a Windows console, an old SSH session, a cron mail pipe), with player names
outside Latin-1. Nothing may fail: the tool's own symbols fall back to ASCII (``->``),
names are escaped (``\\u0416``), JSON stays exact. And once a write is durable, a report
that breaks (the ``report`` failpoint) leaves the exit status 0 and says so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import query
from tests.invariants import cli_env

NAME = "Жора→乙"  # Cyrillic, an arrow and a CJK character: none of them in Latin-1


def run(
    home: Path, url: str, *args: str, encoding: str = "utf-8", env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """The real command; its output decoded strictly in the stream's encoding."""
    done = subprocess.run(
        [sys.executable, "-m", "ladder_cli", "--home", str(home), "--db", url, *args],
        env=cli_env({"PYTHONIOENCODING": encoding, **(env or {})}),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
    )
    out, err = done.stdout.decode(encoding), done.stderr.decode(encoding)
    assert "Traceback" not in err and "UnicodeEncodeError" not in out + err, err
    return done.returncode, out, err


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_every_command_works_on_a_narrow_terminal(
    db_url: str, home: Path, tmp_path: Path, encoding: str
) -> None:
    def ok(*args: str) -> str:
        code, out, err = run(home, db_url, *args, encoding=encoding)
        assert code == 0, (args, out, err)
        return out

    out = ok("record", "555", "bw_zerg", "556", "bw_terran", "--p1-name", NAME)
    assert "1500 -> 1520 (+20)" in out
    assert "\\u0416" in out and "\\u2192" in out  # the name escaped, never turned into "->"
    csv = tmp_path / "m.csv"
    csv.write_text(
        f"p1_uid,p1_race,p2_uid,p2_race,result,p1_name\n556,bw_terran,557,sc2_zerg,1,\n"
        f"557,sc2_zerg,555,bw_zerg,0,{NAME}x\n",
        encoding="utf-8",
    )
    assert "queued 2 matches" in ok("record", "--file", str(csv))
    ok("record", "556", "bw_terran", "555", "bw_zerg", "--no-flush")
    assert "pending: 1" in ok("wal", "status")
    ok("wal", "status", "--format", "json")
    ok("wal", "list", "--format", "json")
    ok("wal", "replay")
    ok("wal", "failed")
    ok("reset", "556", "--yes")
    board = ok("leaderboard")
    assert "\\u0416" in board
    rows = json.loads(ok("leaderboard", "--format", "json"))
    assert {r["player_name"] for r in rows} >= {NAME, NAME + "x"}  # JSON keeps names exact
    ok("leaderboard", "--format", "csv")
    ok("profile", "555")
    assert json.loads(ok("profile", "555", "--format", "json"))["player_name"] == NAME
    assert " -> " in ok("history")
    ok("history", "555", "--format", "json")
    ok("history", "--format", "csv")
    ok("config")
    ok("--help")
    ok("record", "--help")
    ok("--version")
    # Errors quoting a name are one line, with the name escaped.
    code, _, err = run(home, db_url, "profile", "Жорж", encoding=encoding)
    assert code == 2 and err.startswith("error: unknown player") and "\\u0416" in err


def test_demo_on_an_ascii_terminal(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, f"sqlite:///{tmp_path}/x.sqlite3", "demo", encoding="ascii")
    assert code == 0, err
    assert "Explore it" in out


@pytest.mark.slow_except("sqlite-record")
@pytest.mark.parametrize(
    "args",
    [
        ["record", "1", "bw_zerg", "2", "bw_terran", "--p1-name", NAME],
        ["record", "--file", "{csv}"],
        ["reset", "1", "--yes"],
    ],
    ids=["record", "record-file", "reset"],
)
def test_a_broken_report_after_the_write_keeps_exit_0(
    db_url: str, home: Path, tmp_path: Path, args: list[str]
) -> None:
    """The write is durable before it is reported: a failure while reporting it is a
    warning on stderr, never exit 1 (which would invite a retry that counts it twice)."""
    csv = tmp_path / "m.csv"
    csv.write_text("p1_uid,p1_race,p2_uid,p2_race,result\n1,bw_zerg,2,bw_terran,1\n")
    assert run(home, db_url, "record", "1", "bw_zerg", "3", "bw_terran")[0] == 0
    argv = [a.replace("{csv}", str(csv)) for a in args]
    code, _, err = run(home, db_url, *argv, env={"LADDER_FAILPOINT_RAISE": "report"})
    assert code == 0, err
    assert "recorded; but reporting it failed: FailpointError" in err, err
    assert len(err.splitlines()) == 1
    played = query(db_url, "SELECT sum(games_played) FROM mmrs_1v1")[0][0]
    assert played == (1 if args[0] == "reset" else 4)  # applied once (a reset zeroes P1)
    code, out, _ = run(home, db_url, "wal", "status", "--format", "json")
    assert json.loads(out)["pending"] == 0


@pytest.mark.slow_except("postgres")
def test_a_broken_replay_report_keeps_exit_0(db_url: str, home: Path) -> None:
    assert run(home, db_url, "record", "1", "bw_zerg", "2", "bw_terran", "--no-flush")[0] == 0
    code, _, err = run(home, db_url, "wal", "replay", env={"LADDER_FAILPOINT_RAISE": "report"})
    assert code == 0, err
    assert "the replay applied 1 job (0 pending); but reporting it failed" in err
    assert query(db_url, "SELECT count(*) FROM ladder_matches")[0][0] == 1
