"""``ladder record``: one match, a CSV file of them, or a dry run of one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ladder_cli.cli import completion as complete
from ladder_cli.cli import session
from ladder_cli.cli.options import TableJson
from ladder_cli.cli.output import notes, out, plural, progress_bar, raw, report_write, writing
from ladder_cli.util import failpoints
from ladder_cli.util.errors import BadInput

if TYPE_CHECKING:
    from ladder_cli.core.ladder import Ladder


def record(
    p1: Annotated[
        str | None,
        typer.Argument(
            metavar="P1",
            help="Winner (or P1 of a draw): discord_uid or name.",
            show_default=False,
            autocompletion=complete.player,
        ),
    ] = None,
    race1: Annotated[
        str | None,
        typer.Argument(
            metavar="RACE1",
            help="P1's race, e.g. bw_terran.",
            show_default=False,
            autocompletion=complete.race,
        ),
    ] = None,
    p2: Annotated[
        str | None,
        typer.Argument(
            metavar="P2",
            help="Loser (or P2 of a draw): discord_uid or name.",
            show_default=False,
            autocompletion=complete.player,
        ),
    ] = None,
    race2: Annotated[
        str | None,
        typer.Argument(
            metavar="RACE2", help="P2's race.", show_default=False, autocompletion=complete.race
        ),
    ] = None,
    draw: Annotated[bool, typer.Option("--draw", help="The match was a draw.")] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", metavar="ISO8601", help="When it was played (UTC if no offset). Default: now."
        ),
    ] = None,
    p1_name: Annotated[
        str | None, typer.Option("--p1-name", metavar="NAME", help="Set P1's player name.")
    ] = None,
    p2_name: Annotated[
        str | None, typer.Option("--p2-name", metavar="NAME", help="Set P2's player name.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            metavar="CSV",
            help="Record every match in a CSV file (validated whole, queued as one unit).",
        ),
    ] = None,
    no_flush: Annotated[
        bool, typer.Option("--no-flush", help="Only queue; apply later with `ladder wal replay`.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Validate and show both MMRs before -> after and the win probability; "
            "record nothing.",
        ),
    ] = False,
    fmt: Annotated[
        TableJson, typer.Option("--format", help="Output format of --dry-run.")
    ] = TableJson.table,
) -> None:
    """Record a match that P1 won (or a draw) and print both MMRs before -> after.

    Races: bw_terran bw_zerg bw_protoss sc2_terran sc2_zerg sc2_protoss. A discord_uid
    the ladder has not seen creates the player.

    \b
    Examples:
      ladder record 290001 bw_terran 184467440737095516 bw_zerg --p1-name Flash
      ladder record Flash bw_terran jaedong bw_zerg --draw --at 2026-11-20T21:00:00
      ladder record --file matches.csv
      ladder record Flash bw_terran jaedong bw_zerg --dry-run
    """
    if fmt is TableJson.json and not dry_run:
        raise BadInput("--format json is for --dry-run; a recorded match prints text")
    if file is not None:
        if any(v is not None for v in (p1, race1, p2, race2, at, p1_name, p2_name)) or draw:
            raise BadInput(
                "--file takes no players, races, --draw, --at or names: they come from the CSV"
            )
        if dry_run:
            raise BadInput("--dry-run previews one match: give P1 RACE1 P2 RACE2, not --file")
        _record_file(file, flush=not no_flush)
        return
    if p1 is None or race1 is None or p2 is None or race2 is None:
        raise BadInput("record needs P1 RACE1 P2 RACE2 (or --file CSV); see `ladder record --help`")
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.domain.model import parse_timestamp

    when: datetime | None = None if at is None else parse_timestamp(at, what="--at")
    if dry_run:
        _record_dry_run(
            (p1, race1, p2, race2), draw=draw, at=when, names=(p1_name, p2_name), fmt=fmt
        )
        return
    ladder: Ladder
    with writing(lambda n: "the match") as ladder:
        outcome = ladder.record(
            p1,
            race1,
            p2,
            race2,
            draw=draw,
            at=when,
            p1_name=p1_name,
            p2_name=p2_name,
            flush=not no_flush,
        )
        report_write(ladder, outcome, what="the match")


def _record_dry_run(
    match: tuple[str, str, str, str],
    *,
    draw: bool,
    at: datetime | None,
    names: tuple[str | None, str | None],
    fmt: TableJson,
) -> None:
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import views

    with session.open_ladder() as ladder:
        preview = ladder.record_preview(
            *match, draw=draw, at=at, p1_name=names[0], p2_name=names[1]
        )
        if fmt is TableJson.json:
            raw(views.to_json(preview.as_dict()))
        else:
            for line in views.preview_lines(preview):
                out(line)
        notes(ladder)


def _record_file(path: Path, *, flush: bool) -> None:
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.domain.csvfile import read_matches

    session.current().untouched = "nothing was recorded"
    jobs = read_matches(path)

    def describe(n: int) -> str:
        return f"the {'match' if n == 1 else plural(n, 'match', 'matches')} from {path}"

    with writing(describe) as ladder:
        recording = f"recording {plural(len(jobs), 'match', 'matches')}"
        with progress_bar(recording, len(jobs)) as progress:
            outcome = ladder.record_many(jobs, flush=flush, progress=progress)
        applied = outcome.report.applied if outcome.report else 0
        failpoints.hit("report")
        out(
            f"queued {plural(len(jobs), 'match', 'matches')} from {path}"
            + (f"; applied {applied:,}" if flush and outcome.report else "")
        )
        report_write(ladder, outcome, what=describe(len(jobs)), show_matches=False)
