"""Tables that fit the terminal they are printed on, the way ``gh`` or ``kubectl`` do.

Rich shrinks an over-wide table by cutting every column evenly, so at 80 columns an MMR
became ``1…``. A :class:`FitTable` instead decides at render time, for the width it is
given, how much detail it can afford, giving way in order of importance: a timestamp
becomes a date, the race a short form (``BW T``), the timestamp a relative age (``3d``),
the spacing tightens, the timestamp goes; only then are player names ellipsized. Numbers
(positions, MMRs, W-L-D, percentages) are never cut. A free-text column (a ``note``: the
audit trail's reason) comes last and gives way first, ellipsized down to :data:`MIN_NOTE`
cells before any other detail goes. Piped output is printed at full detail, since its
console has no width to fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from rich.box import Box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from ladder_cli.domain.model import format_timestamp, now_utc, short_race

Kind = Literal["number", "name", "time", "race", "text", "note"]
Justify = Literal["left", "center", "right"]
Cell = str | Text | datetime | None

#: The narrowest a name is cut to (with its ellipsis) before the table overflows instead.
MIN_NAME = 4
#: The narrowest a note is cut to (with its ellipsis) before other detail gives way.
MIN_NOTE = 24
_NATURAL = 1_000_000


def age(value: datetime, now: datetime) -> str:
    """How long ago, in one short unit: ``45s``, ``12m``, ``5h``, ``3d``, ``2y``."""
    seconds = int((now - value).total_seconds())
    if seconds < 0:
        return "now"
    for unit, size, below in (("s", 1, 60), ("m", 60, 3600), ("h", 3600, 48 * 3600)):
        if seconds < below:
            return f"{seconds // size}{unit}"
    days = seconds // 86_400
    return f"{days}d" if days < 730 else f"{days // 365}y"


@dataclass(frozen=True)
class Col:
    """A column: its header, what its cells hold, and a shorter header for narrow tables."""

    header: str
    kind: Kind = "text"
    justify: Justify = "left"
    narrow: str | None = None
    style: str = ""
    #: A ``time`` column at full detail: ISO 8601 with its offset, or UTC to the minute.
    long_time: Literal["iso", "minute"] = "iso"


@dataclass(frozen=True)
class Detail:
    """How much a rendering shows: the form of timestamps and races, and the spacing."""

    time: Literal["iso", "date", "age", "none"]
    race: Literal["long", "short"]
    compact: bool


#: From the most detailed to the least; the first that fits is printed.
STAGES: tuple[Detail, ...] = (
    Detail("iso", "long", False),
    Detail("date", "long", False),
    Detail("date", "short", False),
    Detail("age", "short", False),
    Detail("age", "short", True),
    Detail("none", "short", True),
)


@dataclass
class FitTable:
    """Rows of cells under :class:`Col` columns; rendered to fit the console's width.

    Cells of ``name`` columns come as :class:`~rich.text.Text` made by
    ``rendering.literal``, so user data is never parsed as markup.
    """

    columns: Sequence[Col]
    rows: list[Sequence[Cell]] = field(default_factory=list)
    #: A :class:`~rich.text.Text` for a title holding user data (a str is Rich markup).
    title: str | Text | None = None
    now: datetime | None = None

    def add_row(self, *cells: Cell) -> None:
        self.rows.append(cells)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        table = self.table(STAGES[0], plain=_plain(console))
        natural = _natural_width(console, options, table)
        return Measurement(min(natural, options.max_width), natural)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        plain = _plain(console)
        width = options.max_width
        table = None
        notes = any(c.kind == "note" for c in self.columns)
        for detail in STAGES:
            table = self.table(detail, plain=plain)
            natural = _natural_width(console, options, table)
            if natural <= width:
                yield table
                return
            if notes:  # the notes give way first, down to MIN_NOTE each
                table = self.table(detail, plain=plain, notes=self._notes(detail, 0))
                natural = _natural_width(console, options, table)
                if natural <= width:
                    yield self.table(
                        detail, plain=plain, notes=self._notes(detail, width - natural)
                    )
                    return
        assert table is not None
        yield self.table(
            STAGES[-1],
            plain=plain,
            shrink=natural - width,
            notes=self._notes(STAGES[-1], 0) if notes else None,
        )

    def _notes(self, detail: Detail, extra: int) -> dict[int, int]:
        """Widths for the note columns (by position in ``columns``): each at most
        :data:`MIN_NOTE` (or its own width, if less), then ``extra`` cells shared out, one at
        a time to the narrowest note still short of its own width."""
        now = self.now or now_utc()
        whole = {
            i: max(
                [Text(c.header).cell_len]
                + [_len(_cell(c, row[i], detail, now)) for row in self.rows]
            )
            for i, c in enumerate(self.columns)
            if c.kind == "note"
        }
        widths = {i: min(w, MIN_NOTE) for i, w in whole.items()}
        while extra > 0:
            short = [i for i in widths if widths[i] < whole[i]]
            if not short:
                break
            narrowest = min(short, key=lambda i: (widths[i], -i))
            widths[narrowest] += 1
            extra -= 1
        return widths

    def table(
        self,
        detail: Detail,
        *,
        plain: bool,
        shrink: int = 0,
        notes: dict[int, int] | None = None,
    ) -> Table:
        """The Rich table at this level of detail, names cut by ``shrink`` cells in all and
        each note column ``i`` to at most ``notes[i]`` cells (None: whole)."""
        now = self.now or now_utc()
        keep = [
            i
            for i, c in enumerate(self.columns)
            if not (c.kind == "time" and detail.time == "none")
        ]
        compact = plain or detail.compact
        t = Table(
            title=None if plain else self.title,
            # compact on a terminal: one space between columns, still a rule under the header
            box=None if plain else _box(),
            show_edge=not compact,
            pad_edge=not compact,
            padding=(0, 0) if detail.compact and not plain else (0, 1),
            header_style="" if plain else "bold",
            collapse_padding=compact,
        )
        cells: list[list[Text | str]] = [
            [_cell(self.columns[i], row[i], detail, now) for i in keep] for row in self.rows
        ]
        capped = {pos: (notes or {})[i] for pos, i in enumerate(keep) if i in (notes or {})}
        limits = _name_limits(
            [self.columns[i] for i in keep], cells, shrink, detail.time in ("age", "none"), capped
        )
        for pos, i in enumerate(keep):
            col = self.columns[i]
            header = col.narrow if col.narrow and detail.time in ("age", "none") else col.header
            widest = max([Text(header).cell_len] + [_len(row[pos]) for row in cells])
            cut = col.kind in ("name", "note")
            t.add_column(
                header,
                justify=col.justify,
                no_wrap=True,
                overflow="ellipsis",
                style=col.style,
                min_width=None if cut else widest,
                max_width=limits.get(pos, capped.get(pos)),
            )
        for row in cells:
            t.add_row(*row)
        return t


def _plain(console: Console) -> bool:
    return console.no_color or not console.is_terminal


def _box() -> Box:
    from rich import box

    return box.SIMPLE_HEAD


def _natural_width(console: Console, options: ConsoleOptions, table: Table) -> int:
    return Measurement.get(console, options.update_width(_NATURAL), table).maximum


def _len(cell: Text | str) -> int:
    return cell.cell_len if isinstance(cell, Text) else Text(cell).cell_len


def _cell(col: Col, value: Cell, detail: Detail, now: datetime) -> Text | str:
    if value is None:
        return ""
    if col.kind == "time" and isinstance(value, datetime):
        if detail.time == "iso" and col.long_time == "minute":
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        if detail.time == "iso":
            return format_timestamp(value) or ""
        if detail.time == "date":
            return _utc_date(value)
        return age(value, now)
    if col.kind == "race" and isinstance(value, str):
        return value if detail.race == "long" else short_race(value)
    if isinstance(value, datetime):
        return format_timestamp(value) or ""
    return value


def _utc_date(value: datetime) -> str:
    return value.astimezone(UTC).date().isoformat()


def _name_limits(
    columns: Sequence[Col],
    cells: list[list[Text | str]],
    shrink: int,
    narrow: bool,
    notes: dict[int, int] | None = None,
) -> dict[int, int]:
    """Widths for the name columns that take ``shrink`` cells off them, widest first; the
    note columns (``notes``: their widths so far) give way before them, as they did
    before any other detail."""
    if shrink <= 0:
        return {}
    widths = {}
    for pos, col in enumerate(columns):
        if col.kind == "name":
            header = col.narrow if col.narrow and narrow else col.header
            widths[pos] = max([Text(header).cell_len] + [_len(row[pos]) for row in cells])
    floor = {pos: min(w, MIN_NAME) for pos, w in widths.items()}
    for pos, width in (notes or {}).items():
        widths[pos], floor[pos] = width, min(width, MIN_NAME)
    while shrink > 0:
        candidates = [p for p in widths if widths[p] > floor[p]]
        if not candidates:
            break
        first = [p for p in candidates if columns[p].kind == "note"]
        widest = max(first or candidates, key=lambda p: (widths[p], -p))
        widths[widest] -= 1
        shrink -= 1
    return widths
