"""What each page of the standings site shows, as plain frozen data: leaderboard rows,
player pages with their entries, charts, recent matches and rivals, closed seasons and the
statistics page. :mod:`ladder_cli.site.data` gathers it; the templates render it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ladder_cli.domain.rules import Rules
from ladder_cli.domain.stats import LadderStats, Outcome


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a leaderboard (live or a closed season's archive); an unranked row
    under an activity window has no position."""

    position: int | None
    rank: str
    discord_uid: int
    player_name: str
    race: str
    mmr: int
    games_played: int
    games_won: int
    games_lost: int
    games_drawn: int
    last_played: datetime | None
    #: Under Glicko-2 rules, the RD grown to the time of the read and whether the rating
    #: is provisional (a ``?`` after the MMR); None under Elo rules and in an archive.
    rd: float | None = None
    provisional: bool | None = None


@dataclass(frozen=True, slots=True)
class Board:
    """A leaderboard: every race (``key`` "all") or one race (``key`` the race)."""

    key: str
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Point:
    """An entry's MMR at one moment of its chart."""

    at: datetime
    mmr: int


@dataclass(frozen=True, slots=True)
class Entry:
    """One race of a player: standing, trend and the MMR line of its chart."""

    race: str
    position: int | None
    rank: str
    mmr: int
    games_played: int
    games_won: int
    games_lost: int
    games_drawn: int
    last_played: datetime | None
    peak_mmr: int
    streak_outcome: Outcome | None
    streak_games: int
    #: The MMR before the entry's first logged game, then after each (a drop or rise
    #: between two games, from a season's soft reset or an adjustment, as its own point).
    points: tuple[Point, ...]
    logged_games: int
    #: As :class:`Row`'s: None under Elo rules.
    rd: float | None = None
    provisional: bool | None = None


@dataclass(frozen=True, slots=True)
class Recent:
    """One of a player's latest matches, from their side."""

    match_id: int | None
    played_at: datetime
    race: str
    outcome: Outcome
    opponent_uid: int
    opponent_race: str
    mmr_before: int
    mmr_after: int


@dataclass(frozen=True, slots=True)
class Rival:
    """A player's record against one opponent."""

    discord_uid: int
    games: int
    won: int
    lost: int
    drawn: int
    last_met: datetime


@dataclass(frozen=True, slots=True)
class Finish:
    """A player's final standing in one closed season, one race."""

    season: int
    race: str
    #: Among the season's entries with games (None: no game in it).
    position: int | None
    race_position: int | None
    rank: str
    mmr: int
    games_won: int
    games_lost: int
    games_drawn: int


@dataclass(frozen=True, slots=True)
class PlayerPage:
    discord_uid: int
    player_name: str
    entries: tuple[Entry, ...]
    recent: tuple[Recent, ...]
    rivals: tuple[Rival, ...]
    finishes: tuple[Finish, ...]
    #: ``ladder profile --format json``'s object (less :data:`NOT_PUBLISHED`).
    json: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Season:
    """A closed season: ``number`` counts from 1, the oldest (its pages' file names)."""

    number: int
    name: str
    closed_at: datetime | None
    entries: int
    matches: int
    soft_reset: float
    champions: tuple[Row, ...]
    standings: tuple[Row, ...]
    #: ``ladder season list --format json``'s object.
    json: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class MatchupLine:
    """A race matchup with the first race's win rate and its 95% interval (draws aside)."""

    race1: str
    race2: str
    games: int
    race1_wins: int
    race2_wins: int
    draws: int
    win_rate: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class SiteData:
    title: str
    #: The ladder's latest match: the site's "as of" time (None: no match yet).
    latest: datetime | None
    rules: Rules
    stats: LadderStats
    matchups: tuple[MatchupLine, ...]
    boards: tuple[Board, ...]
    players: tuple[PlayerPage, ...]
    #: How many players qualified for a page before ``--players`` cut the list.
    eligible_players: int
    seasons: tuple[Season, ...]
    #: Every player's current name (links and tables name opponents who have no page).
    names: Mapping[int, str]
    #: ``data.json``: the CLI's JSON objects.
    json: Mapping[str, Any]

    @property
    def linked(self) -> frozenset[int]:
        """The players who have a page."""
        return frozenset(p.discord_uid for p in self.players)


__all__ = [
    "Board",
    "Entry",
    "Finish",
    "MatchupLine",
    "PlayerPage",
    "Point",
    "Recent",
    "Rival",
    "Row",
    "Season",
    "SiteData",
]
