"""The ladder as it stood at a past time (``leaderboard --as-of``).

Ratings are a sequential replay of the event log (:mod:`ladder_cli.domain.replay`), so the ladder
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

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, Final

from ladder_cli.domain.events import VOIDED, Event, LoggedMatch, StateEvent, score
from ladder_cli.domain.model import RACES, Key, format_timestamp, now_utc, to_utc
from ladder_cli.domain.replay import Replay, Standing, rating_rules
from ladder_cli.domain.rules import Rules
from ladder_cli.util.errors import BadInput

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


class Standings:
    """Each entry's standing at the cutoff, and how many events made it: as a dictionary,
    or as the columns of a replay over arrays (``table``, see
    :mod:`ladder_cli.domain.wavereplay`), each read as the other when asked."""

    def __init__(
        self,
        cutoff: datetime,
        rules: Rules,
        entries: dict[Key, Standing] | None = None,
        matches: int = 0,
        events: int = 0,
        *,
        table: pl.DataFrame | None = None,
    ) -> None:
        self.cutoff, self.rules, self.matches, self.events = cutoff, rules, matches, events
        self._entries, self._table = entries, table

    @property
    def entries(self) -> dict[Key, Standing]:
        if self._entries is None:
            rows = self._table.iter_rows() if self._table is not None else iter(())
            self._entries = {(uid, race): Standing(*values) for uid, race, *values in rows}
        return self._entries

    def table(self) -> pl.DataFrame:
        """Key and :data:`~ladder_cli.domain.replay.STANDING_COLUMNS` per entry, in the order the
        log first names the entries."""
        if self._table is None:
            import polars as pl

            from ladder_cli.domain.frames import SCHEMA
            from ladder_cli.domain.replay import STANDING_COLUMNS

            keys = list(self.entries)
            values = [s.values() for s in self.entries.values()]
            self._table = pl.DataFrame(
                {
                    "discord_uid": [k[0] for k in keys],
                    "race": [k[1] for k in keys],
                    **{name: [v[i] for v in values] for i, name in enumerate(STANDING_COLUMNS)},
                },
                schema={name: SCHEMA[name] for name in ("discord_uid", "race", *STANDING_COLUMNS)},
            )
        return self._table


def replay_until(log: Iterable[Event], cutoff: datetime, rules: Rules) -> Standings:
    """The reference: :class:`Replay` itself over ``log`` (in log order), leaving out every
    event after ``cutoff``. :class:`Tally` gives the same standings from plain rows."""
    replay = Replay.with_rules(rules)
    done = Standings(cutoff, rules, replay.standings)
    for event in log:
        if event_time(event) > cutoff:
            continue
        replay.apply(event)
        if isinstance(event, LoggedMatch):
            done.matches += 1
        else:
            done.events += 1
    return done


MatchRow = tuple[int, Any, int, str, int, str, int, str]
"""A logged match as the fast path reads it: ``match_id, played_at, p1_uid, p1_race,
p2_uid, p2_race, result, state``, with ``played_at`` as the store's driver returns it."""


_RACE_CODES: Final = {race: i for i, race in enumerate(RACES)}


def _match_id(row: MatchRow) -> int:
    return row[0]


class Tally:
    """:class:`Replay` over plain rows, for a whole log in seconds.

    A match is a few list operations on standings kept in parallel lists by entry number,
    rated by the flush's own rating function (:func:`rating_rules`), with the same counts
    and last game as :meth:`Replay.match`. Any other event (reset, adjustment, baseline,
    season reset, decay) goes through :meth:`Replay.state_event` itself, so every kind is
    applied exactly as the replay applies it. ``played_at`` is compared as the driver
    returns it (a timestamp, or ISO 8601 text in UTC, which sorts as time does) and parsed
    only for the answer: ``to_raw`` and ``parse`` convert between the two.
    """

    def __init__(
        self, rules: Rules, to_raw: Callable[[datetime | None], Any], parse: Callable[[Any], Any]
    ) -> None:
        self.rules = rules
        self.rate, self.start = rating_rules(rules)
        self._to_raw, self._parse = to_raw, parse
        #: Entry numbers by key, the key written ``uid * 8 + race number`` (an integer
        #: hashes and compares faster than a tuple; a race the tool does not know keeps
        #: its tuple), and each number's key.
        self.slots: dict[int | Key, int] = {}
        self.keys: list[Key] = []
        self.mmr: list[int] = []
        self.played: list[int] = []
        self.won: list[int] = []
        self.lost: list[int] = []
        self.drawn: list[int] = []
        self.last: list[Any] = []
        self.matches = 0
        self.events = 0

    def _slot(self, key: Key) -> int:
        code = _RACE_CODES.get(key[1])
        return self._new(key, key if code is None else key[0] * 8 + code)

    def _new(self, key: Key, short: int | Key) -> int:
        slot = self.slots.get(short)
        if slot is None:
            slot = self.slots[short] = len(self.mmr)
            self.keys.append(key)
            self.mmr.append(self.start)
            for counts in (self.played, self.won, self.lost, self.drawn):
                counts.append(0)
            self.last.append(None)
        return slot

    def run(self, pages: Iterable[Sequence[MatchRow]], events: Iterable[StateEvent]) -> None:
        """Pages of matches in log order, with ``events`` (in log order) each applied after
        the matches up to the one it follows (``after_match``)."""
        queue = iter(events)
        pending = next(queue, None)
        for page in pages:
            start = 0
            while pending is not None:
                cut = bisect_right(page, pending.after_match, lo=start, key=_match_id)
                if cut == len(page):
                    break  # the next page may still hold matches before it
                self.apply_matches(page[start:cut])
                start = cut
                self.apply_event(pending)
                pending = next(queue, None)
            self.apply_matches(page[start:] if start else page)
        while pending is not None:
            self.apply_event(pending)
            pending = next(queue, None)

    def apply_matches(self, rows: Iterable[MatchRow]) -> None:
        """:meth:`Replay.match` of each row, in a tight loop."""
        rate, slots, new, codes = self.rate, self.slots, self._new, _RACE_CODES
        mmr, played, won, lost, drawn, last = (
            self.mmr, self.played, self.won, self.lost, self.drawn, self.last
        )  # fmt: skip
        n = 0
        for _, at, uid1, race1, uid2, race2, result, state in rows:
            n += 1
            code = codes.get(race1)
            short: int | Key = (uid1, race1) if code is None else uid1 * 8 + code
            a = slots.get(short)
            if a is None:
                a = new((uid1, race1), short)
            code = codes.get(race2)
            short = (uid2, race2) if code is None else uid2 * 8 + code
            b = slots.get(short)
            if b is None:
                b = new((uid2, race2), short)
            if state == VOIDED:
                continue
            mmr[a], mmr[b] = rate(mmr[a], mmr[b], score(result))
            played[a] += 1
            played[b] += 1
            if result == 0:
                drawn[a] += 1
                drawn[b] += 1
            else:
                if result == 1:
                    won[a] += 1
                else:
                    lost[a] += 1
                if result == 2:
                    won[b] += 1
                else:
                    lost[b] += 1
            if last[a] is None or at > last[a]:
                last[a] = at
            if last[b] is None or at > last[b]:
                last[b] = at
        self.matches += n

    def apply_event(self, event: StateEvent) -> None:
        """:meth:`Replay.state_event` on the entry's standing, written back."""
        slot = self._slot(event.key)
        standing = Standing(
            self.mmr[slot], self.played[slot], self.won[slot], self.lost[slot],
            self.drawn[slot], self._parse(self.last[slot]),
        )  # fmt: skip
        Replay(self.rate, self.start, {event.key: standing}).state_event(event)
        self.mmr[slot] = standing.mmr
        self.played[slot], self.won[slot] = standing.played, standing.won
        self.lost[slot], self.drawn[slot] = standing.lost, standing.drawn
        self.last[slot] = self._to_raw(standing.last)
        self.events += 1

    def standings(self, cutoff: datetime) -> Standings:
        entries = {
            key: Standing(
                self.mmr[i], self.played[i], self.won[i], self.lost[i], self.drawn[i],
                self._parse(self.last[i]),
            )
            for i, key in enumerate(self.keys)
        }  # fmt: skip
        return Standings(cutoff, self.rules, entries, self.matches, self.events)


def frame(standings: Standings, stored: pl.DataFrame) -> pl.DataFrame:
    """The standings as a frame of ``mmrs_1v1``'s shape: each entry's ``id`` (the last
    tie-break of the rank order) and ``player_name`` as stored now; an entry no longer
    stored gets an id after every stored one and the default name."""
    import polars as pl

    from ladder_cli.domain.frames import SCHEMA

    replayed = standings.table()
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


__all__ = [
    "END_OF_DAY",
    "MatchRow",
    "Standings",
    "Tally",
    "event_time",
    "frame",
    "parse_as_of",
    "replay_until",
]
