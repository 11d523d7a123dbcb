"""The ladder's rating rules: ``rules`` (show them), ``rules use`` (switch to others, every
event of the log replayed) and ``evaluate`` (which rules predict this ladder best)."""

from __future__ import annotations

from typing import Annotated

import typer

from ladder_cli.cli import session
from ladder_cli.cli.options import DRY, NO_FLUSH, YES, TableJson
from ladder_cli.cli.output import confirm, notes, out, plural, raw, report_write, show_changes, warn


def show(
    ctx: typer.Context,
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """The ladder's rating rules (Elo's K and scale, rounding, letters, activity window);
    `ladder rules use NAME` switches to others."""
    if ctx.invoked_subcommand is not None:
        return
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import console, views

    with session.open_ladder() as ladder:
        data = ladder.rules().as_dict()
        if fmt is TableJson.json:
            raw(views.to_json(data))
        else:
            t = console.table([("rule", "left"), ("value", "left")], title="Rating rules")
            for key, value in data.items():
                t.add_row(key, "none" if value is None else str(value))
            out(t)
        notes(ladder)


def use(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME", help="The rules to switch to: standard, evoladder or glicko2."
        ),
    ],
    reason: Annotated[
        str | None,
        typer.Option("--reason", metavar="TEXT", help="Why (kept in the audit trail)."),
    ] = None,
    dry_run: Annotated[bool, DRY] = False,
    yes: Annotated[bool, YES] = False,
    no_flush: Annotated[bool, NO_FLUSH] = False,
) -> None:
    """Switch the ladder to other rules: every event of the log is replayed under them.

    Shows who changes (biggest moves first) and asks first. One queued job, applied
    exactly once, with one audit row. Naming the rules the ladder has changes nothing.
    """
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.core.audit import parse_optional_reason

    with session.open_ladder() as ladder:
        if not dry_run:
            parse_optional_reason(reason)
        preview = ladder.rulebook.preview(name)
        old, new = preview.old.preset, preview.new.preset
        if preview.same:
            out(f"the ladder already rates by the {new} rules: nothing to change")
            notes(ladder)
            return
        if preview.note:
            warn(preview.note)
        plan = preview.plan
        if plan is not None:
            show_changes(preview.rows, f"rules {old} → {new}")
            pairs = plan.rewritten_matches + plan.rewritten_events
            out(
                f"{'dry run, nothing written: ' if dry_run else ''}replays "
                f"{plural(plan.matches, 'match', 'matches')} and "
                f"{plural(plan.events, 'other event')} under the {new} rules; "
                f"{plural(pairs, 'logged before/after pair')} change"
            )
        if preview.bot:
            warn(
                "the original bot's tables are in this database: the bot will keep rating "
                f"with its own rules, not the {new} rules, so the entries it rates from now "
                "on will not match a replay of the log (`ladder verify` lists them)"
            )
        if dry_run:
            notes(ladder)
            return
        confirm(yes, f"Switch the ladder from the {old} rules to the {new} rules?")
        outcome = ladder.rulebook.use(preview, reason, flush=not no_flush)
        if outcome.applied:
            out(f"the ladder now rates by the {new} rules (every event replayed under them)")
        report_write(ladder, outcome, what=f"the switch to {new}", show_matches=False)


def evaluate(
    rules: Annotated[
        list[str] | None,
        typer.Option("--rules", metavar="NAME", help="A preset to evaluate (may be repeated)."),
    ] = None,
    k: Annotated[
        str | None,
        typer.Option("--k", metavar="LIST", help="Elo K values to try, e.g. 16,24,32."),
    ] = None,
    scale: Annotated[
        str | None,
        typer.Option("--scale", metavar="LIST", help="Elo scales to try, e.g. 400,500."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="DATE",
            help="Score only the games played from then on (the replay still starts "
            "at the first event).",
        ),
    ] = None,
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Which rules predict this ladder best: each candidate replays the whole log and every
    game is scored by the prediction made before it was rated (log-loss, Brier, accuracy,
    calibration), best first, beside a coin flip.

    Candidates: the ladder's own rules, the other presets and Elo with K 16-64 and scale
    400 or 500; or the ladder's own and those named with --rules, --k and --scale.
    """
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.domain.asof import parse_since
    from ladder_cli.domain.evaluation import K_RANGE, SCALE_RANGE, parse_list
    from ladder_cli.render import evaluation as shown
    from ladder_cli.render import views

    ks = [] if k is None else parse_list(k, what="--k", bounds=K_RANGE)
    scales = [] if scale is None else parse_list(scale, what="--scale", bounds=SCALE_RANGE)
    start = None if since is None else parse_since(since, what="since")
    with session.open_ladder() as ladder:
        result = ladder.rulebook.evaluate(rules=rules or (), ks=ks, scales=scales, since=start)
        if fmt is TableJson.json:
            raw(views.to_json(result.as_json()))
            notes(ladder)
            return
        games = max((r.games for r in result.results), default=0)
        when = "" if start is None else f" played since {start:%Y-%m-%d %H:%M} UTC"
        out(
            shown.results_table(
                result, title=f"Predictions of {plural(games, 'game')}{when}, best first"
            )
        )
        out(shown.verdict(result))
        for chart in shown.calibration_charts(result):
            out()
            out(chart)
        notes(ladder)
