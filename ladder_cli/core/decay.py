"""``ladder decay`` over a ladder: the configured rule, its preview and one run queued.

What each entry owes is :mod:`ladder_cli.domain.decay`'s arithmetic; the store applies a
run under its write lock (:mod:`ladder_cli.stores.decay`). ``LADDER_TEST_NOW`` moves
the clock for the tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from ladder_cli.core.admin import ChangeRow
from ladder_cli.domain.decay import decay_job
from ladder_cli.domain.model import Key, now_utc, to_utc
from ladder_cli.stores import decay as stored
from ladder_cli.util.config import DecayRule
from ladder_cli.util.errors import BadInput

if TYPE_CHECKING:
    from ladder_cli.core.parts import Parts
    from ladder_cli.core.writes import Submit, WriteOutcome

#: Test-only: the time ``ladder decay`` takes as now (ISO 8601), so tests can cross a
#: period boundary without waiting a week. Not for production use.
TEST_NOW_ENV: Final = "LADDER_TEST_NOW"


def now() -> datetime:
    """Now, to the second, in UTC; ``LADDER_TEST_NOW`` overrides it (tests only)."""
    text = os.environ.get(TEST_NOW_ENV)
    if not text:
        return now_utc()
    try:
        return to_utc(datetime.fromisoformat(text))
    except ValueError:
        raise BadInput(f"{TEST_NOW_ENV} {text!r} is not an ISO 8601 date-time") from None


@dataclass
class DecayOutcome:
    outcome: WriteOutcome
    #: What the applied job took, entry by entry ((uid, race), MMR before, after); empty
    #: while the job is queued or when nothing was owed.
    changed: list[tuple[Key, int, int]]


class Decay:
    """``ladder decay`` over one Ladder (its ``decay`` part): the configured rule, what a
    run would take, and a run queued like any write."""

    def __init__(self, parts: Parts, submit: Submit, actor: str) -> None:
        self._parts = parts
        self._submit = submit
        self.actor = actor

    def configured(self) -> DecayRule:
        """The config file's ``[decay]`` rule; bad input where there is none."""
        settings = self._parts.settings
        if settings.decay is None:
            raise BadInput(
                f"decay is not configured: add a [decay] section to {settings.config_file} "
                "(after_days, points, every_days, floor)"
            )
        return settings.decay

    def preview(self, at: datetime | None = None) -> list[ChangeRow]:
        """Who a run at ``at`` (default: now) would change, biggest loss first; writes
        nothing."""
        rule = self.configured()
        at = now() if at is None else to_utc(at)
        rows = []
        for d in stored.preview(self._parts.store, rule, at):
            after = d.entry.copy()
            after.mmr = d.mmr_after
            rows.append(ChangeRow(d.entry.key, d.entry.player_name, d.entry, after))
        rows.sort(key=lambda r: (r.difference, r.key))
        return rows

    def run(self, at: datetime | None = None, *, flush: bool = True) -> DecayOutcome:
        """Queue (and flush) one decay run as of ``at`` (default: now)."""
        rule = self.configured()
        at = now() if at is None else to_utc(at)
        outcome = self._submit([decay_job(rule, at, self.actor)], flush=flush, want_matches=False)
        changed: list[tuple[Key, int, int]] = []
        if outcome.applied and outcome.job_ids:
            parts = self._parts
            changed = stored.changes_of_job(parts.store, parts.queue.queue_id, outcome.job_ids[0])
        return DecayOutcome(outcome, changed)


def as_json_rows(rows: Iterable[ChangeRow]) -> list[dict[str, object]]:
    return [
        {
            "discord_uid": r.key[0],
            "player_name": r.name,
            "race": r.key[1],
            "mmr_before": r.before.mmr,
            "mmr_after": r.after.mmr,
            "difference": r.difference,
            "last_played": None
            if r.before.last_played is None
            else r.before.last_played.astimezone(UTC).isoformat(),
        }
        for r in rows
    ]


__all__ = ["TEST_NOW_ENV", "Decay", "DecayOutcome", "as_json_rows", "now"]
