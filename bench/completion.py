"""The shell's completion of a player name on a big ladder, end to end as the shell runs
it: one ``ladder`` process with the completion environment bash's script sets, against
the embedded ladder and against a server ladder's snapshot (no server: completion never
connects). Each is set beside the completion of a command name (Typer's own, what any
completion costs), interleaved round by round."""

from __future__ import annotations

import statistics
from pathlib import Path

from bench import data
from bench.harness import (
    Result,
    Sizes,
    interleaved,
    ladder_argv,
    log,
    ms,
    new_embedded_ladder,
    ratio_text,
    run_process,
)
from ladder_cli.core import completion as completing
from ladder_cli.util.config import resolve
from ladder_cli.util.urls import mask_url

#: A server the snapshot row names; nothing listens there (completion never connects).
SERVER = "postgresql://bench@127.0.0.1:9/ladder"


def _bash(home: Path, words: str, db: str | None = None) -> list[str]:
    """The process bash starts to complete the last of ``words`` (after ``ladder``)."""
    options = f"--home {home}" + (f" --db {db}" if db else "")
    line = f"ladder {options} {words}"
    env_words = f"COMP_WORDS={line}"
    cword = f"COMP_CWORD={len(line.split(' ')) - 1}"
    return ["env", "_LADDER_COMPLETE=complete_bash", env_words, cword, *ladder_argv()]


def completion(scratch: Path, sizes: Sizes) -> list[Result]:
    players = 100_000 if sizes.name == "full" else 10_000
    lad = data.ladder(players, seed=11)
    home = scratch / "completion"
    log(f"completion: embedded ladder of {players:,} players ({lad.entries:,} rows)")
    new_embedded_ladder(home, lad)
    # The server ladder's names file, as its snapshot writes it.
    served = scratch / "completion-server"
    settings = resolve(db=SERVER, home=served, env={})
    settings.snapshot_dir.mkdir(parents=True)
    names = {uid: name for uid, name, *_ in data.rows(lad)}
    target = mask_url(SERVER, hide_password=True)
    completing.keep_names(completing.names_path(settings.snapshot_dir, target), names.items())

    uid = lad.players[players // 3][0]
    narrow = f"Player{uid}"[:-1]  # ten players' names begin with it
    wide = "Player"  # six in seven names begin with it: the first 100 are offered
    commands = {
        "command": lambda _: [_bash(home, "prof")],
        "embedded": lambda _: [_bash(home, f"profile {narrow}")],
        "snapshot": lambda _: [_bash(served, f"profile {narrow}", SERVER)],
        "embedded, wide": lambda _: [_bash(home, f"profile {wide}")],
        "snapshot, wide": lambda _: [_bash(served, f"profile {wide}", SERVER)],
    }
    for name, prefix in (
        ("embedded", narrow),
        ("snapshot", narrow),
        ("embedded, wide", wide),
        ("snapshot, wide", wide),
    ):
        expected = sorted(name for name in names.values() if name.startswith(prefix))
        if len(expected) > completing.LIMIT:
            expected = [prefix, *expected[: completing.LIMIT - 1]]
        shown = run_process(commands[name](0)[0]).out.split()
        if shown != expected:
            raise RuntimeError(f"completion ({name}) offered {shown[:3]}..., not {expected[:3]}...")
    rounds = sizes.repeats * 2
    times = interleaved(commands, rounds)
    floor = times["command"]
    results = []
    for name, prefix, where in (
        ("embedded", narrow, "the embedded ladder (SQLite, read-only)"),
        ("snapshot", narrow, "a PostgreSQL ladder's snapshot (names file; no connection)"),
        ("embedded, wide", wide, "the embedded ladder"),
        ("snapshot, wide", wide, "a PostgreSQL ladder's snapshot"),
    ):
        mid, text = ratio_text(times[name], floor)
        result = Result(
            f"11. completing `ladder profile {prefix}<TAB>` on {players:,} players, "
            f"from {where}, a process",
            ms(statistics.median(times[name])),
            f"completing a command name (`ladder prof<TAB>`): {ms(statistics.median(floor))}",
            text,
            "≤ 1.5x a command name's completion",
            mid <= 1.5,
        )
        result.notes.append(
            f"{len(floor)} interleaved rounds after a warm-up round, each the process bash's "
            "script starts (`_LADDER_COMPLETE=complete_bash`); the names offered were "
            "checked against the data. Spread: the range of the per-round ratios."
        )
        results.append(result)
    return results


__all__ = ["completion"]
