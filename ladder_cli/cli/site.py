"""``ladder site``: the ladder written as a static web site (:mod:`ladder_cli.site`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ladder_cli.cli import session
from ladder_cli.cli.output import notes, out, plural


def site(
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Where the site goes: a new directory, or one an earlier `ladder site` "
            "wrote (replaced whole, atomically).",
        ),
    ],
    title: Annotated[
        str | None,
        typer.Option(
            "--title", metavar="TEXT", help="The site's name (default: Ladder standings)."
        ),
    ] = None,
    players: Annotated[
        int,
        typer.Option(
            "--players",
            metavar="N",
            help="Player pages at most, best first (players with a ranked entry or a game in "
            "the 90 days before the latest match).",
        ),
    ] = 5_000,
) -> None:
    """Write the ladder as a static web site: leaderboards, player pages with MMR charts,
    seasons, statistics and data.json. Nothing runs on the server."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli import site as standings
    from ladder_cli.render import console

    with session.open_ladder() as ladder:
        built = standings.build(ladder, out_dir, title=title, players=players)
        pages = plural(built.players, "player page")
        if built.eligible_players > built.players:
            pages += f" (of {built.eligible_players:,} players eligible; --players raises it)"
        out(
            console.literal(
                f"wrote the site to {built.out}: {pages}, "
                f"{plural(built.board_pages, 'leaderboard page')}, "
                f"{plural(built.seasons, 'season')}; {plural(built.files, 'file')}, "
                + (
                    f"{built.bytes / 1e6:,.1f} MB"
                    if built.bytes >= 1e6
                    else f"{built.bytes / 1e3:,.0f} kB"
                )
            )
        )
        notes(ladder)
