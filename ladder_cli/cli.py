"""The ``ladder`` command: parses arguments, calls the library, renders the answer.

No SQL and no rating math here. Errors become one line on stderr and an exit code:
0 success (a write queued while the database is down included), 1 an operation failed,
2 bad input or usage.
"""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from ladder_cli import __version__
from ladder_cli.errors import BadInput, LadderError

if TYPE_CHECKING:
    from ladder_cli.ladder import Ladder, WriteOutcome

app = typer.Typer(
    name="ladder",
    help="Administer a 1v1 StarCraft ladder: record matches, print leaderboards and "
    "profiles, reset MMR, and replay queued writes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
wal_app = typer.Typer(
    help="The local write-ahead queue: status, pending and failed jobs, replay.",
    no_args_is_help=True,
)
app.add_typer(wal_app, name="wal")
match_app = typer.Typer(
    help="One logged match: show it, void it or amend its result.", no_args_is_help=True
)
app.add_typer(match_app, name="match")


class TableJsonCsv(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class TableJson(StrEnum):
    table = "table"
    json = "json"


class _Options:
    db: str | None = None
    home: str | None = None
    debug: bool = False
    by: str | None = None


OPTIONS = _Options()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ladder {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Database URL (postgresql://... or sqlite:///path). Default: "
            "$LADDER_DATABASE_URL, then the config file, then the embedded SQLite ladder.",
        ),
    ] = None,
    home: Annotated[
        str | None,
        typer.Option(
            "--home",
            metavar="DIR",
            help="Directory for the queue, config and embedded database. Default: "
            "$LADDER_HOME, then the platform's user data/config directories.",
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")
    ] = False,
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", metavar="NAME", help="Who the audit trail names for this write."),
    ] = None,
) -> None:
    OPTIONS.db, OPTIONS.home, OPTIONS.debug = db, home, debug
    OPTIONS.by = by


def _ladder() -> Ladder:
    from ladder_cli.config import resolve
    from ladder_cli.ladder import Ladder

    ladder = Ladder(resolve(db=OPTIONS.db, home=OPTIONS.home))
    if OPTIONS.by is not None:
        from ladder_cli.audit import parse_actor

        ladder.by = parse_actor(OPTIONS.by)
    return ladder


def _out(text: Any = "") -> None:
    from ladder_cli.rendering import console

    console().print(text)


def _raw(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _warn(text: str) -> None:
    from rich.text import Text

    from ladder_cli.rendering import error_console, visible

    error_console().print(Text(f"warning: {visible(_scrub(text))}"))


def _notes(ladder: Ladder) -> None:
    for note in dict.fromkeys(ladder.notes):
        _warn(note)


def _progress(description: str) -> Any:
    """A progress bar on stderr when it is a terminal; otherwise nothing."""
    from ladder_cli.rendering import fancy

    if not fancy(sys.stderr):
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from ladder_cli.rendering import error_console

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=error_console(),
        transient=True,
    ), description


# -- commands ---------------------------------------------------------------------------


@app.command()
def init() -> None:
    """Create the ladder's tables in the database (safe to run again).

    On a database that already has the ladder's mmrs_1v1 table, adopts it as it is.
    """
    with _ladder() as ladder:
        ladder.init()
        _out(f"ladder schema ready in {_target(ladder)}")


def _target(ladder: Ladder) -> str:
    from ladder_cli.config import mask_url

    return mask_url(ladder.settings.url)


@app.command()
def record(
    p1: Annotated[
        str | None,
        typer.Argument(
            metavar="P1", help="Winner (or P1 of a draw): discord_uid or name.", show_default=False
        ),
    ] = None,
    race1: Annotated[
        str | None,
        typer.Argument(metavar="RACE1", help="P1's race, e.g. bw_terran.", show_default=False),
    ] = None,
    p2: Annotated[
        str | None,
        typer.Argument(
            metavar="P2", help="Loser (or P2 of a draw): discord_uid or name.", show_default=False
        ),
    ] = None,
    race2: Annotated[
        str | None, typer.Argument(metavar="RACE2", help="P2's race.", show_default=False)
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
) -> None:
    """Record a match that P1 won (or a draw) and print both MMRs before → after.

    Races: bw_terran bw_zerg bw_protoss sc2_terran sc2_zerg sc2_protoss. A discord_uid
    the ladder has not seen creates the player.

    \b
    Examples:
      ladder record 290001 bw_terran 184467440737095516 bw_zerg --p1-name Flash
      ladder record Flash bw_terran jaedong bw_zerg --draw --at 2026-11-20T21:00:00
      ladder record --file matches.csv
    """
    if file is not None:
        if any(v is not None for v in (p1, race1, p2, race2, at, p1_name, p2_name)) or draw:
            raise BadInput(
                "--file takes no players, races, --draw, --at or names: they come from the CSV"
            )
        _record_file(file, flush=not no_flush)
        return
    if p1 is None or race1 is None or p2 is None or race2 is None:
        raise BadInput("record needs P1 RACE1 P2 RACE2 (or --file CSV); see `ladder record --help`")
    from ladder_cli.model import parse_timestamp

    when: datetime | None = None if at is None else parse_timestamp(at, what="--at")
    with _ladder() as ladder:
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
        _report_write(ladder, outcome, what="match")


def _record_file(path: Path, *, flush: bool) -> None:
    from ladder_cli.csvfile import read_matches

    jobs = read_matches(path)
    with _ladder() as ladder:
        bar = _progress(f"recording {len(jobs):,} matches")
        if bar is None:
            outcome = ladder.record_many(jobs, flush=flush)
        else:
            progress, description = bar
            with progress:
                task = progress.add_task(description, total=len(jobs))
                outcome = ladder.record_many(
                    jobs,
                    flush=flush,
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                )
        applied = outcome.report.applied if outcome.report else 0
        _out(
            f"queued {len(jobs):,} matches from {path}"
            + (f"; applied {applied:,}" if flush and outcome.report else "")
        )
        _report_write(ladder, outcome, what=f"{len(jobs):,} matches", show_matches=False)


def _report_write(
    ladder: Ladder, outcome: WriteOutcome, *, what: str, show_matches: bool = True
) -> None:
    from ladder_cli.rendering import match_lines

    if show_matches:
        if not outcome.applied and outcome.matches:
            _out("queued, not yet applied; expected result:")
        for match in outcome.matches:
            for line in match_lines(match, outcome.names):
                _out(line)
    if outcome.preview_note and not outcome.applied:
        _warn(outcome.preview_note)
    for seq, reason in outcome.failed:
        _warn(f"job {seq} could not be applied and was moved to failed: {reason}")
    if outcome.failed:
        raise LadderError(f"{len(outcome.failed)} job(s) failed; see `ladder wal failed`")
    if outcome.unavailable:
        _warn(
            f"{outcome.unavailable}: the {what} is queued and safe; {outcome.pending} job(s) "
            "pending; run `ladder wal replay` when the database is back"
        )
    elif outcome.pending and not outcome.applied:
        _warn(f"{outcome.pending} job(s) pending; run `ladder wal replay` to apply them")
    _notes(ladder)


@app.command()
def reset(
    player: Annotated[str, typer.Argument(help="discord_uid or exact player name.")],
    race: Annotated[
        str | None,
        typer.Option("--race", help="Reset only this race (default: every race the player has)."),
    ] = None,
    mmr: Annotated[int, typer.Option("--mmr", help="The MMR to set.")] = 1500,
    keep_stats: Annotated[
        bool, typer.Option("--keep-stats", help="Keep games won/lost/drawn and last played.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    no_flush: Annotated[
        bool, typer.Option("--no-flush", help="Only queue; apply later with `ladder wal replay`.")
    ] = False,
) -> None:
    """Reset a player's MMR (and stats unless --keep-stats), after confirmation."""
    from ladder_cli.model import parse_race
    from ladder_cli.rendering import visible

    with _ladder() as ladder:
        uid = ladder.resolve_player(player)
        which = "every race" if race is None else parse_race(race)
        if not yes:
            name = visible(ladder.names([uid]).get(uid, str(uid)))
            what = "MMR" if keep_stats else "MMR and stats"
            if not sys.stdin.isatty() and sys.stdin.closed:
                raise BadInput("reset needs confirmation: pass --yes")
            if not typer.confirm(
                f"Reset {what} of {name} ({uid}), {which}, to {mmr}?", default=False
            ):
                raise LadderError("reset cancelled; nothing was changed")
        outcome = ladder.reset(uid, race=race, mmr=mmr, keep_stats=keep_stats, flush=not no_flush)
        if outcome.applied or outcome.report:
            _out(f"reset {uid} ({which}) to {mmr}" + (" keeping stats" if keep_stats else ""))
        _report_write(ladder, outcome, what="reset")


@app.command()
def leaderboard(
    race: Annotated[str | None, typer.Option("--race", help="Only this race.")] = None,
    top: Annotated[int, typer.Option("--top", help="Entries per page (0: all).")] = 20,
    page: Annotated[int, typer.Option("--page", help="Page number, from 1.")] = 1,
    min_games: Annotated[
        int,
        typer.Option(
            "--min-games",
            help="Only entries with at least this many games (0 lists unplayed entries too).",
        ),
    ] = 1,
    fmt: Annotated[
        TableJsonCsv, typer.Option("--format", help="Output format.")
    ] = TableJsonCsv.table,
) -> None:
    """The ranked leaderboard: position, rank letter, player, race, MMR, W-L-D, win %."""
    from ladder_cli import rendering
    from ladder_cli.ranks import LEADERBOARD_COLUMNS

    with _ladder() as ladder:
        rows = ladder.leaderboard(race=race, top=top, page=page, min_games=min_games).to_dicts()
        if fmt is TableJsonCsv.json:
            _raw(rendering.to_json(rows))
        elif fmt is TableJsonCsv.csv:
            _raw(rendering.to_csv(rows, LEADERBOARD_COLUMNS))
        elif not rows:
            _out("no entries" + (f" on page {page}" if page > 1 else ""))
        else:
            title = (
                f"Leaderboard{' — ' + race if race else ''}{f' (page {page})' if page > 1 else ''}"
            )
            _out(rendering.leaderboard_table(rows, title=title))
        _notes(ladder)


@app.command()
def profile(
    player: Annotated[str, typer.Argument(help="discord_uid or exact player name.")],
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """One player's entries in every race they play, with rank letters and recent matches."""
    from ladder_cli import rendering

    with _ladder() as ladder:
        prof = ladder.profile(player)
        if fmt is TableJson.json:
            _raw(rendering.to_json(prof.as_dict()))
        else:
            from rich.text import Text

            _out(
                Text.assemble(
                    rendering.literal(prof.player_name),
                    f"  (discord_uid {prof.discord_uid})",
                    style="bold",
                )
            )
            _out(rendering.leaderboard_table(prof.races, title="Races"))
            if prof.recent_matches:
                uids = {u for m in prof.recent_matches for u in (m.p1_uid, m.p2_uid)}
                _out(
                    rendering.history_table(
                        prof.recent_matches, ladder.names(uids), title="Recent matches"
                    )
                )
            else:
                _out("no matches yet")
        _notes(ladder)


@app.command()
def history(
    player: Annotated[
        str | None, typer.Argument(help="Only this player's matches (discord_uid or name).")
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
    from ladder_cli import rendering
    from ladder_cli.stores.sql import MATCH_COLUMNS

    with _ladder() as ladder:
        matches = ladder.history(player, limit=limit or None, include_voided=include_voided)
        rows = [m.as_dict() for m in matches]
        if fmt is TableJsonCsv.json:
            _raw(rendering.to_json(rows))
        elif fmt is TableJsonCsv.csv:
            _raw(rendering.to_csv(rows, [*(c.strip() for c in MATCH_COLUMNS.split(",")), "state"]))
        elif not matches:
            _out("no matches")
        else:
            uids = {u for m in matches for u in (m.p1_uid, m.p2_uid)}
            _out(rendering.history_table(matches, ladder.names(uids), title="Match history"))
        _notes(ladder)


@app.command("config")
def show_config(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Show the resolved paths and database (password masked) and where each came from."""
    from ladder_cli import rendering
    from ladder_cli.config import resolve

    info = resolve(db=OPTIONS.db, home=OPTIONS.home).describe()
    if fmt is TableJson.json:
        _raw(rendering.to_json(info))
        return
    t = rendering.table([("setting", "left"), ("value", "left")], title="ladder configuration")
    for key, value in info.items():
        t.add_row(key, rendering.literal("" if value is None else str(value)))
    _out(t)


@app.command()
def demo() -> None:
    """Load the sample ladder into a fresh embedded database and show it off."""
    import tempfile

    from ladder_cli import rendering
    from ladder_cli.config import resolve
    from ladder_cli.csvfile import read_matches
    from ladder_cli.demo import sample_matches_path
    from ladder_cli.ladder import Ladder

    home = Path(tempfile.mkdtemp(prefix="ladder-demo-"))
    settings = resolve(home=home, env={})
    with Ladder(settings) as ladder:
        jobs = read_matches(sample_matches_path())
        ladder.record_many(jobs)
        rows = ladder.leaderboard(top=10).to_dicts()
        _out(
            rendering.leaderboard_table(rows, title=f"Demo ladder: top 10 of {len(jobs):,} matches")
        )
        prof = ladder.profile(rows[0]["discord_uid"])
        _out()
        from rich.text import Text

        _out(Text.assemble("Profile of ", rendering.literal(prof.player_name), style="bold"))
        _out(rendering.leaderboard_table(prof.races, title="Races"))
        uids = {u for m in prof.recent_matches for u in (m.p1_uid, m.p2_uid)}
        _out(
            rendering.history_table(
                prof.recent_matches[:5], ladder.names(uids), title="Recent matches"
            )
        )
    _out()
    _out(f"Explore it: ladder --home {home} leaderboard --race bw_zerg")


# -- the queue ------------------------------------------------------------------------


@wal_app.command("status")
def wal_status(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Pending and failed counts, and the oldest pending job's age."""
    from ladder_cli import rendering

    with _ladder() as ladder:
        status = ladder.wal_status()
        data = {
            "pending": status.pending,
            "failed": status.failed,
            "oldest_pending_age_s": status.oldest_pending_age_s,
        }
        if fmt is TableJson.json:
            _raw(rendering.to_json(data))
            return
        age = "-" if status.oldest_pending_age_s is None else f"{status.oldest_pending_age_s:.0f}s"
        _out(f"pending: {status.pending}\nfailed:  {status.failed}\noldest pending: {age}")
        _out(f"queue:   {ladder.settings.queue_path}")
        _out(f"database: {_target(ladder)}")


def _jobs(state: str, fmt: TableJson, limit: int) -> None:
    from ladder_cli import rendering

    with _ladder() as ladder:
        jobs = ladder.wal_jobs(state, limit=limit or None)
        if fmt is TableJson.json:
            _raw(
                rendering.to_json(
                    [
                        {
                            "seq": j.seq,
                            "kind": j.kind,
                            "enqueued_at": datetime.fromtimestamp(j.enqueued_at).astimezone(),
                            "state": j.state,
                            "error": j.error,
                            **j.summary,
                        }
                        for j in jobs
                    ]
                )
            )
            return
        if not jobs:
            _out(f"no {state} jobs")
            return
        columns = [("Job", "right"), ("Kind", "left"), ("What", "left")]
        if state == "failed":
            columns.append(("Reason", "left"))
        t = rendering.table(columns, title=f"{state.capitalize()} jobs")
        for j in jobs:
            what = " ".join(
                f"{k}={rendering.visible(str(v))}" for k, v in j.summary.items() if v is not None
            )
            row: list[Any] = [str(j.seq), j.kind, rendering.literal(what)]
            if state == "failed":
                row.append(rendering.literal(j.error or ""))
            t.add_row(*row)
        _out(t)


@wal_app.command("list")
def wal_list(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
    limit: Annotated[int, typer.Option("--limit", help="How many jobs (0: all).")] = 50,
) -> None:
    """The pending jobs, oldest first."""
    _jobs("pending", fmt, limit)


@wal_app.command("failed")
def wal_failed(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
    limit: Annotated[int, typer.Option("--limit", help="How many jobs (0: all).")] = 50,
    retry: Annotated[
        bool, typer.Option("--retry", help="Move failed jobs back to pending.")
    ] = False,
) -> None:
    """Jobs that can never apply, with their reasons (they do not block the rest)."""
    if retry:
        with _ladder() as ladder:
            _out(f"moved {ladder.retry_failed()} failed job(s) back to pending")
        return
    _jobs("failed", fmt, limit)


@wal_app.command("replay")
def wal_replay(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Apply every pending job to the database, in order, each exactly once."""
    from ladder_cli import rendering

    with _ladder() as ladder:
        bar = _progress("replaying")
        if bar is None:
            report = ladder.flush(keep_matches=())
        else:
            progress, description = bar
            with progress:
                task = progress.add_task(description, total=None)
                report = ladder.flush(
                    keep_matches=(),
                    progress=lambda done, total: progress.update(task, completed=done, total=total),
                )
        data = {
            "applied": report.applied,
            "already_applied": report.already_applied,
            "failed": len(report.failed),
            "pending": report.pending,
        }
        if fmt is TableJson.json:
            _raw(rendering.to_json(data))
        else:
            _out(
                f"applied {report.applied} job(s)"
                + (
                    f", skipped {report.already_applied} already applied"
                    if report.already_applied
                    else ""
                )
                + (
                    f", {len(report.failed)} moved to failed (see `ladder wal failed`)"
                    if report.failed
                    else ""
                )
                + f"; {report.pending} pending"
            )


# -- entry point ------------------------------------------------------------------------


# -- corrections, verify, audit ---------------------------------------------------------

_REASON = typer.Option("--reason", metavar="TEXT", help="Why (required; kept in the audit trail).")
_YES = typer.Option("--yes", "-y", help="Do not ask for confirmation.")
_DRY = typer.Option("--dry-run", help="Show who would change; write nothing.")
_NO_FLUSH = typer.Option("--no-flush", help="Only queue; apply later with `ladder wal replay`.")


@match_app.command("show")
def match_show(
    match_id: Annotated[int, typer.Argument(help="The match's id (see `ladder history`).")],
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """One logged match: its MMRs, result, state and the audit entries that touched it."""
    from ladder_cli import admin, rendering

    with _ladder() as ladder:
        shown = admin.match_show(ladder, match_id)
        if fmt is TableJson.json:
            _raw(rendering.to_json(shown))
            return
        table = rendering.table([("field", "left"), ("value", "left")], title=f"Match {match_id}")
        for key, value in shown.items():
            if key != "audit":
                table.add_row(key, rendering.literal(str(value)))
        _out(table)
        for entry in shown["audit"]:  # type: ignore[attr-defined]
            _out(rendering.literal(
                f"{entry['at']}  {entry['actor']}  {entry['action']}: {entry['reason'] or ''}"
            ))  # fmt: skip


@match_app.command("void")
def match_void(
    match_id: Annotated[int, typer.Argument(help="The match's id.")],
    reason: Annotated[str | None, _REASON] = None,
    yes: Annotated[bool, _YES] = False,
    dry_run: Annotated[bool, _DRY] = False,
    no_flush: Annotated[bool, _NO_FLUSH] = False,
) -> None:
    """Take a match out of the ratings and replay every later event without it."""
    _correct(match_id, None, reason, yes=yes, dry_run=dry_run, flush=not no_flush)


@match_app.command("amend")
def match_amend(
    match_id: Annotated[int, typer.Argument(help="The match's id.")],
    result: Annotated[str, typer.Option("--result", help="p1, p2 or draw.")],
    reason: Annotated[str | None, _REASON] = None,
    yes: Annotated[bool, _YES] = False,
    dry_run: Annotated[bool, _DRY] = False,
    no_flush: Annotated[bool, _NO_FLUSH] = False,
) -> None:
    """Change a match's result, then replay every later event."""
    from ladder_cli.admin import parse_result

    _correct(match_id, parse_result(result), reason, yes=yes, dry_run=dry_run, flush=not no_flush)


def _correct(
    match_id: int, result: int | None, reason: str | None, *, yes: bool, dry_run: bool, flush: bool
) -> None:
    from ladder_cli import admin
    from ladder_cli.audit import parse_reason

    what = "void" if result is None else "amend"
    with _ladder() as ladder:
        if not dry_run:
            parse_reason(reason)
        preview = admin.preview_correction(ladder, match_id, result)
        if preview.note:
            _warn(preview.note)
        else:
            _show_changes(preview.rows, f"{what} match {match_id}")
        if dry_run:
            _notes(ladder)
            return
        _confirm(yes, f"{what.capitalize()} match {match_id}?")
        outcome = admin.correct(ladder, match_id, result, reason, flush=flush)
        if outcome.applied:
            _out(f"{what}ed match {match_id}" if result is not None else f"voided match {match_id}")
        _report_write(ladder, outcome, what=what, show_matches=False)


def _confirm(yes: bool, question: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise BadInput("this write needs confirmation: pass --yes")
    if not typer.confirm(question, default=False):
        raise LadderError("cancelled; nothing was changed")


def _show_changes(rows: Any, title: str) -> None:
    from ladder_cli import rendering

    if not rows:
        _out("no entry's values change")
        return
    table = rendering.table(
        [("player", "left"), ("race", "left"), ("MMR", "right"), ("diff", "right"),
         ("W-L-D", "left"), ("", "left")],
        title=f"{title}: {len(rows):,} entr{'y' if len(rows) == 1 else 'ies'} change",
    )  # fmt: skip
    for row in rows[:50]:
        b, a = row.before, row.after
        table.add_row(
            rendering.literal(row.name),
            row.key[1],
            f"{b.mmr} → {a.mmr}",
            f"{row.difference:+d}",
            f"{b.games_won}-{b.games_lost}-{b.games_drawn} → "
            f"{a.games_won}-{a.games_lost}-{a.games_drawn}",
            "changed outside the ladder: correction added as a delta" if row.drifted else "",
        )
    _out(table)
    if len(rows) > 50:
        _out(f"… and {len(rows) - 50:,} more")


@app.command()
def adjust(
    player: Annotated[str, typer.Argument(help="discord_uid or exact player name.")],
    race: Annotated[str, typer.Option("--race", help="The entry's race.")],
    by: Annotated[int, typer.Option("--by", help="Points to add (negative: subtract).")],
    reason: Annotated[str | None, _REASON] = None,
    yes: Annotated[bool, _YES] = False,
    no_flush: Annotated[bool, _NO_FLUSH] = False,
) -> None:
    """Add points to (or take them from) one entry's MMR, as an event of the log."""
    from ladder_cli import admin
    from ladder_cli.audit import parse_reason

    with _ladder() as ladder:
        parse_reason(reason)
        row = admin.preview_adjust(ladder, player, race, by)
        _show_changes([row], "adjust")
        _confirm(yes, f"Adjust {row.key[0]} {row.key[1]} by {by:+d}?")
        outcome = admin.adjust(ladder, row, reason, flush=not no_flush)
        if outcome.applied:
            _out(f"adjusted {row.key[0]} {row.key[1]} by {by:+d}")
        _report_write(ladder, outcome, what="adjustment", show_matches=False)


@app.command()
def verify(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Replay the whole event log and compare with what is stored (exit 1 on a difference)."""
    from ladder_cli import admin, rendering

    with _ladder() as ladder:
        report = admin.verify(ladder)
        rows = [
            {"discord_uid": d.discord_uid, "race": d.race, "player_name": d.player_name,
             "problem": d.problem, "stored": d.stored, "expected": d.expected}
            for d in report.differences
        ]  # fmt: skip
        if fmt is TableJson.json:
            _raw(rendering.to_json({"entries": report.entries, "events": report.events,
                                    "differences": rows}))  # fmt: skip
        elif not rows:
            _out(f"ok: {report.entries:,} entries match a replay of {report.events:,} events")
        else:
            table = rendering.table(
                [("player", "left"), ("race", "left"), ("problem", "left"),
                 ("stored", "left"), ("expected", "left")],
                title=f"{len(rows):,} of {report.entries:,} entries differ",
            )  # fmt: skip
            for d in report.differences:
                table.add_row(
                    rendering.literal(f"{d.player_name or ''} ({d.discord_uid})"),
                    d.race,
                    d.problem,
                    _values(d.stored),
                    _values(d.expected),
                )
            _out(table)
        if rows:
            raise typer.Exit(1)


def _values(values: dict[str, object] | None) -> str:
    if values is None:
        return "(no row)"
    return (
        f"{values['mmr']} {values['games_won']}-{values['games_lost']}-{values['games_drawn']}"
        f" ({values['games_played']})"
    )


@app.command()
def audit(
    limit: Annotated[int, typer.Option("--limit", help="How many rows (0: all).")] = 20,
    fmt: Annotated[
        TableJsonCsv, typer.Option("--format", help="Output format.")
    ] = TableJsonCsv.table,
) -> None:
    """Admin actions, newest first."""
    from ladder_cli import admin, rendering

    keys = ["audit_id", "at", "actor", "action", "target", "reason"]
    with _ladder() as ladder:
        rows = [r.as_dict() for r in admin.audit(ladder, limit)]
        if fmt is TableJsonCsv.json:
            _raw(rendering.to_json(rows))
        elif fmt is TableJsonCsv.csv:
            _raw(rendering.to_csv(rows, keys))
        elif not rows:
            _out("no audit entries")
        else:
            table = rendering.table([(k, "left") for k in keys], title="Audit trail")
            for r in rows:
                table.add_row(*(rendering.literal(str(r[k] or "")) for k in keys))
            _out(table)


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI; every error ends as one line on stderr and an exit code."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    import os

    from typer.main import get_command

    os.umask(0o077)
    command = get_command(app)
    try:
        result = command.main(
            args=sys.argv[1:] if argv is None else argv, prog_name="ladder", standalone_mode=False
        )
        return result if isinstance(result, int) else 0
    except LadderError as exc:
        _fail(str(exc), exc.exit_code)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        _fail("aborted; nothing was changed", 1)
    except KeyboardInterrupt:
        _fail("interrupted; anything already reported as queued is safe", 130)
    except typer.TyperException as exc:  # usage errors from the parser
        if type(exc).__name__ == "NoArgsIsHelpError":
            # `ladder` or `ladder wal` alone: the help as Click would show it, not one line.
            sys.stderr.write(exc.format_message().rstrip("\n") + "\n")
            return 2
        hint = ""
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            hint = f" (see `{ctx.command_path} --help`)"
        _fail(f"{exc.format_message()}{hint}", getattr(exc, "exit_code", 2))
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if OPTIONS.debug:
            import traceback

            # The traceback, but never the password (exception messages may quote the URL).
            sys.stderr.write(_scrub("".join(traceback.format_exception(exc)), one_line=False))
            _fail(f"unexpected {type(exc).__name__}: {_scrub(str(exc))}", 1)
        _fail(
            f"unexpected {type(exc).__name__}: {_scrub(str(exc))} (run with --debug for details)", 1
        )


def _scrub(text: str, *, one_line: bool = True) -> str:
    """``text`` without the database password, however the URL was given."""
    import contextlib

    from ladder_cli.config import resolve, scrub

    urls = {OPTIONS.db}
    with contextlib.suppress(Exception):  # a broken config file: its URL, if any, is unknown
        urls.add(resolve(db=OPTIONS.db, home=OPTIONS.home).database_url)
    for url in urls:
        text = scrub(text, url)
    return " ".join(text.split()) if one_line else text


def _fail(message: str, code: int) -> NoReturn:
    from rich.text import Text

    from ladder_cli.rendering import error_console, visible

    error_console().print(
        Text(f"error: {visible(_scrub(message))}", style="red" if sys.stderr.isatty() else "")
    )
    raise SystemExit(code)
