"""Everything a command prints beside its answer, and how: stdout and stderr, warnings and
notes, progress bars, the report of a write, and the one-line error a run ends with.

Rich and the renderers load on first use (deferred imports below), so ``ladder
--version`` and ``--help`` stay quick; every line that can carry user data or a URL goes
through :func:`scrub` and :func:`~ladder_cli.render.console.visible`.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from ladder_cli.cli import session
from ladder_cli.cli.session import Session
from ladder_cli.util import failpoints
from ladder_cli.util.errors import BadInput, LadderError

if TYPE_CHECKING:
    from ladder_cli.core.admin import ChangeRow
    from ladder_cli.core.ladder import Ladder
    from ladder_cli.core.writes import Progress, WriteOutcome


class JobsFailed(LadderError):
    """Jobs of this write can never apply (the database refused them): exit 1."""


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 job``, ``2 jobs``, ``20,000 matches``: a count with its noun in agreement."""
    return f"{count:,} {one if count == 1 else many or one + 's'}"


def be(count: int) -> str:
    return "is" if count == 1 else "are"


# -- stdout and stderr ------------------------------------------------------------------


def out(text: Any = "") -> None:
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render.console import console

    console().print(text)


def raw(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def warn(text: str) -> None:
    # Deferred: loaded by the command, not by --version or --help.
    from rich.text import Text

    from ladder_cli.render.console import error_console, visible

    error_console().print(Text(f"warning: {visible(scrub(text, session.current()))}"))


def notes(ladder: Ladder) -> None:
    for note in dict.fromkeys(ladder.notes):
        warn(note)


def target(ladder: Ladder) -> str:
    """The ladder's database URL as it may be shown (password masked)."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.util.urls import mask_url

    return mask_url(ladder.settings.url)


@contextlib.contextmanager
def progress_bar(description: str, total: int | None = None) -> Iterator[Progress | None]:
    """A progress bar on stderr while the block runs, when stderr is a terminal: yields
    the ``progress(done, total)`` callback the library's long operations take, or None."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render.console import error_console, fancy

    if not fancy(sys.stderr):
        yield None
        return
    # Deferred: Rich's progress bar, drawn only on a terminal.
    from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    bar = Bar(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=error_console(),
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def confirm(yes: bool, question: str) -> None:
    """Ask before a write, unless ``--yes``; without a terminal to ask on, bad input."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise BadInput("this write needs confirmation: pass --yes")
    if not ask(question):
        raise LadderError("cancelled; nothing was changed")


def ask(question: str) -> bool:
    """A yes/no question (default no), broken at word boundaries to the terminal's width."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render.console import wrapped

    return typer.confirm(wrapped(question, reserve=len(" [y/N]: ")), default=False)


# -- what became of a write -------------------------------------------------------------

Describe = Callable[[int], str]
"""The jobs of one write as a sentence's subject: ``the match``, ``the 200 matches from F``."""


def where_now(ladder: Ladder, describe: Describe) -> str | None:
    """Where the jobs this process queued are now, as a clause; None if it queued none."""
    ranges = ladder.queued_here()
    if not ranges:
        return None
    total = sum(last - first + 1 for first, last in ranges)
    states: dict[str, int] = {}
    for first, last in ranges:
        for state, count in ladder.queue.states_between(first, last).items():
            states[state] = states.get(state, 0) + count
    pending, failed = states.get("pending", 0), states.get("failed", 0)
    applied = total - pending - failed
    first, last = ranges[0][0], ranges[-1][1]
    seqs = str(first) if first == last else f"{first}-{last}"
    whole = describe(total)
    hint = f"`ladder wal list`, `ladder wal replay`, or `ladder wal discard {seqs}`"
    if failed:
        hint = f"{plural(failed, 'job')} failed (see `ladder wal failed`); " + hint
    if not pending:
        return f"{whole} {be(total)} recorded" + (f"; {hint}" if failed else "")
    if pending == total:
        return f"{whole} {be(total)} queued and will be applied by the next flush; {hint}"
    return (
        f"{applied:,} of {whole} {be(applied)} applied; the other {pending:,} "
        f"{be(pending)} queued and will be applied by the next flush; {hint}"
    )


@contextlib.contextmanager
def writing(describe: Describe, *, untouched: str = "nothing was recorded") -> Iterator[Ladder]:
    """A Ladder for one write command, which says truthfully what became of the write.

    Interrupted (Ctrl-C, SIGTERM): one line saying that nothing was recorded, or what is
    queued and what to do about it. Any other error once the jobs are durably queued
    (printing the result, reading back a before → after) cannot undo the write, so it is
    a warning and the exit status stays 0: an exit 1 would invite a retry that counts
    the write twice. Jobs the database refused (JobsFailed) still exit 1.
    """
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.util.interrupts import ignored

    session.current().untouched = untouched
    ladder = session.open_ladder()
    try:
        yield ladder
    except KeyboardInterrupt as exc:
        with ignored(), contextlib.suppress(Exception):
            exc.report = where_now(ladder, describe)  # type: ignore[attr-defined]
        raise
    except JobsFailed:
        raise
    except Exception as exc:
        where = None
        with contextlib.suppress(Exception):
            where = where_now(ladder, describe)
        if where is None:
            raise
        with contextlib.suppress(Exception):
            warn(f"{where}; but reporting it failed: {type(exc).__name__}: {exc}")
    finally:
        ladder.close()


def report_write(
    ladder: Ladder, outcome: WriteOutcome, *, what: str, show_matches: bool = True
) -> None:
    """Each match's before → after, what failed, and what is still queued."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render.views import match_lines

    failpoints.hit("report")
    if show_matches:
        if not outcome.applied and outcome.matches:
            out("queued, not yet applied; expected result:")
        for match in outcome.matches:
            for line in match_lines(match, outcome.names):
                out(line)
    if outcome.preview_note and not outcome.applied:
        warn(outcome.preview_note)
    for seq, reason in outcome.failed:
        warn(f"job {seq} could not be applied and was moved to failed: {reason}")
    if outcome.failed:
        raise JobsFailed(f"{plural(len(outcome.failed), 'job')} failed; see `ladder wal failed`")
    count = len(outcome.seqs)
    if outcome.unavailable:
        warn(
            f"{outcome.unavailable}: {what} {be(count)} queued and safe; "
            f"{plural(outcome.pending, 'job')} pending; run `ladder wal replay` when the "
            "database is back"
        )
    elif outcome.pending and not outcome.applied:
        warn(
            f"{plural(outcome.pending, 'job')} pending; run `ladder wal replay` to apply "
            f"{'it' if outcome.pending == 1 else 'them'}"
        )
    notes(ladder)


def show_changes(rows: list[ChangeRow], title: str) -> None:
    """The entries a correction, adjustment or decay changes: before → after."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.render import console

    if not rows:
        out("no entry's values change")
        return
    table = console.table(
        [("player", "left"), ("race", "left"), ("MMR", "right"), ("diff", "right"),
         ("W-L-D", "left"), ("", "left")],
        title=f"{title}: {len(rows):,} entr{'y' if len(rows) == 1 else 'ies'} change",
    )  # fmt: skip
    for row in rows[:50]:
        b, a = row.before, row.after
        table.add_row(
            console.literal(row.name),
            row.key[1],
            f"{b.mmr} → {a.mmr}",
            f"{row.difference:+d}",
            f"{b.games_won}-{b.games_lost}-{b.games_drawn} → "
            f"{a.games_won}-{a.games_lost}-{a.games_drawn}",
            "changed outside the ladder: correction added as a delta" if row.drifted else "",
        )
    out(table)
    if len(rows) > 50:
        out(f"… and {len(rows) - 50:,} more")


# -- the end of a run -------------------------------------------------------------------


def scrub(text: str, run: Session, *, one_line: bool = True) -> str:
    """``text`` without the database password, however the URL was given."""
    # Deferred: loaded by the command, not by --version or --help.
    from ladder_cli.util import urls

    found = {run.db}
    with contextlib.suppress(Exception):  # a broken config file: its URL, if any, is unknown
        found.add(run.settings().database_url)
    for url in found:
        text = urls.scrub(text, url)
    return " ".join(text.split()) if one_line else text


def fail(
    message: str, code: int, prefix: str = "error: ", *, run: Session | None = None
) -> NoReturn:
    """End the run: one line on stderr (password scrubbed, user data shown literally)."""
    # Deferred: loaded by the command, not by --version or --help.
    from rich.text import Text

    from ladder_cli.render.console import error_console, visible

    shown = visible(scrub(message, run or session.current()))
    with contextlib.suppress(Exception):  # a broken stderr must not change the exit status
        error_console().print(Text(f"{prefix}{shown}", style="red" if sys.stderr.isatty() else ""))
    raise SystemExit(code)
