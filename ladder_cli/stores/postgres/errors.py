"""PostgreSQL's errors sorted into the three kinds the ladder acts on differently: the
server is unreachable (queue and retry later), the URL is wrong (fix the config), or the
data was refused (isolate the job). Every message is scrubbed of the URL's password."""

from __future__ import annotations

import psycopg

from ladder_cli.stores.interface import JobRejected
from ladder_cli.util.errors import BadInput, DatabaseUnavailable, LadderError
from ladder_cli.util.urls import scrub

# libpq's words, in a failed connection's text, for what only a corrected URL or setup
# fixes: bad credentials, no such database or user, a host name that does not resolve, an
# option value it does not accept; no password for the role (none in the URL, ~/.pgpass,
# PGPASSFILE or the service file), no pg_hba.conf entry for the connection, or a TLS
# certificate the URL does not trust (or TLS the server does not offer).
_WRONG_URL_MESSAGES = (
    "password authentication failed",
    "does not exist",
    "could not translate host name",
    "name or service not known",
    "invalid ",
    "no password supplied",
    "no pg_hba.conf entry",
    "certificate verify failed",
    "does not match host name",
    "server does not support ssl",
    "root certificate file",
)


def _says_wrong_url(message: str) -> bool:
    lowered = message.lower()
    return any(words in lowered for words in _WRONG_URL_MESSAGES) or (
        "missing" in lowered and "=" in lowered
    )


# SQLSTATE classes that mean "this data can never be written": data exceptions,
# integrity constraint violations, and errors raised by triggers.
_REJECTED_CLASSES = ("22", "23", "P0")


def _scrubbed(exc: psycopg.Error, url: str) -> str:
    return " ".join(scrub(str(exc), url).split())


def connect_error(exc: psycopg.Error, url: str, target: str) -> LadderError:
    """A wrong URL (BadInput: no retry can succeed) or an outage (queue and retry).

    By exception type and SQLSTATE where the driver gives them: a URL libpq cannot parse
    is a ProgrammingError raised before any network traffic; class 28 (bad credentials)
    and 3D000 (no such database) are the server's word. A connection that fails while
    starting up carries no SQLSTATE in psycopg, only libpq's text, so for those alone the
    message is read (:data:`_WRONG_URL_MESSAGES`).
    """
    message = _scrubbed(exc, url)
    state = exc.sqlstate or ""
    if (
        isinstance(exc, psycopg.ProgrammingError)
        or state.startswith("28")
        or state == "3D000"
        or (not state and _says_wrong_url(message))
    ):
        return BadInput(f"cannot connect to {target}: {message}: check the URL")
    return DatabaseUnavailable(f"cannot reach {target}: {message}")


def connection_lost(exc: psycopg.Error) -> bool:
    """Whether the error means the connection is gone (so it must be dropped)."""
    state = exc.sqlstate or ""
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError) and not (
        state.startswith(_REJECTED_CLASSES)
    )


def error(exc: psycopg.Error, url: str, target: str) -> Exception:
    """What an error during a statement means: an outage, refused data, or a failure."""
    message = _scrubbed(exc, url)
    if connection_lost(exc):
        return DatabaseUnavailable(f"lost the connection to {target}: {message}")
    if (exc.sqlstate or "").startswith(_REJECTED_CLASSES):
        return JobRejected(message)
    return LadderError(f"{target}: {message}")
