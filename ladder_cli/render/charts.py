"""Charts in the terminal: MMR over time as a line chart (drawn by plotext inside Rich),
labelled horizontal bars, and a sparkline of recent MMRs.

Each chart is a Rich renderable sized at render time to the console's width. On a
terminal the line chart keeps plotext's colours (one line per race); piped or with
NO_COLOR it is the same chart in plain characters, 80 columns wide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

from ladder_cli.domain.stats import Point

PLAIN_WIDTH = 80
MAX_WIDTH = 160
HEIGHT = 20


@dataclass
class MmrChart:
    """One line per race through ``points`` (MMR after each match, by race)."""

    points: Sequence[Point]
    title: str

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = self._width(console, options)
        return Measurement(width, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        plain = console.no_color or not console.is_terminal
        text = draw(self.points, self.title, width=self._width(console, options), plain=plain)
        yield Text(text) if plain else Text.from_ansi(text)

    @staticmethod
    def _width(console: Console, options: ConsoleOptions) -> int:
        if not console.is_terminal:
            return PLAIN_WIDTH
        return max(20, min(options.max_width, MAX_WIDTH))


def draw(points: Sequence[Point], title: str, *, width: int, plain: bool) -> str:
    """The chart as text (with colour codes unless ``plain``)."""
    import plotext

    figure = plotext.figure
    figure.clear()
    figure.date().activate(form="%Y-%m-%d", zone=0)
    races: dict[str, list[Point]] = {}
    for point in points:
        races.setdefault(point.race, []).append(point)
    for race, line in races.items():
        xs = [p.played_at for p in line]
        ys = [p.mmr for p in line]
        signal = figure.signal(xs, ys).label(race)
        if len(line) > 1:
            signal.lines()
        figure.draw(signal)
    figure.plot_size(width, HEIGHT)
    figure.theme("colorless" if plain else "simple")
    figure.title(title)
    text: str = figure.build().string(colorless=plain)
    figure.clear()
    return "\n".join(line.rstrip() for line in text.splitlines())


SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int]) -> str:
    """``values`` as block characters, lowest to highest (flat when they are all equal)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARKS[len(SPARKS) // 2 - 1] * len(values)
    top = len(SPARKS) - 1
    return "".join(SPARKS[round((v - low) * top / (high - low))] for v in values)


@dataclass
class Bars:
    """Labelled horizontal bars scaled to the console's width (``#`` when plain)."""

    rows: list[tuple[str, int, str]]
    title: str | None = None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        plain = console.no_color or not console.is_terminal
        if self.title:
            yield Text(self.title, style="" if plain else "bold")
        if not self.rows:
            return
        label_w = max(len(label) for label, _, _ in self.rows)
        count_w = max(len(f"{count}") for _, count, _ in self.rows)
        note_w = max(len(note) for _, _, note in self.rows)
        # Piped, the console is as wide as a line can be: draw for a standard terminal.
        width = options.max_width if console.is_terminal else min(options.max_width, 80)
        room = min(width, 200) - label_w - count_w - note_w - 4
        bar_w = max(room, 4)
        top = max(count for _, count, _ in self.rows) or 1
        char = "#" if plain else "█"
        for label, count, note in self.rows:
            bar = char * (max(1, round(count * bar_w / top)) if count else 0)
            yield Text.assemble(
                f"{label:<{label_w}} ",
                (f"{bar:<{bar_w}}", "" if plain else "cyan"),
                f" {count:>{count_w}}",
                (f" {note}" if note else "", "" if plain else "bold"),
            )
