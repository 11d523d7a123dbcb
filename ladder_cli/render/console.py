"""Where the tool prints and how user data is shown there: Rich on a terminal, plain text
when piped or with NO_COLOR, and names shown literally.

On a terminal (stdout or stderr, with or without colour) messages and summaries are broken
at word boundaries to the window's width, as Rich wraps text; piped, a message stays one
line, whatever its length, for the scripts that read it.

User data (player names) is always wrapped in :class:`rich.text.Text`, which Rich never
parses as markup, after control characters are made visible (``\\x1b`` instead of an
escape sequence the terminal would obey), and any character the output's encoding cannot
show is escaped (:mod:`ladder_cli.util.terminal`).
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ladder_cli.domain.model import format_timestamp
from ladder_cli.util.terminal import escape_unencodable, unicode_output


def visible(text: str) -> str:
    """``text`` with control and bidi-override characters written as escapes, and so is
    any character the output's encoding cannot show (see :mod:`ladder_cli.util.terminal`)."""
    return escape_unencodable(escape_controls(text))


def escape_controls(text: str) -> str:
    """``text`` with control and bidi-override characters written as escapes (``\\x1b``),
    whatever the output: names in files (the standings site) use it directly."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


def literal(text: str) -> Text:
    return Text(visible(text))


def fancy(stream: TextIO) -> bool:
    """Colour and boxes only on a terminal, and never with NO_COLOR set."""
    return stream.isatty() and "NO_COLOR" not in os.environ


def console(stream: TextIO | None = None) -> Console:
    """Rich on a terminal; plain text otherwise. Piped output is never cut to a width;
    with NO_COLOR on a terminal, tables are plain but still fit the window and lines
    still wrap at word boundaries (left to the terminal, they would break mid-word)."""
    stream = stream or sys.stdout
    if fancy(stream):
        return Console(file=stream, highlight=False)
    terminal = stream.isatty()
    return Console(
        file=stream,
        color_system=None,
        highlight=False,
        width=None if terminal else 10_000,
        no_color=True,
        emoji=False,
        soft_wrap=not terminal,
    )


def error_console() -> Console:
    """stderr: warnings and the error a run ends with, wrapped at word boundaries on a
    terminal and one line each when redirected."""
    return Console(
        file=sys.stderr,
        highlight=False,
        soft_wrap=not sys.stderr.isatty(),
        color_system="auto" if fancy(sys.stderr) else None,
    )


def wrapped(text: str, stream: TextIO | None = None, *, reserve: int = 0) -> str:
    """``text`` broken at word boundaries to fit the terminal ``stream`` (stdout) is on,
    ``reserve`` cells left free on each line (for what follows it, such as a prompt's
    ``[y/N]:``); unchanged when ``stream`` is not a terminal."""
    import textwrap

    stream = stream or sys.stdout
    if not stream.isatty():
        return text
    width = max(console(stream).width - reserve, 10)
    return textwrap.fill(text, width=width, break_long_words=False, break_on_hyphens=False)


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
