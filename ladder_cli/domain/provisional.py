"""How sure a Glicko-2 rating is, over a frame of entries: each entry's RD grown to a time
and whether it is provisional (RD ≥ 110: a ``?`` after its MMR, and no letter).

A frame of a ladder under Glicko-2 rules carries each entry's stored doubles (null where
none are kept, see :func:`ladder_cli.domain.frames.with_states`); as the flush reads a row
(:func:`ladder_cli.domain.glicko2.of_row`), doubles that no longer explain the MMR, or none,
mean a baseline (RD 150, volatility 0.09), or a new entry's state for a row that still is
one. The RD then grows with the days since the last game, exactly as
:func:`ladder_cli.domain.glicko2.grown_rd` grows it before a game. Under Elo rules both
columns are null.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

import polars as pl

from ladder_cli.domain.glicko2 import LICHESS, SCALE, SECONDS_PER_DAY, Params
from ladder_cli.domain.model import now_utc
from ladder_cli.domain.rules import Rules

RD: Final = "rd"
PROVISIONAL: Final = "provisional"
COLUMNS: Final = (RD, PROVISIONAL)


def _doubles(params: Params) -> tuple[pl.Expr, pl.Expr]:
    """The RD and volatility a flush would rate each row from."""
    kept = pl.col("glicko_rating").is_not_null() & (
        (pl.col("glicko_rating") + 0.5).floor().cast(pl.Int64) == pl.col("mmr")
    )
    new = (
        pl.col("glicko_rating").is_null()
        & (pl.col("games_played") == 0)
        & pl.col("last_played").is_null()
        & (pl.col("mmr") == int(params.start_rating))
    )
    rd = (
        pl.when(kept)
        .then(pl.col("glicko_rd"))
        .when(new)
        .then(pl.lit(params.start_rd))
        .otherwise(pl.lit(params.baseline_rd))
    )
    volatility = (
        pl.when(kept).then(pl.col("glicko_volatility")).otherwise(pl.lit(params.start_volatility))
    )
    return rd, volatility


def rd_at(now: datetime, params: Params = LICHESS) -> pl.Expr:
    """Each row's RD grown to ``now``: ``sqrt(φ² + t·σ²)`` on the Glicko-2 scale with
    ``t = periods_per_day * days`` since its last game, capped at the largest RD."""
    rd, volatility = _doubles(params)
    seconds = (pl.lit(now) - pl.col("last_played")).dt.total_microseconds() / 1_000_000
    days = pl.when(seconds > 0).then(seconds / SECONDS_PER_DAY).otherwise(0.0).fill_null(0.0)
    t = pl.lit(params.periods_per_day) * days
    phi = rd / SCALE
    grown = pl.lit(SCALE) * (phi * phi + t * volatility * volatility).sqrt()
    capped = pl.when(grown < params.max_rd).then(grown).otherwise(pl.lit(params.max_rd))
    return pl.when(t > 0.0).then(capped).otherwise(rd).cast(pl.Float64)


def provisional(now: datetime, params: Params = LICHESS) -> pl.Expr:
    """Whether each row's RD, grown to ``now``, is at least the provisional bound."""
    return rd_at(now, params) >= params.provisional_rd


def with_certainty(frame: pl.DataFrame, rules: Rules, now: datetime | None = None) -> pl.DataFrame:
    """``frame`` with ``rd`` (grown to ``now``) and ``provisional``: computed under
    Glicko-2 rules from the doubles the frame carries, null under Elo rules."""
    if not rules.glicko:
        return frame.with_columns(
            pl.lit(None, dtype=pl.Float64).alias(RD),
            pl.lit(None, dtype=pl.Boolean).alias(PROVISIONAL),
        )
    frame = with_doubles(frame)
    when = now or now_utc()
    return frame.with_columns(rd_at(when).alias(RD), provisional(when).alias(PROVISIONAL))


def with_doubles(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with Glicko-2's columns of doubles, null where it has none (every row then
    read as a baseline, as a flush reads a row without doubles)."""
    from ladder_cli.domain.frames import STATE_SCHEMA

    missing = [pl.lit(None, dtype=t).alias(n) for n, t in STATE_SCHEMA.items()
               if n not in frame.columns]  # fmt: skip
    return frame.with_columns(missing) if missing else frame


def ensure_columns(board: pl.DataFrame) -> pl.DataFrame:
    """``board`` with ``rd`` and ``provisional`` (null where it has none: a closed
    season's archive, or a page a server ranked under Elo rules)."""
    missing = [
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in ((RD, pl.Float64), (PROVISIONAL, pl.Boolean))
        if name not in board.columns
    ]
    return board.with_columns(missing) if missing else board


__all__ = ["COLUMNS", "PROVISIONAL", "RD", "ensure_columns", "provisional", "rd_at",
           "with_certainty", "with_doubles"]  # fmt: skip
