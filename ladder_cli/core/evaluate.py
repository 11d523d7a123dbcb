"""``ladder evaluate``: which rules predict this ladder best, scored over its own log.

The candidates (:mod:`ladder_cli.domain.evaluation`) replay the whole event log, which lives
in the database: offline there is none to read, so it is an error (exit 1), as it is for
``verify`` and ``--as-of``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ladder_cli.domain.evaluation import (
    K_RANGE,
    SCALE_RANGE,
    Evaluation,
    chosen_candidates,
    evaluate,
)
from ladder_cli.domain.model import to_utc
from ladder_cli.domain.rules import preset
from ladder_cli.util.errors import BadInput, LadderError

if TYPE_CHECKING:
    from ladder_cli.core.parts import Parts


def _checked(values: Sequence[int], what: str, bounds: tuple[int, int]) -> list[int]:
    low, high = bounds
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise BadInput(
                f"{what} {value!r} must be a whole number from {low} to {high}",
                param=what.lstrip("-"),
            )
    return list(dict.fromkeys(values))


def run(
    parts: Parts,
    rules: Sequence[str] = (),
    ks: Sequence[int] = (),
    scales: Sequence[int] = (),
    since: datetime | None = None,
) -> Evaluation:
    """Every candidate scored over the log (see :func:`ladder_cli.domain.evaluation.evaluate`):
    the ladder's own rules, then the presets named in ``rules`` and the Elo grid of ``ks``
    by ``scales``; none named: the other presets and the default grid."""
    named = [preset(name) for name in rules]
    grid_k = _checked(ks, "--k", K_RANGE)
    grid_scale = _checked(scales, "--scale", SCALE_RANGE)
    source = parts.source
    if source.unavailable is not None:
        raise LadderError(
            f"evaluate replays the event log, which is in the database: {source.unavailable} "
            "(the offline snapshot holds only the current ratings); try again when the "
            "database answers"
        )
    from ladder_cli.stores import eventlog

    own = parts.store.rules()
    chosen = chosen_candidates(own, named, grid_k, grid_scale)
    start = None if since is None else to_utc(since)
    pending = parts.queue.pending_count()
    if pending:
        parts.note(
            f"{pending:,} pending {'write' if pending == 1 else 'writes'} not yet in the "
            "database (and its event log) "
            f"{'is' if pending == 1 else 'are'} not scored"
        )
    return eventlog.over_log(parts.store, lambda log: evaluate(log, chosen, start))


__all__ = ["run"]
