"""``ladder match``: show one logged match, void it or amend its result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from ladder_cli.cli import session
from ladder_cli.cli.options import DRY, NO_FLUSH, REASON, YES, TableJson
from ladder_cli.cli.output import confirm, notes, out, raw, report_write, show_changes, warn


def match_show(
    match_id: Annotated[int, typer.Argument(help="The match's id (see `ladder history`).")],
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """One logged match: its MMRs, result, state and the audit entries that touched it."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import console, views

    with session.open_ladder() as ladder:
        shown = ladder.admin.match_show(match_id)
        if fmt is TableJson.json:
            raw(views.to_json(shown))
            return
        table = console.table([("", "left"), ("", "left")], title=f"Match {match_id}")
        table.show_header = False
        for side in ("p1", "p2"):
            name, uid = shown[f"{side}_name"], shown[f"{side}_uid"]
            who = f"{uid}" if name is None else f"{name} ({uid})"
            table.add_row(side.upper(), console.literal(
                f"{who} {shown[f'{side}_race']}: {shown[f'{side}_mmr_before']} → "
                f"{shown[f'{side}_mmr_after']}"
            ))  # fmt: skip
        result = {0: "draw", 1: "P1 won", 2: "P2 won"}.get(shown["result"], str(shown["result"]))  # type: ignore[call-overload]
        table.add_row("result", result)
        table.add_row("state", str(shown["state"]))
        table.add_row("played", _when(str(shown["played_at"])))
        out(table)
        for entry in shown["audit"]:  # type: ignore[attr-defined]
            out(console.literal(
                f"{_when(entry['at'])}  {entry['actor']}  {entry['action']} {entry['target']}: "
                f"{entry['reason'] or ''}"
            ))  # fmt: skip


def _when(iso: str | None) -> str:
    """An ISO time as the tables show it: UTC to the minute."""
    if iso is None:
        return ""
    return f"{datetime.fromisoformat(iso).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def match_void(
    match_id: Annotated[int, typer.Argument(help="The match's id.")],
    reason: Annotated[str | None, REASON] = None,
    yes: Annotated[bool, YES] = False,
    dry_run: Annotated[bool, DRY] = False,
    no_flush: Annotated[bool, NO_FLUSH] = False,
) -> None:
    """Take a match out of the ratings and replay every later event without it."""
    _correct(match_id, None, reason, yes=yes, dry_run=dry_run, flush=not no_flush)


def match_amend(
    match_id: Annotated[int, typer.Argument(help="The match's id.")],
    result: Annotated[str, typer.Option("--result", help="p1, p2 or draw.")],
    reason: Annotated[str | None, REASON] = None,
    yes: Annotated[bool, YES] = False,
    dry_run: Annotated[bool, DRY] = False,
    no_flush: Annotated[bool, NO_FLUSH] = False,
) -> None:
    """Change a match's result, then replay every later event."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.core.admin import parse_result

    _correct(match_id, parse_result(result), reason, yes=yes, dry_run=dry_run, flush=not no_flush)


def _correct(
    match_id: int, result: int | None, reason: str | None, *, yes: bool, dry_run: bool, flush: bool
) -> None:
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.core.audit import parse_reason

    what = "void" if result is None else "amend"
    with session.open_ladder() as ladder:
        if not dry_run:
            parse_reason(reason)
        preview = ladder.admin.preview_correction(match_id, result)
        if preview.note:
            warn(preview.note)
        if preview.plan is not None:
            show_changes(preview.rows, f"{what} match {match_id}")
        if dry_run:
            notes(ladder)
            return
        confirm(yes, f"{what.capitalize()} match {match_id}?")
        outcome = ladder.admin.correct(match_id, result, reason, flush=flush, preview=preview)
        if outcome.applied:
            out(f"{what}ed match {match_id}" if result is not None else f"voided match {match_id}")
        report_write(ladder, outcome, what=what, show_matches=False)
