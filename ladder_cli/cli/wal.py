"""``ladder wal``: the local write-ahead queue (status, list, failed, replay, discard,
reconcile)."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ladder_cli.cli import session
from ladder_cli.cli.options import TableJson
from ladder_cli.cli.output import ask, be, notes, out, plural, progress_bar, raw, target, warn
from ladder_cli.util import failpoints
from ladder_cli.util.errors import BadInput, LadderError

if TYPE_CHECKING:
    from ladder_cli.core.ladder import Ladder


def wal_status(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Pending and failed counts, and the oldest pending job's age."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import views

    with session.open_ladder() as ladder:
        status = ladder.wal_status()
        if fmt is TableJson.json:
            raw(views.to_json(status.as_dict()))
            return
        age = "-" if status.oldest_pending_age_s is None else f"{status.oldest_pending_age_s:.0f}s"
        out(f"pending: {status.pending}\nfailed:  {status.failed}\noldest pending: {age}")
        out(f"queue:   {ladder.settings.queue_path}")
        out(f"database: {target(ladder)}")


def _jobs(state: str, fmt: TableJson, limit: int) -> None:
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import views

    with session.open_ladder() as ladder:
        jobs = ladder.wal_jobs(state, limit=limit or None)
        if fmt is TableJson.json:
            raw(views.to_json([j.as_dict() for j in jobs]))
            return
        if not jobs:
            out(f"no {state} jobs")
            return
        _show_jobs(jobs, state)


def _show_jobs(jobs: list[Any], state: str) -> None:
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import console

    columns = [("Job", "right"), ("Kind", "left"), ("What", "left")]
    if state == "failed":
        columns.append(("Reason", "left"))
    t = console.table(columns, title=f"{state.capitalize()} jobs")
    for column in t.columns[2:]:  # on a narrow terminal the job's fields wrap, not its seq
        column.no_wrap = False
    for j in jobs:
        what = " ".join(
            f"{k}={console.visible(str(v))}" for k, v in j.summary.items() if v is not None
        )
        row: list[Any] = [str(j.seq), j.kind, console.literal(what)]
        if state == "failed":
            row.append(console.literal(j.error or ""))
        t.add_row(*row)
    out(t)


def wal_list(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
    limit: Annotated[int, typer.Option("--limit", help="How many jobs (0: all).")] = 50,
) -> None:
    """The pending jobs, oldest first."""
    _jobs("pending", fmt, limit)


def wal_failed(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
    limit: Annotated[int, typer.Option("--limit", help="How many jobs (0: all).")] = 50,
    retry: Annotated[
        bool, typer.Option("--retry", help="Move failed jobs back to pending.")
    ] = False,
) -> None:
    """Jobs that can never apply, with their reasons (they do not block the rest)."""
    if retry:
        with session.open_ladder() as ladder:
            out(f"moved {plural(ladder.retry_failed(), 'failed job')} back to pending")
        return
    _jobs("failed", fmt, limit)


def wal_replay(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Apply every pending job to the database, in order, each exactly once."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import views
    from ladder_cli.util.interrupts import ignored

    with session.open_ladder() as ladder:
        before = ladder.wal_status()
        try:
            with progress_bar("replaying") as progress:
                report = ladder.flush(keep_matches=(), progress=progress)
        except KeyboardInterrupt as exc:
            with ignored(), contextlib.suppress(Exception):
                exc.report = _replay_stopped(ladder, before)  # type: ignore[attr-defined]
            raise
        try:
            failpoints.hit("report")
            if fmt is TableJson.json:
                raw(views.to_json(report.as_dict()))
            else:
                out(
                    f"applied {plural(report.applied, 'job')}"
                    + (
                        f", skipped {report.already_applied:,} already applied"
                        if report.already_applied
                        else ""
                    )
                    + (
                        f", {report_failed(len(report.failed))} (see `ladder wal failed`)"
                        if report.failed
                        else ""
                    )
                    + f"; {report.pending:,} pending"
                )
        except Exception as exc:
            # The jobs are applied whatever happens to this report: not a failure.
            warn(
                f"the replay applied {plural(report.applied, 'job')} "
                f"({report.pending:,} pending); but reporting it failed: "
                f"{type(exc).__name__}: {exc}"
            )


def report_failed(count: int) -> str:
    return f"{count:,} moved to failed"


def _replay_stopped(ladder: Ladder, before: Any) -> str:
    """What an interrupted replay did: how many jobs left the queue, how many remain."""
    after = ladder.wal_status()
    applied = max(0, before.pending + before.failed - after.pending - after.failed)
    failed = max(0, after.failed - before.failed)
    text = f"applied {plural(applied, 'job')}" + (f", {report_failed(failed)}" if failed else "")
    if not after.pending:
        return text + "; none pending"
    return (
        f"{text}; {after.pending:,} {be(after.pending)} still pending: run "
        f"`ladder wal replay` to apply {'it' if after.pending == 1 else 'them'}"
    )


def wal_discard(
    seq: Annotated[
        str,
        typer.Argument(
            metavar="SEQ",
            help="The job's seq as `ladder wal list` shows it, or a range FIRST-LAST.",
            show_default=False,
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Drop a pending job that was never applied, after showing what it holds.

    A job the database's ledger already has is refused (it was applied); while the
    database cannot be reached nothing is discarded, since that cannot be checked. The
    audit trail records the discard (action `discard`: who, when, which jobs and what
    they held).
    """
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.queue import discard

    first, last = discard.parse_seqs(seq)
    with session.open_ladder() as ladder:
        plan = ladder.discards.check(first, last)
        _show_jobs(plan.jobs[:10] + (plan.jobs[-1:] if len(plan.jobs) > 10 else []), "pending")
        count = len(plan.jobs)
        if count > 11:
            out(f"... {count - 11:,} more between them")
        what = plural(count, "pending job")
        if not yes:
            if sys.stdin is None or sys.stdin.closed or not sys.stdin.isatty():
                raise BadInput("wal discard needs confirmation: pass --yes")
            never = "It" if count == 1 else "They"
            if not ask(f"Discard {what}? {never} will never be applied."):
                raise LadderError("discard cancelled; nothing was changed")
        done = ladder.discards.discard(plan)
        out(
            f"discarded {plural(done.dropped, 'job')}"
            + (f" of {count:,}" if done.dropped != count else "")
        )
        if done.dropped and not done.audited:
            warn(
                f"the audit row of the discard is queued: {done.unavailable}; the next write "
                "or `ladder wal replay` records it"
            )


def wal_reconcile(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """After a database restore or failover: re-apply, exactly once and in their original
    order, the jobs this home applied within retain_days that the database has lost."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import views

    with session.open_ladder() as ladder:
        with progress_bar("reconciling") as progress:
            report = ladder.reconcile(progress)
        if fmt is TableJson.json:
            raw(views.to_json(report.as_dict()))
        else:
            out(
                f"checked {plural(report.checked, 'job')} of the last "
                f"{plural(report.retain_days, 'day')}: "
                f"{report.missing:,} missing, {report.reapplied:,} re-applied"
            )
        for seq, reason in report.corrupt:
            warn(f"retained job {seq} was left out: {reason}")
        for seq, reason in report.failed:
            warn(f"job {seq} could not be re-applied: {reason}")
        if report.pending:
            warn(
                f"{plural(report.pending, 'job')} pending; run `ladder wal replay` to apply "
                f"{'it' if report.pending == 1 else 'them'}"
            )
        notes(ladder)
        if report.failed:
            raise LadderError(
                f"{plural(len(report.failed), 'missing job')} could not be re-applied"
            )
