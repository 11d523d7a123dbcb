"""The two stores behind one interface, as alembic keeps its dialects: the interface the
shared code is typed against (:mod:`~ladder_cli.stores.interface`), a shared base (the
dialect's defaults, the reads, the flush), embedded SQLite and PostgreSQL (a package), and
the code written once for both: the event log, corrections, seasons, decay, the audit
trail and the original bot's tables."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ladder_cli.util.errors import BadInput

if TYPE_CHECKING:
    from ladder_cli.stores.base import Store
    from ladder_cli.stores.interface import BatchResult, JobRejected

__all__ = ["BatchResult", "JobRejected", "Store", "open_store"]


def open_store(url: str, *, connect_timeout: float = 5.0) -> Store:
    """The store for a database URL: ``sqlite:///path`` or ``postgresql://...``."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        from ladder_cli.stores.sqlite import SqliteStore

        # SQLAlchemy's form: sqlite:///relative/path or sqlite:////absolute/path.
        path = url[len("sqlite:///") :] if url[: len("sqlite:///")].lower() == "sqlite:///" else ""
        if not path:
            raise BadInput(f"database URL {url!r} names no file: use sqlite:///path/to/file")
        return SqliteStore(Path(path).expanduser())
    if scheme in ("postgres", "postgresql"):
        from ladder_cli.stores.postgres import PostgresStore

        return PostgresStore(url, connect_timeout=connect_timeout)
    raise BadInput(
        f"unsupported database URL scheme {scheme!r}: use postgresql://... or sqlite:///path"
    )


def __getattr__(name: str) -> Any:
    # Loaded on first use, so a module of this package that needs none of them (the
    # shell's completion reads names with :mod:`~ladder_cli.stores.names`) stays light.
    if name == "Store":
        from ladder_cli.stores.base import Store

        return Store
    if name in ("BatchResult", "JobRejected"):
        from ladder_cli.stores import interface

        return getattr(interface, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
