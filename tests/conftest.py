"""Shared fixtures: a real PostgreSQL server, database URLs, hermetic environments.

Fixtures:

* ``pg_cluster`` (session): one throwaway :class:`~devtools.pgcluster.PgCluster` for the
  whole run. Skipped when PostgreSQL is not installed -- a failure when ``CI=true``.
* ``pg_url`` (function): URL of a fresh, uniquely named database in that cluster,
  dropped afterwards. A test may stop the server; the fixture restarts it.
* ``db_url`` (function, parametrised ``sqlite`` / ``postgres``): a database URL for
  tests that must hold for both stores; the ``postgres`` case carries the ``pg`` marker.
* ``home`` (function): an empty directory to use as ``LADDER_HOME`` / ``--home``.

Every test runs without ``LADDER_DATABASE_URL``, ``LADDER_HOME`` and ``NO_COLOR`` in its
environment. Tests marked ``slow`` run only with ``--run-slow`` or ``LADDER_STRESS=1``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.pgcluster import PgCluster

_HERMETIC_ENV = ("LADDER_DATABASE_URL", "LADDER_HOME", "NO_COLOR", "LADDER_TEST_NOW")
_PG_FIXTURES = frozenset({"pg_cluster", "pg_url"})


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


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
        # Anything that touches the server is a `pg` test, so `-m "not pg"` skips it.
        if _PG_FIXTURES.intersection(getattr(item, "fixturenames", ())) and (
            item.get_closest_marker("pg") is None
        ):
            item.add_marker(pytest.mark.pg)
        if not run_slow and item.get_closest_marker("slow") is not None:
            item.add_marker(skip_slow)


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's ladder settings out of the tests."""
    for name in _HERMETIC_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """The session's PostgreSQL server (started once, removed at the end)."""
    reason = PgCluster.available()
    if reason is not None:
        if _truthy(os.environ.get("CI")):
            pytest.fail(f"PostgreSQL is required under CI: {reason}", pytrace=False)
        pytest.skip(reason)
    cluster = PgCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.cleanup()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    """A fresh database in the session cluster; yields its URL (with the password)."""
    pg_cluster.start()  # a no-op unless an earlier test left the server stopped
    name = f"ladder_test_{uuid.uuid4().hex[:16]}"
    url = pg_cluster.create_database(name)
    try:
        yield url
    finally:
        pg_cluster.start()  # the test may have stopped the server
        pg_cluster.terminate_backends(name)
        pg_cluster.drop_database(name)


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
