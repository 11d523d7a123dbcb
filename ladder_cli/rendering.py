"""Everything the tool prints: Rich tables on a terminal, plain text, JSON and CSV.

User data (player names) is always wrapped in :class:`rich.text.Text`, which Rich never
parses as markup, after control characters are made visible (``\\x1b`` instead of an
escape sequence the terminal would obey). Names are shown literally, never interpreted.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ladder_cli.model import AppliedMatch, format_timestamp
from ladder_cli.terminal import escape_unencodable, unicode_output


def visible(text: str) -> str:
    """``text`` with control and bidi-override characters written as escapes, and so is
    any character the output's encoding cannot show (see :mod:`ladder_cli.terminal`)."""
    if text.isprintable():
        return escape_unencodable(text)
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return escape_unencodable("".join(out))


def literal(text: str) -> Text:
    return Text(visible(text))


def fancy(stream: TextIO) -> bool:
    """Colour and boxes only on a terminal, and never with NO_COLOR set."""
    return stream.isatty() and "NO_COLOR" not in os.environ


def console(stream: TextIO | None = None) -> Console:
    stream = stream or sys.stdout
    if fancy(stream):
        return Console(file=stream, highlight=False)
    return Console(
        file=stream,
        color_system=None,
        highlight=False,
        width=10_000,
        no_color=True,
        emoji=False,
        soft_wrap=True,
    )


def error_console() -> Console:
    return Console(
        file=sys.stderr,
        highlight=False,
        soft_wrap=True,
        color_system="auto" if fancy(sys.stderr) else None,
    )


def table(columns: Sequence[tuple[str, str]], *, title: str | None = None) -> Table:
    """A table that is boxed on a terminal; the console decides colour."""
    plain = not fancy(sys.stdout)
    t = Table(
        title=None if plain else title,
        box=None if plain else _box(),
        show_edge=not plain,
        pad_edge=not plain,
        header_style="" if plain else "bold",
        collapse_padding=plain,
    )
    for name, justify in columns:
        t.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    return t


def _box() -> Any:
    from rich import box

    return box.SIMPLE_HEAD


def arrow() -> str:
    """``→``, or ``->`` where the output cannot show it (so tables keep their widths)."""
    return "→" if unicode_output() else "->"


def iso(value: datetime | None) -> str:
    return format_timestamp(value) or ""


def to_json(value: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, datetime):
            return format_timestamp(obj)
        raise TypeError(f"cannot serialise {type(obj).__name__}")

    # On an ASCII or Latin-1 stream, JSON's own escapes keep every name exact.
    return json.dumps(value, default=default, ensure_ascii=not unicode_output(), indent=2)


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row[c]) for c in columns])
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, str):
        return visible(value)
    return "" if value is None else value


def win_rate(won: int, played: int) -> str:
    return f"{100 * won / played:.1f}%" if played else "-"


def wld(row: Mapping[str, Any]) -> str:
    """W-L-D; with a negative count (a broken row) ``W / L / D``, not ``21--1-1``."""
    counts = (row["games_won"], row["games_lost"], row["games_drawn"])
    if any(c < 0 for c in counts):
        return " / ".join(map(str, counts))
    return "-".join(map(str, counts))


RANK_STYLES = {
    "S": "bold magenta",
    "A": "bold red",
    "B": "yellow",
    "C": "green",
    "D": "cyan",
    "E": "blue",
    "F": "dim",
    "U": "dim",
}


def leaderboard_table(rows: Sequence[Mapping[str, Any]], *, title: str) -> Table:
    t = table(
        [
            ("#", "right"),
            ("Rank", "center"),
            ("Player", "left"),
            ("Race", "left"),
            ("MMR", "right"),
            ("W-L-D", "right"),
            ("Win %", "right"),
            ("Last played", "left"),
        ],
        title=title,
    )
    for row in rows:
        t.add_row(
            "" if row["position"] is None else str(row["position"]),
            Text(row["rank"], style=RANK_STYLES.get(row["rank"], "")),
            literal(row["player_name"]),
            row["race"],
            str(row["mmr"]),
            wld(row),
            win_rate(row["games_won"], row["games_played"]),
            iso(row["last_played"]),
        )
    return t


def history_table(
    matches: Sequence[AppliedMatch], names: Mapping[int, str], *, title: str
) -> Table:
    t = table(
        [
            ("Match", "right"),
            ("Played at", "left"),
            ("P1", "left"),
            ("Race", "left"),
            ("MMR", "right"),
            ("Result", "center"),
            ("P2", "left"),
            ("Race", "left"),
            ("MMR", "right"),
        ],
        title=title,
    )
    for m in matches:
        t.add_row(
            str(m.match_id),
            iso(m.played_at),
            literal(names.get(m.p1_uid, str(m.p1_uid))),
            m.p1_race,
            f"{m.p1_mmr_before} {arrow()} {m.p1_mmr_after}",
            _HISTORY_VERBS.get(m.result, "?"),
            literal(names.get(m.p2_uid, str(m.p2_uid))),
            m.p2_race,
            f"{m.p2_mmr_before} {arrow()} {m.p2_mmr_after}",
        )
    return t


# result 1: P1 won; 2: P2 won (the original bot's matches); 0: a draw.
_HISTORY_VERBS = {1: "beat", 2: "lost to", 0: "drew"}


def mmr_change(before: int, after: int) -> Text:
    delta = after - before
    style = "green" if delta > 0 else "red" if delta < 0 else ""
    return Text.assemble(f"{before} {arrow()} {after} ", (f"({delta:+d})", style))


def match_lines(match: AppliedMatch, names: Mapping[int, str]) -> list[Text]:
    n1 = names.get(match.p1_uid, str(match.p1_uid))
    n2 = names.get(match.p2_uid, str(match.p2_uid))
    verb = {1: "beat", 2: "lost to"}.get(match.result, "drew with")
    width = max(len(visible(n1)), len(visible(n2)))
    lines = [
        Text.assemble(
            literal(n1), f" ({match.p1_race}) {verb} ", literal(n2), f" ({match.p2_race})"
        )
    ]
    for name, race, before, after in (
        (n1, match.p1_race, match.p1_mmr_before, match.p1_mmr_after),
        (n2, match.p2_race, match.p2_mmr_before, match.p2_mmr_after),
    ):
        shown = visible(name)
        lines.append(
            Text.assemble(
                "  ",
                Text(shown),
                " " * (width - len(shown)),
                f"  {race:<11} ",
                mmr_change(before, after),
            )
        )
    return lines


def differences_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    """``ladder verify``'s differences: which entry, which value, stored and expected."""
    t = table(
        [
            ("Key", "left"),
            ("Player", "left"),
            ("Check", "left"),
            ("Field", "left"),
            ("Stored", "right"),
            ("Expected", "right"),
        ],
        title="Differences",
    )
    for row in rows:
        t.add_row(
            row["key"],
            literal(row["player_name"] or ""),
            row["check"],
            row["field"],
            literal("-" if row["stored"] is None else str(row["stored"])),
            literal(str(row["expected"])),
        )
    return t
