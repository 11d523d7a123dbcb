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
    help="The local write-ahead queue: status, pending and failed jobs, replay, reconcile.",
    no_args_is_help=True,
)
app.add_typer(wal_app, name="wal")


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
) -> None:
    OPTIONS.db, OPTIONS.home, OPTIONS.debug = db, home, debug


def _ladder() -> Ladder:
    from ladder_cli.config import resolve
    from ladder_cli.ladder import Ladder

    return Ladder(resolve(db=OPTIONS.db, home=OPTIONS.home))


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
) -> None:
    """The match log, newest first."""
    from ladder_cli import rendering
    from ladder_cli.stores.sql import MATCH_COLUMNS

    with _ladder() as ladder:
        matches = ladder.history(player, limit=limit or None)
        rows = [m.as_dict() for m in matches]
        if fmt is TableJsonCsv.json:
            _raw(rendering.to_json(rows))
        elif fmt is TableJsonCsv.csv:
            _raw(rendering.to_csv(rows, [c.strip() for c in MATCH_COLUMNS.split(",")]))
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


@wal_app.command("reconcile")
def wal_reconcile(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """After a database restore or failover: re-apply, exactly once and in their original
    order, the jobs this home applied within retain_days that the database has lost."""
    from ladder_cli import rendering

    with _ladder() as ladder:
        bar = _progress("reconciling")
        if bar is None:
            report = ladder.reconcile()
        else:
            progress, description = bar
            with progress:
                task = progress.add_task(description, total=None)
                report = ladder.reconcile(
                    progress=lambda done, total: progress.update(task, completed=done, total=total)
                )
        if fmt is TableJson.json:
            _raw(rendering.to_json(report.as_dict()))
        else:
            _out(
                f"checked {report.checked:,} job(s) of the last {report.retain_days} day(s): "
                f"{report.missing:,} missing, {report.reapplied:,} re-applied"
            )
        for seq, reason in report.corrupt:
            _warn(f"retained job {seq} was left out: {reason}")
        for seq, reason in report.failed:
            _warn(f"job {seq} could not be re-applied: {reason}")
        if report.pending:
            _warn(f"{report.pending} job(s) pending; run `ladder wal replay` to apply them")
        _notes(ladder)
        if report.failed:
            raise LadderError(f"{len(report.failed)} missing job(s) could not be re-applied")


# -- entry point ------------------------------------------------------------------------


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
