"""Where things live and which database to use: flags, then environment, then the file.

Precedence, highest first: ``--db``/``--home``; ``LADDER_DATABASE_URL``/``LADDER_HOME``;
the TOML config file (``config.toml`` in the home, or the platform's user config dir);
defaults (the embedded SQLite database in the platform's user data dir).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit, urlunsplit

from ladder_cli.decay import DecayRule, parse_rule
from ladder_cli.errors import BadInput

APP: Final = "ladder"
# Jobs per flush transaction. On a server a batch holds its rows locked against the other
# ladder's writers and its size barely moves throughput past 20,000. SQLite rewrites every
# row a batch touches, so fewer, larger batches write less; memory, not speed, stops it
# at 200,000 (figures in docs/benchmarks.md).
DEFAULT_BATCH_SIZE: Final = 20_000
DEFAULT_EMBEDDED_BATCH_SIZE: Final = 200_000

_KNOWN_KEYS: Final = {
    "database_url",
    "batch_size",
    "connect_timeout",
    "activity_days",
    "admin",
    "retain_days",
    "decay",
}
#: Days applied jobs stay in the home's queue, for `wal reconcile` after a restore/failover.
DEFAULT_RETAIN_DAYS: Final = 14


@dataclass(frozen=True)
class Settings:
    """The resolved configuration of one run."""

    data_dir: Path
    config_file: Path
    database_url: str | None
    database_source: str
    batch_size: int = DEFAULT_BATCH_SIZE
    connect_timeout: float = 5.0
    activity_days: int | None = None
    #: Who the audit trail names when no ``--by`` is given (config ``admin``).
    admin: str | None = None
    retain_days: int = DEFAULT_RETAIN_DAYS
    #: The ``[decay]`` section (see :mod:`ladder_cli.decay`); None: decay is not configured.
    decay: DecayRule | None = None

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.sqlite3"

    @property
    def embedded_path(self) -> Path:
        return self.data_dir / "ladder.sqlite3"

    @property
    def snapshot_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def url(self) -> str:
        """The database URL, the embedded database's when none is configured."""
        return self.database_url or f"sqlite:///{self.embedded_path}"

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    def describe(self) -> dict[str, object]:
        """For ``ladder config``: every path and the database, password masked."""
        return {
            "database": mask_url(self.url),
            "database_source": self.database_source,
            "data_dir": str(self.data_dir),
            "config_file": str(self.config_file),
            "config_file_exists": self.config_file.exists(),
            "queue": str(self.queue_path),
            "snapshots": str(self.snapshot_dir),
            "batch_size": self.batch_size,
            "connect_timeout": self.connect_timeout,
            "activity_days": self.activity_days,
            "retain_days": self.retain_days,
            "decay": None if self.decay is None else self.decay.as_dict(),
        }


def resolve(
    db: str | None = None,
    home: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    env = os.environ if env is None else env
    home = home or env.get("LADDER_HOME") or None
    if home:
        root = Path(home).expanduser().absolute()
        data_dir, config_file = root, root / "config.toml"
    else:
        import platformdirs

        data_dir = Path(platformdirs.user_data_dir(APP, appauthor=False))
        config_file = Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.toml"
    file = _read_config(config_file)
    if db:
        url, source = db, "--db"
    elif env.get("LADDER_DATABASE_URL"):
        url, source = env["LADDER_DATABASE_URL"], "LADDER_DATABASE_URL"
    elif file.get("database_url"):
        url, source = str(file["database_url"]), f"config file {config_file}"
    else:
        url, source = None, "default (embedded SQLite)"
    return Settings(
        data_dir=data_dir,
        config_file=config_file,
        database_url=url,
        database_source=source,
        batch_size=_positive_int(
            file,
            "batch_size",
            DEFAULT_BATCH_SIZE
            if url and not url.startswith("sqlite:")
            else DEFAULT_EMBEDDED_BATCH_SIZE,
            config_file,
        ),
        connect_timeout=float(_positive_int(file, "connect_timeout", 5, config_file)),
        activity_days=_optional_days(file, config_file),
        admin=str(file["admin"]) if file.get("admin") else None,
        retain_days=_retain_days(file, config_file),
        decay=parse_rule(file["decay"], config_file) if "decay" in file else None,
    )


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
            mode = os.fstat(fh.fileno()).st_mode
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"config file {path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise BadInput(
            f"config file {path} is not UTF-8 text ({exc.reason} at byte {exc.start}): "
            "save it as UTF-8"
        ) from None
    except OSError as exc:
        raise BadInput(f"cannot read config file {path}: {exc.strerror}") from None
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise BadInput(
            f"config file {path}: unknown setting {unknown[0]!r} "
            f"(known: {', '.join(sorted(_KNOWN_KEYS))})"
        )
    if "database_url" in data and not isinstance(data["database_url"], str):
        raise BadInput(f"config file {path}: database_url must be a string")
    _refuse_shared_password(path, data, mode)
    return data


def _refuse_shared_password(path: Path, data: Mapping[str, Any], mode: int) -> None:
    """A password in a file that others can read (or change) is no longer a secret."""
    url = data.get("database_url")
    if isinstance(url, str) and mode & 0o077 and url_secrets(url):
        raise BadInput(
            f"config file {path} holds a database password and other users can access it: "
            f"run `chmod 600 {path}` (or keep the password in ~/.pgpass)"
        )


def _positive_int(data: Mapping[str, Any], key: str, default: int, path: Path) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadInput(f"config file {path}: {key} must be a whole number of at least 1")
    return value


def _optional_days(data: Mapping[str, Any], path: Path) -> int | None:
    if "activity_days" not in data:
        return None
    return _positive_int(data, "activity_days", 1, path)


def _retain_days(data: Mapping[str, Any], path: Path) -> int:
    value = data.get("retain_days", DEFAULT_RETAIN_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 36_500:
        raise BadInput(
            f"config file {path}: retain_days must be a whole number of days from 0 "
            "(keep no applied jobs) to 36500"
        )
    return value


def mask_url(url: str, *, hide_password: bool = False) -> str:
    """The URL with its password replaced by ``***`` (or removed): safe to print."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises for several hosts or a port that is no number
    except ValueError:
        return _mask_raw(url, hide_password=hide_password)
    authority = url.partition("://")[2].partition("/")[0]
    if "://" not in url or parts.fragment or ("@" in authority and "@" not in parts.netloc):
        # libpq reads a '#' or '?' in the password as part of it; urlsplit ends the host there
        return _mask_raw(url, hide_password=hide_password)
    if parts.password is None and "password" not in unquote(parts.query).lower():
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    if parts.password is not None:
        user = user if hide_password else f"{user}:***"
    netloc = f"{user}@{host}" if user else host
    query = _mask_query(parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


#: libpq's ``password=`` keyword, in a ``key=value`` string or a URL's query; group 2 is
#: the value (quoted, or up to the next ``&`` or blank).
_PASSWORD_PARAM: Final = re.compile(r"(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s]*)")
#: Something that looks like a URL inside a message.
_URL_IN_TEXT: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")


def _mask_query(query: str) -> str:
    return "&".join(
        "password=***" if unquote(p).lower().startswith("password=") else p
        for p in query.split("&")
        if p
    )


def _split_userinfo(url: str) -> tuple[str, str | None, str] | None:
    """``(scheme, userinfo, rest)`` of a URL as libpq reads it, None for a string that
    is no URL (a ``key=value`` one).

    There is no fragment; the userinfo runs to the last '@' before the path (or, with a
    '/' in the password, before the query), so a '#', '?' or '@' in it stays in it.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    cut = rest.rfind("@", 0, rest.find("/") if "/" in rest else len(rest))
    if cut < 0:
        cut = rest.rfind("@", 0, rest.find("?") if "?" in rest else len(rest))
    if cut < 0:
        return scheme, None, rest
    return scheme, rest[:cut], rest[cut + 1 :]


def _mask_raw(url: str, *, hide_password: bool) -> str:
    """Mask a URL that urlsplit misreads (a '#' or '?' in the password, several hosts),
    or the ``password=`` of a ``key=value`` string."""
    split = _split_userinfo(url)
    if split is None:
        return _PASSWORD_PARAM.sub(r"\1***", url)
    scheme, userinfo, rest = split
    user = ""
    if userinfo is not None:
        user, colon, _ = userinfo.partition(":")
        if colon and not hide_password:
            user = f"{user}:***"
        user = _PASSWORD_PARAM.sub(r"\1***", user)
    where, question, query = rest.partition("?")
    masked = f"{where}?{_mask_query(query)}" if question else where
    return f"{scheme}://{user}@{masked}" if user else f"{scheme}://{masked}"


def url_user(url: str) -> str | None:
    """The user name in ``url``'s userinfo, percent-decoded (None when there is none)."""
    split = _split_userinfo(url)
    if split is None or not split[1]:
        return None
    return unquote(split[1].partition(":")[0]) or None


def url_secrets(url: str) -> list[str]:
    """Every spelling of the password in ``url`` that an error message might echo.

    The userinfo's password (as written and percent-decoded, found the way libpq splits a
    URL even when urlsplit cannot) and any ``password=`` parameter; longest first, so
    replacing them in order never leaves a piece of one behind.
    """
    found: set[str] = set()
    split = _split_userinfo(url)
    if split is not None and split[1] is not None:
        _user, colon, password = split[1].partition(":")
        if colon:
            found.add(password)
    for text in (url, unquote(url)):
        found.update(match.group(2).strip("'") for match in _PASSWORD_PARAM.finditer(text))
    found |= {unquote(s) for s in found}
    return sorted((s for s in found if s), key=len, reverse=True)


def scrub(text: str, url: str | None) -> str:
    """``text`` without ``url``'s password, and without the rest of the message mangled.

    Structural first: the URL itself, and anything in the text that looks like a URL, are
    shown masked (their password field, or ``password=`` parameter, becomes ``***``; user,
    host and database stay), as are ``password=`` keywords. Elsewhere the password is
    replaced only where it stands as a whole token, so a one-letter or an everyday password
    (``p``, ``postgres``) does not eat the letters of other words. A password equal to the
    user name is no secret from anyone who reads the masked URL, so that word is left alone.
    """
    if not url:
        return text
    secrets = url_secrets(url)
    if url in text:
        text = text.replace(url, mask_url(url))
    user = url_user(url)
    tokens = [
        re.compile(rf"(?<!\w){re.escape(secret)}(?!\w)") for secret in secrets if secret != user
    ]

    def plain(part: str) -> str:
        part = _PASSWORD_PARAM.sub(r"\1***", part)
        for token in tokens:
            part = token.sub("***", part)
        return part

    out, last = [], 0
    for found in _URL_IN_TEXT.finditer(text):
        out.append(plain(text[last : found.start()]))
        out.append(mask_url(found.group()))
        last = found.end()
    out.append(plain(text[last:]))
    return "".join(out)
