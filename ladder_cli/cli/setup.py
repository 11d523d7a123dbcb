"""Setting a ladder up and looking at it: ``init``, ``rules``, ``config`` and ``demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ladder_cli.cli import session
from ladder_cli.cli.options import TableJson
from ladder_cli.cli.output import notes, out, raw, target
from ladder_cli.util.errors import LadderError


def init(
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules",
            metavar="standard|evoladder",
            help="The ladder's rating rules, when it has none yet (default: standard; "
            "evoladder: the original bot's).",
        ),
    ] = None,
) -> None:
    """Create the ladder's tables in the database (safe to run again).

    On a database that already has the ladder's mmrs_1v1 table, adopts it as it is.
    """
    with session.open_ladder() as ladder:
        chosen = ladder.init(rules)
        out(f"ladder schema ready in {target(ladder)} (rules: {chosen.preset})")
        notes(ladder)


def show_rules(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """The ladder's rating rules: Elo's K and scale, rounding, letters, activity window."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import console, views

    with session.open_ladder() as ladder:
        data = ladder.rules().as_dict()
        if fmt is TableJson.json:
            raw(views.to_json(data))
        else:
            t = console.table([("rule", "left"), ("value", "left")], title="Rating rules")
            for key, value in data.items():
                t.add_row(key, "none" if value is None else str(value))
            out(t)
        notes(ladder)


def show_config(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Show the resolved paths and database (password masked) and where each came from."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import console, views

    info = session.current().settings().describe()
    if fmt is TableJson.json:
        raw(views.to_json(info))
        return
    t = console.table([("setting", "left"), ("value", "left")], title="ladder configuration")
    for key, value in info.items():
        if isinstance(value, dict):  # a section of the file ([decay], [integrity]): a row a key
            for inner, setting in value.items():
                t.add_row(f"{key}.{inner}", console.literal(str(setting)))
            continue
        t.add_row(key, console.literal("" if value is None else str(value)))
    out(t)


def demo() -> None:
    """Load the sample ladder into a fresh embedded database and show it off."""
    # Deferred: loaded by the command, not by --version or --help.
    import tempfile

    from rich.text import Text

    from ladder_cli.core.ladder import Ladder
    from ladder_cli.domain.csvfile import read_matches
    from ladder_cli.render import console, views
    from ladder_cli.util.config import resolve

    home = Path(tempfile.mkdtemp(prefix="ladder-demo-"))
    settings = resolve(home=home, env={})
    with Ladder(settings) as ladder:
        jobs = read_matches(sample_matches_path())
        ladder.record_many(jobs)
        rows = ladder.leaderboard(top=10).to_dicts()
        out(views.leaderboard_table(rows, title=f"Demo ladder: top 10 of {len(jobs):,} matches"))
        prof = ladder.profile(rows[0]["discord_uid"])
        out()
        out(Text.assemble("Profile of ", console.literal(prof.player_name), style="bold"))
        out(views.profile_races_table(prof.races, ladder.views.trends(prof), title="Races"))
        uids = {u for m in prof.recent_matches for u in (m.p1_uid, m.p2_uid)}
        out(
            views.recent_matches_table(
                prof.discord_uid,
                prof.recent_matches[:5],
                ladder.names(uids),
                title="Recent matches",
            )
        )
    out()
    out(f"Explore it: ladder --home {home} leaderboard --race bw_zerg")


def sample_matches_path() -> Path:
    """Where ``ladder demo`` finds its sample ladder: installed, or in a source checkout."""
    from importlib import resources  # deferred: only the demo reads it

    packaged = resources.files("ladder_cli") / "sample_data" / "matches.csv"
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "sample_data" / "matches.csv"
    if checkout.is_file():
        return checkout
    raise LadderError("the sample data is missing from this installation: reinstall ladder")
