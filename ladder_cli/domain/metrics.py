"""How well predictions matched results: the running sums behind ``evaluate``'s metrics.

For each game, P1's expected score ``p`` before it was rated and its actual score ``s``
(1, 0.5, 0): log-loss ``-(s ln p + (1-s) ln(1-p))`` (``p`` kept within 1e-15 of 0 and 1, so
a game an extreme favourite lost costs a large but finite amount), Brier ``(p-s)²``,
accuracy over decisive games (``p = 0.5`` counts half), and calibration in ten buckets of
``p`` (``[0, 0.1)``, ..., ``[0.9, 1.0]``). :meth:`Scores.add` takes one game;
:func:`add_many` takes arrays of them (weighted: one prediction may stand for many games).

Calibration counts each game from both sides: P1's ``(p, s)`` and P2's ``(1 - p, 1 - s)``.
Every match recorded with ``ladder record`` names its winner as P1, so from P1's side alone
each bucket would only show that P1 won; from both sides a bucket says how often a side
given that chance scored. (Every candidate is symmetric, so log-loss, Brier and accuracy
are the same from either side.) A bucket's ``games`` are game sides: they add up to twice
the games scored.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

BUCKETS: Final = 10
#: The buckets' inner bounds: p goes to the bucket of the first bound it is below.
BOUNDS: Final = tuple(i / BUCKETS for i in range(1, BUCKETS))
CLIP: Final = 1e-15
COIN_LOG_LOSS: Final = math.log(2)
COIN_BRIER: Final = 0.25


@dataclass(slots=True)
class Scores:
    """Running sums of one candidate's scored games."""

    games: int = 0
    log_loss: float = 0.0
    brier: float = 0.0
    decisive: int = 0
    correct: float = 0.0
    bucket_games: list[int] = field(default_factory=lambda: [0] * BUCKETS)
    bucket_predicted: list[float] = field(default_factory=lambda: [0.0] * BUCKETS)
    bucket_observed: list[float] = field(default_factory=lambda: [0.0] * BUCKETS)

    def add(self, p: float, s: float) -> None:
        """One game: P1's expected score ``p`` and actual score ``s``."""
        self.games += 1
        q = CLIP if p < CLIP else 1.0 - CLIP if p > 1.0 - CLIP else p
        self.log_loss -= s * math.log(q) + (1.0 - s) * math.log(1.0 - q)
        self.brier += (p - s) * (p - s)
        if s != 0.5:
            self.decisive += 1
            if p == 0.5:
                self.correct += 0.5
            elif (p > 0.5) == (s == 1.0):
                self.correct += 1.0
        for side_p, side_s in ((p, s), (1.0 - p, 1.0 - s)):
            i = bisect_right(BOUNDS, side_p)
            self.bucket_games[i] += 1
            self.bucket_predicted[i] += side_p
            self.bucket_observed[i] += side_s


_BOUNDS: Final = np.array(BOUNDS)


def add_many(
    s: Scores,
    p: npt.NDArray[np.float64],
    score: npt.NDArray[np.float64],
    weight: npt.NDArray[np.int64] | None = None,
) -> None:
    """:meth:`Scores.add` of each prediction ``p`` with its ``score``, ``weight`` times."""
    w = np.ones(p.size, dtype=np.int64) if weight is None else weight
    q = np.clip(p, CLIP, 1.0 - CLIP)
    s.games += int(w.sum())
    s.log_loss -= float(np.dot(w, score * np.log(q) + (1.0 - score) * np.log(1.0 - q)))
    s.brier += float(np.dot(w, (p - score) ** 2))
    decisive = score != 0.5
    s.decisive += int(w[decisive].sum())
    right = np.where(p == 0.5, 0.5, np.where((p > 0.5) == (score == 1.0), 1.0, 0.0))
    s.correct += float(np.dot(w[decisive], right[decisive]))
    both_p = np.concatenate((p, 1.0 - p))
    both_s = np.concatenate((score, 1.0 - score))
    both_w = np.concatenate((w, w))
    bucket = np.searchsorted(_BOUNDS, both_p, side="right")
    games = np.bincount(bucket, weights=both_w, minlength=BUCKETS)
    predicted = np.bincount(bucket, weights=both_w * both_p, minlength=BUCKETS)
    observed = np.bincount(bucket, weights=both_w * both_s, minlength=BUCKETS)
    for i in range(BUCKETS):
        s.bucket_games[i] += round(games[i])
        s.bucket_predicted[i] += float(predicted[i])
        s.bucket_observed[i] += float(observed[i])


__all__ = ["BOUNDS", "BUCKETS", "CLIP", "COIN_BRIER", "COIN_LOG_LOSS", "Scores", "add_many"]
