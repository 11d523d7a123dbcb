"""Other rules for a ladder, a Ladder's ``rulebook`` part: switching to them (``rules use``)
and scoring them over the log (``evaluate``, worked out in :mod:`ladder_cli.core.evaluate`).

A switch replays every event of the log under the new rules, so what it does is worked out
the way a correction's is: previewed against the database (who changes, before → after,
biggest moves first), then queued as one job and applied exactly once by the store
(:mod:`ladder_cli.stores.switch`) under its write lock, with one audit row. Offline it can
be queued, unpreviewed, and is applied when the database answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ladder_cli.core.admin import ChangeRow
from ladder_cli.core.audit import parse_optional_reason
from ladder_cli.domain.model import RulesJob, now_utc
from ladder_cli.domain.rules import Rules, preset
from ladder_cli.stores import switch as stored
from ladder_cli.stores.bot import bot_columns
from ladder_cli.util.errors import LadderError

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from ladder_cli.core.parts import Parts
    from ladder_cli.core.writes import Submit, WriteOutcome
    from ladder_cli.domain.evaluation import Evaluation
    from ladder_cli.domain.switch import SwitchPlan

#: The original bot's tables: where one is in the database, the bot still rates there.
BOT_TABLES = ("matches_1v1", "players")


@dataclass
class SwitchPreview:
    """What switching to ``new`` would do."""

    old: Rules
    new: Rules
    rows: list[ChangeRow] = field(default_factory=list)
    plan: SwitchPlan | None = None
    #: The ladder already rates by ``new``: nothing to do.
    same: bool = False
    #: The original bot's tables are in the database (it keeps rating by its own rules).
    bot: bool = False
    note: str | None = None


class Rulebook:
    """Other rules for the ladder: ``evaluate`` (how each would have predicted its log) and
    ``rules use`` (preview a switch of rules, and queue one)."""

    def __init__(self, parts: Parts, submit: Submit, actor: str) -> None:
        self._parts = parts
        self._submit = submit
        self.actor = actor

    def evaluate(
        self,
        *,
        rules: Sequence[str] = (),
        ks: Sequence[int] = (),
        scales: Sequence[int] = (),
        since: datetime | None = None,
    ) -> Evaluation:
        """Which rules predict this ladder best: each candidate replays the whole event
        log and scores every game's prediction made before the game was rated (games at
        or after ``since`` only), best (lowest log-loss) first. Candidates: the ladder's
        own rules, then the presets in ``rules`` and the Elo grid ``ks`` x ``scales``;
        none named, the other presets and the default grid (see
        :mod:`ladder_cli.domain.evaluation`)."""
        from ladder_cli.core import evaluate

        return evaluate.run(self._parts, rules, ks, scales, since)

    def preview(self, name: str) -> SwitchPreview:
        """What switching to the preset ``name`` would do; BadInput for unknown rules.
        Offline there is no log to replay: the preview says so and has no rows."""
        new = preset(name)
        parts = self._parts
        unavailable = parts.source.unavailable
        if unavailable is not None:
            old = parts.snapshots().kept_rules() or parts.rules()
            return SwitchPreview(
                old,
                new,
                same=old == new,
                note=f"{unavailable}: the switch replays the whole event log, which is in "
                "the database, so there is no preview; it is queued and applied when the "
                "database answers",
            )
        store = parts.store
        old = store.stored_rules() or store.rules()
        bot = any(bot_columns(store, table) for table in BOT_TABLES)
        if old == new:
            return SwitchPreview(old, new, same=True, bot=bot)
        done, before = stored.preview(store, new)
        rows = []
        for key, change in done.changes.items():
            row = before.get(key)
            if row is None:
                continue
            drifted = change.logged_mmr is not None and row.mmr != change.logged_mmr
            rows.append(ChangeRow(key, row.player_name, row, change.applied_to(row), drifted))
        rows.sort(key=lambda r: (-abs(r.difference), r.key))
        return SwitchPreview(old, new, rows, done, bot=bot)

    def use(
        self, preview: SwitchPreview, reason: str | None, *, flush: bool = True
    ) -> WriteOutcome:
        """Queue (and flush) the switch the preview described."""
        reason = parse_optional_reason(reason)
        if preview.same:
            raise LadderError(f"the ladder already rates by the {preview.new.preset} rules")
        job = RulesJob(preview.new.preset, now_utc(), self.actor, reason)
        outcome = self._submit([job], flush=flush, want_matches=False)
        self._parts.forget_rules()  # the next read asks the database again
        return outcome


__all__ = ["BOT_TABLES", "Rulebook", "SwitchPreview"]
