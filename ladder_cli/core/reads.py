"""Reads: the stored ladder with this home's pending queue applied on top.

Each read asks :attr:`Parts.source <ladder_cli.core.parts.Parts.source>` (the database, or
offline its snapshot) and overlays the pending jobs as the flush will apply them, so an
admin always sees their own writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final

from ladder_cli.domain.model import AppliedMatch, parse_race
from ladder_cli.util.errors import BadInput, LadderError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import datetime

    import polars as pl

    from ladder_cli.core.parts import Parts
    from ladder_cli.domain import ranks
    from ladder_cli.domain.frames import Overlay
    from ladder_cli.domain.ranks import Filters
    from ladder_cli.stores import Store

MAX_ROWS: Final = 2**62
"""A ``--limit`` above this means "all": SQL's LIMIT takes a 64-bit integer."""


@dataclass
class Profile:
    discord_uid: int
    player_name: str
    races: list[dict[str, Any]]
    recent_matches: list[AppliedMatch]
    #: From the original bot's ``players`` table, where it has this player.
    country: str | None = None
    region: str | None = None
    battletag: str | None = None
    #: The player's final standing in each closed season, newest first.
    seasons: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "discord_uid": self.discord_uid,
            "player_name": self.player_name,
            "races": self.races,
            "recent_matches": [m.as_dict() for m in self.recent_matches],
            "country": self.country,
            "region": self.region,
            "battletag": self.battletag,
            "seasons": self.seasons,
        }


class Reads:
    """Leaderboard, profile, history and names, from one read source."""

    def __init__(self, parts: Parts, resolve: Callable[[str | int], int]) -> None:
        self._parts = parts
        self._resolve = resolve

    def frame(self) -> pl.DataFrame:
        """``mmrs_1v1`` as stored (cached for the Ladder), before pending writes."""
        return self._parts.source.frame()

    def current(self) -> Overlay:
        """The stored state with this home's pending queue applied on top."""
        from ladder_cli.domain.frames import overlay

        pending = self._parts.pending()
        result = overlay(self.frame(), pending, self._parts.rules() if pending else None)
        if pending:
            n = len(pending)
            self._parts.note(
                f"{n:,} pending {'write' if n == 1 else 'writes'} not yet in the database "
                f"{'is' if n == 1 else 'are'} included"
            )
        return result

    def leaderboard(
        self,
        race: str | Sequence[str] | None,
        top: int | None,
        page: int,
        min_games: int,
        best_race: bool = False,
        rank: str | None = None,
        country: str | None = None,
        season: str | None = None,
        as_of: datetime | None = None,
    ) -> pl.DataFrame:
        """One page of the leaderboard. ``race`` may name several races; ``best_race``
        keeps each player's best ranked entry; ``rank`` one letter; ``country`` the
        players of the bot's ``players`` table from that country; ``season`` a closed
        season's final standings instead of the live ones; ``as_of`` (UTC) the ladder as it
        stood then, replayed from the event log (see :mod:`ladder_cli.domain.asof`)."""
        from ladder_cli.domain import ranks

        filters, options = self._board_options(race, top, page, min_games, best_race, rank, country)
        parts = self._parts
        if season is not None:
            if as_of is not None:
                raise BadInput("a closed season's standings have no --as-of: give one of them")
            return season_board(
                parts.store,
                parts.source.unavailable,
                season,
                filters=filters,
                min_games=min_games,
                top=options["top"],
                page=page,
                ranked_only=ranks.ranked_positions(options["rules"]),
            )
        if as_of is not None:
            board = self._frame_as_of(as_of)
            return ranks.leaderboard(board, **options, filters=filters, now=as_of)
        if not filters.simple:
            return ranks.leaderboard(self.current().frame, **options, filters=filters)
        if (
            not parts.cached_frame_loaded()
            and not parts.queue.pending_count()
            and not options["rules"].glicko  # provisional entries: ranked from the doubles
        ):
            # Nothing pending and no frame in memory: a server ranks the page itself, the
            # embedded store reads it from its ranked file; neither loads every entry.
            import polars as pl

            served = parts.source.ranked_page(**options)
            if served is not None:
                from ladder_cli.domain.provisional import ensure_columns

                return ensure_columns(served)
            scan = parts.source.ranked_scan()
            if scan is not None:
                try:
                    return ranks.leaderboard_in_order(scan, **options)
                except (OSError, pl.exceptions.PolarsError):
                    pass  # replaced by another process after a write: load the frame
        return ranks.leaderboard(self.current().frame, **options)

    def _board_options(
        self,
        race: str | Sequence[str] | None,
        top: int | None,
        page: int,
        min_games: int,
        best_race: bool,
        rank: str | None,
        country: str | None,
    ) -> tuple[ranks.Filters, dict[str, Any]]:
        """The leaderboard's options checked: its filters and :func:`ranks.leaderboard`'s
        keyword arguments."""
        from ladder_cli.domain import ranks
        from ladder_cli.stores.bot import bot_players_in

        named = [race] if isinstance(race, str) else list(race or ())
        races = tuple(dict.fromkeys(parse_race(r) for r in named))
        if top is not None and top < 0:
            raise BadInput(f"top {top} must be 0 (all) or more", param="top")
        if page < 1:
            raise BadInput(f"page {page} must be 1 or more", param="page")
        if min_games < 0:
            raise BadInput(f"min_games {min_games} must be 0 or more", param="min_games")
        letter = None
        if rank is not None:
            letter = rank.strip().upper()
            if letter not in ("S", "A", "B", "C", "D", "E", "F", "U"):
                raise BadInput(
                    f"rank {rank!r} is not a letter rank: S A B C D E F or U", param="rank"
                )
        parts = self._parts
        uids = None
        if country is not None:
            uids = bot_players_in(parts.store, country.strip())
            if uids is None:
                raise BadInput(
                    "country needs the original bot's players table (with a country "
                    "column), which this database does not have",
                    param="country",
                )
        filters = ranks.Filters(races, best_race, letter, None if uids is None else frozenset(uids))
        options: dict[str, Any] = {
            "race": races[0] if len(races) == 1 else None,
            "top": top or None,
            "page": page,
            "min_games": min_games,
            "rules": parts.rules(),
        }
        return filters, options

    def _frame_as_of(self, cutoff: datetime) -> pl.DataFrame:
        """The ladder as the event log had it at ``cutoff`` (:mod:`ladder_cli.domain.asof`), in
        ``mmrs_1v1``'s shape. The log is in the database: offline there is none to read
        (the snapshot keeps only the current rows)."""
        from ladder_cli.domain import asof
        from ladder_cli.stores import eventlog

        parts = self._parts
        source = parts.source
        if source.unavailable is not None:
            raise LadderError(
                f"--as-of replays the event log, which is in the database: {source.unavailable} "
                "(the offline snapshot holds only the current ratings); try again when the "
                "database answers"
            )
        standings = eventlog.standings_until(parts.store, cutoff, parts.rules())
        pending = parts.queue.pending_count()
        if pending:
            parts.note(
                f"{pending:,} pending {'write' if pending == 1 else 'writes'} not yet in the "
                "database (and its event log) "
                f"{'is' if pending == 1 else 'are'} not included"
            )
        return asof.frame(standings, source.frame())

    def profile(self, player: str | int, *, recent: int = 10) -> Profile:
        import polars as pl

        from ladder_cli.domain import ranks
        from ladder_cli.stores.bot import bot_player

        uid = self._resolve(player)
        parts = self._parts
        mine = None
        rules = parts.rules()
        if (
            not parts.cached_frame_loaded()
            and not parts.queue.pending_count()
            and not rules.glicko  # provisional entries: ranked from the doubles
        ):
            mine = parts.source.ranked_entries_of(uid, rules=rules)
        if mine is None:
            ranked = ranks.race_positions(
                ranks.with_ranks(self.current().frame, rules=parts.rules())
            )
            mine = ranked.filter(pl.col("discord_uid") == uid).sort("race")
        if mine.is_empty():
            raise BadInput(f"unknown player {uid}: no entries for this discord_uid")
        from ladder_cli.domain.provisional import ensure_columns

        races = ensure_columns(mine).select(ranks.BOARD_COLUMNS).to_dicts()
        name = races[0]["player_name"]
        parts = self._parts
        online = parts.source.unavailable is None
        bot = (bot_player(parts.store, uid) if online else None) or {}
        return Profile(
            uid,
            name,
            races,
            self.history(uid, limit=recent),
            country=_text(bot.get("country")),
            region=_text(bot.get("region")),
            battletag=_text(bot.get("battletag")),
            seasons=season_finishes(parts.store, uid) if online else [],
        )

    def history(
        self,
        player: str | int | None = None,
        *,
        limit: int | None = 20,
        include_voided: bool = False,
    ) -> list[AppliedMatch]:
        """The match log, newest first, pending matches included; ``limit`` None is all.

        Pending matches get provisional ids above the newest logged one."""
        if limit is not None and limit < 0:
            raise BadInput(f"limit {limit} must be 0 (all) or more", param="limit")
        if limit is not None and limit > MAX_ROWS:
            limit = None  # more than any log holds: all of it (and no 64-bit overflow in SQL)
        uid = None if player is None else self._resolve(player)
        source = self._parts.source
        logged = source.history(uid, limit, include_voided=include_voided)
        pending = self.current().matches if self._parts.pending() else []
        top = max((m.match_id or 0 for m in logged), default=0)
        if pending:
            top = max(top, source.newest_match_id())
        provisional = [
            replace(m, match_id=top + i)
            for i, m in enumerate(pending, start=1)
            if uid is None or uid in (m.p1_uid, m.p2_uid)
        ]
        merged = sorted(
            logged + provisional, key=lambda m: (m.played_at, m.match_id or 0), reverse=True
        )
        return merged if limit is None else merged[:limit]

    def names(self, uids: Iterable[int]) -> dict[int, str]:
        """Current names of these players (pending renames included), read for these
        players alone: the stored rows with the pending queue applied on top."""
        from ladder_cli.domain.rating import Ratings

        wanted = sorted(set(uids))
        if not wanted:
            return {}
        ratings = Ratings.from_entries(self._parts.source.entries_of(wanted))
        ratings.preview(self._parts.pending())
        return {uid: ratings.names[uid] for uid in wanted if uid in ratings.by_uid}


def season_board(
    store: Store,
    unavailable: str | None,
    name: str,
    *,
    filters: Filters,
    min_games: int,
    top: int | None,
    page: int,
    ranked_only: bool = False,
) -> pl.DataFrame:
    """A closed season's final standings as a leaderboard page: the archived order and
    letters, narrowed and paged like the live one (positions within what is shown; the
    ranked rows only under the ladder's activity window, ``ranked_only``)."""
    import polars as pl

    from ladder_cli.domain import ranks
    from ladder_cli.stores import seasons as stored  # deferred: Polars

    if unavailable is not None:
        raise LadderError(f"leaderboard --season reads the database's archive: {unavailable}")
    season = stored.season_id(store, name)
    if season is None:
        raise BadInput(f"unknown season {name!r}: see `ladder season list`", param="season")
    schema: dict[str, pl.DataType] = {
        "rank": pl.String(),
        "discord_uid": pl.Int64(),
        "player_name": pl.String(),
        "race": pl.String(),
        "mmr": pl.Int64(),
        "games_played": pl.Int64(),
        "games_won": pl.Int64(),
        "games_lost": pl.Int64(),
        "games_drawn": pl.Int64(),
        "last_played": pl.Datetime("us", "UTC"),
    }
    rows = [{k: r[k] for k in schema} for r in stored.standings(store, season)]
    board = pl.DataFrame(rows, schema=schema, orient="row")
    return ranks.narrowed(
        board, filters=filters, min_games=min_games, top=top, page=page, ranked_only=ranked_only
    )


def season_finishes(store: Store, uid: int) -> list[dict[str, Any]]:
    """The player's final standing in each closed season, newest first (the archive
    lives in the database only, so a profile read offline shows none)."""
    from ladder_cli.stores.seasons import finishes

    return [
        {
            "name": r["season"],
            "race": r["race"],
            "position": r["position"],
            "race_position": r["race_position"],
            "rank": r["rank"],
            "mmr": r["mmr"],
            "won": r["games_won"],
            "lost": r["games_lost"],
            "drawn": r["games_drawn"],
        }
        for r in finishes(store, uid)
    ]


def _text(value: object) -> str | None:
    return None if value is None else str(value)
