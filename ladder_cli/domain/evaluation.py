"""Which rules predict a ladder best: every game scored by each candidate before it is rated.

For each candidate the event log is replayed as ``verify`` replays it (log order, voided
matches skipped, amended ones with their amended result, resets, adjustments, baselines,
season resets and decays applied between them), and before each rated game P1's expected
score is compared with the actual result (:mod:`ladder_cli.domain.metrics`: log-loss,
Brier, accuracy, calibration). Candidates are the ladder's own rules, the other presets
and a grid of Elo K * scale; the result is sorted by log-loss, the best marked.

``since`` limits the scored games to those played at or after it; the replay still starts
at the beginning, so every candidate's ratings are warmed up by the whole log.

:func:`evaluate` advances every candidate in one pass (:mod:`ladder_cli.domain.lockstep`);
:func:`score_one` is the plain replay through a :class:`~ladder_cli.domain.raters.Rater`,
the reference the fast pass is tested against.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeVar

from ladder_cli.domain.events import VOIDED, Event, LoggedMatch, score
from ladder_cli.domain.lockstep import score_all, utc
from ladder_cli.domain.metrics import BUCKETS, Scores
from ladder_cli.domain.model import Key
from ladder_cli.domain.raters import (
    GLICKO2,
    GLICKO2_RULES,
    EloRater,
    Rater,
    apply_event,
    rater_for,
)
from ladder_cli.domain.rules import EVOLADDER, STANDARD, Rules

GRID_K: Final = (16, 20, 24, 32, 40, 48, 64)
GRID_SCALE: Final = (400, 500)
GRID_NAME: Final = "elo"
"""The preset name of a grid candidate: Elo, rounding half up, starting at 1500."""

PRESET_RULES: Final = {r.preset: r for r in (STANDARD, EVOLADDER, GLICKO2_RULES)}


@dataclass(frozen=True, slots=True)
class Bucket:
    low: float
    high: float
    games: int
    #: Mean p and mean actual score of the bucket's games (None when it has none).
    predicted: float | None
    observed: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "low": self.low,
            "high": self.high,
            "games": self.games,
            "predicted": self.predicted,
            "observed": self.observed,
        }


@dataclass(frozen=True, slots=True)
class Candidate:
    """Rules to evaluate: a preset, or an Elo grid point (``GRID_NAME``)."""

    rules: Rules
    #: Whether these are the ladder's own rules.
    own: bool = False

    @property
    def name(self) -> str:
        return self.rules.preset

    @property
    def k(self) -> int | None:
        return None if self.rules.preset == GLICKO2 else self.rules.k

    @property
    def scale(self) -> int | None:
        return None if self.rules.preset == GLICKO2 else self.rules.scale


@dataclass(frozen=True, slots=True)
class Result:
    """One candidate's metrics (None where no game was scored)."""

    candidate: Candidate
    games: int
    log_loss: float | None
    brier: float | None
    accuracy: float | None
    calibration: tuple[Bucket, ...]
    best: bool = False

    def as_dict(self) -> dict[str, object]:
        c = self.candidate
        return {
            "rules": c.name,
            "k": c.k,
            "scale": c.scale,
            "games": self.games,
            "log_loss": self.log_loss,
            "brier": self.brier,
            "accuracy": self.accuracy,
            "calibration": [b.as_dict() for b in self.calibration],
        }


def result(candidate: Candidate, s: Scores) -> Result:
    """The metrics of a candidate's running sums."""
    n = s.games
    buckets = tuple(
        Bucket(
            round(i / BUCKETS, 1),
            round((i + 1) / BUCKETS, 1),
            g,
            s.bucket_predicted[i] / g if g else None,
            s.bucket_observed[i] / g if g else None,
        )
        for i, g in enumerate(s.bucket_games)
    )
    return Result(
        candidate,
        n,
        s.log_loss / n if n else None,
        s.brier / n if n else None,
        s.correct / s.decisive if s.decisive else None,
        buckets,
    )


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Every candidate's result, best (lowest log-loss) first."""

    results: tuple[Result, ...]

    @property
    def own(self) -> Result | None:
        return next((r for r in self.results if r.candidate.own), None)

    def as_json(self) -> list[dict[str, object]]:
        return [r.as_dict() for r in self.results]


def ranked(results: Iterable[Result]) -> Evaluation:
    """Sorted by log-loss (unscored last, ties in the given order), the first marked best."""
    ordered = sorted(results, key=lambda r: (r.log_loss is None, r.log_loss or 0.0))
    if ordered and ordered[0].log_loss is not None:
        first = ordered[0]
        ordered[0] = Result(first.candidate, first.games, first.log_loss, first.brier,
                            first.accuracy, first.calibration, best=True)  # fmt: skip
    return Evaluation(tuple(ordered))


def grid(ks: Iterable[int] = GRID_K, scales: Iterable[int] = GRID_SCALE) -> list[Rules]:
    """Elo grid points: every K with every scale, rounding half up, starting at 1500."""
    scales = tuple(scales)
    return [Rules(GRID_NAME, k=k, scale=scale) for k in ks for scale in scales]


def _elo_shape(rules: Rules) -> tuple[int, int, str, int] | None:
    if rules.preset == GLICKO2:
        return None
    return (rules.k, rules.scale, rules.rounding, rules.start_mmr)


def candidates(own: Rules, extra: Iterable[Rules] = ()) -> list[Candidate]:
    """The ladder's own rules first, then ``extra`` in order, leaving out any rules that
    rate exactly as an earlier one (a grid point equal to a preset)."""
    out = [Candidate(own, own=True)]
    seen = {own.preset, _elo_shape(own)}
    for rules in extra:
        shape = _elo_shape(rules)
        if rules.preset in seen if shape is None else shape in seen:
            continue
        seen.add(rules.preset if shape is None else shape)
        out.append(Candidate(rules))
    return out


def default_candidates(own: Rules) -> list[Candidate]:
    """The contract's defaults: the ladder's rules, the other presets, the Elo grid."""
    return candidates(own, [*PRESET_RULES.values(), *grid()])


S = TypeVar("S")


def _replay_scores(rater: Rater[S], events: Iterable[Event], since: datetime | None) -> Scores:
    out = Scores()
    states: dict[Key, S] = {}
    start = rater.start()
    for event in events:
        if isinstance(event, LoggedMatch):
            k1, k2 = event.key1, event.key2
            s1 = states.get(k1, start)
            s2 = states.get(k2, start)
            if event.state == VOIDED:
                continue
            at, s = event.played_at, score(event.result)
            if since is None or at >= since:
                out.add(rater.expected(s1, s2, at), s)
            states[k1], states[k2] = rater.rate(s1, s2, s, at)
        else:
            states[event.key] = apply_event(rater, states.get(event.key, start), event)
    return out


def score_one(events: Iterable[Event], rules: Rules, since: datetime | None = None) -> Scores:
    """One candidate's running sums, by the plain replay through its rater."""
    rater = rater_for(rules)
    since = None if since is None else utc(since)
    if isinstance(rater, EloRater):
        return _replay_scores(rater, events, since)
    return _replay_scores(rater, events, since)


def evaluate(
    events: Iterable[Event],
    chosen: Sequence[Candidate],
    since: datetime | None = None,
) -> Evaluation:
    """Every candidate scored over the log (in log order, as ``verify`` replays it), the
    games played at or after ``since`` only (a time without an offset is UTC)."""
    sums = score_all(events, [c.rules for c in chosen], since)
    return ranked(result(c, s) for c, s in zip(chosen, sums, strict=True))


__all__ = [
    "GRID_K",
    "GRID_NAME",
    "GRID_SCALE",
    "PRESET_RULES",
    "Bucket",
    "Candidate",
    "Evaluation",
    "Result",
    "Scores",
    "candidates",
    "default_candidates",
    "evaluate",
    "grid",
    "ranked",
    "result",
    "score_one",
]
