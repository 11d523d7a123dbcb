"""The ``ladder`` command: the Typer app, wired from one module per command group, and the
run that turns every error into one line on stderr and an exit code.

No SQL and no rating math in the CLI. Exit codes: 0 success (a write queued while the
database is down included), 1 an operation failed, 2 bad input or usage. The command
modules import the library and the renderers inside their commands, so ``ladder
--version`` and ``--help`` load neither.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from typing import Annotated, NoReturn

import typer
from typer.main import get_command

from ladder_cli import __version__
from ladder_cli.cli import (
    admin,
    boards,
    completion,
    insight,
    integrity,
    match,
    record,
    rules,
    season,
    session,
    setup,
    site,
    wal,
)
from ladder_cli.cli.output import fail, scrub
from ladder_cli.cli.session import Session
from ladder_cli.util import interrupts
from ladder_cli.util.errors import BadInput, LadderError
from ladder_cli.util.terminal import prepare_streams

app = typer.Typer(
    name="ladder",
    help="Administer a 1v1 StarCraft ladder: record matches, print leaderboards and "
    "profiles, reset MMR, and replay queued writes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ladder {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
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
    run = ctx.ensure_object(Session)
    run.db, run.home, run.debug = db, home, debug
    run.by = by
    session.adopt(run)


# -- the commands, in the order `ladder --help` lists them -----------------------------

app.command()(setup.init)
rules_app = typer.Typer(
    help="The ladder's rating rules: show them, or switch to others (`rules use NAME`).",
    invoke_without_command=True,
)
rules_app.callback(invoke_without_command=True)(rules.show)
rules_app.command("use")(rules.use)
app.add_typer(rules_app, name="rules")
app.command()(record.record)
app.command()(admin.reset)
app.command()(boards.leaderboard)
app.command()(boards.profile)
app.command()(boards.history)
app.command()(insight.stats)
app.command()(insight.h2h)
app.command()(insight.chart)
app.command("site")(site.site)
app.command("config")(setup.show_config)
app.command()(setup.demo)
app.command()(admin.verify)
app.command()(rules.evaluate)
app.command()(admin.adjust)
app.command()(admin.decay)

audit_app = typer.Typer(
    help="Admin actions, newest first; `audit show N`: one row whole.",
    invoke_without_command=True,
)
audit_app.callback()(admin.audit)
audit_app.command("show")(admin.audit_show)
app.add_typer(audit_app, name="audit")

wal_app = typer.Typer(
    help="The local write-ahead queue: status, pending and failed jobs, replay, reconcile.",
    no_args_is_help=True,
)
wal_app.command("status")(wal.wal_status)
wal_app.command("list")(wal.wal_list)
wal_app.command("failed")(wal.wal_failed)
wal_app.command("replay")(wal.wal_replay)
wal_app.command("discard")(wal.wal_discard)
wal_app.command("reconcile")(wal.wal_reconcile)
app.add_typer(wal_app, name="wal")

import_app = typer.Typer(
    help="Bring in data the ladder did not write: the original bot's match history.",
    no_args_is_help=True,
)
import_app.command("bot-matches")(admin.import_bot_matches)
app.add_typer(import_app, name="import")

match_app = typer.Typer(
    help="One logged match: show it, void it or amend its result.", no_args_is_help=True
)
match_app.command("show")(match.match_show)
match_app.command("void")(match.match_void)
match_app.command("amend")(match.match_amend)
app.add_typer(match_app, name="match")

season_app = typer.Typer(
    help="Seasons: close one (archive the standings, then a soft reset), list the closed ones.",
    no_args_is_help=True,
)
season_app.command("close")(season.season_close)
season_app.command("list")(season.season_list)
app.add_typer(season_app, name="season")

integrity_app = typer.Typer(
    help="Patterns of manipulation in the match log, for an admin to review; dismiss one.",
    invoke_without_command=True,
)
integrity_app.callback(invoke_without_command=True)(integrity.report)
integrity_app.command("show")(integrity.show)
integrity_app.command("dismiss")(integrity.dismiss)
app.add_typer(integrity_app, name="integrity")


# -- running it -------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI; every error ends as one line on stderr and an exit code."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (what :func:`main` exits with)."""
    prepare_streams()
    with interrupts.handling(), session.use(Session()) as current:
        return _run(argv, current)


def _run(argv: list[str] | None, current: Session) -> int:
    os.umask(0o077)
    command = get_command(app)
    completion.use_in_bash()
    try:
        result = command.main(
            args=sys.argv[1:] if argv is None else argv,
            prog_name="ladder",
            standalone_mode=False,
            obj=current,
        )
        if interrupts.raised:  # Typer returned 130 for it without a word
            _interrupted(interrupts.raised[-1], current)
        return result if isinstance(result, int) else 0
    except BadInput as exc:
        fail(exc.as_option(), exc.exit_code, run=current)
    except LadderError as exc:
        fail(str(exc), exc.exit_code, run=current)
    except typer.Exit as exc:
        if interrupts.raised:
            _interrupted(interrupts.raised[-1], current)
        return exc.exit_code
    except typer.Abort:
        fail("aborted; nothing was changed", 1, run=current)
    except KeyboardInterrupt as exc:
        _interrupted(exc, current)
    except typer.TyperException as exc:  # usage errors from the parser
        if type(exc).__name__ == "NoArgsIsHelpError":
            # `ladder` or `ladder wal` alone: the help as Click would show it, not one line.
            sys.stderr.write(exc.format_message().rstrip("\n") + "\n")
            return 2
        hint = ""
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            hint = f" (see `{ctx.command_path} --help`)"
        fail(f"{exc.format_message()}{hint}", getattr(exc, "exit_code", 2), run=current)
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if current.debug:
            # The traceback, but never the password (exception messages may quote the URL).
            sys.stderr.write(
                scrub("".join(traceback.format_exception(exc)), current, one_line=False)
            )
            fail(f"unexpected {type(exc).__name__}: {exc}", 1, run=current)
        fail(
            f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)",
            1,
            run=current,
        )


def _interrupted(exc: KeyboardInterrupt, current: Session) -> NoReturn:
    """One line on what an interrupt left behind (see output.writing), exit 128 + the signal."""
    signum = getattr(exc, "signum", signal.SIGINT)
    verb = "terminated" if signum == signal.SIGTERM else "interrupted"
    report = getattr(exc, "report", None) or current.untouched
    fail(f"{verb}: {report}", 128 + signum, "", run=current)
