"""Shared fixtures: a real PostgreSQL server, database URLs, hermetic environments.

Fixtures:

* ``pg_cluster``: the throwaway :class:`~devtools.pgcluster.PgCluster` of this worker
  (one per pytest-xdist worker, kept for the whole run). Tests marked ``durable`` get a
  durable server; the others a fast one (``fast_pg_cluster``, no fsync). Skipped when
  PostgreSQL is not installed -- a failure when ``CI=true``.
* ``pg_url`` (function): URL of a database as new in that cluster: one database per
  worker, emptied before each test (far cheaper than a create and a drop). A test may
  stop the server; the fixture restarts it.
* ``db_url`` (function, parametrised ``sqlite`` / ``postgres``): a database URL for
  tests that must hold for both stores; the ``postgres`` case carries the ``pg`` marker.
* ``home`` (function): an empty directory to use as ``LADDER_HOME`` / ``--home``.

Every test runs without ``LADDER_DATABASE_URL``, ``LADDER_HOME`` and ``NO_COLOR`` in its
environment. Tests marked ``slow`` run only with ``--run-slow`` or ``LADDER_STRESS=1``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.pgcluster import PgCluster

_HERMETIC_ENV = ("LADDER_DATABASE_URL", "LADDER_HOME", "NO_COLOR", "LADDER_TEST_NOW")
_PG_FIXTURES = frozenset({"pg_cluster", "pg_url", "fast_pg_cluster", "durable_pg_cluster"})
#: The database every PostgreSQL test of a worker reuses, reset before each test.
_TEST_DATABASE = "ladder_test"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


#: Where the tests' temporary directories go when it has room: a RAM file system, so the
#: queue's and the embedded database's fsyncs cost nothing (they stay in the code; a test
#: kills processes, never the machine, so what is written survives either way).
_RAM_DIR = Path("/dev/shm")
_RAM_NEEDED = 2 << 30
_RAM_PREFIX = "ladder-pytest-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ram_basetemp() -> Path | None:
    """A fresh directory for this run's temporary files on the RAM file system, or None
    (no such file system, too little room, or ``LADDER_TEST_TMPFS=0``)."""
    if (os.environ.get("LADDER_TEST_TMPFS") or "1").strip().lower() in {"0", "false", "no"}:
        return None
    try:
        stat = os.statvfs(_RAM_DIR)
    except OSError:
        return None
    if stat.f_bavail * stat.f_frsize < _RAM_NEEDED or not os.access(_RAM_DIR, os.W_OK):
        return None
    for stale in _RAM_DIR.glob(f"{_RAM_PREFIX}*"):  # runs that were killed
        pid = stale.name.removeprefix(_RAM_PREFIX)
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    return _RAM_DIR / f"{_RAM_PREFIX}{os.getpid()}"


def pytest_configure(config: pytest.Config) -> None:
    # The controller picks the directory; pytest-xdist hands each worker a part of it.
    if config.option.basetemp or hasattr(config, "workerinput"):
        return
    chosen = _ram_basetemp()
    if chosen is not None:
        config.option.basetemp = str(chosen)
        config.stash[_OWN_BASETEMP] = chosen


def pytest_unconfigure(config: pytest.Config) -> None:
    chosen = config.stash.get(_OWN_BASETEMP, None)
    if chosen is not None:
        shutil.rmtree(chosen, ignore_errors=True)


_OWN_BASETEMP = pytest.StashKey[Path]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run tests marked slow (stress tests); same as LADDER_STRESS=1",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    run_slow = config.getoption("--run-slow") or _truthy(os.environ.get("LADDER_STRESS"))
    skip_slow = pytest.mark.skip(reason="slow test: pass --run-slow or set LADDER_STRESS=1")
    for item in items:
        # `slow_except(ids...)`: a matrix whose listed cases run every day, the rest with
        # the whole suite (the everyday tier keeps one case of each kind).
        everyday = item.get_closest_marker("slow_except")
        callspec = getattr(item, "callspec", None)
        if everyday is not None and (callspec is None or callspec.id not in everyday.args):
            item.add_marker(pytest.mark.slow)
        # Anything that touches the server is a `pg` test, so `-m "not pg"` skips it.
        if _PG_FIXTURES.intersection(getattr(item, "fixturenames", ())) and (
            item.get_closest_marker("pg") is None
        ):
            item.add_marker(pytest.mark.pg)
        if not run_slow and item.get_closest_marker("slow") is not None:
            item.add_marker(skip_slow)
    if run_slow:
        # The longest first (stress, then the other slow ones), so that the workers do not
        # end the run on one long test alone.
        items.sort(
            key=lambda item: (
                item.get_closest_marker("stress") is None,
                item.get_closest_marker("slow") is None,
            )
        )


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's ladder settings out of the tests."""
    for name in _HERMETIC_ENV:
        monkeypatch.delenv(name, raising=False)


def _start_cluster(*, durable: bool) -> Iterator[PgCluster]:
    reason = PgCluster.available()
    if reason is not None:
        if _truthy(os.environ.get("CI")):
            pytest.fail(f"PostgreSQL is required under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    cluster = PgCluster(durable=durable)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.cleanup()


@pytest.fixture(scope="session")
def fast_pg_cluster() -> Iterator[PgCluster]:
    """This worker's everyday server: fsync, synchronous_commit and full_page_writes off
    (nothing is lost unless the operating system crashes, which no test simulates)."""
    yield from _start_cluster(durable=False)


@pytest.fixture(scope="session")
def durable_pg_cluster() -> Iterator[PgCluster]:
    """This worker's durable server (PostgreSQL's defaults), started on first use by a
    test marked ``durable``."""
    yield from _start_cluster(durable=True)


@pytest.fixture
def pg_cluster(request: pytest.FixtureRequest) -> PgCluster:
    """The server of this test: the durable one for tests marked ``durable``, else the
    fast one. One per worker, kept for the whole run."""
    durable = request.node.get_closest_marker("durable") is not None
    cluster: PgCluster = request.getfixturevalue(
        "durable_pg_cluster" if durable else "fast_pg_cluster"
    )
    return cluster


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    """A database as new (empty ``public`` schema, default settings), reused from test to
    test on this worker's server; yields its URL (with the password)."""
    pg_cluster.start()  # a no-op unless an earlier test left the server stopped
    url = pg_cluster.reset_database(_TEST_DATABASE)
    try:
        yield url
    finally:
        pg_cluster.start()  # the test may have stopped the server
        pg_cluster.terminate_backends(_TEST_DATABASE)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty directory for ``LADDER_HOME`` / ``--home``."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.pg)],
    ids=["sqlite", "postgres"],
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL per store: embedded SQLite in ``tmp_path``, or a fresh PG database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ladder.sqlite3"
    url: str = request.getfixturevalue("pg_url")
    return url
