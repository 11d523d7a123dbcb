"""One run of ``ladder``: its global options, and the Ladder a command opens with them.

The session is set by :func:`~ladder_cli.cli.app.run` (and by the global options'
callback, which fills it in), per thread, so in-process runs in several threads each see
their own.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ladder_cli.core.ladder import Ladder
    from ladder_cli.util.config import Settings


@dataclass
class Session:
    """One run's global options, kept in Typer's context object (``ctx.obj``); ``run``
    holds it too, to report an error after the command's context is gone."""

    db: str | None = None
    home: str | None = None
    debug: bool = False
    #: What an interrupt before any write is said to have left behind.
    untouched: str = "nothing was changed"
    by: str | None = None

    def settings(self) -> Settings:
        # Deferred: loaded by the command, not by --version or --help.
        from ladder_cli.util.config import resolve

        return resolve(db=self.db, home=self.home)


class _Current(threading.local):
    session: Session | None = None


_current = _Current()


@contextlib.contextmanager
def use(session: Session) -> Iterator[Session]:
    """Make ``session`` this thread's current one while the block runs."""
    before, _current.session = _current.session, session
    try:
        yield session
    finally:
        _current.session = before


def adopt(session: Session) -> None:
    """Make ``session`` the current one from here on (the global options' callback, when
    Typer made it)."""
    _current.session = session


def current() -> Session:
    """This run's :class:`Session` (a default one outside a run)."""
    found = _current.session
    return found if found is not None else Session()


def open_ladder() -> Ladder:
    """The Ladder of this run's database and home, writing as ``--by`` when given."""
    # Deferred: the library loads the stores, not for --version or --help.
    from ladder_cli.core.ladder import Ladder

    session = current()
    ladder = Ladder(session.settings())
    if session.by is not None:
        from ladder_cli.core.audit import parse_actor  # deferred: only for --by

        ladder.by = parse_actor(session.by)
    return ladder
