"""Workload "evaluate": scoring the default candidates over a long log vs one replay of it.

``ladder evaluate`` replays the event log under 16 candidates (the ladder's rules, the other
presets, the Elo grid); ``ladder verify`` replays it once under the ladder's rules. Both are
timed in process on the same list of logged matches, in interleaved rounds (replay,
evaluate, replay, evaluate...) after a warm-up round, so a ratio taken within a round sees
the same machine load on both sides:

* the replay: :class:`ladder_cli.domain.replay.Replay` under ``standard``, verify's replay
  row by row (on a large log ``verify`` now replays a wave at a time: docs/benchmarks.md,
  round three);
* evaluate: :func:`ladder_cli.domain.evaluation.evaluate` with
  :func:`~ladder_cli.domain.evaluation.default_candidates` (metrics and ranking included).

The same is measured on a small ladder (far fewer entries, so far more waves of the
one-pass engine: its weak case), for information.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from bench import data
from bench.harness import Result, Sizes, log, ms

if TYPE_CHECKING:
    from ladder_cli.domain.events import LoggedMatch


def _log(players: int, n: int) -> list[LoggedMatch]:
    from ladder_cli.domain.events import RECORDED, LoggedMatch

    lad = data.ladder(players, seed=7)
    return [
        LoggedMatch(i, j.played_at, j.p1_uid, j.p1_race, j.p2_uid, j.p2_race, j.result,
                    RECORDED, 0, 0, 0, 0)
        for i, j in enumerate(data.matches(lad, n, seed=8), start=1)
    ]  # fmt: skip


def _timed(work: Callable[..., object], *args: object) -> float:
    gc.collect()
    start = time.perf_counter()
    work(*args)
    return time.perf_counter() - start


def evaluate_vs_replay(sizes: Sizes) -> list[Result]:
    from ladder_cli.domain.evaluation import default_candidates, evaluate
    from ladder_cli.domain.replay import Replay
    from ladder_cli.domain.rules import STANDARD

    n = sizes.replay_jobs
    shapes = [(sizes.file_players, n, 3.0), (max(sizes.file_players // 100, 100), n // 5, None)]
    results = []
    for players, matches, target in shapes:
        events = _log(players, matches)
        gc.collect()
        gc.freeze()  # the log lives throughout: keep the collector's passes off it
        chosen = default_candidates(STANDARD)
        log(f"evaluate: {matches:,} matches among {players:,} players, {len(chosen)} candidates, "
            f"{sizes.repeats} rounds + warm-up")  # fmt: skip
        replay, scored = [], []
        for i in range(sizes.repeats + 1):
            t_replay = _timed(Replay.with_rules(STANDARD).run, events)
            t_eval = _timed(evaluate, events, chosen)
            log(f"evaluate round {i}: replay {t_replay:.2f}s, evaluate {t_eval:.2f}s")
            if i:
                replay.append(t_replay)
                scored.append(t_eval)
        del events
        gc.unfreeze()
        ratios = sorted(e / r for e, r in zip(scored, replay, strict=True))
        mid = statistics.median(ratios)
        result = Result(
            f"evaluate, {len(chosen)} default candidates, over {matches:,} matches among "
            f"{players:,} players (in process)",
            ms(statistics.median(scored)),
            f"one replay (verify's, row by row): {ms(statistics.median(replay))}",
            f"{mid:.2f}x (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}x)",
            "≤ 3x one verify" if target else "for information (many small waves)",
            None if target is None else mid <= target,
        )
        result.notes.append(
            f"Medians of {len(ratios)} interleaved rounds after a warm-up, ranges "
            f"{min(replay):.2f}-{max(replay):.2f} s (replay) and "
            f"{min(scored):.2f}-{max(scored):.2f} s (evaluate). Both take the same list of "
            "logged matches: `Replay.with_rules(standard).run` (what `verify` replays) and "
            "`evaluate(log, default_candidates(standard))` (a collection before each, the "
            "log frozen out of the collector), which reads the log once, puts "
            "its events in waves that share no entry, and rates each wave for every "
            "candidate at once with numpy (exact Elo tables, vectorised Glicko-2)."
        )
        results.append(result)
    return results


__all__ = ["evaluate_vs_replay"]
