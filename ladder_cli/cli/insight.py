"""What the data says: ``stats``, ``h2h`` and ``chart``."""

from __future__ import annotations

from typing import Annotated

import typer

from ladder_cli.cli import completion as complete
from ladder_cli.cli import session
from ladder_cli.cli.options import TableJson, TableJsonCsv
from ladder_cli.cli.output import notes, out, raw


def stats(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """The ladder at a glance: counts, race matchups, rank distribution, weekly activity."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import views

    with session.open_ladder() as ladder:
        result = ladder.views.stats()
        if fmt is TableJson.json:
            raw(views.to_json(result.as_dict()))
        else:
            for part in views.stats_view(result):
                out(part)
        notes(ladder)


def h2h(
    p1: Annotated[
        str,
        typer.Argument(
            metavar="P1", help="discord_uid or exact player name.", autocompletion=complete.player
        ),
    ],
    p2: Annotated[
        str,
        typer.Argument(
            metavar="P2", help="discord_uid or exact player name.", autocompletion=complete.player
        ),
    ],
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Two players' record against each other, by race pairing, with the odds now."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import views

    with session.open_ladder() as ladder:
        result = ladder.views.h2h(p1, p2)
        if fmt is TableJson.json:
            raw(views.to_json(result.as_dict()))
        else:
            names = dict([result.p1, result.p2])
            for part in views.h2h_view(result, names):
                out(part)
        notes(ladder)


def chart(
    player: Annotated[
        str,
        typer.Argument(help="discord_uid or exact player name.", autocompletion=complete.player),
    ],
    race: Annotated[
        str | None, typer.Option("--race", help="Only this race.", autocompletion=complete.race)
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="DATE", help="Only matches played from then (ISO 8601)."),
    ] = None,
    fmt: Annotated[
        TableJsonCsv, typer.Option("--format", help="Output format (table: the chart).")
    ] = TableJsonCsv.table,
) -> None:
    """A player's MMR over time as a line chart, one line per race."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.domain.model import parse_timestamp
    from ladder_cli.render import console, views
    from ladder_cli.render.charts import MmrChart

    start = None if since is None else parse_timestamp(since, what="--since")
    with session.open_ladder() as ladder:
        points = ladder.views.mmr_points(player, race, start)
        rows = [p.as_dict() for p in points]
        if fmt is TableJsonCsv.json:
            raw(views.to_json(rows))
        elif fmt is TableJsonCsv.csv:
            raw(views.to_csv(rows, ["race", "played_at", "mmr", "match_id"]))
        elif not points:
            out("no matches" + (" in that range" if race or since else ""))
        else:
            uid = ladder.resolve_player(player)
            name = console.visible(ladder.names([uid]).get(uid, str(uid)))
            out(MmrChart(points, f"MMR of {name}"))
        notes(ladder)
