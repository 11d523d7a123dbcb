"""Charts for the standings site as inline SVG: an entry's MMR over time with the season
boundaries marked, and the MMR distribution with the letters' cut-offs.

Drawn here rather than by a plotting library because the pages must be self-contained and
byte-identical from one build to the next: every coordinate is rounded to one decimal,
colours come from the page's CSS (so the dark scheme applies), and each chart carries its
own text alternative (``<title>`` and ``<desc>``, referenced by ``aria-labelledby``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from ladder_cli.render.console import escape_controls
from ladder_cli.site.pages import Point

WIDTH = 640
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 56, 14, 14, 34
DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Boundary:
    """A season's end: where its line is drawn and what it is called."""

    at: datetime
    name: str


def _f(value: float) -> str:
    """A coordinate: one decimal, no ``-0.0``, the same bytes every build."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _date(at: datetime) -> str:
    return at.strftime("%Y-%m-%d")


def _ticks(low: int, high: int, count: int = 4) -> list[int]:
    """Round values from ``low`` to ``high`` for the axis, about ``count`` of them."""
    span = max(high - low, 1)
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000):
        step = candidate
        if span / candidate <= count:
            break
    first = -(-low // step) * step
    return list(range(first, high + 1, step))


def within(points: Sequence[Point], boundaries: Sequence[Boundary]) -> list[Boundary]:
    """The season ends inside a line's time span (the ones its chart marks)."""
    if not points:
        return []
    t0, t1 = points[0].at, points[-1].at
    return [b for b in boundaries if t0 <= b.at <= t1]


def mmr_chart(
    points: Sequence[Point],
    *,
    games: int,
    ident: str,
    label: str,
    boundaries: Sequence[Boundary] = (),
) -> Markup:
    """One entry's MMR line through ``games`` logged games. ``ident`` makes the ids of its
    title and description unique on the page; ``label`` names the entry (a player's name
    and race: user data, escaped here). Season ends inside the line's time span are drawn
    as dashed vertical lines."""
    if not points:
        return Markup("")
    t0, t1 = points[0].at.timestamp(), points[-1].at.timestamp()
    if t1 - t0 < 1:
        t0, t1 = t0 - DAY, t1 + DAY
    mmrs = [p.mmr for p in points]
    low, high = min(mmrs), max(mmrs)
    pad = max(10, (high - low) // 10)
    y0, y1 = low - pad, high + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: float) -> float:
        return LEFT + (at - t0) / (t1 - t0) * plot_w

    def y(mmr: float) -> float:
        return TOP + (y1 - mmr) / (y1 - y0) * plot_h

    inside = within(points, boundaries)
    title_id, desc_id = f"{ident}-title", f"{ident}-desc"
    first, last = points[0], points[-1]
    summary = (
        f"{games} game{'s' if games != 1 else ''} from {_date(first.at)} to {_date(last.at)}: "
        f"MMR {first.mmr} at the start, {last.mmr} at the end, lowest {low}, highest {high}."
    )
    if inside:
        ends = "; ".join(f"{escape_controls(b.name)} ended {_date(b.at)}" for b in inside)
        summary += f" Season boundaries: {ends}."
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape("MMR of " + escape_controls(label))}</title>',
        f'<desc id="{desc_id}">{escape(summary)}</desc>',
    ]
    for tick in _ticks(y0, y1):
        ty = _f(y(tick))
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{ty}" x2="{WIDTH - RIGHT}" y2="{ty}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{ty}" text-anchor="end" '
            f'dominant-baseline="middle">{tick}</text>'
        )
    base = _f(HEIGHT - BOTTOM)
    parts.append(
        f'<line class="frame" x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}"/>'
        f'<text class="axis" x="{LEFT}" y="{HEIGHT - 8}">{_date(first.at)}</text>'
        f'<text class="axis" x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end">'
        f"{_date(last.at)}</text>"
    )
    for b in inside:
        at = x(b.at.timestamp())
        bx = _f(at)
        name = escape_controls(b.name)
        short = name if len(name) <= 18 else name[:17] + "\u2026"
        # The label on the side with room: right of the line in the left half, else left.
        side = 'dx="4"' if at < LEFT + (WIDTH - LEFT - RIGHT) / 2 else 'dx="-4" text-anchor="end"'
        parts.append(
            f'<g class="season"><title>{escape(f"end of {name}, {_date(b.at)}")}</title>'
            f'<line x1="{bx}" y1="{TOP}" x2="{bx}" y2="{base}"/>'
            f'<text class="axis" x="{bx}" y="{TOP + 12}" {side}>{escape(short)}</text></g>'
        )
    if len(points) > 1:
        # A step line: the MMR holds between games and moves at each one.
        steps = [f"M{_f(x(first.at.timestamp()))} {_f(y(first.mmr))}"]
        steps += [f"H{_f(x(p.at.timestamp()))}V{_f(y(p.mmr))}" for p in points[1:]]
        parts.append(f'<path class="line" d="{"".join(steps)}"/>')
    parts.append(
        f'<circle class="dot" cx="{_f(x(last.at.timestamp()))}" cy="{_f(y(last.mmr))}" r="3.5"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True, slots=True)
class Cut:
    """Where a rank letter starts in the MMR distribution."""

    letter: str
    mmr: int


def histogram(bins: Sequence[tuple[int, int, int]], cuts: Sequence[Cut], *, ident: str) -> Markup:
    """Entries per MMR bin (``(low, high, entries)``), with a line where each letter starts."""
    if not bins:
        return Markup("")
    lo, hi = bins[0][0], bins[-1][1] + 1
    most = max(b[2] for b in bins) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM - 10

    def x(mmr: float) -> float:
        return LEFT + (mmr - lo) / (hi - lo) * plot_w

    def y(count: float) -> float:
        return TOP + 10 + (1 - count / most) * plot_h

    title_id, desc_id = f"{ident}-title", f"{ident}-desc"
    starts = ", ".join(f"{c.letter} from {c.mmr}" for c in cuts)
    summary = (
        f"Entries with games by MMR in bins of {bins[0][1] - bins[0][0] + 1}, from {lo} to "
        f"{hi - 1}; the most in one bin: {most}."
        + (f" Rank letters start at: {starts}." if cuts else "")
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">MMR distribution</title>',
        f'<desc id="{desc_id}">{escape(summary)}</desc>',
    ]
    for tick in _ticks(0, most, 3):
        ty = _f(y(tick))
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{ty}" x2="{WIDTH - RIGHT}" y2="{ty}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{ty}" text-anchor="end" '
            f'dominant-baseline="middle">{tick}</text>'
        )
    for low, high, count in bins:
        if count:
            bx, bw = x(low), x(high + 1) - x(low)
            parts.append(
                f'<rect class="bar" x="{_f(bx)}" y="{_f(y(count))}" width="{_f(max(bw - 1, 0.5))}" '
                f'height="{_f(y(0) - y(count))}"><title>{low}-{high}: {count}</title></rect>'
            )
    base = _f(y(0))
    parts.append(
        f'<line class="frame" x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}"/>'
        f'<text class="axis" x="{LEFT}" y="{HEIGHT - 8}">{lo}</text>'
        f'<text class="axis" x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end">{hi - 1}</text>'
    )
    for cut in cuts:
        cx = _f(x(cut.mmr))
        parts.append(
            f'<g class="cut"><title>{cut.letter} from MMR {cut.mmr}</title>'
            f'<line x1="{cx}" y1="{TOP}" x2="{cx}" y2="{base}"/>'
            f'<text class="axis" x="{cx}" y="{TOP + 4}" text-anchor="middle">'
            f"{cut.letter}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


__all__ = ["Boundary", "Cut", "histogram", "mmr_chart", "within"]
