"""The ``ladder`` command: parses arguments, calls the library, renders the answer.

No SQL and no rating math here. Errors become one line on stderr and an exit code:
0 success (a write queued while the database is down included), 1 an operation failed,
2 bad input or usage.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from ladder_cli import __version__, failpoints
from ladder_cli.errors import BadInput, LadderError

if TYPE_CHECKING:
    from ladder_cli.config import Settings
    from ladder_cli.ladder import Ladder, WriteOutcome
    from ladder_cli.writes import Progress

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
import_app = typer.Typer(
    help="Bring in data the ladder did not write: the original bot's match history.",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")
match_app = typer.Typer(
    help="One logged match: show it, void it or amend its result.", no_args_is_help=True
)
app.add_typer(match_app, name="match")
season_app = typer.Typer(
    help="Seasons: close one (archive the standings, then a soft reset), list the closed ones.",
    no_args_is_help=True,
)
app.add_typer(season_app, name="season")


class TableJsonCsv(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class TableJson(StrEnum):
    table = "table"
    json = "json"


@dataclass
class Session:
    """One run's global options, kept in Typer's context object (``ctx.obj``); ``run``
    holds it too, to report an error after the command's context is gone."""

    db: str | None = None
    home: str | None = None
    debug: bool = False
    #: What an interrupt before any write is said to have left behind.
    untouched: str = "nothing was changed"
    by: str | None = None

    def settings(self) -> Settings:
        from ladder_cli.config import resolve

        return resolve(db=self.db, home=self.home)


def _session() -> Session:
    """This run's :class:`Session`, from the current Typer context."""
    # Typer bundles its own Click (typer._click, pinned with Typer in pyproject.toml) and
    # exports no accessor for the current context.
    from typer._click.globals import get_current_context

    ctx = get_current_context(silent=True)
    found = None if ctx is None else ctx.find_object(Session)
    return found if found is not None else Session()


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
    session = ctx.ensure_object(Session)
    session.db, session.home, session.debug = db, home, debug
    session.by = by


def _ladder() -> Ladder:
    from ladder_cli.ladder import Ladder

    session = _session()
    ladder = Ladder(session.settings())
    if session.by is not None:
        from ladder_cli.audit import parse_actor

        ladder.by = parse_actor(session.by)
    return ladder


class JobsFailed(LadderError):
    """Jobs of this write can never apply (the database refused them): exit 1."""


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 job``, ``2 jobs``, ``20,000 matches``: a count with its noun in agreement."""
    return f"{count:,} {one if count == 1 else many or one + 's'}"


def _be(count: int) -> str:
    return "is" if count == 1 else "are"


Describe = Callable[[int], str]
"""The jobs of one write as a sentence's subject: ``the match``, ``the 200 matches from F``."""


def _where_now(ladder: Ladder, describe: Describe) -> str | None:
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
        return f"{whole} {_be(total)} recorded" + (f"; {hint}" if failed else "")
    if pending == total:
        return f"{whole} {_be(total)} queued and will be applied by the next flush; {hint}"
    return (
        f"{applied:,} of {whole} {_be(applied)} applied; the other {pending:,} "
        f"{_be(pending)} queued and will be applied by the next flush; {hint}"
    )


@contextlib.contextmanager
def _writing(describe: Describe, *, untouched: str = "nothing was recorded") -> Iterator[Ladder]:
    """A Ladder for one write command, which says truthfully what became of the write.

    Interrupted (Ctrl-C, SIGTERM): one line saying that nothing was recorded, or what is
    queued and what to do about it. Any other error once the jobs are durably queued
    (printing the result, reading back a before → after) cannot undo the write, so it is
    a warning and the exit status stays 0: an exit 1 would invite a retry that counts
    the write twice. Jobs the database refused (JobsFailed) still exit 1.
    """
    from ladder_cli.interrupts import ignored

    _session().untouched = untouched
    ladder = _ladder()
    try:
        yield ladder
    except KeyboardInterrupt as exc:
        with ignored(), contextlib.suppress(Exception):
            exc.report = _where_now(ladder, describe)  # type: ignore[attr-defined]
        raise
    except JobsFailed:
        raise
    except Exception as exc:
        where = None
        with contextlib.suppress(Exception):
            where = _where_now(ladder, describe)
        if where is None:
            raise
        with contextlib.suppress(Exception):
            _warn(f"{where}; but reporting it failed: {type(exc).__name__}: {exc}")
    finally:
        ladder.close()


def _out(text: Any = "") -> None:
    from ladder_cli.rendering import console

    console().print(text)


def _raw(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _warn(text: str) -> None:
    from rich.text import Text

    from ladder_cli.rendering import error_console, visible

    error_console().print(Text(f"warning: {visible(_scrub(text, _session()))}"))


def _notes(ladder: Ladder) -> None:
    for note in dict.fromkeys(ladder.notes):
        _warn(note)


@contextlib.contextmanager
def _progress(description: str, total: int | None = None) -> Iterator[Progress | None]:
    """A progress bar on stderr while the block runs, when stderr is a terminal: yields
    the ``progress(done, total)`` callback the library's long operations take, or None."""
    from ladder_cli.rendering import fancy

    if not fancy(sys.stderr):
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    from ladder_cli.rendering import error_console

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


# -- commands ---------------------------------------------------------------------------


@app.command()
def init(
    rules: Annotated[
        str | None,
        typer.Option(
            "--rules",
            metavar="standard|evoladder",
            help="The ladder's rating rules, when it has none yet (default: standard; "
            "evoladder: the original bot's).",
        ),
    ] = None,
) -> None:
    """Create the ladder's tables in the database (safe to run again).

    On a database that already has the ladder's mmrs_1v1 table, adopts it as it is.
    """
    with _ladder() as ladder:
        chosen = ladder.init(rules)
        _out(f"ladder schema ready in {_target(ladder)} (rules: {chosen.preset})")
        _notes(ladder)


@app.command("rules")
def show_rules(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """The ladder's rating rules: Elo's K and scale, rounding, letters, activity window."""
    from ladder_cli import rendering

    with _ladder() as ladder:
        data = ladder.rules().as_dict()
        if fmt is TableJson.json:
            _raw(rendering.to_json(data))
        else:
            t = rendering.table([("rule", "left"), ("value", "left")], title="Rating rules")
            for key, value in data.items():
                t.add_row(key, "none" if value is None else str(value))
            _out(t)
        _notes(ladder)


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
    from ladder_cli.model import parse_timestamp

    when: datetime | None = None if at is None else parse_timestamp(at, what="--at")
    if dry_run:
        _record_dry_run(
            (p1, race1, p2, race2), draw=draw, at=when, names=(p1_name, p2_name), fmt=fmt
        )
        return
    with _writing(lambda n: "the match") as ladder:
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
        _report_write(ladder, outcome, what="the match")


def _record_dry_run(
    match: tuple[str, str, str, str],
    *,
    draw: bool,
    at: datetime | None,
    names: tuple[str | None, str | None],
    fmt: TableJson,
) -> None:
    from ladder_cli import rendering

    with _ladder() as ladder:
        preview = ladder.record_preview(
            *match, draw=draw, at=at, p1_name=names[0], p2_name=names[1]
        )
        if fmt is TableJson.json:
            _raw(rendering.to_json(preview.as_dict()))
        else:
            for line in rendering.preview_lines(preview):
                _out(line)
        _notes(ladder)


def _record_file(path: Path, *, flush: bool) -> None:
    from ladder_cli.csvfile import read_matches

    _session().untouched = "nothing was recorded"
    jobs = read_matches(path)

    def describe(n: int) -> str:
        return f"the {'match' if n == 1 else plural(n, 'match', 'matches')} from {path}"

    with _writing(describe) as ladder:
        recording = f"recording {plural(len(jobs), 'match', 'matches')}"
        with _progress(recording, len(jobs)) as progress:
            outcome = ladder.record_many(jobs, flush=flush, progress=progress)
        applied = outcome.report.applied if outcome.report else 0
        failpoints.hit("report")
        _out(
            f"queued {plural(len(jobs), 'match', 'matches')} from {path}"
            + (f"; applied {applied:,}" if flush and outcome.report else "")
        )
        _report_write(ladder, outcome, what=describe(len(jobs)), show_matches=False)


def _report_write(
    ladder: Ladder, outcome: WriteOutcome, *, what: str, show_matches: bool = True
) -> None:
    from ladder_cli.rendering import match_lines

    failpoints.hit("report")
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
        raise JobsFailed(f"{plural(len(outcome.failed), 'job')} failed; see `ladder wal failed`")
    count = len(outcome.seqs)
    if outcome.unavailable:
        _warn(
            f"{outcome.unavailable}: {what} {_be(count)} queued and safe; "
            f"{plural(outcome.pending, 'job')} pending; run `ladder wal replay` when the "
            "database is back"
        )
    elif outcome.pending and not outcome.applied:
        _warn(
            f"{plural(outcome.pending, 'job')} pending; run `ladder wal replay` to apply "
            f"{'it' if outcome.pending == 1 else 'them'}"
        )
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

    with _writing(lambda n: "the reset", untouched="nothing was changed") as ladder:
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
        _report_write(ladder, outcome, what="the reset")


@app.command()
def leaderboard(
    race: Annotated[
        list[str] | None, typer.Option("--race", help="Only this race (may be repeated).")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Entries per page (0: all).")] = 20,
    page: Annotated[int, typer.Option("--page", help="Page number, from 1.")] = 1,
    min_games: Annotated[
        int,
        typer.Option(
            "--min-games",
            help="Only entries with at least this many games (0 lists unplayed entries too).",
        ),
    ] = 1,
    best_race: Annotated[
        bool,
        typer.Option("--best-race", help="Each player's best ranked entry only (as the bot)."),
    ] = False,
    rank: Annotated[
        str | None, typer.Option("--rank", metavar="LETTER", help="Only this rank letter.")
    ] = None,
    country: Annotated[
        str | None,
        typer.Option(
            "--country", metavar="CC", help="Only players of this country (the bot's players)."
        ),
    ] = None,
    season: Annotated[
        str | None,
        typer.Option(
            "--season", metavar="NAME", help="A closed season's final standings (`season list`)."
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="ISO8601",
            help="The ladder as it stood then, replayed from the event log: matches played "
            "and other events made at or before it, ranks as they were then. A date alone "
            "means the end of that day; no offset means UTC.",
        ),
    ] = None,
    fmt: Annotated[
        TableJsonCsv, typer.Option("--format", help="Output format.")
    ] = TableJsonCsv.table,
) -> None:
    """The ranked leaderboard: position, rank letter, player, race, MMR, W-L-D, win %."""
    from ladder_cli import rendering
    from ladder_cli.asof import parse_as_of
    from ladder_cli.model import format_timestamp
    from ladder_cli.ranks import LEADERBOARD_COLUMNS

    cutoff = None if as_of is None else parse_as_of(as_of)
    with _ladder() as ladder:
        rows = ladder.leaderboard(
            race=race,
            top=top,
            page=page,
            min_games=min_games,
            best_race=best_race,
            rank=rank,
            country=country,
            season=season,
            as_of=cutoff,
        ).to_dicts()
        if fmt is TableJsonCsv.json:
            _raw(rendering.to_json(rows))
        elif fmt is TableJsonCsv.csv:
            _raw(rendering.to_csv(rows, LEADERBOARD_COLUMNS))
        elif not rows:
            hint = ""
            if page == 1 and min_games > 0 and season is None:
                # Right after a season close every count is 0: say where the entries are.
                hint = f" with {min_games}+ games (--min-games 0 lists every entry)"
            _out("no entries" + (f" on page {page}" if page > 1 else hint))
        else:
            races = ", ".join(race or ())
            where = f" — {races}" if races else ""
            when = "" if cutoff is None else f" as of {format_timestamp(cutoff)}"
            paged = f" (page {page})" if page > 1 else ""
            if season is None:
                title = f"Leaderboard{where}{when}{paged}"
                _out(rendering.leaderboard_table(rows, title=title))
            else:
                title = f"{season}: final standings{where}{paged}"
                _out(rendering.leaderboard_table(rows, title=rendering.literal(title)))
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
        trends = ladder.views.trends(prof)
        if fmt is TableJson.json:
            _raw(rendering.to_json({**prof.as_dict(), "trends": [t.as_dict() for t in trends]}))
        else:
            from rich.text import Text

            _out(
                Text.assemble(
                    rendering.literal(prof.player_name),
                    f"  (discord_uid {prof.discord_uid})",
                    style="bold",
                )
            )
            _out(rendering.profile_races_table(prof.races, trends, title="Races"))
            if prof.recent_matches:
                uids = {u for m in prof.recent_matches for u in (m.p1_uid, m.p2_uid)}
                _out(
                    rendering.recent_matches_table(
                        prof.discord_uid,
                        prof.recent_matches,
                        ladder.names(uids),
                        title="Recent matches",
                    )
                )
            else:
                _out("no matches yet")
            if prof.seasons:
                _out(rendering.profile_seasons_table(prof.seasons, title="Seasons"))
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
            _raw(rendering.to_csv(rows, [c.strip() for c in MATCH_COLUMNS.split(",")]))
        elif not matches:
            _out("no matches")
        else:
            uids = {u for m in matches for u in (m.p1_uid, m.p2_uid)}
            _out(rendering.history_table(matches, ladder.names(uids), title="Match history"))
        _notes(ladder)


@app.command()
def stats(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """The ladder at a glance: counts, race matchups, rank distribution, weekly activity."""
    from ladder_cli import rendering

    with _ladder() as ladder:
        result = ladder.views.stats()
        if fmt is TableJson.json:
            _raw(rendering.to_json(result.as_dict()))
        else:
            for part in rendering.stats_view(result):
                _out(part)
        _notes(ladder)


@app.command()
def h2h(
    p1: Annotated[str, typer.Argument(metavar="P1", help="discord_uid or exact player name.")],
    p2: Annotated[str, typer.Argument(metavar="P2", help="discord_uid or exact player name.")],
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Two players' record against each other, by race pairing, with the odds now."""
    from ladder_cli import rendering

    with _ladder() as ladder:
        result = ladder.views.h2h(p1, p2)
        if fmt is TableJson.json:
            _raw(rendering.to_json(result.as_dict()))
        else:
            names = dict([result.p1, result.p2])
            for part in rendering.h2h_view(result, names):
                _out(part)
        _notes(ladder)


@app.command()
def chart(
    player: Annotated[str, typer.Argument(help="discord_uid or exact player name.")],
    race: Annotated[str | None, typer.Option("--race", help="Only this race.")] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="DATE", help="Only matches played from then (ISO 8601)."),
    ] = None,
    fmt: Annotated[
        TableJsonCsv, typer.Option("--format", help="Output format (table: the chart).")
    ] = TableJsonCsv.table,
) -> None:
    """A player's MMR over time as a line chart, one line per race."""
    from ladder_cli import rendering
    from ladder_cli.model import parse_timestamp

    start = None if since is None else parse_timestamp(since, what="--since")
    with _ladder() as ladder:
        points = ladder.views.mmr_points(player, race, start)
        rows = [p.as_dict() for p in points]
        if fmt is TableJsonCsv.json:
            _raw(rendering.to_json(rows))
        elif fmt is TableJsonCsv.csv:
            _raw(rendering.to_csv(rows, ["race", "played_at", "mmr", "match_id"]))
        elif not points:
            _out("no matches" + (" in that range" if race or since else ""))
        else:
            from ladder_cli.charts import MmrChart

            uid = ladder.resolve_player(player)
            name = rendering.visible(ladder.names([uid]).get(uid, str(uid)))
            _out(MmrChart(points, f"MMR of {name}"))
        _notes(ladder)


@app.command()
def site(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Where the site goes: a new directory, or one an earlier `ladder site` "
            "wrote (replaced whole, atomically).",
        ),
    ],
    title: Annotated[
        str | None,
        typer.Option(
            "--title", metavar="TEXT", help="The site's name (default: Ladder standings)."
        ),
    ] = None,
    players: Annotated[
        int,
        typer.Option(
            "--players",
            metavar="N",
            help="Player pages at most, best first (players with a ranked entry or a game in "
            "the 90 days before the latest match).",
        ),
    ] = 5_000,
) -> None:
    """Write the ladder as a static web site: leaderboards, player pages with MMR charts,
    seasons, statistics and data.json. Nothing runs on the server."""
    from ladder_cli import rendering
    from ladder_cli import site as standings

    with _ladder() as ladder:
        built = standings.build(ladder, out, title=title, players=players)
        pages = plural(built.players, "player page")
        if built.eligible_players > built.players:
            pages += f" (of {built.eligible_players:,} players eligible; --players raises it)"
        _out(
            rendering.literal(
                f"wrote the site to {built.out}: {pages}, "
                f"{plural(built.board_pages, 'leaderboard page')}, "
                f"{plural(built.seasons, 'season')}; {plural(built.files, 'file')}, "
                + (
                    f"{built.bytes / 1e6:,.1f} MB"
                    if built.bytes >= 1e6
                    else f"{built.bytes / 1e3:,.0f} kB"
                )
            )
        )
        _notes(ladder)


@app.command("config")
def show_config(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Show the resolved paths and database (password masked) and where each came from."""
    from ladder_cli import rendering

    info = _session().settings().describe()
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
        _out(rendering.profile_races_table(prof.races, ladder.views.trends(prof), title="Races"))
        uids = {u for m in prof.recent_matches for u in (m.p1_uid, m.p2_uid)}
        _out(
            rendering.recent_matches_table(
                prof.discord_uid,
                prof.recent_matches[:5],
                ladder.names(uids),
                title="Recent matches",
            )
        )
    _out()
    _out(f"Explore it: ladder --home {home} leaderboard --race bw_zerg")


# -- the original bot -------------------------------------------------------------------


@import_app.command("bot-matches")
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
    from ladder_cli import rendering

    with _ladder() as ladder:
        counts = ladder.import_bot_matches(table, dry_run=dry_run)
        if fmt is TableJson.json:
            _raw(rendering.to_json(counts))
            return
        verb = "would import" if dry_run else "imported"
        _out(
            f"{verb} {plural(counts['imported'], 'match', 'matches')} from {table}; "
            f"{counts['already_present']:,} already present; skipped "
            f"{counts['skipped_aborted']:,} aborted and "
            f"{counts['skipped_unresolved']:,} unresolved"
        )


@app.command()
def verify(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Replay the match log with the ladder's rules and compare with what is stored.

    Exit 0 when every entry matches; 1 when any differs (each difference listed: key,
    stored, expected), or when a row's own counts are impossible.
    """
    from ladder_cli import rendering

    with _ladder() as ladder:
        report = ladder.verify()
        if fmt is TableJson.json:
            _raw(rendering.to_json(report.as_dict()))
        else:
            _out(
                f"replayed {plural(report.matches_replayed, 'match', 'matches')} with the "
                f"{report.rules} rules; checked {report.entries_checked:,} entries: "
                + ("all match" if report.ok else plural(len(report.differences), "difference"))
            )
            if report.differences:
                _out(rendering.differences_table([d.as_dict() for d in report.differences]))
            for match_id, reason in report.unreplayable:
                _warn(f"match {match_id} could not be replayed: {reason}")
        if not report.ok:
            raise typer.Exit(1)


# -- the queue ------------------------------------------------------------------------


@wal_app.command("status")
def wal_status(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Pending and failed counts, and the oldest pending job's age."""
    from ladder_cli import rendering

    with _ladder() as ladder:
        status = ladder.wal_status()
        if fmt is TableJson.json:
            _raw(rendering.to_json(status.as_dict()))
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
            _raw(rendering.to_json([j.as_dict() for j in jobs]))
            return
        if not jobs:
            _out(f"no {state} jobs")
            return
        _show_jobs(jobs, state)


def _show_jobs(jobs: list[Any], state: str) -> None:
    from ladder_cli import rendering

    columns = [("Job", "right"), ("Kind", "left"), ("What", "left")]
    if state == "failed":
        columns.append(("Reason", "left"))
    t = rendering.table(columns, title=f"{state.capitalize()} jobs")
    for column in t.columns[2:]:  # on a narrow terminal the job's fields wrap, not its seq
        column.no_wrap = False
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
            _out(f"moved {plural(ladder.retry_failed(), 'failed job')} back to pending")
        return
    _jobs("failed", fmt, limit)


@wal_app.command("replay")
def wal_replay(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Apply every pending job to the database, in order, each exactly once."""
    from ladder_cli import rendering
    from ladder_cli.interrupts import ignored

    with _ladder() as ladder:
        before = ladder.wal_status()
        try:
            with _progress("replaying") as progress:
                report = ladder.flush(keep_matches=(), progress=progress)
        except KeyboardInterrupt as exc:
            with ignored(), contextlib.suppress(Exception):
                exc.report = _replay_stopped(ladder, before)  # type: ignore[attr-defined]
            raise
        try:
            failpoints.hit("report")
            if fmt is TableJson.json:
                _raw(rendering.to_json(report.as_dict()))
            else:
                _out(
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
            _warn(
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
        f"{text}; {after.pending:,} {_be(after.pending)} still pending: run "
        f"`ladder wal replay` to apply {'it' if after.pending == 1 else 'them'}"
    )


@wal_app.command("discard")
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
    database cannot be reached nothing is discarded, since that cannot be checked.
    """
    from ladder_cli import discard

    first, last = discard.parse_seqs(seq)
    with _ladder() as ladder:
        plan = discard.check(ladder, first, last)
        _show_jobs(plan.jobs[:10] + (plan.jobs[-1:] if len(plan.jobs) > 10 else []), "pending")
        count = len(plan.jobs)
        if count > 11:
            _out(f"... {count - 11:,} more between them")
        what = plural(count, "pending job")
        if not yes:
            if sys.stdin is None or sys.stdin.closed or not sys.stdin.isatty():
                raise BadInput("wal discard needs confirmation: pass --yes")
            never = "It" if count == 1 else "They"
            if not typer.confirm(f"Discard {what}? {never} will never be applied.", default=False):
                raise LadderError("discard cancelled; nothing was changed")
        dropped = discard.discard(ladder, plan)
        _out(f"discarded {plural(dropped, 'job')}" + (f" of {count:,}" if dropped != count else ""))


@wal_app.command("reconcile")
def wal_reconcile(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """After a database restore or failover: re-apply, exactly once and in their original
    order, the jobs this home applied within retain_days that the database has lost."""
    from ladder_cli import rendering

    with _ladder() as ladder:
        with _progress("reconciling") as progress:
            report = ladder.reconcile(progress)
        if fmt is TableJson.json:
            _raw(rendering.to_json(report.as_dict()))
        else:
            _out(
                f"checked {plural(report.checked, 'job')} of the last "
                f"{plural(report.retain_days, 'day')}: "
                f"{report.missing:,} missing, {report.reapplied:,} re-applied"
            )
        for seq, reason in report.corrupt:
            _warn(f"retained job {seq} was left out: {reason}")
        for seq, reason in report.failed:
            _warn(f"job {seq} could not be re-applied: {reason}")
        if report.pending:
            _warn(
                f"{plural(report.pending, 'job')} pending; run `ladder wal replay` to apply "
                f"{'it' if report.pending == 1 else 'them'}"
            )
        _notes(ladder)
        if report.failed:
            raise LadderError(
                f"{plural(len(report.failed), 'missing job')} could not be re-applied"
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
    from ladder_cli import rendering

    with _ladder() as ladder:
        shown = ladder.admin.match_show(match_id)
        if fmt is TableJson.json:
            _raw(rendering.to_json(shown))
            return
        table = rendering.table([("", "left"), ("", "left")], title=f"Match {match_id}")
        table.show_header = False
        for side in ("p1", "p2"):
            name, uid = shown[f"{side}_name"], shown[f"{side}_uid"]
            who = f"{uid}" if name is None else f"{name} ({uid})"
            table.add_row(side.upper(), rendering.literal(
                f"{who} {shown[f'{side}_race']}: {shown[f'{side}_mmr_before']} → "
                f"{shown[f'{side}_mmr_after']}"
            ))  # fmt: skip
        result = {0: "draw", 1: "P1 won", 2: "P2 won"}.get(shown["result"], str(shown["result"]))  # type: ignore[call-overload]
        table.add_row("result", result)
        table.add_row("state", str(shown["state"]))
        table.add_row("played", _when(str(shown["played_at"])))
        _out(table)
        for entry in shown["audit"]:  # type: ignore[attr-defined]
            _out(rendering.literal(
                f"{_when(entry['at'])}  {entry['actor']}  {entry['action']} {entry['target']}: "
                f"{entry['reason'] or ''}"
            ))  # fmt: skip


def _when(iso: str | None) -> str:
    """An ISO time as the tables show it: UTC to the minute."""
    from datetime import UTC, datetime

    if iso is None:
        return ""
    return f"{datetime.fromisoformat(iso).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


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
    from ladder_cli.audit import parse_reason

    what = "void" if result is None else "amend"
    with _ladder() as ladder:
        if not dry_run:
            parse_reason(reason)
        preview = ladder.admin.preview_correction(match_id, result)
        if preview.note:
            _warn(preview.note)
        if preview.plan is not None:
            _show_changes(preview.rows, f"{what} match {match_id}")
        if dry_run:
            _notes(ladder)
            return
        _confirm(yes, f"{what.capitalize()} match {match_id}?")
        outcome = ladder.admin.correct(match_id, result, reason, flush=flush)
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
    from ladder_cli.audit import parse_reason

    with _ladder() as ladder:
        parse_reason(reason)
        row = ladder.admin.preview_adjust(player, race, by)
        _show_changes([row], "adjust")
        _confirm(yes, f"Adjust {row.key[0]} {row.key[1]} by {by:+d}?")
        outcome = ladder.admin.adjust(row, reason, flush=not no_flush)
        if outcome.applied:
            _out(f"adjusted {row.key[0]} {row.key[1]} by {by:+d}")
        _report_write(ladder, outcome, what="adjustment", show_matches=False)


@app.command()
def decay(
    dry_run: Annotated[bool, _DRY] = False,
    yes: Annotated[bool, _YES] = False,
    fmt: Annotated[
        TableJson, typer.Option("--format", help="Output format (json with --dry-run).")
    ] = TableJson.table,
    no_flush: Annotated[bool, _NO_FLUSH] = False,
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
    from ladder_cli import decay as decaying
    from ladder_cli import rendering

    with _ladder() as ladder:
        if fmt is TableJson.json and not dry_run:
            raise BadInput("--format json goes with --dry-run")
        rule = decaying.configured(ladder)
        at = decaying.now()
        unavailable = ladder.reachable()
        if unavailable is not None:
            if dry_run:
                raise LadderError(f"{unavailable}: cannot work out the decay without it")
            _warn(
                f"{unavailable}: the decay is queued unpreviewed; what it takes is worked "
                "out when it is applied"
            )
            rows = None
        else:
            rows = decaying.preview(ladder, at)
            if fmt is TableJson.json:
                _raw(rendering.to_json(decaying.as_json_rows(rows)))
                return
            if not rows:
                _out(f"nothing to decay ({rule.describe()})")
                _notes(ladder)
                return
            _show_changes(rows, "decay")
            lost = sum(-row.difference for row in rows)
            owed = f"{plural(len(rows), 'entry', 'entries')} would lose {lost:,} MMR in all"
            _out(f"{'dry run, nothing written: ' if dry_run else ''}{owed}")
        if dry_run:
            _notes(ladder)
            return
        count = "the owed decay" if rows is None else plural(len(rows), "entry", "entries")
        _confirm(yes, f"Decay {count}?")
        done = decaying.run(ladder, at, flush=not no_flush)
        if done.outcome.applied:
            if done.changed:
                lost = sum(before - after for _, before, after in done.changed)
                changed = plural(len(done.changed), "entry", "entries")
                _out(f"decayed {changed}: {lost:,} MMR in all")
            else:
                _out("nothing to decay: another run took this period's points first")
        _report_write(ladder, done.outcome, what="decay", show_matches=False)


@app.command()
def audit(
    limit: Annotated[int, typer.Option("--limit", help="How many rows (0: all).")] = 20,
    fmt: Annotated[
        TableJsonCsv, typer.Option("--format", help="Output format.")
    ] = TableJsonCsv.table,
) -> None:
    """Admin actions, newest first."""
    from ladder_cli import rendering

    keys = ["audit_id", "at", "actor", "action", "target", "reason"]
    with _ladder() as ladder:
        found = ladder.admin.audit(limit)
        rows = [r.as_dict() for r in found]
        if fmt is TableJsonCsv.json:
            _raw(rendering.to_json(rows))
        elif fmt is TableJsonCsv.csv:
            _raw(rendering.to_csv(rows, keys))
        elif not rows:
            _out("no audit entries")
        else:
            from ladder_cli.audit import named_target

            # the table shows the time as a datetime, to the minute, and players by name
            names = ladder.admin.audit_names(found)
            _out(rendering.audit_table([
                r.as_dict() | {"at": r.at, "target": named_target(r.target, names)}
                for r in found
            ]))  # fmt: skip


# -- seasons ---------------------------------------------------------------------------


@season_app.command("close")
def season_close(
    name: Annotated[str, typer.Argument(help="The season's name, e.g. 'Season 1'.")],
    soft_reset: Annotated[
        float,
        typer.Option(
            "--soft-reset",
            metavar="F",
            help="Each MMR becomes 1500 + F * (MMR - 1500): 0 everyone to 1500, 1 MMR kept.",
        ),
    ] = 0.5,  # ladder_cli.seasons.DEFAULT_SOFT_RESET, not imported by every command
    yes: Annotated[bool, _YES] = False,
    no_flush: Annotated[bool, _NO_FLUSH] = False,
) -> None:
    """Archive every entry's final standing under NAME, then start a new season."""
    from ladder_cli import rendering

    with _ladder() as ladder:
        preview = ladder.seasons.preview_close(name, soft_reset)
        shown = rendering.visible(preview.name)
        if preview.note:
            _warn(preview.note)
        if preview.champions:
            title = rendering.literal(f"{preview.name}: champions")
            _out(rendering.champions_table(preview.champions, title=title))
        else:
            _out("no entry has a game yet: no champion")
        _out(
            f"{preview.moving:,} of {plural(preview.entries, 'entry', 'entries')} move toward "
            f"1500 (soft reset {preview.soft_reset:g}); the {preview.played:,} with games "
            "start again at 0-0-0"
        )
        _confirm(yes, f"Close season '{shown}'?")
        outcome = ladder.seasons.close(preview, flush=not no_flush)
        if outcome.applied:
            _out(rendering.literal(f"closed season {preview.name}"))
        _report_write(ladder, outcome, what="the season close", show_matches=False)


@season_app.command("list")
def season_list(
    fmt: Annotated[TableJson, typer.Option("--format", help="Output format.")] = TableJson.table,
) -> None:
    """Closed seasons, newest first."""
    from ladder_cli import rendering

    with _ladder() as ladder:
        found = ladder.seasons.list()
        if fmt is TableJson.json:
            _raw(rendering.to_json([s.as_dict() for s in found]))
        elif not found:
            _out("no closed seasons")
        else:
            rows = [s.as_dict() | {"closed_at": s.closed_at} for s in found]
            _out(rendering.season_list_table(rows))


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI; every error ends as one line on stderr and an exit code."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    from ladder_cli.interrupts import handling
    from ladder_cli.terminal import prepare_streams

    prepare_streams()
    with handling():
        return _run(argv, Session())


def _run(argv: list[str] | None, session: Session) -> int:
    import os

    from typer.main import get_command

    from ladder_cli import interrupts

    os.umask(0o077)
    command = get_command(app)
    try:
        result = command.main(
            args=sys.argv[1:] if argv is None else argv,
            prog_name="ladder",
            standalone_mode=False,
            obj=session,
        )
        if interrupts.raised:  # Typer returned 130 for it without a word
            _interrupted(interrupts.raised[-1], session)
        return result if isinstance(result, int) else 0
    except BadInput as exc:
        _fail(exc.as_option(), exc.exit_code, session=session)
    except LadderError as exc:
        _fail(str(exc), exc.exit_code, session=session)
    except typer.Exit as exc:
        if interrupts.raised:
            _interrupted(interrupts.raised[-1], session)
        return exc.exit_code
    except typer.Abort:
        _fail("aborted; nothing was changed", 1, session=session)
    except KeyboardInterrupt as exc:
        _interrupted(exc, session)
    except typer.TyperException as exc:  # usage errors from the parser
        if type(exc).__name__ == "NoArgsIsHelpError":
            # `ladder` or `ladder wal` alone: the help as Click would show it, not one line.
            sys.stderr.write(exc.format_message().rstrip("\n") + "\n")
            return 2
        hint = ""
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            hint = f" (see `{ctx.command_path} --help`)"
        _fail(f"{exc.format_message()}{hint}", getattr(exc, "exit_code", 2), session=session)
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if session.debug:
            import traceback

            # The traceback, but never the password (exception messages may quote the URL).
            sys.stderr.write(
                _scrub("".join(traceback.format_exception(exc)), session, one_line=False)
            )
            _fail(f"unexpected {type(exc).__name__}: {exc}", 1, session=session)
        _fail(
            f"unexpected {type(exc).__name__}: {exc} (run with --debug for details)",
            1,
            session=session,
        )


def _interrupted(exc: KeyboardInterrupt, session: Session) -> NoReturn:
    """One line on what an interrupt left behind (see _writing), exit 128 + the signal."""
    import signal

    signum = getattr(exc, "signum", signal.SIGINT)
    verb = "terminated" if signum == signal.SIGTERM else "interrupted"
    report = getattr(exc, "report", None) or session.untouched
    _fail(f"{verb}: {report}", 128 + signum, "", session=session)


def _scrub(text: str, session: Session, *, one_line: bool = True) -> str:
    """``text`` without the database password, however the URL was given."""
    from ladder_cli.config import scrub

    urls = {session.db}
    with contextlib.suppress(Exception):  # a broken config file: its URL, if any, is unknown
        urls.add(session.settings().database_url)
    for url in urls:
        text = scrub(text, url)
    return " ".join(text.split()) if one_line else text


def _fail(
    message: str, code: int, prefix: str = "error: ", *, session: Session | None = None
) -> NoReturn:
    from rich.text import Text

    from ladder_cli.rendering import error_console, visible

    shown = visible(_scrub(message, session or _session()))
    with contextlib.suppress(Exception):  # a broken stderr must not change the exit status
        error_console().print(Text(f"{prefix}{shown}", style="red" if sys.stderr.isatty() else ""))
    raise SystemExit(code)
