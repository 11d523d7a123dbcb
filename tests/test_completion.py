"""The shell's completion of player names, uids and races (ladder_cli/cli/completion.py,
ladder_cli/core/completion.py): driven the way the shells' scripts drive it, through the
``_LADDER_COMPLETE`` environment variable Typer reads (bash: COMP_WORDS and COMP_CWORD;
zsh and fish: _TYPER_COMPLETE_ARGS), in this process; one test runs it as the process the
shell starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ladder_cli import cli
from ladder_cli.core.completion import LIMIT
from ladder_cli.domain.model import RACES
from tests.helpers import Run, invoke, query


def complete(shell: str, line: str, *, env: dict[str, str] | None = None) -> Run:
    """What ``ladder`` prints for the shell ``shell`` completing the end of ``line``."""
    variables = {"_LADDER_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        words = line.split(" ")
        variables |= {"COMP_WORDS": " ".join(words), "COMP_CWORD": str(len(words) - 1)}
    else:
        variables["_TYPER_COMPLETE_ARGS"] = line
        if shell == "fish":
            variables["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    variables |= env or {}
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        with CliRunner().isolation() as (out, err, _):
            try:
                code = cli.run([])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            sys.stdout.flush()
            sys.stderr.flush()
            return Run(code, out.getvalue().decode(), err.getvalue().decode())
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def bash(line: str, home: Path, url: str | None = None) -> list[str]:
    """bash's candidates for ``ladder --home HOME [--db URL] LINE``."""
    db = f"--db {url} " if url else ""
    run = complete("bash", f"ladder --home {home} {db}{line}")
    assert run.code == 0 and run.err == ""
    return run.out.splitlines() if run.out.strip() else []


@pytest.fixture
def ladder(tmp_path: Path) -> tuple[Path, str]:
    """A home and its embedded ladder: Flash (111), Flash Gordon (222), Fly (333), Bisu
    (4444) and a player whose imported name carries a control character (555)."""
    home = tmp_path / "home"
    url = f"sqlite:///{home}/ladder.sqlite3"
    assert invoke(home, url, "init").code == 0
    players = [
        (111, "Flash", "bw_terran"),
        (222, "Flash Gordon", "bw_zerg"),
        (222, "Flash Gordon", "sc2_zerg"),
        (333, "Fly", "sc2_zerg"),
        (4444, "Bisu", "bw_protoss"),
        (555, "Fl\x1b[31mred", "bw_zerg"),
    ]
    for uid, name, race in players:
        query(
            url,
            "INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr) VALUES (%s, %s, %s, 1500)",
            (uid, name, race),
        )
    return home, url


PLAYER_LINES = [
    "profile Fl",
    "history Fl",
    "h2h Fl",
    "h2h Bisu Fl",
    "chart Fl",
    "reset Fl",
    "adjust Fl",
    "record Fl",
    "record Bisu bw_protoss Fl",
]


@pytest.mark.parametrize("line", PLAYER_LINES)
def test_every_player_argument_completes_names(ladder: tuple[Path, str], line: str) -> None:
    home, _ = ladder
    # the embedded database of the home, with no --db
    assert bash(line, home) == ["Flash", "Flash\\ Gordon", "Fly"]


RACE_LINES = [
    "leaderboard --race bw_",
    "leaderboard --race sc2_zerg --race bw_",
    "reset Flash --race bw_",
    "adjust Flash --by 5 --race bw_",
    "chart Flash --race bw_",
    "record Flash bw_",
    "record Flash bw_terran Fly bw_",
]


@pytest.mark.parametrize("line", RACE_LINES)
def test_every_race_completes(ladder: tuple[Path, str], line: str) -> None:
    home, _ = ladder
    assert bash(line, home) == [race for race in RACES if race.startswith("bw_")]


def test_uids_complete_after_the_names_that_begin_with_those_digits(
    ladder: tuple[Path, str],
) -> None:
    home, url = ladder
    query(
        url,
        "INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr) VALUES (%s, %s, %s, 1500)",
        (999, "44 Magnum", "bw_zerg"),
    )
    assert bash("profile 4", home) == ["44\\ Magnum", "4444"]
    assert bash("profile 22", home) == ["222"]  # once, though two races


def test_zsh_and_fish_get_the_names_whole_with_their_uids(ladder: tuple[Path, str]) -> None:
    home, _ = ladder
    zsh = complete("zsh", f"ladder --home {home} profile Flash")
    assert (zsh.code, zsh.err) == (0, "")
    assert zsh.out == (
        '_arguments \'*: :(("Flash":"discord_uid 111"\n"Flash Gordon":"discord_uid 222"))\'\n'
    )
    fish = complete("fish", f"ladder --home {home} profile Flash")
    assert (fish.code, fish.err) == (0, "")
    assert fish.out.splitlines() == ["Flash\tdiscord_uid 111", "Flash Gordon\tdiscord_uid 222"]


def test_a_name_with_control_characters_completes_by_uid_only(ladder: tuple[Path, str]) -> None:
    home, _ = ladder
    assert not any("\x1b" in line for line in bash("profile F", home))
    fish = complete("fish", f"ladder --home {home} profile 55")
    assert fish.out.splitlines() == ["555"]


def test_a_name_with_quotes_and_dollars_reaches_bash_escaped(ladder: tuple[Path, str]) -> None:
    home, url = ladder
    query(
        url,
        "INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr) VALUES (%s, %s, %s, 1500)",
        (777, "O'Neil $HOME `x`", "bw_zerg"),
    )
    (candidate,) = bash("profile O", home)
    shell = subprocess.run(
        ["bash", "--norc", "-c", f"printf %s {candidate}"], capture_output=True, text=True
    )
    assert shell.stdout == "O'Neil $HOME `x`"


def test_many_players_offer_the_typed_word_and_the_first_of_them(tmp_path: Path) -> None:
    home = tmp_path / "home"
    url = f"sqlite:///{home}/ladder.sqlite3"
    assert invoke(home, url, "init").code == 0
    for n in range(LIMIT * 2):
        query(
            url,
            "INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr) VALUES (%s, %s, %s, 1500)",
            (10_000 + n, f"Zerg{n:03d}", "bw_zerg"),
        )
    shown = bash("profile Zer", home)
    assert len(shown) == LIMIT
    # the typed word first, so bash inserts nothing these share and the rest do not
    assert shown[0] == "Zer"
    assert shown[1:] == [f"Zerg{n:03d}" for n in range(LIMIT - 1)]
    fish = complete("fish", f"ladder --home {home} profile Zer")
    assert fish.out.splitlines()[0] == "Zer\tand more: type more"


def test_nothing_to_read_completes_nothing_and_says_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    assert bash("profile F", empty) == []
    assert not empty.exists()  # nothing created, not even the home
    # a server never read from this home: no snapshot, and no connection attempted
    assert bash("profile F", empty, "postgresql://u:pw@192.0.2.1:5432/x") == []
    # a file that is no ladder, and a config file that is no TOML
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "ladder.sqlite3").write_bytes(b"not a database at all" * 10)
    assert bash("profile F", broken) == []
    (broken / "config.toml").write_text("database_url = [")
    assert bash("profile F", broken) == []
    # races need no ladder
    assert bash("leaderboard --race sc2_p", empty) == ["sc2_protoss"]


@pytest.mark.pg
def test_a_server_ladder_completes_from_the_snapshot_with_the_server_down(
    home: Path, pg_url: str, pg_cluster: object
) -> None:
    assert invoke(home, pg_url, "init").code == 0
    assert bash("profile Fl", home, pg_url) == []  # never read from this home: no snapshot
    recorded = invoke(
        home, pg_url, "record", "111", "bw_terran", "222", "bw_zerg",
        "--p1-name", "Flash", "--p2-name", "Flash Gordon",
    )  # fmt: skip
    assert recorded.code == 0, recorded.err
    assert invoke(home, pg_url, "leaderboard").code == 0
    pg_cluster.stop()  # type: ignore[attr-defined]
    assert bash("profile Fl", home, pg_url) == ["Flash", "Flash\\ Gordon"]
    pg_cluster.start()  # type: ignore[attr-defined]
    # a later flush keeps the names current
    renamed = invoke(
        home, pg_url, "record", "333", "sc2_zerg", "111", "bw_terran", "--p1-name", "Fly"
    )
    assert renamed.code == 0, renamed.err
    assert bash("profile Fl", home, pg_url) == ["Flash", "Flash\\ Gordon", "Fly"]


def test_completion_as_the_shell_runs_it_loads_no_polars(ladder: tuple[Path, str]) -> None:
    home, _ = ladder
    env = {
        **os.environ,
        "_LADDER_COMPLETE": "complete_bash",
        "COMP_WORDS": f"ladder --home {home} profile Fl",
        "COMP_CWORD": "4",
    }
    code = "import sys; from ladder_cli.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.splitlines() == ["Flash", "Flash\\ Gordon", "Fly"]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines()}
    assert "ladder_cli.cli.completion" in imported
    assert not {"polars", "rich", "psycopg", "ladder_cli.stores.base"} & imported


def test_names_match_as_typed_beyond_ascii(ladder: tuple[Path, str]) -> None:
    home, url = ladder
    for uid, name in ((888, "Éclair"), (889, "Ébène"), (890, "Ëlan"), (891, "éclair")):
        query(
            url,
            "INSERT INTO mmrs_1v1 (discord_uid, player_name, race, mmr) VALUES (%s, %s, %s, 1500)",
            (uid, name, "bw_zerg"),
        )
    assert bash("profile É", home) == ["Ébène", "Éclair"]
    assert bash("profile Éc", home) == ["Éclair"]
    assert bash("profile é", home) == ["éclair"]
    assert bash("profile fl", home) == []  # case counts, as in the shells


def test_the_names_file_leaves_out_what_a_shell_cannot_type(tmp_path: Path) -> None:
    from ladder_cli.core.completion import keep_names

    path = tmp_path / "names.tsv"
    players = [
        (1, "Flash Gordon"),
        (2, "Mánager"),
        (3, "Fl\x1b[31mred"),  # a control character (Cc)
        (4, "Fl\u202eevil"),  # a format character (Cf): the right-to-left override
        (5, "Zero\u200dJoin"),  # Cf too
        (1, "Flash Gordon"),  # one player's races name it once
    ]
    keep_names(path, players)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == sorted(["Flash Gordon\t1", "Mánager\t2", "\t3", "\t4", "\t5"])


def test_an_unchanged_names_file_is_not_written_again(tmp_path: Path) -> None:
    from ladder_cli.core.completion import keep_names

    path = tmp_path / "names.tsv"
    keep_names(path, [(1, "Flash"), (2, "Bisu")])
    before = path.stat()
    keep_names(path, [(2, "Bisu"), (1, "Flash")])
    assert path.stat().st_ino == before.st_ino  # not replaced by a new file
    keep_names(path, [(1, "Flash"), (2, "Bisu"), (3, "Jaedong")])
    assert path.stat().st_ino != before.st_ino
    assert path.read_text(encoding="utf-8").splitlines() == ["Bisu\t2", "Flash\t1", "Jaedong\t3"]
