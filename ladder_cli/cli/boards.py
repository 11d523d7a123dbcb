"""The boards: ``leaderboard`` (live, a closed season's, or as of a time), ``profile`` and
``history``."""

from __future__ import annotations

from typing import Annotated

import typer

from ladder_cli.cli import completion as complete
from ladder_cli.cli import session
from ladder_cli.cli.options import TableJson, TableJsonCsv
from ladder_cli.cli.output import notes, out, raw


def leaderboard(
    race: Annotated[
        list[str] | None,
        typer.Option(
            "--race", help="Only this race (may be repeated).", autocompletion=complete.race
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Entries per page (0: all).")] = 20,
    page: Annotated[int, typer.Option("--page", help="Page number, from 1.")] = 1,
    min_games: Annotated[
        int,
        typer.Option(
            "--min-games",
            help="Only entries with at least this many games (0 lists unplayed entries too).",
        ),
    ] = 1,
    best_race: Annotated[
        bool,
        typer.Option("--best-race", help="Each player's best ranked entry only (as the bot)."),
    ] = False,
    rank: Annotated[
        str | None, typer.Option("--rank", metavar="LETTER", help="Only this rank letter.")
    ] = None,
    country: Annotated[
        str | None,
        typer.Option(
            "--country", metavar="CC", help="Only players of this country (the bot's players)."
        ),
    ] = None,
    season: Annotated[
        str | None,
        typer.Option(
            "--season", metavar="NAME", help="A closed season's final standings (`season list`)."
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="ISO8601",
            help="The ladder as it stood then, replayed from the event log: matches played "
            "and other events made at or before it, ranks as they were then. A date alone "
            "means the end of that day; no offset means UTC.",
        ),
    ] = None,
    fmt: Annotated[
        TableJsonCsv, typer.Option("--format", help="Output format.")
    ] = TableJsonCsv.table,
) -> None:
    """The ranked leaderboard: position, rank letter, player, race, MMR, W-L-D, win %."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.domain.asof import parse_as_of
    from ladder_cli.domain.model import format_timestamp
    from ladder_cli.domain.ranks import BOARD_COLUMNS
    from ladder_cli.render import console, views

    cutoff = None if as_of is None else parse_as_of(as_of)
    with session.open_ladder() as ladder:
        rows = ladder.leaderboard(
            race=race,
            top=top,
            page=page,
            min_games=min_games,
            best_race=best_race,
            rank=rank,
            country=country,
            season=season,
            as_of=cutoff,
        ).to_dicts()
        if fmt is TableJsonCsv.json:
            raw(views.to_json(rows))
        elif fmt is TableJsonCsv.csv:
            raw(views.to_csv(rows, BOARD_COLUMNS))
        elif not rows:
            hint = ""
            if page == 1 and min_games > 0 and season is None:
                # Right after a season close every count is 0: say where the entries are.
                hint = f" with {min_games}+ games (--min-games 0 lists every entry)"
            out("no entries" + (f" on page {page}" if page > 1 else hint))
        else:
            races = ", ".join(race or ())
            where = f" — {races}" if races else ""
            when = "" if cutoff is None else f" as of {format_timestamp(cutoff)}"
            paged = f" (page {page})" if page > 1 else ""
            if season is None:
                title = f"Leaderboard{where}{when}{paged}"
                out(views.leaderboard_table(rows, title=title))
            else:
                title = f"{season}: final standings{where}{paged}"
                out(views.leaderboard_table(rows, title=console.literal(title)))
        notes(ladder)


def profile(
    player: Annotated[
        str,
        typer.Argument(help="discord_uid or exact player name.", autocompletion=complete.player),
    ],
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """One player's entries in every race they play, with rank letters and recent matches."""
    # Deferred: loaded by the command, not by --version or --help.
    from rich.text import Text

    from ladder_cli.render import console, seasons, views

    with session.open_ladder() as ladder:
        prof = ladder.profile(player)
        trends = ladder.views.trends(prof)
        if fmt is TableJson.json:
            raw(views.to_json({**prof.as_dict(), "trends": [t.as_dict() for t in trends]}))
        else:
            out(
                Text.assemble(
                    console.literal(prof.player_name),
                    f"  (discord_uid {prof.discord_uid})",
                    style="bold",
                )
            )
            out(views.profile_races_table(prof.races, trends, title="Races"))
            if prof.recent_matches:
                uids = {u for m in prof.recent_matches for u in (m.p1_uid, m.p2_uid)}
                out(
                    views.recent_matches_table(
                        prof.discord_uid,
                        prof.recent_matches,
                        ladder.names(uids),
                        title="Recent matches",
                    )
                )
            else:
                out("no matches yet")
            if prof.seasons:
                out(seasons.profile_seasons_table(prof.seasons, title="Seasons"))
        notes(ladder)


def history(
    player: Annotated[
        str | None,
        typer.Argument(
            help="Only this player's matches (discord_uid or name).",
            autocompletion=complete.player,
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many matches (0: all).")] = 20,
    fmt: Annotated[
        TableJsonCsv, typer.Option("--format", help="Output format.")
    ] = TableJsonCsv.table,
    include_voided: Annotated[
        bool, typer.Option("--include-voided", help="Also show voided matches.")
    ] = False,
) -> None:
    """The match log, newest first."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.domain.tables import MATCH_SHOWN
    from ladder_cli.render import views

    with session.open_ladder() as ladder:
        matches = ladder.history(player, limit=limit or None, include_voided=include_voided)
        rows = [m.as_dict() for m in matches]
        if fmt is TableJsonCsv.json:
            raw(views.to_json(rows))
        elif fmt is TableJsonCsv.csv:
            raw(views.to_csv(rows, list(MATCH_SHOWN)))
        elif not matches:
            out("no matches")
        else:
            uids = {u for m in matches for u in (m.p1_uid, m.p2_uid)}
            out(views.history_table(matches, ladder.names(uids), title="Match history"))
        notes(ladder)
