"""Tests of the PostgreSQL test harness itself (devtools/pgcluster.py and its fixtures)."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from devtools.pgcluster import PASSWORD, USER, PgCluster


def _scalar(url: str, query: str) -> object:
    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def test_url_shape(pg_cluster: PgCluster) -> None:
    url = pg_cluster.url("somedb")
    assert url == f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{pg_cluster.port}/somedb"


@pytest.mark.parametrize("durability", ["fast", pytest.param("durable", marks=pytest.mark.durable)])
def test_connects_over_tcp_with_password(
    pg_cluster: PgCluster, pg_url: str, durability: str
) -> None:
    with psycopg.connect(pg_url, connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT current_user, host(inet_server_addr()), current_setting('fsync'),"
            " current_setting('synchronous_commit'), current_setting('full_page_writes'),"
            " current_setting('listen_addresses'), current_setting('max_connections')"
        ).fetchone()
    on = "on" if durability == "durable" else "off"
    assert pg_cluster.durable is (durability == "durable")
    assert row == ("ladder", "127.0.0.1", on, on, on, "127.0.0.1", "100")


def test_pg_url_is_as_new_each_test(pg_cluster: PgCluster, pg_url: str) -> None:
    """The reused database keeps nothing from the test before: no table, no setting, and
    the public schema as initdb leaves it."""
    with psycopg.connect(pg_url, connect_timeout=10) as conn:
        conn.execute("CREATE TABLE leftover (id INTEGER)")
        conn.execute(f"ALTER DATABASE \"{pg_url.rsplit('/', 1)[1]}\" SET work_mem = '7MB'")
    url = pg_cluster.reset_database(pg_url.rsplit("/", 1)[1])
    assert url == pg_url
    with psycopg.connect(pg_url, connect_timeout=10) as conn:
        assert conn.execute("SELECT to_regclass('leftover')").fetchone() == (None,)
        assert conn.execute("SHOW work_mem").fetchone() == ("4MB",)
        owner, acl = conn.execute(
            "SELECT nspowner::regrole::text, nspacl::text FROM pg_namespace"
            " WHERE nspname = 'public'"
        ).fetchone() or (None, None)
    assert owner == "pg_database_owner"
    assert acl == "{pg_database_owner=UC/pg_database_owner,=U/pg_database_owner}"


def test_role_is_a_login_superuser(pg_url: str) -> None:
    with psycopg.connect(pg_url, connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = 'ladder'"
        ).fetchone()
    assert row == (True, True)


@pytest.mark.parametrize("password", ["wrong", "", PASSWORD.upper()])
def test_wrong_password_is_rejected(pg_cluster: PgCluster, pg_url: str, password: str) -> None:
    bad_url = pg_url.replace(f":{PASSWORD}@", f":{password}@")
    assert bad_url != pg_url
    with pytest.raises(psycopg.OperationalError) as excinfo:
        psycopg.connect(bad_url, connect_timeout=10).close()
    message = str(excinfo.value)
    assert "password" in message
    assert PASSWORD not in message


def test_create_and_drop_database(pg_cluster: PgCluster) -> None:
    url = pg_cluster.create_database("ladder_harness_create_drop")
    try:
        assert _scalar(url, "SELECT current_database()") == "ladder_harness_create_drop"
        held = psycopg.connect(url, connect_timeout=10)  # must not block the drop
    finally:
        pg_cluster.drop_database("ladder_harness_create_drop")
    with pytest.raises(psycopg.OperationalError):
        held.execute("SELECT 1")
    held.close()
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(url, connect_timeout=10).close()
    pg_cluster.drop_database("ladder_harness_create_drop")  # absent: no error


def test_terminate_backends(pg_cluster: PgCluster, pg_url: str) -> None:
    dbname = pg_url.rsplit("/", 1)[1]
    victim = psycopg.connect(pg_url, connect_timeout=10)
    try:
        assert pg_cluster.terminate_backends(dbname) == 1
        with pytest.raises(psycopg.OperationalError):
            victim.execute("SELECT 1")
    finally:
        victim.close()
    assert pg_cluster.terminate_backends(dbname) == 0


@pytest.mark.durable
@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_stop_and_start_keep_committed_data(pg_cluster: PgCluster, pg_url: str, mode: str) -> None:
    with psycopg.connect(pg_url, connect_timeout=10) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        conn.execute("INSERT INTO t VALUES (1, 'kept')")
    # "immediate" is a crash: committed data must come back through WAL recovery.
    pg_cluster.stop(mode="immediate" if mode == "immediate" else "fast")
    assert not pg_cluster.is_running()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(pg_url, connect_timeout=5).close()
    pg_cluster.start()
    assert pg_cluster.is_running()
    assert _scalar(pg_url, "SELECT v FROM t WHERE id = 1") == "kept"
    pg_cluster.restart()
    assert _scalar(pg_url, "SELECT count(*) FROM t") == 1


@pytest.mark.xdist_group("restart")  # the next test checks what this one leaves
def test_fixture_restarts_a_stopped_server(pg_cluster: PgCluster, pg_url: str) -> None:
    # Leaves the server down on purpose: pg_url's teardown must bring it back.
    pg_cluster.stop()
    assert not pg_cluster.is_running()


@pytest.mark.xdist_group("restart")
def test_server_is_back_after_a_test_stopped_it(pg_cluster: PgCluster, pg_url: str) -> None:
    assert pg_cluster.is_running()
    assert _scalar(pg_url, "SELECT 1") == 1


def test_db_url_fixture(db_url: str, request: pytest.FixtureRequest) -> None:
    if request.node.callspec.id == "sqlite":
        assert db_url.startswith("sqlite:///")
        assert db_url.endswith("/ladder.sqlite3")
    else:
        assert request.node.get_closest_marker("pg") is not None
        assert _scalar(db_url, "SELECT 1") == 1


def test_environment_is_hermetic(home: Path) -> None:
    assert home.is_dir()
    assert not any(home.iterdir())
    for name in ("LADDER_DATABASE_URL", "LADDER_HOME", "NO_COLOR"):
        assert name not in os.environ


def test_context_manager_cleans_up(pg_cluster: PgCluster) -> None:
    # A second, independent cluster (pg_cluster only gates on availability).
    with PgCluster() as cluster:
        base = cluster.base_dir
        assert cluster.is_running()
        assert _scalar(cluster.create_database("cm"), "SELECT current_database()") == "cm"
    assert not base.exists()
    cluster.cleanup()  # idempotent
