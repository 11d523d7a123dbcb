"""Where things live and which database to use: flags, then environment, then the file.

Precedence, highest first: ``--db``/``--home``; ``LADDER_DATABASE_URL``/``LADDER_HOME``;
the TOML config file (``config.toml`` in the home, or the platform's user config dir);
defaults (the embedded SQLite database in the platform's user data dir).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from ladder_cli.errors import BadInput

APP: Final = "ladder"
DEFAULT_BATCH_SIZE: Final = 10_000

_KNOWN_KEYS: Final = {"database_url", "batch_size", "connect_timeout", "activity_days"}


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
        batch_size=_positive_int(file, "batch_size", DEFAULT_BATCH_SIZE, config_file),
        connect_timeout=float(_positive_int(file, "connect_timeout", 5, config_file)),
        activity_days=_optional_days(file, config_file),
    )


def _read_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"config file {path} is not valid TOML: {exc}") from None
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
    return data


def _positive_int(data: Mapping[str, Any], key: str, default: int, path: Path) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadInput(f"config file {path}: {key} must be a whole number of at least 1")
    return value


def _optional_days(data: Mapping[str, Any], path: Path) -> int | None:
    if "activity_days" not in data:
        return None
    return _positive_int(data, "activity_days", 1, path)


def mask_url(url: str, *, hide_password: bool = False) -> str:
    """The URL with its password replaced by ``***`` (or removed): safe to print."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable database URL>"
    if parts.password is None and "password" not in parts.query:
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
    query = "&".join(
        "password=***" if p.lower().startswith("password=") else p
        for p in parts.query.split("&")
        if p
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
