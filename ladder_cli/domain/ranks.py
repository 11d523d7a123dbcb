"""Letter ranks and leaderboard order, vectorised in Polars.

Letters go to every (player, race) entry with at least one game (and, when the rules set
an activity window, a game inside it), ordered ``mmr DESC, last_played DESC, id DESC``.
Under the ``standard`` rules the entry at 0-based position ``i`` of ``n`` has percentile
``100 * i / n``, decided with integer arithmetic (``100 * i < bound * n``), so no float
rounding can move an entry across a boundary; under fixed allocation (``evoladder``) each
letter gets a count of positions from :func:`ladder_cli.domain.rules.fixed_allocation`.

Under an activity window, positions count ranked entries only (the original bot's rule):
an unranked (U) row has no position, and the ranked rows around it are numbered as if it
were not there. Without a window every row shown is numbered, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

import polars as pl

from ladder_cli.domain import provisional
from ladder_cli.domain.model import now_utc
from ladder_cli.domain.replay import STANDING_COLUMNS
from ladder_cli.domain.rules import PERCENTILE_BOUNDS, STANDARD, Rules, cutoffs
from ladder_cli.domain.rules import letter_for as letter_for

# (letter, percentile bound): an entry gets the first letter whose bound it is below.
BOUNDS: Final = PERCENTILE_BOUNDS
UNRANKED: Final = "U"
ORDER: Final = ["mmr", "last_played", "id"]

LEADERBOARD_COLUMNS: Final = [
    "position",
    "rank",
    "discord_uid",
    "player_name",
    "race",
    *STANDING_COLUMNS,
]
#: A board's columns: the leaderboard's, then (null under Elo rules) the RD grown to the
#: board's time and whether the entry is provisional (Glicko-2: RD ≥ 110, no letter).
BOARD_COLUMNS: Final = [*LEADERBOARD_COLUMNS, *provisional.COLUMNS]


# Sorting with ``nulls_last`` is slower in Polars than a plain descending sort
# (docs/benchmarks.md has the figures);
# descending with nulls last is the same order as nulls replaced by a value below any
# real one (ids are never null in a frame; last_played is null for unplayed entries).
_LOWEST = -(2**63) + 1


def ranked_positions(rules: Rules) -> bool:
    """Whether positions count ranked entries only (under an activity window)."""
    return rules.activity_days is not None


def _positions(first: int, ranked_only: bool, ranked: pl.Expr | None = None) -> pl.Expr:
    """Positions over a frame in shown order, from ``first``: every row, or (ranked only)
    the rows ``ranked`` is true for, null on the others (``ranked``: a ``rank`` not U)."""
    if not ranked_only:
        return pl.int_range(first, first + pl.len(), dtype=pl.Int64).alias("position")
    is_ranked = pl.col("rank") != UNRANKED if ranked is None else ranked
    counted = is_ranked.cast(pl.Int64).cum_sum() + (first - 1)
    return pl.when(is_ranked).then(counted).otherwise(None).cast(pl.Int64).alias("position")


def _sort_keys(frame: pl.DataFrame | pl.LazyFrame) -> list[pl.Expr]:
    # As integers (a timestamp's microseconds keep its order), nulls below any value.
    return [pl.col(c).cast(pl.Int64).fill_null(_LOWEST).alias(c) for c in ORDER]


def in_order(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(_sort_keys(frame), descending=True)


def with_ranks(
    frame: pl.DataFrame,
    *,
    rules: Rules = STANDARD,
    now: datetime | None = None,
    activity_days: int | None = None,
) -> pl.DataFrame:
    """``frame`` in rank order with a ``rank`` letter column (``activity_days``: a window
    for rules that set none)."""
    rules = rules.with_activity(activity_days)
    now = now or now_utc()
    ordered = provisional.with_certainty(in_order(frame), rules, now)
    ordered = ordered.with_columns(_eligible(rules, now).alias("_ranked"))
    n: pl.Expr | int = pl.col("_ranked").sum()
    if rules.letters != "percentile":
        n = int(ordered["_ranked"].sum())
    ordered = ordered.with_columns(_letter(_ahead(), n, rules).alias("rank"))
    return ordered.drop("_ranked")


def _ahead() -> pl.Expr:
    """Over a frame in rank order: how many ranked entries come before each row."""
    ahead: pl.Expr = pl.col("_ranked").cast(pl.Int64).cum_sum() - 1
    return ahead


def _letter(i: pl.Expr, n: pl.Expr | int, rules: Rules = STANDARD) -> pl.Expr:
    """:func:`letter_for` as an expression; U where ``_ranked`` is false. Fixed allocation
    needs ``n`` as a number (its cut-offs are not linear in ``n``)."""
    letter: Any = pl.when(~pl.col("_ranked")).then(pl.lit(UNRANKED))
    if rules.letters == "percentile":
        for name, bound in BOUNDS:
            letter = letter.when(100 * i < bound * n).then(pl.lit(name))
    else:
        if not isinstance(n, int):
            raise TypeError("fixed allocation needs the number of ranked entries")
        for name, cut in cutoffs(n, rules):
            letter = letter.when(i < cut).then(pl.lit(name))
    done: pl.Expr = letter.otherwise(pl.lit("F"))
    return done


@dataclass(frozen=True)
class Filters:
    """The leaderboard's narrowing options beyond one race and a minimum of games.

    ``races``: any of these races; ``best_race``: each player's best ranked entry only
    (unranked entries dropped first, as the original bot does); ``rank``: one letter;
    ``uids``: only these players (the bot's ``players.country`` filter).
    """

    races: tuple[str, ...] = ()
    best_race: bool = False
    rank: str | None = None
    uids: frozenset[int] | None = None

    @property
    def simple(self) -> bool:
        """Only a single race, at most: the fast paths serve it."""
        return len(self.races) <= 1 and not self.best_race and not self.rank and not self.uids


NO_FILTERS: Final = Filters()


def leaderboard(
    frame: pl.DataFrame,
    *,
    race: str | None = None,
    min_games: int = 1,
    top: int | None = 20,
    page: int = 1,
    rules: Rules = STANDARD,
    now: datetime | None = None,
    filters: Filters = NO_FILTERS,
    activity_days: int | None = None,
) -> pl.DataFrame:
    """One page of the leaderboard, positions counted within the filtered order."""
    rules = rules.with_activity(activity_days)
    races = filters.races or ((race,) if race is not None else ())
    if top and top <= _FAST_PAGE and filters.simple:
        one = races[0] if races else None
        return _page(frame, one, min_games, top, page, rules, now)
    board = with_ranks(frame, rules=rules, now=now)
    return narrowed(
        board,
        filters=replace(filters, races=races),
        min_games=min_games,
        top=top,
        page=page,
        ranked_only=ranked_positions(rules),
    )


def narrowed(
    board: pl.DataFrame,
    *,
    filters: Filters,
    min_games: int,
    top: int | None,
    page: int,
    ranked_only: bool = False,
) -> pl.DataFrame:
    """One page of a board already in rank order with its letters (the live one, or a
    closed season's archive): filtered, then positions counted within what is left (the
    ranked rows only, with ``ranked_only``)."""
    races = filters.races
    if races:
        board = board.filter(pl.col("race").is_in(list(races)))
    if filters.uids is not None:
        board = board.filter(pl.col("discord_uid").is_in(sorted(filters.uids)))
    if filters.best_race:
        board = board.filter(pl.col("rank") != UNRANKED).unique(
            "discord_uid", keep="first", maintain_order=True
        )
    if filters.rank is not None:
        board = board.filter(pl.col("rank") == filters.rank)
    board = board.filter(pl.col("games_played") >= min_games)
    board = board.with_columns(_positions(1, ranked_only))
    if top:
        # Clipped to the board, so a page or size beyond any ladder is simply empty or all.
        board = board.slice(min((page - 1) * top, board.height), min(top, board.height))
    return provisional.ensure_columns(board).select(BOARD_COLUMNS)


# Pages up to this size skip the full sort: the page is a top-k selection, and each shown
# entry's letter comes from counting the ranked entries ahead of it (one vectorised pass
# per shown entry), which gives exactly the letters of :func:`with_ranks`.
_FAST_PAGE = 100


def _eligible(rules: Rules, now: datetime | None) -> pl.Expr:
    """Whether an entry holds a letter: a game (within the activity window, if any), and
    under Glicko-2 rules a rating that is not provisional."""
    eligible = pl.col("games_played") > 0
    activity_days = rules.activity_days
    if activity_days is not None:
        since = (now or now_utc()) - timedelta(days=activity_days)
        eligible = eligible & (pl.col("last_played") >= since)
    if rules.glicko:
        eligible = eligible & ~provisional.provisional(now or now_utc())
    return eligible.fill_null(False)


def _page(
    frame: pl.DataFrame,
    race: str | None,
    min_games: int,
    top: int,
    page: int,
    rules: Rules,
    now: datetime | None,
) -> pl.DataFrame:
    now = now or now_utc()
    if rules.glicko:
        frame = provisional.with_doubles(frame)
    keys = _sort_keys(frame)
    ranked = frame.select(*keys, _eligible(rules, now).alias("_ranked"))
    n = int(ranked["_ranked"].sum())
    shown = frame.lazy()
    if race is not None:
        shown = shown.filter(pl.col("race") == race)
    shown = shown.filter(pl.col("games_played") >= min_games)
    count = shown.select(pl.len()).collect().item()
    offset = min((page - 1) * top, count)
    ranked_only = ranked_positions(rules)
    board = (
        shown.with_columns(_eligible(rules, now).alias("_ranked"))
        .sort(keys, descending=True)
        .slice(offset, min(top, count))
        .collect()
    )
    letters = []
    if board.height:
        mmr, last, rid = (pl.col(c) for c in ORDER)
        ahead = []
        for j, row in enumerate(board.select(*keys).iter_rows()):
            m, lp, i = row
            before = (mmr > m) | ((mmr == m) & ((last > lp) | ((last == lp) & (rid > i))))
            ahead.append((pl.col("_ranked") & before).sum().alias(str(j)))
        counts = ranked.rename(dict(zip(ranked.columns[:3], ORDER, strict=True))).select(ahead)
        for j, is_ranked in enumerate(board["_ranked"]):
            letters.append(letter_for(counts[str(j)][0], n, rules) if is_ranked else UNRANKED)
    board = board.with_columns(pl.Series("rank", letters, dtype=pl.String))
    first = offset + 1
    if ranked_only and board.height:
        top_row = board.select(*keys).row(0)
        first = 1 + _ranked_shown_before(shown, keys, top_row, rules, now)
    board = board.with_columns(_positions(first, ranked_only))
    return provisional.with_certainty(board, rules, now).select(BOARD_COLUMNS)


def _ranked_shown_before(
    shown: pl.LazyFrame,
    keys: list[pl.Expr],
    first: tuple[Any, ...],
    rules: Rules,
    now: datetime | None,
) -> int:
    """How many ranked rows of ``shown`` come before the row whose sort keys are
    ``first`` (the page's first row): what a page's positions start after."""
    m, lp, i = first
    mmr, last, rid = (pl.col(c) for c in ORDER)
    before = (mmr > m) | ((mmr == m) & ((last > lp) | ((last == lp) & (rid > i))))
    counted = shown.select(*keys, _eligible(rules, now).alias("_ranked")).select(
        (pl.col("_ranked") & before).sum()
    )
    return int(counted.collect().item())


def leaderboard_in_order(
    scan: pl.LazyFrame,
    *,
    race: str | None = None,
    min_games: int = 1,
    top: int | None = 20,
    page: int = 1,
    rules: Rules = STANDARD,
    now: datetime | None = None,
    activity_days: int | None = None,
) -> pl.DataFrame:
    """:func:`leaderboard` of a ladder already stored in rank order (see :func:`in_order`).

    Nothing is sorted, and only a few columns are read whole: which rows the page holds
    is found from the eligibility and filter columns, then only the rows from the page's
    first to its last are read: from an Arrow file, a small part of a full load
    (docs/benchmarks.md has the figures).
    """
    rules = rules.with_activity(activity_days)
    eligible = _eligible(rules, now)
    n: pl.Expr | int = pl.col("_n")  # the count over the whole ladder, before any filter
    if rules.letters != "percentile":
        n = int(scan.select(eligible.sum()).collect().item())
    pick = scan.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"),
        eligible.alias("_ranked"),
        *(["race"] if race is not None else []),
        "games_played",
    ).with_columns(_ahead().alias("_i"), pl.col("_ranked").sum().alias("_n"))
    if race is not None:
        pick = pick.filter(pl.col("race") == race)
    pick = pick.filter(pl.col("games_played") >= min_games)
    # Positions count within what is shown (ranked rows only, under a window), before paging.
    pick = pick.with_columns(_positions(1, ranked_positions(rules), pl.col("_ranked")))
    offset = 0
    if top:
        # Clipped to the ladder, so a page or size beyond any ladder is simply empty or all.
        total = scan.select(pl.len()).collect().item()
        offset = min((page - 1) * top, total)
        pick = pick.slice(offset, min(top, total))
    wanted = pick.select(
        "_row", "_ranked", "position", _letter(pl.col("_i"), n, rules).alias("rank")
    ).collect()
    if wanted.height:
        first, last = int(wanted["_row"][0]), int(wanted["_row"][-1])
        rows = scan.slice(first, last - first + 1).collect()[wanted["_row"] - first]
    else:
        rows = scan.head(0).collect()
    board = rows.with_columns(wanted["rank"], wanted["position"])
    return provisional.with_certainty(board, rules, now).select(BOARD_COLUMNS)


def race_positions(ranked: pl.DataFrame) -> pl.DataFrame:
    """Each entry's position within its race among the ranked entries (null for a U row:
    without an activity window, those are the entries without games)."""
    played = ranked.filter(pl.col("rank") != UNRANKED).with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("race").alias("position")
    )
    return ranked.join(
        played.select("discord_uid", "race", "position"), on=["discord_uid", "race"], how="left"
    )
