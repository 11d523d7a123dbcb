"""``ladder integrity``: patterns of manipulation in the match log for an admin to review
(``show`` one in full), and ``dismiss`` for one found harmless."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ladder_cli.cli import session
from ladder_cli.cli.options import REASON, TableJson
from ladder_cli.cli.output import notes, out, plural, raw, report_write, writing


def report(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="DATE",
            help="Only flags whose last game is from then on (ISO 8601).",
        ),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Show dismissed flags too (marked).")
    ] = False,
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Flag patterns of manipulation in the match log, each with its matches.

    pair: two entries met often and one side won nearly every time (win trading);
    feeder: an entry lost most of its losses to one opponent; sandbag: a losing streak,
    then the MMR won back; newcomer: a new entry beat much higher-rated opponents. The
    thresholds are the config file's [integrity] keys (`ladder config` shows them).

    A flag is for an admin to review, never a change: look closer with `ladder integrity
    show FLAG`, `ladder h2h` and `ladder history`, then void the matches (`ladder match
    void`) or dismiss the flag (`ladder integrity dismiss FLAG --reason TEXT`).
    """
    if ctx.invoked_subcommand is not None:
        return
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.domain.model import parse_timestamp
    from ladder_cli.render import integrity as shown
    from ladder_cli.render import views
    from ladder_cli.render.console import literal

    start = None if since is None else parse_timestamp(since, what="--since")
    with session.open_ladder() as ladder:
        found = ladder.integrity.report(start, include_dismissed=every)
        if fmt is TableJson.json:
            raw(views.to_json(found.as_json()))
            notes(ladder)
            return
        for part in shown.flags_view(found.flags, full=not sys.stdout.isatty()):
            out(part)
        out(literal(_summary(len(found.flags), found.hidden, found.matches, since)))
        if found.flags:
            out("`ladder integrity show FLAG`: one flag in full, with what to do next")
        notes(ladder)


def _summary(flags: int, hidden: int, matches: int, since: str | None) -> str:
    """``3 flags in 6,000 matches; 1 dismissed flag not shown (--all shows it)``."""
    where = plural(matches, "match", "matches") + ("" if since is None else f" (since {since})")
    text = f"{plural(flags, 'flag') if flags else 'no flags'} in {where}"
    if hidden:
        them = "it" if hidden == 1 else "them"
        text += f"; {plural(hidden, 'dismissed flag')} not shown (--all shows {them})"
    return text


def show(
    flag: Annotated[str, typer.Argument(metavar="FLAG", help="The flag's id.")],
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """One flag in full: its entries, window, every match id, and any dismissal."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import integrity as shown
    from ladder_cli.render import views

    with session.open_ladder() as ladder:
        found, report = ladder.integrity.flag(flag)
        gone = report.dismissals.get(found.flag)
        dismissal = None if gone is None else gone.as_dict()
        if fmt is TableJson.json:
            raw(views.to_json(found.as_dict(report.names) | {"dismissal": dismissal}))
        else:
            for part in shown.flag_detail(found, report.names, dismissal):
                out(part)
        notes(ladder)


def dismiss(
    flag: Annotated[str, typer.Argument(metavar="FLAG", help="The flag's id.")],
    reason: Annotated[str | None, REASON] = None,
) -> None:
    """Hide a flag from later reports (`--all` still shows it), with an audit row.

    Dismissing a flag already dismissed changes nothing. The dismissal is in the
    database, so every admin's reports leave the flag out.
    """
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render.console import literal

    with writing(lambda n: "the dismissal", untouched="nothing was dismissed") as ladder:
        done = ladder.integrity.dismiss(flag, reason)
        what = f"flag {done.flag.flag} ({done.flag.kind}: {done.flag.reason})"
        if done.outcome is None:
            earlier = done.earlier
            assert earlier is not None
            when = "" if earlier.at is None else f" on {earlier.at:%Y-%m-%d %H:%M} UTC"
            queued = " (still queued in this home)" if earlier.audit_id is None else ""
            out(literal(
                f"{what} was already dismissed by {earlier.actor}{when}{queued}; nothing written"
            ))  # fmt: skip
            notes(ladder)
            return
        if done.outcome.applied:
            out(literal(f"dismissed {what}"))
        report_write(ladder, done.outcome, what="the dismissal", show_matches=False)


__all__ = ["dismiss", "report", "show"]
