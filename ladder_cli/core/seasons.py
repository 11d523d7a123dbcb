"""Seasons: close one (archive the standings, then a soft reset as events of the log), list
the closed ones, and read a closed season's final standings.

A close is a queued job like any write: validated fully first (a bad factor, or a name
already closed or queued, is bad input), then applied exactly once by the store
(:mod:`ladder_cli.stores.seasons`), which checks the name again under its lock. The
archive is what was published: a later correction replays the live ratings only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ladder_cli.domain.events import SOFT_RESET_SCALE, soft_reset
from ladder_cli.domain.model import RACES, SeasonJob, now_utc, parse_name
from ladder_cli.stores import seasons as stored
from ladder_cli.util.errors import BadInput, LadderError

if TYPE_CHECKING:
    from ladder_cli.core.parts import Parts
    from ladder_cli.core.reads import Reads
    from ladder_cli.core.writes import Submit, WriteOutcome

DEFAULT_SOFT_RESET = 0.5


def parse_season_name(text: str) -> str:
    return parse_name(text, what="season name")


def parse_soft_reset(value: float) -> int:
    """The factor F in millionths (the event log's exact form); BadInput outside [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadInput(f"--soft-reset {value!r} must be a number from 0 to 1")
    if not 0 <= value <= 1:
        raise BadInput(
            f"--soft-reset {value:g} is out of range: it must be from 0 (everyone back to "
            "1500) to 1 (MMR kept)"
        )
    return round(value * SOFT_RESET_SCALE)


@dataclass
class ClosePreview:
    """What closing a season would do: each race's champion and how many entries move."""

    name: str
    factor: int
    entries: int = 0
    #: Entries whose MMR the soft reset changes.
    moving: int = 0
    #: Entries with games, whose counts go back to 0.
    played: int = 0
    champions: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None

    @property
    def soft_reset(self) -> float:
        return self.factor / SOFT_RESET_SCALE


class Seasons:
    """The season commands of a Ladder (its ``seasons`` part)."""

    def __init__(self, parts: Parts, reads: Reads, submit: Submit, actor: str) -> None:
        self._parts = parts
        self._reads = reads
        self._submit = submit
        self.actor = actor

    def preview_close(self, name: str, soft_reset_factor: float) -> ClosePreview:
        """Validate a close and say what it would do; BadInput if it cannot be queued."""
        import polars as pl

        from ladder_cli.domain import ranks

        name = parse_season_name(name)
        factor = parse_soft_reset(soft_reset_factor)
        self._check_new(name)
        out = ClosePreview(name, factor)
        unavailable = self._parts.source.unavailable
        if unavailable is not None:
            out.note = (
                f"{unavailable}: the close is queued and applied when the database answers "
                "(the standings archived are those of that moment)"
            )
        frame = self._reads.current().frame
        if frame.is_empty():
            return out
        rules = self._parts.rules()
        board = ranks.race_positions(ranks.with_ranks(frame, rules=rules))
        out.entries = board.height
        out.played = int((board["games_played"] > 0).sum())
        out.moving = sum(1 for m in board["mmr"] if soft_reset(int(m), factor) != m)
        top = board.filter(pl.col("position") == 1)
        order = {race: i for i, race in enumerate(RACES)}
        out.champions = sorted(
            top.select("race", "discord_uid", "player_name", "mmr", "rank").to_dicts(),
            key=lambda r: order.get(r["race"], len(order)),
        )
        return out

    def close(self, preview: ClosePreview, *, flush: bool = True) -> WriteOutcome:
        """Queue (and flush) the close the preview described."""
        job = SeasonJob(
            preview.name,
            preview.factor,
            now_utc(),
            self.actor,
            self._parts.settings.activity_days,
        )
        return self._submit([job], flush=flush, want_matches=False)

    def _check_new(self, name: str) -> None:
        """A name already closed, or already queued here to close, is bad input."""
        parts = self._parts
        if parts.source.unavailable is None and stored.season_id(parts.store, name):
            raise BadInput(f"season {name!r} is already closed: choose another name")
        for queued in parts.queue.pending_jobs():
            job = queued.job
            if isinstance(job, SeasonJob) and job.name == name:
                raise BadInput(
                    f"season {name!r} is already queued to close (see `ladder wal list`)"
                )

    def list(self) -> list[stored.Season]:
        """Every closed season, newest first."""
        unavailable = self._parts.source.unavailable
        if unavailable is not None:
            raise LadderError(f"season list reads the database's archive: {unavailable}")
        return stored.seasons(self._parts.store)


__all__ = [
    "DEFAULT_SOFT_RESET",
    "ClosePreview",
    "Seasons",
    "parse_season_name",
    "parse_soft_reset",
]
