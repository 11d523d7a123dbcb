"""The ladder as it stood at a past time (``leaderboard --as-of``).

Ratings are a sequential replay of the event log (:mod:`ladder_cli.replay`), so the ladder
at time T is that replay over the events of T: the matches played and the other events
(resets, adjustments, baselines, season resets, decays) made at or before T, in log order.
Log order is application order, not time order: a match backfilled by a CSV import keeps
its place in the log and joins the replay at every T after the time it was played.
Corrections are part of the log as it is now: a voided match is out of every past
ladder too, an amended one counts with its corrected result.

The replayed standings become a frame of ``mmrs_1v1``'s shape (each entry's row id and
name as stored now), which the live leaderboard's ranking and options take as they are,
with the activity window measured from T.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Final

from ladder_cli.errors import BadInput
from ladder_cli.events import Event, LoggedMatch
from ladder_cli.model import Key, format_timestamp, now_utc, to_utc
from ladder_cli.replay import Replay, Standing
from ladder_cli.rules import Rules

if TYPE_CHECKING:
    import polars as pl

END_OF_DAY: Final = time(23, 59, 59)
"""A date alone means its end: timestamps are kept to the second, so every game of the day
is in ("the ladder as it stood on the 1st" includes the 1st's games)."""


def parse_as_of(text: str, *, now: datetime | None = None) -> datetime:
    """The cutoff an admin means by ``text``: an ISO 8601 date-time (without an offset it
    is UTC, as for ``record --at``) or a date alone (the end of that day, UTC; today's
    date is now). A time after now is bad input: the live leaderboard is the present."""
    now = now or now_utc()
    raw = text.strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is not None:
        if day > now.date():
            raise BadInput(
                f"as_of {raw!r} is in the future (today is {now.date()} UTC)", param="as_of"
            )
        return min(datetime.combine(day, END_OF_DAY, tzinfo=UTC), now)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise BadInput(
            f"as_of {raw!r} is not an ISO 8601 date or date-time "
            "(for example 2026-11-01 or 2026-11-01T18:00:00+00:00)",
            param="as_of",
        ) from None
    try:
        value = to_utc(value)
    except OverflowError:
        raise BadInput(
            f"as_of {raw!r} is out of range once converted to UTC", param="as_of"
        ) from None
    if value > now:
        raise BadInput(
            f"as_of {raw!r} is in the future (now is {format_timestamp(now)}); "
            "leave out --as-of for the ladder as it stands",
            param="as_of",
        )
    return value


def event_time(event: Event) -> datetime:
    """When an event happened: a match when it was played, any other event when made."""
    return event.played_at if isinstance(event, LoggedMatch) else event.at


@dataclass
class Standings:
    """Each entry's standing at the cutoff, and what the replay could not apply."""

    cutoff: datetime
    rules: Rules
    entries: dict[Key, Standing]
    matches: int = 0
    events: int = 0
    #: Logged matches no replay can apply (``verify`` lists them too).
    unreplayable: int = 0


def replay_until(log: Iterable[Event], cutoff: datetime, rules: Rules) -> Standings:
    """Replay ``log`` (in log order) with ``rules``, leaving out every event after
    ``cutoff``; a log already cut (:meth:`StoreLog.until`) passes through unchanged."""
    replay = Replay.with_rules(rules)
    done = Standings(cutoff, rules, replay.standings)
    for event in log:
        if event_time(event) > cutoff:
            continue
        try:
            replay.apply(event)
        except ValueError:  # a logged row no replay can apply
            done.unreplayable += 1
            continue
        if isinstance(event, LoggedMatch):
            done.matches += 1
        else:
            done.events += 1
    return done


def frame(standings: Standings, stored: pl.DataFrame) -> pl.DataFrame:
    """The standings as a frame of ``mmrs_1v1``'s shape: each entry's ``id`` (the last
    tie-break of the rank order) and ``player_name`` as stored now; an entry no longer
    stored gets an id after every stored one and the default name."""
    import polars as pl

    from ladder_cli.state import SCHEMA

    keys = list(standings.entries)
    values = [s.values() for s in standings.entries.values()]
    replayed = pl.DataFrame(
        {
            "discord_uid": [k[0] for k in keys],
            "race": [k[1] for k in keys],
            "mmr": [v[0] for v in values],
            "games_played": [v[1] for v in values],
            "games_won": [v[2] for v in values],
            "games_lost": [v[3] for v in values],
            "games_drawn": [v[4] for v in values],
            "last_played": [v[5] for v in values],
        },
        schema={
            name: SCHEMA[name]
            for name in (
                "discord_uid",
                "race",
                "mmr",
                "games_played",
                "games_won",
                "games_lost",
                "games_drawn",
                "last_played",
            )
        },
    )
    known = stored.select("discord_uid", "race", "id", "player_name")
    board = replayed.join(known, on=["discord_uid", "race"], how="left")
    top = int(stored["id"].max() or 0) if stored.height else 0  # type: ignore[arg-type]
    board = board.with_columns(
        pl.col("id").fill_null(
            pl.lit(top, dtype=pl.Int64) + pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
        ),
        pl.col("player_name").fill_null(pl.lit("Player") + pl.col("discord_uid").cast(pl.String)),
    )
    return board.select([pl.col(name).cast(dtype) for name, dtype in SCHEMA.items()])


__all__ = ["END_OF_DAY", "Standings", "event_time", "frame", "parse_as_of", "replay_until"]
