"""The ladder's vocabulary: races, players, write jobs, and the validation of user input.

Validation lives here, next to the types it guards, so that the CLI, the CSV reader and the
library API all reject the same things with the same one-line messages.
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from ladder_cli.util.errors import BadInput

if TYPE_CHECKING:
    from ladder_cli.domain.glicko2 import Glicko2State

RACES: Final = (
    "bw_terran",
    "bw_zerg",
    "bw_protoss",
    "sc2_terran",
    "sc2_zerg",
    "sc2_protoss",
)
#: For membership checks on hot paths.
RACE_SET: Final = frozenset(RACES)
DEFAULT_MMR: Final = 1500
MAX_UID: Final = 2**63 - 1
MAX_NAME_LENGTH: Final = 64

Key = tuple[int, str]
"""A ladder entry's identity: (discord_uid, race)."""


def default_name(uid: int) -> str:
    return f"Player{uid}"


_GAME_SHORT: Final = {"bw": "BW", "sc2": "SC2"}


def short_race(race: str) -> str:
    """``bw_terran`` as ``BW T``, ``sc2_zerg`` as ``SC2 Z``; anything else as it is (the
    form narrow tables and the integrity flags' reasons name a race by)."""
    game, _, name = race.partition("_")
    if game in _GAME_SHORT and name:
        return f"{_GAME_SHORT[game]} {name[0].upper()}"
    return race


def parse_uid(text: str | int, *, what: str = "discord_uid") -> int:
    if isinstance(text, bool):
        raise BadInput(f"{what} must be a whole number from 1 to {MAX_UID}")
    if isinstance(text, int):
        value = int(text)
    elif not isinstance(text, str):
        raise BadInput(f"{what} must be a whole number from 1 to {MAX_UID}, not {text!r}")
    else:
        stripped = text.strip()
        if not stripped.isascii() or not stripped.isdigit():
            raise BadInput(f"{what} {text!r} is not a number: use digits only, from 1 to {MAX_UID}")
        value = int(stripped)
    if not 1 <= value <= MAX_UID:
        raise BadInput(f"{what} {value} is out of range: it must be from 1 to {MAX_UID}")
    return value


def parse_race(text: str, *, what: str = "race") -> str:
    if not isinstance(text, str):
        raise BadInput(f"unknown {what} {text!r}: choose one of: {', '.join(RACES)}")
    race = text.strip().lower()
    if race in RACES:
        return race
    close = difflib.get_close_matches(race, RACES, n=1)
    hint = f"did you mean {close[0]}?" if close else f"choose one of: {', '.join(RACES)}"
    raise BadInput(f"unknown {what} {text!r}: {hint}")


# Bidirectional overrides and isolates reorder what a terminal shows ("Trojan source").
_INVISIBLE_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def parse_name(text: str, *, what: str = "player name") -> str:
    """Accept a name as given, unless it is empty, too long or carries control characters.

    Markup such as ``[bold]`` is ordinary text and is kept; it is escaped when shown.
    """
    if not text.strip():
        raise BadInput(f"{what} is empty: give at least one visible character")
    if len(text) > MAX_NAME_LENGTH:
        raise BadInput(f"{what} is {len(text)} characters long: the limit is {MAX_NAME_LENGTH}")
    for ch in text:
        if unicodedata.category(ch) == "Cc" or ch in _INVISIBLE_CONTROLS:
            raise BadInput(
                f"{what} {text!r} contains the control character U+{ord(ch):04X}: remove it"
            )
    return text


def parse_timestamp(text: str, *, what: str = "timestamp") -> datetime:
    """Parse ISO 8601; without an offset the time is UTC. Stored in UTC, to the second."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(
            f"{what} {text!r} is not a valid ISO 8601 date-time "
            "(for example 2026-01-31T18:00:00+00:00)"
        ) from None
    try:
        value = to_utc(value)
    except OverflowError:
        raise BadInput(f"{what} {text!r} is out of range once converted to UTC") from None
    return not_in_future(value, what=f"{what} {text.strip()!r}")


MAX_AHEAD: Final = timedelta(hours=24)
"""How far ahead of now a match may be dated: clocks and time zones differ, typos don't."""


def not_in_future(value: datetime, *, what: str = "time") -> datetime:
    """``value`` (UTC), unless it is more than a day after now: a typo'd year would sit at
    the top of every "last played" order for ever."""
    if value > now_utc() + MAX_AHEAD:
        raise BadInput(
            f"{what} is more than 24 hours in the future (now is {format_timestamp(now_utc())}): "
            "check the date"
        )
    return value


def to_utc(value: datetime) -> datetime:
    if value.tzinfo is UTC and not value.microsecond:
        return value  # already as stored (most of a CSV file's rows)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def format_timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class MatchJob:
    """A match as entered: P1 won (``result == 1``) or it was a draw (``result == 0``)."""

    p1_uid: int
    p1_race: str
    p2_uid: int
    p2_race: str
    result: int
    played_at: datetime
    p1_name: str | None = None
    p2_name: str | None = None

    @classmethod
    def checked(
        cls,
        p1_uid: int,
        p1_race: str,
        p2_uid: int,
        p2_race: str,
        *,
        result: int = 1,
        played_at: datetime | None = None,
        p1_name: str | None = None,
        p2_name: str | None = None,
    ) -> MatchJob:
        """Build a job from loosely typed input, raising BadInput for anything invalid."""
        p1 = parse_uid(p1_uid, what="P1 discord_uid")
        p2 = parse_uid(p2_uid, what="P2 discord_uid")
        if p1 == p2:
            raise BadInput(f"P1 and P2 are the same player ({p1}): a match needs two players")
        if isinstance(result, bool) or result not in (0, 1):
            raise BadInput(f"result {result!r} must be 1 (P1 won) or 0 (draw)")
        return cls(
            p1_uid=p1,
            p1_race=parse_race(p1_race, what="P1 race"),
            p2_uid=p2,
            p2_race=parse_race(p2_race, what="P2 race"),
            result=int(result),
            played_at=now_utc()
            if played_at is None
            else not_in_future(to_utc(played_at), what="played_at"),
            p1_name=None if p1_name is None else parse_name(p1_name, what="P1 name"),
            p2_name=None if p2_name is None else parse_name(p2_name, what="P2 name"),
        )


@dataclass(frozen=True, slots=True)
class ResetJob:
    """Set a player's MMR (one race, or every race when ``race`` is None)."""

    uid: int
    race: str | None
    mmr: int
    keep_stats: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class AdjustJob:
    """Add ``delta`` (negative: subtract) to one entry's MMR, as an event of the log."""

    uid: int
    race: str
    delta: int
    at: datetime
    actor: str
    reason: str


@dataclass(frozen=True, slots=True)
class CorrectionJob:
    """Void a logged match (``result`` None) or amend its result (1 P1, 2 P2, 0 draw).

    ``planned``: the preview's plan (a :class:`ladder_cli.domain.corrections.Planned`,
    which this module does not import), in the process that previewed it; never queued: a
    job read back from the queue is planned when applied."""

    match_id: int
    result: int | None
    at: datetime
    actor: str
    reason: str
    planned: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class DecayJob:
    """One run of ``ladder decay``: the rule it was run with and the time it counts from.

    What each entry owes is worked out when the job is applied, inside the transaction
    that holds the ladder's write lock (see :mod:`ladder_cli.stores.decay`), so two
    homes running decay at once cannot both take the same period's points.
    """

    after_days: int
    points: int
    every_days: int
    floor: int
    at: datetime
    actor: str


@dataclass(frozen=True, slots=True)
class AuditJob:
    """The audit row of one writing command, queued with the command's jobs."""

    action: str
    target: str
    at: datetime
    actor: str
    reason: str | None = None


#: The audit action of an integrity flag's dismissal.
DISMISS: Final = "dismiss"
#: Audit rows queued as writes of their own, not riding on a command's jobs: the queue
#: keeps each under its action as the job's kind, and counts and lists it like any write.
STANDALONE_AUDITS: Final = (DISMISS,)


@dataclass(frozen=True, slots=True)
class SeasonJob:
    """Close the season ``name``: archive every entry's standing, then pull each MMR toward
    the middle by ``factor`` (millionths; see :func:`ladder_cli.domain.events.soft_reset`).
    ``activity_days`` is the queueing home's activity window (config), so the letters
    archived are those its leaderboard showed."""

    name: str
    factor: int
    at: datetime
    actor: str
    activity_days: int | None = None


@dataclass(frozen=True, slots=True)
class RulesJob:
    """Switch the ladder to the rules preset ``preset``: every event of the log replayed
    under them (``ladder rules use``), with its audit row's reason."""

    preset: str
    at: datetime
    actor: str
    reason: str | None = None


Job = MatchJob | ResetJob | AdjustJob | CorrectionJob | DecayJob | AuditJob | SeasonJob | RulesJob


def job_uids(job: Job) -> tuple[int, ...]:
    """The players a job touches (a correction's are known only from the match log)."""
    if isinstance(job, MatchJob):
        return (job.p1_uid, job.p2_uid)
    if isinstance(job, ResetJob | AdjustJob):
        return (job.uid,)
    return ()


@dataclass(frozen=True, slots=True)
class QueuedJob:
    """A job with its place in one queue (``seq``) and its identity (``job_id``).

    ``seq`` orders the queue; ``job_id`` is drawn when the job is queued (a random start
    per append, then consecutive) and is what the database's ledger records. A queue
    file restored from a backup or copied to a second machine reuses seqs, but never the
    ids of jobs the ledger holds.
    """

    seq: int
    job: Job
    job_id: int | None = None
    #: The audit row of the command whose last job this is (written with it).
    audit: AuditJob | None = None

    @property
    def ledger_id(self) -> int:
        """The id the ledger records (the seq, for jobs built without one)."""
        return self.seq if self.job_id is None else self.job_id


@dataclass(slots=True)
class Entry:
    """One row of ``mmrs_1v1``: a player's rating and record in one race."""

    discord_uid: int
    race: str
    player_name: str
    mmr: int = DEFAULT_MMR
    games_played: int = 0
    games_won: int = 0
    games_lost: int = 0
    games_drawn: int = 0
    last_played: datetime | None = None
    id: int | None = None
    #: Under Glicko-2 rules, the entry's rating, RD and volatility (kept in the ladder's
    #: own table beside ``mmrs_1v1``); None under Elo, or where not read.
    state: Glicko2State | None = None

    @property
    def key(self) -> Key:
        return (self.discord_uid, self.race)

    def copy(self) -> Entry:
        return Entry(
            self.discord_uid,
            self.race,
            self.player_name,
            self.mmr,
            self.games_played,
            self.games_won,
            self.games_lost,
            self.games_drawn,
            self.last_played,
            self.id,
            self.state,
        )


@dataclass(slots=True)
class AppliedMatch:
    """A match as the log keeps it: both sides' MMR before and after.

    Not frozen: the flush makes one per match, and a frozen dataclass sets each field
    through ``object.__setattr__``, which is slower (docs/benchmarks.md has the figures).
    """

    match_id: int | None
    played_at: datetime
    p1_uid: int
    p1_race: str
    p1_mmr_before: int
    p1_mmr_after: int
    p2_uid: int
    p2_race: str
    p2_mmr_before: int
    p2_mmr_after: int
    result: int
    seq: int | None = None
    job_id: int | None = None
    #: ``recorded``, ``amended`` or ``voided`` (see :mod:`ladder_cli.domain.events`).
    state: str = "recorded"

    def as_dict(self) -> dict[str, object]:
        return {
            "match_id": self.match_id,
            "played_at": format_timestamp(self.played_at),
            "p1_uid": self.p1_uid,
            "p1_race": self.p1_race,
            "p1_mmr_before": self.p1_mmr_before,
            "p1_mmr_after": self.p1_mmr_after,
            "p2_uid": self.p2_uid,
            "p2_race": self.p2_race,
            "p2_mmr_before": self.p2_mmr_before,
            "p2_mmr_after": self.p2_mmr_after,
            "result": self.result,
            "state": self.state,
        }
