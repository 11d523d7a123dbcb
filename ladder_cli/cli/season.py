"""``ladder season``: close one, list the closed ones."""

from __future__ import annotations

from typing import Annotated

import typer

from ladder_cli.cli import session
from ladder_cli.cli.options import NO_FLUSH, YES, TableJson
from ladder_cli.cli.output import confirm, out, plural, raw, report_write, warn


def season_close(
    name: Annotated[str, typer.Argument(help="The season's name, e.g. 'Season 1'.")],
    soft_reset: Annotated[
        float,
        typer.Option(
            "--soft-reset",
            metavar="F",
            help="Each MMR becomes 1500 + F * (MMR - 1500): 0 everyone to 1500, 1 MMR kept.",
        ),
    ] = 0.5,  # ladder_cli.core.seasons.DEFAULT_SOFT_RESET, not imported by every command
    yes: Annotated[bool, YES] = False,
    no_flush: Annotated[bool, NO_FLUSH] = False,
) -> None:
    """Archive every entry's final standing under NAME, then start a new season."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import console, seasons

    with session.open_ladder() as ladder:
        preview = ladder.seasons.preview_close(name, soft_reset)
        shown = console.visible(preview.name)
        if preview.note:
            warn(preview.note)
        if preview.champions:
            title = console.literal(f"{preview.name}: champions")
            out(seasons.champions_table(preview.champions, title=title))
        else:
            out("no entry has a game yet: no champion")
        out(
            f"{preview.moving:,} of {plural(preview.entries, 'entry', 'entries')} move toward "
            f"1500 (soft reset {preview.soft_reset:g}); the {preview.played:,} with games "
            "start again at 0-0-0"
        )
        confirm(yes, f"Close season '{shown}'?")
        outcome = ladder.seasons.close(preview, flush=not no_flush)
        if outcome.applied:
            out(console.literal(f"closed season {preview.name}"))
        report_write(ladder, outcome, what="the season close", show_matches=False)


def season_list(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Closed seasons, newest first."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import seasons, views

    with session.open_ladder() as ladder:
        found = ladder.seasons.list()
        if fmt is TableJson.json:
            raw(views.to_json([s.as_dict() for s in found]))
        elif not found:
            out("no closed seasons")
        else:
            rows = [s.as_dict() | {"closed_at": s.closed_at} for s in found]
            out(seasons.season_list_table(rows))
