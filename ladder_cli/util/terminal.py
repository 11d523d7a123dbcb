"""Output that degrades instead of failing on a stream that cannot encode a character.

A Windows console, an old SSH session or a cron mail pipe may write ASCII or Latin-1
(``PYTHONIOENCODING=latin-1``). Printing ``→`` there raised UnicodeEncodeError after a
write had been applied, and the command reported a failure. Two layers keep that from
happening: names (user data) have every character the output cannot show escaped as
``\\uXXXX`` before they are printed (:func:`escape_unencodable`, used by
``rendering.visible``), so they stay unambiguous; and the streams themselves get an
error handler that writes the tool's own symbols as ASCII (``→`` as ``->``) and escapes
anything else, so printing never raises.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import sys
from typing import Final

ERRORS: Final = "ladder-fallback"

#: ASCII spellings of the symbols the tool's own messages and tables use.
FALLBACKS: Final = {
    "\u2192": "->",  # right arrow: before -> after
    "\u2190": "<-",
    "\u2014": "-",  # em dash
    "\u2013": "-",  # en dash
    "\u2026": "...",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2022": "*",
    "\u00d7": "x",
    "\u2265": ">=",
    "\u2264": "<=",
    "\u00a0": " ",
}


def _fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    chunk = exc.object[exc.start : exc.end]
    return "".join(FALLBACKS.get(ch) or _escape(ch) for ch in chunk), exc.end


codecs.register_error(ERRORS, _fallback)


def _escape(ch: str) -> str:
    return ch.encode("ascii", "backslashreplace").decode("ascii")


def prepare_streams() -> None:
    """Give stdout and stderr the fallback handler unless they can encode everything."""
    for stream in (sys.stdout, sys.stderr):
        if _unicode(getattr(stream, "encoding", None)):
            continue
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            # a stream that cannot change now keeps its own handler
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors=ERRORS)


@functools.lru_cache(maxsize=16)
def _unicode(encoding: str | None) -> bool:
    """Whether ``encoding`` can encode every character (the UTF family)."""
    if not encoding:
        return True  # a stream without an encoding takes str as it is (StringIO)
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False
    return name.startswith("utf")


def _narrow() -> tuple[str, ...]:
    """The output encodings that cannot encode everything."""
    found = []
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None)
        if not _unicode(encoding):
            found.append(str(encoding))
    return tuple(found)


def unicode_output() -> bool:
    """Whether both output streams can show any character."""
    return not _narrow()


def escape_unencodable(text: str) -> str:
    """``text`` with each character that stdout or stderr cannot encode written as an
    escape (``\\u2192``): a name is then shown unambiguously, never half-replaced."""
    if text.isascii():
        return text
    narrow = _narrow()
    if not narrow:
        return text
    out = []
    for ch in text:
        try:
            for encoding in narrow:
                ch.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)
