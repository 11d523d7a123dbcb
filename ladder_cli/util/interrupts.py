"""Ctrl-C and SIGTERM as exceptions the command can report on.

SIGTERM would otherwise end the process without a word, and a bare KeyboardInterrupt
says nothing of what was already queued. While :func:`handling` is active both signals
raise :class:`Interrupted`, a KeyboardInterrupt that knows its signal. A short stretch
that must not be cut in two (a queue commit and the note of what it committed) runs
inside :func:`deferred`: a signal arriving there is raised when the stretch ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The process was asked to stop by ``signum``."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def verb(self) -> str:
        return "terminated" if self.signum == signal.SIGTERM else "interrupted"


_depth = 0
_caught: list[int] = []
#: The interrupts raised so far: Typer turns a KeyboardInterrupt into a silent exit 130,
#: so the CLI looks here to say what the interrupt left behind.
raised: list[Interrupted] = []


def _raise(signum: int) -> None:
    error = Interrupted(signum)
    raised.append(error)
    raise error


def _handler(signum: int, frame: FrameType | None) -> None:
    if _depth:
        _caught.append(signum)
        return
    _raise(signum)


@contextmanager
def handling() -> Iterator[None]:
    """SIGINT and SIGTERM raise :class:`Interrupted` inside the block (main thread only);
    the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {}
    raised.clear()
    try:
        for signum in SIGNALS:
            previous[signum] = signal.signal(signum, _handler)
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@contextmanager
def deferred() -> Iterator[None]:
    """A signal that arrives inside the block is raised when it ends, not in the middle."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
    if not _depth and _caught:
        signum = _caught[0]
        _caught.clear()
        _raise(signum)


@contextmanager
def ignored() -> Iterator[None]:
    """Further signals wait while the last line about an interrupt is being written."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        _caught.clear()
