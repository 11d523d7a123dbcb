"""What the standings site shows (:mod:`ladder_cli.site.pages`), gathered from a
:class:`~ladder_cli.Ladder` in bulk.

Everything comes through the Ladder's public reads (leaderboards, the match log, the
season archive, statistics) once per build, then is grouped here per player, so a big
ladder costs a few bulk reads rather than one profile read per player. The result is plain
frozen data in a stable order: the same ladder gives the same :class:`SiteData`, and
nothing in it comes from the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from ladder_cli.core.reads import Profile
from ladder_cli.domain.model import RACES, AppliedMatch
from ladder_cli.domain.stats import (
    Side,
    Trend,
    in_applied_order,
    player_side,
    trends,
    wilson,
)
from ladder_cli.site.pages import (
    Board,
    Entry,
    Finish,
    MatchupLine,
    PlayerPage,
    Point,
    Recent,
    Rival,
    Row,
    Season,
    SiteData,
)
from ladder_cli.util.errors import BadInput, LadderError

if TYPE_CHECKING:
    import polars as pl

    from ladder_cli.core.ladder import Ladder
    from ladder_cli.domain.rules import Rules

DEFAULT_PLAYERS: Final = 5_000
"""Player pages at most, unless ``--players`` says otherwise."""
ACTIVE_DAYS: Final = 90
"""A player with a game this many days before the ladder's latest match gets a page even
without a ranked entry."""
RECENT_MATCHES: Final = 10
RIVALS: Final = 20
"""Head-to-head rows on a player page: the opponents met most often."""
TOP: Final = 10
"""Rows of each race's table on the index."""
NOT_PUBLISHED: Final = ("country", "region", "battletag")
"""Profile keys the site leaves out: the original bot's personal fields."""


def check_players(players: int) -> int:
    if isinstance(players, bool) or not isinstance(players, int) or players < 1:
        raise BadInput(f"--players {players!r} must be a whole number, 1 or more")
    return players


def gather(ladder: Ladder, *, title: str, players: int = DEFAULT_PLAYERS) -> SiteData:
    """Everything the site's pages show, from bulk reads of ``ladder``.

    The site needs the whole match log and the season archive, which live in the database
    only: offline (a snapshot holds the current ratings and the newest matches) it is an
    error, as ``leaderboard --as-of`` and ``verify`` are, rather than a site with charts and
    seasons silently missing."""
    check_players(players)
    unavailable = ladder.reachable()
    if unavailable is not None:
        raise LadderError(
            f"the site is built from the whole match log and the season archive, which are "
            f"in the database: {unavailable} (the offline snapshot holds only the current "
            "ratings); try again when the database answers"
        )
    rules = ladder.rules()
    frame = ladder.current().frame
    names = _names(frame)
    boards = tuple(
        Board(key, _rows(ladder.leaderboard(race=race, top=None)))
        for key, race in (("all", None), *((r, r) for r in RACES))
    )
    matches = ladder.history(None, limit=None)
    latest = _latest(frame, matches)
    chosen, eligible = _choose(boards[0].rows, frame, latest, players)
    seasons, archives = _seasons(ladder)
    stats = ladder.views.stats(matches)
    pages = _player_pages(chosen, frame, boards[1:], matches, seasons, archives, rules)
    data = SiteData(
        title=title,
        latest=latest,
        rules=rules,
        stats=stats,
        matchups=tuple(_matchup(m) for m in stats.matchups),
        boards=boards,
        players=pages,
        eligible_players=eligible,
        seasons=seasons,
        names=names,
        json={},
    )
    return _with_json(data)


# -- reads ---------------------------------------------------------------------------------


def _names(frame: pl.DataFrame) -> dict[int, str]:
    """Each player's name as their profile shows it: their first race's row's (the bot may
    have written different names on a player's rows)."""
    pairs = (
        frame.select("discord_uid", "race", "player_name")
        .sort("discord_uid", "race")
        .unique("discord_uid", keep="first", maintain_order=True)
    )
    return dict(pairs.select("discord_uid", "player_name").iter_rows())


def _rows(board: pl.DataFrame) -> tuple[Row, ...]:
    return tuple(Row(**row) for row in board.iter_rows(named=True))


def _latest(frame: pl.DataFrame, matches: Sequence[AppliedMatch]) -> datetime | None:
    """The ladder's latest match: the match log's, or an entry's last game (a row the bot
    wrote may be newer than any logged match)."""
    stamps = [m.played_at for m in matches[:1]]
    newest = frame["last_played"].max() if frame.height else None
    if isinstance(newest, datetime):
        stamps.append(newest)
    return max(stamps, default=None)


def _choose(
    board: Sequence[Row], frame: pl.DataFrame, latest: datetime | None, limit: int
) -> tuple[list[int], int]:
    """The players who get a page, best first, and how many qualified: those with a ranked
    entry, by their best one (the leaderboard's order), then those with a game in the
    :data:`ACTIVE_DAYS` before the latest match (a season's reset keeps ``last_played``
    while it zeroes the counts), by their best entry in the same order."""
    import polars as pl

    ranked = dict.fromkeys(row.discord_uid for row in board if row.rank != "U")
    order = list(ranked)
    if latest is not None:
        since = latest - timedelta(days=ACTIVE_DAYS)
        recent = frame.filter(pl.col("last_played") >= since).sort(
            ["mmr", "last_played", "id"], descending=True
        )
        order += [u for u in dict.fromkeys(recent["discord_uid"].to_list()) if u not in ranked]
    return order[:limit], len(order)


def _seasons(ladder: Ladder) -> tuple[tuple[Season, ...], dict[int, list[Row]]]:
    """The closed seasons, oldest first, and each one's whole archive (entries without a
    game in it too, as profiles list them) by season number."""

    closed = list(reversed(ladder.seasons.list()))  # oldest first
    out, archives = [], {}
    for number, season in enumerate(closed, start=1):
        archive = _rows(ladder.leaderboard(season=season.name, top=None, min_games=0))
        archives[number] = list(archive)
        # The archived order of the entries with games; positions among the ranked ones
        # (without an activity window, those with games), as the archive keeps them.
        standings = tuple(_numbered(r for r in archive if r.games_played > 0))
        champions: dict[str, Row] = {}
        for row in standings:
            if row.position is not None:
                champions.setdefault(row.race, row)
        out.append(
            Season(
                number=number,
                name=season.name,
                closed_at=season.closed_at,
                entries=season.entries,
                matches=season.matches,
                soft_reset=season.soft_reset,
                champions=tuple(champions[r] for r in RACES if r in champions),
                standings=standings,
                json=season.as_dict(),
            )
        )
    return tuple(out), archives


def _numbered(rows: Iterable[Row]) -> Iterator[Row]:
    """The rows with their positions among the ranked ones (a U row has none)."""
    from dataclasses import replace

    ahead = 0
    for row in rows:
        position = None
        if row.rank != "U":
            ahead += 1
            position = ahead
        yield replace(row, position=position)


# -- players -------------------------------------------------------------------------------


def _player_pages(
    chosen: Sequence[int],
    frame: pl.DataFrame,
    race_boards: Sequence[Board],
    matches: Sequence[AppliedMatch],
    seasons: Sequence[Season],
    archives: Mapping[int, Sequence[Row]],
    rules: Rules,
) -> tuple[PlayerPage, ...]:
    import polars as pl

    from ladder_cli.domain.provisional import with_certainty

    wanted = set(chosen)
    theirs: dict[int, list[AppliedMatch]] = {uid: [] for uid in chosen}
    for m in matches:  # newest first, as the log reads
        if m.p1_uid in wanted:
            theirs[m.p1_uid].append(m)
        if m.p2_uid in wanted:
            theirs[m.p2_uid].append(m)
    race_position = {
        (row.discord_uid, row.race): (row.position, row.rank)
        for board in race_boards
        for row in board.rows
        if row.discord_uid in wanted
    }
    finishes: dict[int, list[Finish]] = {uid: [] for uid in chosen}
    for season in reversed(seasons):  # newest first, as profiles list them
        overall, in_race = 0, dict[str, int]()
        archived = []
        for row in archives[season.number]:
            position = race_place = None
            if row.rank != "U":
                overall += 1
                position = overall
                race_place = in_race[row.race] = in_race.get(row.race, 0) + 1
            if row.discord_uid in wanted:
                archived.append((row, position, race_place))
        for row, position, race_place in sorted(archived, key=lambda a: a[0].race):
            finishes[row.discord_uid].append(
                Finish(
                    season.number,
                    row.race,
                    position,
                    race_place,
                    row.rank,
                    row.mmr,
                    row.games_won,
                    row.games_lost,
                    row.games_drawn,
                )
            )
    mine = frame.filter(pl.col("discord_uid").is_in(sorted(wanted)))
    mine = with_certainty(mine, rules)  # rd and provisional, as `profile` shows them
    entries: dict[int, list[dict[str, Any]]] = {uid: [] for uid in chosen}
    for stored in mine.sort("discord_uid", "race").iter_rows(named=True):
        entries[stored["discord_uid"]].append(stored)
    names = {uid: rows[0]["player_name"] for uid, rows in entries.items() if rows}
    seasons_by_number = {s.number: s for s in seasons}
    pages = []
    for uid in chosen:
        pages.append(
            _player(
                uid,
                names.get(uid, f"Player{uid}"),
                entries[uid],
                theirs[uid],
                race_position,
                finishes[uid],
                seasons_by_number,
            )
        )
    return tuple(pages)


def _player(
    uid: int,
    name: str,
    rows: Sequence[Mapping[str, Any]],
    matches: Sequence[AppliedMatch],
    race_position: Mapping[tuple[int, str], tuple[int | None, str]],
    finishes: Sequence[Finish],
    seasons: Mapping[int, Season],
) -> PlayerPage:
    order = {race: i for i, race in enumerate(RACES)}
    rows = sorted(rows, key=lambda r: (order.get(r["race"], len(order)), r["race"]))
    current = {r["race"]: int(r["mmr"]) for r in rows}
    trend = {t.race: t for t in trends(uid, matches, current)}
    lines, games = _lines(uid, matches)
    entries = []
    for r in rows:
        race = r["race"]
        position, rank = race_position.get((uid, race), (None, "U"))
        t: Trend = trend[race]
        entries.append(
            Entry(
                race=race,
                position=position,
                rank=rank,
                mmr=int(r["mmr"]),
                games_played=int(r["games_played"]),
                games_won=int(r["games_won"]),
                games_lost=int(r["games_lost"]),
                games_drawn=int(r["games_drawn"]),
                last_played=r["last_played"],
                peak_mmr=t.peak_mmr,
                streak_outcome=t.streak_outcome,
                streak_games=t.streak_games,
                points=tuple(lines.get(race, ())),
                logged_games=games.get(race, 0),
                rd=r["rd"],
                provisional=r["provisional"],
            )
        )
    recent = tuple(_recent(player_side(m, uid)) for m in matches[:RECENT_MATCHES])
    rivals = _rivals(uid, matches)
    profile = Profile(
        uid,
        name,
        [
            {
                "position": e.position,
                "rank": e.rank,
                "discord_uid": uid,
                "player_name": name,
                "race": e.race,
                "mmr": e.mmr,
                "games_played": e.games_played,
                "games_won": e.games_won,
                "games_lost": e.games_lost,
                "games_drawn": e.games_drawn,
                "last_played": e.last_played,
                "rd": e.rd,
                "provisional": e.provisional,
            }
            for e in sorted(entries, key=lambda e: e.race)  # as `profile` lists them
        ],
        list(matches[:RECENT_MATCHES]),
        seasons=[
            {
                "name": seasons[f.season].name,
                "race": f.race,
                "position": f.position,
                "race_position": f.race_position,
                "rank": f.rank,
                "mmr": f.mmr,
                "won": f.games_won,
                "lost": f.games_lost,
                "drawn": f.games_drawn,
            }
            for f in finishes
        ],
    )
    shown = {k: v for k, v in profile.as_dict().items() if k not in NOT_PUBLISHED}
    shown["trends"] = [trend[r["race"]].as_dict() for r in profile.races]
    return PlayerPage(uid, name, tuple(entries), recent, rivals, tuple(finishes), shown)


def _lines(
    uid: int, matches: Iterable[AppliedMatch]
) -> tuple[dict[str, list[Point]], dict[str, int]]:
    """Per race, the MMR line of ``uid``'s chart and its number of games: the MMR before
    the first game, then after each game; where an event between two games moved it (a
    season's soft reset, a reset, an adjustment, decay) the line drops or rises at the
    next game. Games are taken in the order they were played, as ``ladder chart`` draws
    them."""
    sides = sorted(
        (player_side(m, uid) for m in in_applied_order(matches)),
        key=lambda s: (s.played_at, s.match_id or 0),
    )
    lines: dict[str, list[Point]] = {}
    last: dict[str, int] = {}
    games: dict[str, int] = {}
    for s in sides:
        games[s.race] = games.get(s.race, 0) + 1
        line = lines.setdefault(s.race, [])
        if last.get(s.race) != s.mmr_before:
            line.append(Point(s.played_at, s.mmr_before))
        line.append(Point(s.played_at, s.mmr_after))
        last[s.race] = s.mmr_after
    return lines, games


def _recent(side: Side) -> Recent:
    return Recent(
        side.match_id,
        side.played_at,
        side.race,
        side.outcome,
        side.opponent_uid,
        side.opponent_race,
        side.mmr_before,
        side.mmr_after,
    )


def _rivals(uid: int, matches: Sequence[AppliedMatch]) -> tuple[Rival, ...]:
    """The opponents met most often (ties: met last first, then by uid)."""
    counts: dict[int, list[Any]] = {}
    for m in matches:  # newest first: the first meeting seen is the last one played
        side = player_side(m, uid)
        c = counts.setdefault(side.opponent_uid, [0, 0, 0, 0, m.played_at])
        c[0] += 1
        c[{"W": 1, "L": 2, "D": 3}[side.outcome]] += 1
        c[4] = max(c[4], m.played_at)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1][0], -kv[1][4].timestamp(), kv[0]))
    return tuple(Rival(opp, *c) for opp, c in ranked[:RIVALS])


# -- statistics and data.json ------------------------------------------------------------


def _matchup(m: Any) -> MatchupLine:
    decisive = m.race1_wins + m.race2_wins
    if not decisive:
        return MatchupLine(
            m.race1, m.race2, m.games, m.race1_wins, m.race2_wins, m.draws, None, None, None
        )
    low, high = wilson(m.race1_wins, decisive)
    return MatchupLine(
        m.race1,
        m.race2,
        m.games,
        m.race1_wins,
        m.race2_wins,
        m.draws,
        m.race1_wins / decisive,
        low,
        high,
    )


def _with_json(data: SiteData) -> SiteData:
    from dataclasses import fields, replace

    board_keys = [f.name for f in fields(Row)]
    payload: dict[str, Any] = {
        "title": data.title,
        "latest_match": data.latest,
        "rules": data.rules.as_dict(),
        "stats": data.stats.as_dict(),
        "seasons": [s.json for s in reversed(data.seasons)],  # newest first, as season list
        "leaderboard": [{k: getattr(row, k) for k in board_keys} for row in data.boards[0].rows],
        "players": [p.json for p in data.players],
    }
    return replace(data, json=payload)


__all__ = [
    "ACTIVE_DAYS",
    "DEFAULT_PLAYERS",
    "NOT_PUBLISHED",
    "check_players",
    "gather",
]
