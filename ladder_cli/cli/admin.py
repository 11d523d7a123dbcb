"""The admin's writes and checks beyond recording matches: ``reset``, ``adjust``,
``decay``, ``audit``, ``verify`` and ``import bot-matches``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ladder_cli.cli import completion as complete
from ladder_cli.cli import session
from ladder_cli.cli.options import DRY, NO_FLUSH, REASON, YES, TableJson, TableJsonCsv
from ladder_cli.cli.output import (
    ask,
    confirm,
    notes,
    out,
    plural,
    raw,
    report_write,
    show_changes,
    warn,
    writing,
)
from ladder_cli.util.errors import BadInput, LadderError


def reset(
    player: Annotated[
        str,
        typer.Argument(help="discord_uid or exact player name.", autocompletion=complete.player),
    ],
    race: Annotated[
        str | None,
        typer.Option(
            "--race",
            help="Reset only this race (default: every race the player has).",
            autocompletion=complete.race,
        ),
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
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.domain.model import parse_race
    from ladder_cli.render.console import visible

    with writing(lambda n: "the reset", untouched="nothing was changed") as ladder:
        uid = ladder.resolve_player(player)
        which = "every race" if race is None else parse_race(race)
        if not yes:
            name = visible(ladder.names([uid]).get(uid, str(uid)))
            what = "MMR" if keep_stats else "MMR and stats"
            if not sys.stdin.isatty() and sys.stdin.closed:
                raise BadInput("reset needs confirmation: pass --yes")
            if not ask(f"Reset {what} of {name} ({uid}), {which}, to {mmr}?"):
                raise LadderError("reset cancelled; nothing was changed")
        outcome = ladder.reset(uid, race=race, mmr=mmr, keep_stats=keep_stats, flush=not no_flush)
        if outcome.applied or outcome.report:
            out(f"reset {uid} ({which}) to {mmr}" + (" keeping stats" if keep_stats else ""))
        report_write(ladder, outcome, what="the reset")


def adjust(
    player: Annotated[
        str,
        typer.Argument(help="discord_uid or exact player name.", autocompletion=complete.player),
    ],
    race: Annotated[
        str, typer.Option("--race", help="The entry's race.", autocompletion=complete.race)
    ],
    by: Annotated[int, typer.Option("--by", help="Points to add (negative: subtract).")],
    reason: Annotated[str | None, REASON] = None,
    yes: Annotated[bool, YES] = False,
    no_flush: Annotated[bool, NO_FLUSH] = False,
) -> None:
    """Add points to (or take them from) one entry's MMR, as an event of the log."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.core.audit import parse_reason

    with session.open_ladder() as ladder:
        parse_reason(reason)
        row = ladder.admin.preview_adjust(player, race, by)
        show_changes([row], "adjust")
        confirm(yes, f"Adjust {row.key[0]} {row.key[1]} by {by:+d}?")
        outcome = ladder.admin.adjust(row, reason, flush=not no_flush)
        if outcome.applied:
            out(f"adjusted {row.key[0]} {row.key[1]} by {by:+d}")
        report_write(ladder, outcome, what="adjustment", show_matches=False)


def decay(
    dry_run: Annotated[bool, DRY] = False,
    yes: Annotated[bool, YES] = False,
    fmt: Annotated[
        TableJson, typer.Option("--format", help="Output format (json with --dry-run).")
    ] = TableJson.table,
    no_flush: Annotated[bool, NO_FLUSH] = False,
) -> None:
    """Apply the config file's inactivity decay, once per period.

    The config's [decay] section (after_days, points, every_days, floor) says how: once
    an entry's last game is after_days old, it loses points for each full every_days
    since then, never below floor. With after_days 14, points 25, every_days 7: -25 when
    the last game is 21 days old, -50 in all at 28 days, -75 at 35, and so on.

    Each run takes what is owed less what earlier runs took since the entry's last game,
    so running it twice in a period changes nothing and a missed run is caught up (run
    it daily from cron). A new game restarts the clock. Entries at or below the floor,
    and entries with no last game (never played, or reset without --keep-stats), are left
    alone. Without a [decay] section: an error, exit 2.
    """
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.core import decay as decaying
    from ladder_cli.render import views

    with session.open_ladder() as ladder:
        if fmt is TableJson.json and not dry_run:
            raise BadInput("--format json goes with --dry-run")
        rule = ladder.decay.configured()
        at = decaying.now()
        unavailable = ladder.reachable()
        if unavailable is not None:
            if dry_run:
                raise LadderError(f"{unavailable}: cannot work out the decay without it")
            warn(
                f"{unavailable}: the decay is queued unpreviewed; what it takes is worked "
                "out when it is applied"
            )
            rows = None
        else:
            rows = ladder.decay.preview(at)
            if fmt is TableJson.json:
                raw(views.to_json(decaying.as_json_rows(rows)))
                return
            if not rows:
                out(f"nothing to decay ({rule.describe()})")
                notes(ladder)
                return
            show_changes(rows, "decay")
            lost = sum(-row.difference for row in rows)
            owed = f"{plural(len(rows), 'entry', 'entries')} would lose {lost:,} MMR in all"
            out(f"{'dry run, nothing written: ' if dry_run else ''}{owed}")
        if dry_run:
            notes(ladder)
            return
        count = "the owed decay" if rows is None else plural(len(rows), "entry", "entries")
        confirm(yes, f"Decay {count}?")
        done = ladder.decay.run(at, flush=not no_flush)
        if done.outcome.applied:
            if done.changed:
                lost = sum(before - after for _, before, after in done.changed)
                changed = plural(len(done.changed), "entry", "entries")
                out(f"decayed {changed}: {lost:,} MMR in all")
            else:
                out("nothing to decay: another run took this period's points first")
        report_write(ladder, done.outcome, what="decay", show_matches=False)


def audit(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", help="How many rows (0: all).")] = 20,
    fmt: Annotated[
        TableJsonCsv, typer.Option("--format", help="Output format.")
    ] = TableJsonCsv.table,
) -> None:
    """Admin actions, newest first (`ladder audit show N`: one row whole)."""
    if ctx.invoked_subcommand is not None:
        return
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import views

    keys = ["audit_id", "at", "actor", "action", "target", "reason"]
    with session.open_ladder() as ladder:
        found = ladder.admin.audit(limit)
        rows = [r.as_dict() for r in found]
        if fmt is TableJsonCsv.json:
            raw(views.to_json(rows))
        elif fmt is TableJsonCsv.csv:
            raw(views.to_csv(rows, keys))
        elif not rows:
            out("no audit entries")
        else:
            # Deferred: loaded by the command, not by --version or --help.
            from ladder_cli.core.audit import named_target

            # the table shows the time to the minute, players by name and races short
            names = ladder.admin.audit_names(found)
            out(views.audit_table([
                r.as_dict() | {"at": r.at, "target": named_target(r.target, names)}
                for r in found
            ]))  # fmt: skip


def audit_show(
    audit_id: Annotated[int, typer.Argument(metavar="N", help="The row's # (see `ladder audit`).")],
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """One row of the audit trail, every field whole."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.core.audit import named_target
    from ladder_cli.render import views

    with session.open_ladder() as ladder:
        found = ladder.admin.audit_row(audit_id)
        if fmt is TableJson.json:
            raw(views.to_json(found.as_dict()))
            return
        names = ladder.admin.audit_names([found])
        shown = found.as_dict() | {"at": found.at, "match_id": found.match_id}
        out(views.audit_detail(shown, named_target(found.target, names), names))


def verify(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Replay the match log with the ladder's rules and compare with what is stored.

    Exit 0 when every entry matches; 1 when any differs (each difference listed: key,
    stored, expected), or when a row's own counts are impossible.
    """
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import views

    with session.open_ladder() as ladder:
        report = ladder.verify()
        if fmt is TableJson.json:
            raw(views.to_json(report.as_dict()))
        else:
            # Two short lines, not one long one: piped (to less or head) a line is not
            # wrapped at a word, and this one grew past 80 columns on a big ladder.
            out(f"replayed {plural(report.matches_replayed, 'match', 'matches')} with the "
                f"{report.rules} rules")  # fmt: skip
            out(
                f"checked {report.entries_checked:,} entries: "
                + ("all match" if report.ok else plural(len(report.differences), "difference"))
            )
            if report.differences:
                out(views.differences_table([d.as_dict() for d in report.differences]))
            for match_id, reason in report.unreplayable:
                warn(f"match {match_id} could not be replayed: {reason}")
        if not report.ok:
            raise typer.Exit(1)


def import_bot_matches(
    table: Annotated[str, typer.Option("--table", help="The bot's matches table.")] = "matches_1v1",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be imported.")
    ] = False,
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Add the bot's resolved matches to the match log, as history it already applied.

    Ratings do not change. Matches keep the bot's id, so running it again adds only new
    ones; aborted and unresolved matches are skipped and counted.
    """
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import views

    with session.open_ladder() as ladder:
        counts = ladder.import_bot_matches(table, dry_run=dry_run)
        if fmt is TableJson.json:
            raw(views.to_json(counts))
            return
        verb = "would import" if dry_run else "imported"
        out(
            f"{verb} {plural(counts['imported'], 'match', 'matches')} from {table}; "
            f"{counts['already_present']:,} already present; skipped "
            f"{counts['skipped_aborted']:,} aborted and "
            f"{counts['skipped_unresolved']:,} unresolved"
        )
