"""Where things live and which database to use: flags, then environment, then the file.

Precedence, highest first: ``--db``/``--home``; ``LADDER_DATABASE_URL``/``LADDER_HOME``;
the TOML config file (``config.toml`` in the home, or the platform's user config dir);
defaults (the embedded SQLite database in the platform's user data dir). The file's
``[decay]`` section is read here too, as a :class:`DecayRule`, so a bad one is bad input
before any command runs (what a rule takes from an entry: :mod:`ladder_cli.domain.decay`),
and so is its ``[integrity]`` section (:mod:`ladder_cli.util.thresholds`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from ladder_cli.util.errors import BadInput
from ladder_cli.util.thresholds import IntegrityRules, parse_rules
from ladder_cli.util.urls import mask_url, url_secrets

APP: Final = "ladder"
# Jobs per flush transaction. On a server a batch holds its rows locked against the other
# ladder's writers, and larger batches barely move throughput. SQLite rewrites every row a
# batch touches, so fewer, larger batches write less; memory, not speed, sets its size
# (docs/benchmarks.md has the measurements behind both).
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
    "integrity",
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
    #: The ``[decay]`` section (see :mod:`ladder_cli.core.decay`); None: decay is not configured.
    decay: DecayRule | None = None
    #: The ``[integrity]`` thresholds (the contract's defaults where the file sets none).
    integrity: IntegrityRules = field(default_factory=IntegrityRules)

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
            "integrity": self.integrity.as_dict(),
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
        integrity=parse_rules(file.get("integrity", {}), config_file),
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


# -- the [decay] section ---------------------------------------------------------------

KEYS: Final = ("after_days", "points", "every_days", "floor")
MAX_DAYS: Final = 36_500
MAX_POINTS: Final = 10_000
MAX_FLOOR: Final = 100_000


@dataclass(frozen=True, slots=True)
class DecayRule:
    """The config file's ``[decay]`` section."""

    after_days: int
    points: int
    every_days: int
    floor: int

    def as_dict(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in KEYS}

    def describe(self) -> str:
        return (
            f"{self.points} per {self.every_days} days after {self.after_days} days idle, "
            f"floor {self.floor}"
        )

    def cutoff(self, now: datetime) -> datetime:
        """Entries whose last game is at or before this owe at least one period."""
        return now - timedelta(days=self.after_days + self.every_days)

    def owed(self, last_played: datetime | None, now: datetime) -> int:
        """The points an entry whose last game was ``last_played`` owes in all at ``now``."""
        if last_played is None:
            return 0
        idle = now - last_played - timedelta(days=self.after_days)
        if idle < timedelta(0):
            return 0
        return (idle // timedelta(days=self.every_days)) * self.points


def parse_rule(section: object, path: Path) -> DecayRule:
    """The ``[decay]`` table of the config file, or BadInput naming what is wrong."""
    where = f"config file {path}: [decay]"
    if not isinstance(section, Mapping):
        raise BadInput(f"{where} must be a table (a [decay] section with {', '.join(KEYS)})")
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise BadInput(f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(KEYS)})")
    missing = [key for key in KEYS if key not in section]
    if missing:
        raise BadInput(f"{where} lacks {missing[0]} (it needs all of {', '.join(KEYS)})")
    limits = {
        "after_days": (0, MAX_DAYS, "days"),
        "points": (1, MAX_POINTS, "points"),
        "every_days": (1, MAX_DAYS, "days"),
        "floor": (0, MAX_FLOOR, "MMR"),
    }
    values: dict[str, int] = {}
    for key, (low, high, unit) in limits.items():
        value: Any = section[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise BadInput(
                f"{where}: {key} must be a whole number of {unit} from {low} to {high}, "
                f"not {value!r}"
            )
        values[key] = value
    return DecayRule(**values)
