"""The ladder as Polars frames: ``mmrs_1v1`` and the match log converted from and to
rows, entries and matches, merged, and overlaid with the pending queue.

Polars frames are immutable, so every transformation here returns a new frame that the
caller assigns (the seed's lesson). The overlay applies pending jobs as the flush will,
so an admin sees their own writes at once, offline too.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import polars as pl

from ladder_cli.domain.model import AppliedMatch, Entry, QueuedJob, job_uids
from ladder_cli.domain.rating import Ratings
from ladder_cli.domain.rules import STANDARD, Rules
from ladder_cli.domain.tables import ENTRIES, ENTRY_READ, MATCH_SHOWN, MATCHES, polars_schema

#: ``mmrs_1v1`` as a frame, and the match log as a snapshot keeps it.
SCHEMA: Final = polars_schema(ENTRIES, ENTRY_READ)
MATCH_SCHEMA: Final = polars_schema(MATCHES, MATCH_SHOWN)
COUNT_COLUMNS: Final = ("games_played", "games_won", "games_lost", "games_drawn")
KEY: Final = ["discord_uid", "race"]


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def frame_from_rows(rows: Sequence[Sequence[Any]], *, timestamps_as_text: bool) -> pl.DataFrame:
    """Rows in :data:`~ladder_cli.domain.tables.ENTRY_READ` order into a frame of :data:`SCHEMA`."""
    columns = list(SCHEMA)
    if not timestamps_as_text:
        return _normalise(pl.DataFrame(rows, schema=SCHEMA, orient="row"))
    text_schema: dict[str, pl.DataType] = {**SCHEMA, "last_played": pl.String()}
    frame = pl.DataFrame(rows, schema=text_schema, orient="row")
    frame = frame.with_columns(
        pl.col("last_played").str.to_datetime(time_unit="us", time_zone="UTC")
    )
    return _normalise(frame.select(columns))


def frame_from_csv(data: bytes, *, epoch_us: bool = False) -> pl.DataFrame:
    """PostgreSQL's ``COPY ... (FORMAT csv)`` output into a frame of :data:`SCHEMA`.

    With ``epoch_us`` the ``last_played`` column holds integer microseconds since the
    epoch (no timestamp text to parse).
    """
    frame = pl.read_csv(
        io.BytesIO(data),
        schema_overrides={**SCHEMA, "last_played": pl.Int64 if epoch_us else pl.String},
        infer_schema=False,
    )
    if epoch_us:
        frame = frame.with_columns(pl.col("last_played").cast(pl.Datetime("us", "UTC")))
    else:
        frame = frame.with_columns(
            pl.col("last_played")
            .str.replace(r"([+-]\d\d)$", "${1}:00")
            .str.to_datetime(time_unit="us", time_zone="UTC")
        )
    return _normalise(frame)


def frame_from_arrow(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns in :data:`~ladder_cli.domain.tables.ENTRY_READ` order, as a database's Arrow reader
    typed them, into a frame of :data:`SCHEMA`."""
    frame = frame.rename(dict(zip(frame.columns, SCHEMA, strict=True)))
    return _normalise(frame.with_columns(pl.col("last_played").dt.convert_time_zone("UTC")))


def _normalise(frame: pl.DataFrame) -> pl.DataFrame:
    # The original schema allows NULL game counts; the ladder treats them as zero.
    frame = frame.with_columns(pl.col(c).fill_null(0) for c in COUNT_COLUMNS)
    return frame.cast(SCHEMA)  # type: ignore[arg-type]


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def _micros(at: datetime) -> int:
    """Microseconds since the epoch; a time without an offset is UTC."""
    return ((at if at.tzinfo is not None else at.replace(tzinfo=UTC)) - _EPOCH) // _MICROSECOND


def frame_from_entries(entries: Iterable[Entry]) -> pl.DataFrame:
    """Entries as a frame of :data:`SCHEMA`, built a column at a time, with times as
    integer microseconds: Polars converts a list of rows, or of datetimes, element by
    element in Python (a flush's touched entries, docs/benchmarks.md)."""
    es = entries if isinstance(entries, list) else list(entries)
    micros = [None if (last := e.last_played) is None else _micros(last) for e in es]
    columns: dict[str, Any] = {
        "id": [e.id for e in es],
        "discord_uid": [e.discord_uid for e in es],
        "player_name": [e.player_name for e in es],
        "race": [e.race for e in es],
        "mmr": [e.mmr for e in es],
        "games_played": [e.games_played for e in es],
        "games_won": [e.games_won for e in es],
        "games_lost": [e.games_lost for e in es],
        "games_drawn": [e.games_drawn for e in es],
        "last_played": pl.Series(micros, dtype=pl.Int64).cast(SCHEMA["last_played"]),
    }
    return pl.DataFrame(columns, schema=SCHEMA)


def frame_from_matches(matches: Iterable[AppliedMatch]) -> pl.DataFrame:
    """Logged matches as a frame of :data:`MATCH_SCHEMA` (a snapshot's match log)."""
    names = list(MATCH_SCHEMA)
    return pl.DataFrame(
        [tuple(getattr(m, n) for n in names) for m in matches], schema=MATCH_SCHEMA, orient="row"
    )


def matches_from_frame(frame: pl.DataFrame) -> list[AppliedMatch]:
    if "state" not in frame.columns:  # a snapshot from before the event log
        frame = frame.with_columns(state=pl.lit("recorded"))
    return [AppliedMatch(**row) for row in frame.select(list(MATCH_SCHEMA)).iter_rows(named=True)]


def entries_from_frame(frame: pl.DataFrame) -> list[Entry]:
    return [
        Entry(
            discord_uid=row["discord_uid"],
            race=row["race"],
            player_name=row["player_name"],
            mmr=row["mmr"],
            games_played=row["games_played"],
            games_won=row["games_won"],
            games_lost=row["games_lost"],
            games_drawn=row["games_drawn"],
            last_played=row["last_played"],
            id=row["id"],
        )
        for row in frame.iter_rows(named=True)
    ]


def upsert_frame(frame: pl.DataFrame, changed: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``changed`` rows replacing theirs by key, new keys appended.

    Rows without an id (not yet in the database) get provisional ids above the largest,
    so the rank order's last tie-break (``id DESC``) still has a value.
    """
    if changed.is_empty():
        return frame
    if changed["id"].null_count():
        top = frame["id"].max()
        start = (top if isinstance(top, int) else 0) + 1
        fill = pl.int_range(start, start + changed.height, dtype=pl.Int64)
        changed = changed.with_columns(pl.coalesce("id", fill).alias("id"))
    # A rename applies to every race of a player, including rows the change left alone.
    names = changed.select("discord_uid", "player_name").unique("discord_uid", keep="last")
    kept = frame.join(changed.select(KEY), on=KEY, how="anti")
    kept = kept.update(names, on="discord_uid", how="left")
    return pl.concat([kept, changed.select(kept.columns)], how="vertical")


@dataclass(frozen=True)
class Overlay:
    """The stored state with the pending queue applied on top, as a read shows it."""

    frame: pl.DataFrame
    matches: list[AppliedMatch]


def overlay(
    frame: pl.DataFrame, pending: Sequence[QueuedJob], rules: Rules | None = None
) -> Overlay:
    """Apply pending jobs to the frame, as the flush will (short of concurrent writers)."""
    if not pending:
        return Overlay(frame, [])
    uids = {u for q in pending for u in job_uids(q.job)}
    involved = frame.filter(pl.col("discord_uid").is_in(list(uids)))
    ratings = Ratings.from_entries(entries_from_frame(involved), rules or STANDARD)
    ratings.preview(pending)
    changed = frame_from_entries(c.entry for c in ratings.changes.values())
    names = ratings.renamed
    result = upsert_frame(frame, changed)
    if names:
        renames = pl.DataFrame(
            {"discord_uid": list(names), "player_name": list(names.values())},
            schema={"discord_uid": pl.Int64, "player_name": pl.String},
        )
        result = result.update(renames, on="discord_uid", how="left")
    return Overlay(result, ratings.matches)
