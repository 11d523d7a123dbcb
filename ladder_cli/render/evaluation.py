"""What ``ladder evaluate`` prints: the candidates' metrics best first, the coin flip beside
them, how much the best beats the ladder's own rules, and calibration charts that fit an
80-column terminal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from ladder_cli.domain.evaluation import Candidate, Evaluation, Result
from ladder_cli.domain.metrics import COIN_BRIER, COIN_LOG_LOSS
from ladder_cli.render.console import table

#: The calibration chart's bar: its width in characters (observed score 0 to 1).
BAR = 30


def name(candidate: Candidate) -> str:
    """``standard``, ``glicko2``, or a grid point as ``elo K 24/400``."""
    c = candidate
    if c.rules.preset == "elo":
        return f"elo K {c.k}/{c.scale}"
    return c.name


def _num(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def results_table(evaluation: Evaluation, *, title: str) -> Table:
    """One row per candidate, best first (marked ★), the ladder's own rules marked, and
    the coin flip as the last row."""
    t = table(
        [("", "center"), ("rules", "left"), ("K", "right"), ("scale", "right"),
         ("games", "right"), ("log-loss", "right"), ("Brier", "right"),
         ("accuracy", "right"), ("", "left")],
        title=title,
    )  # fmt: skip
    for r in evaluation.results:
        c = r.candidate
        t.add_row(
            "★" if r.best else "",
            c.name,
            "-" if c.k is None else str(c.k),
            "-" if c.scale is None else str(c.scale),
            f"{r.games:,}",
            _num(r.log_loss),
            _num(r.brier),
            _pct(r.accuracy),
            "current" if c.own else "",
        )
    t.add_row("", "coin flip", "", "", "", _num(COIN_LOG_LOSS), _num(COIN_BRIER), _pct(0.5), "")
    return t


def verdict(evaluation: Evaluation) -> str:
    """The best candidate against the ladder's own rules, in a sentence."""
    results = evaluation.results
    best = results[0] if results and results[0].best else None
    own = evaluation.own
    if best is None or own is None or own.log_loss is None or best.log_loss is None:
        return "no game to score: the log holds no rated match (in the range asked for)"
    current = name(own.candidate)
    if best is own:
        return f"the current rules ({current}) predict this ladder best of these candidates"
    gain = own.log_loss - best.log_loss
    share = gain / own.log_loss if own.log_loss else 0.0
    return (
        f"best: {name(best.candidate)}, log-loss {gain:.4f} ({100 * share:.1f}%) below "
        f"the current rules ({current})"
    )


@dataclass
class Calibration:
    """One candidate's calibration: for each bucket of predicted p, its games, the mean
    prediction and the mean actual score, with the observed score as a bar and the mean
    prediction marked on it (a calibrated candidate's bar ends at its mark)."""

    result: Result
    title: str

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        plain = console.no_color or not console.is_terminal
        fill, mark, empty = ("#", "|", ".") if plain else ("█", "│", "·")
        yield Text(self.title, style="" if plain else "bold")
        yield Text(f"  each game from both sides; bar: observed score, {mark}: predicted")
        yield Text(f"  {'p':<9} {'sides':>9} {'predicted':>9} {'observed':>8}  "
                   f"0{' ' * (BAR - 2)}1")  # fmt: skip
        for b in self.result.calibration:
            label = f"{b.low:.1f}-{b.high:.1f}"
            if not b.games or b.predicted is None or b.observed is None:
                yield Text(f"  {label:<9} {b.games:>9,} {'-':>9} {'-':>8}")
                continue
            cells = [empty] * BAR
            filled = round(b.observed * BAR)
            for i in range(min(filled, BAR)):
                cells[i] = fill
            at = min(BAR - 1, int(b.predicted * BAR))
            cells[at] = mark
            bar = "".join(cells)
            yield Text.assemble(
                f"  {label:<9} {b.games:>9,} {b.predicted:>9.3f} {b.observed:>8.3f}  ",
                (bar, "" if plain else "cyan"),
            )


def calibration_charts(evaluation: Evaluation) -> Sequence[Calibration]:
    """The best candidate's chart, and the ladder's own rules' where they are not the best."""
    results = evaluation.results
    charts = []
    best = results[0] if results and results[0].best else None
    own = evaluation.own
    if best is not None:
        what = "best" if best is not own else "best; the current rules"
        charts.append(Calibration(best, f"Calibration of {name(best.candidate)} ({what})"))
    if own is not None and own is not best and own.games:
        charts.append(Calibration(own, f"Calibration of {name(own.candidate)} (current rules)"))
    return charts


__all__ = ["BAR", "Calibration", "calibration_charts", "name", "results_table", "verdict"]
