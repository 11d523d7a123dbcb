"""How `ladder` reaches PostgreSQL in real deployments: TLS (sslmode=require and
verify-full with a certificate the suite makes), passwords kept outside the URL (~/.pgpass,
PGPASSFILE, a libpq service file) and never printed, a config file holding a password,
and a least-privilege role that can run every command after the owner's `ladder init`.
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from devtools.pgcluster import PASSWORD, USER, PgCluster
from tests.helpers import Run, invoke, query


def ok(result: Run) -> Run:
    assert result.code == 0, result
    return result


def base_url(cluster: PgCluster, dbname: str, user: str = USER) -> str:
    """A URL without a password."""
    return f"postgresql://{user}@127.0.0.1:{cluster.port}/{dbname}"


def dbname(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?")[0]


def smoke(home: Path, url: str) -> None:
    """A write, a read and the config, each exit 0, and the write applied."""
    ok(invoke(home, url, "record", 1, "bw_terran", 2, "bw_zerg", "--p1-name", "Tls"))
    assert ok(invoke(home, url, "wal", "status", "--format", "json")).json["pending"] == 0
    board = ok(invoke(home, url, "leaderboard", "--format", "json")).json
    assert [(r["discord_uid"], r["mmr"]) for r in board] == [(1, 1520), (2, 1480)]
    ok(invoke(home, url, "config"))


# -- a password in the config file -------------------------------------------------------


def test_a_config_file_with_a_password_that_others_can_read_is_refused(home: Path) -> None:
    config = home / "config.toml"
    config.write_text(f'database_url = "postgresql://ladder:{PASSWORD}@127.0.0.1:1/x"\n')
    for mode in (0o644, 0o640, 0o604, 0o620):
        config.chmod(mode)
        for argv in (["config"], ["leaderboard"], ["record", "1", "bw_terran", "2", "bw_zerg"]):
            done = _no_db(home, *argv)
            assert done.code == 2, (mode, done)
            assert len(done.err_lines) == 1 and "chmod 600" in done.err, done
    assert not (home / "queue.sqlite3").exists()  # nothing was queued
    config.chmod(0o600)
    shown = _no_db(home, "config", "--format", "json")
    assert shown.code == 0 and shown.json["database"].startswith("postgresql://ladder:***@")
    # Without a password in it, the file may be readable by others.
    config.write_text('database_url = "postgresql://ladder@127.0.0.1:1/x"\n')
    config.chmod(0o644)
    assert _no_db(home, "config").code == 0


def _no_db(home: Path, *args: str) -> Run:
    """``ladder --home HOME ARGS`` without --db: the config file's URL is used."""
    from typer.testing import CliRunner

    from ladder_cli import cli

    with CliRunner().isolation() as (out, err, _):
        try:
            code = cli.run(["--home", str(home), *args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        run = Run(code, out.getvalue().decode(), err.getvalue().decode())
    assert PASSWORD not in run.out + run.err and "Traceback" not in run.err
    return run


# -- passwords outside the URL ------------------------------------------------------------


@pytest.mark.pg
def test_password_from_pgpassfile(
    home: Path, pg_url: str, pg_cluster: PgCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{pg_cluster.port}:{dbname(pg_url)}:{USER}:{PASSWORD}\n")
    passfile.chmod(0o600)
    url = base_url(pg_cluster, dbname(pg_url))
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    smoke(home, url)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "missing"))
    wrong = invoke(home, url, "record", 1, "bw_terran", 2, "bw_zerg")
    assert wrong.code == 2 and len(wrong.err_lines) == 1, wrong  # bad credentials: not queued


@pytest.mark.pg
def test_password_from_home_pgpass(
    home: Path, pg_url: str, pg_cluster: PgCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_home = tmp_path / "user"
    user_home.mkdir()
    pgpass = user_home / ".pgpass"
    pgpass.write_text(f"*:*:*:{USER}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.delenv("PGPASSFILE", raising=False)
    monkeypatch.setenv("HOME", str(user_home))
    smoke(home, base_url(pg_cluster, dbname(pg_url)))


@pytest.mark.pg
def test_password_from_a_service_file(
    home: Path, pg_url: str, pg_cluster: PgCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = tmp_path / "pg_service.conf"
    services.write_text(
        "[ladder_test]\n"
        f"host=127.0.0.1\nport={pg_cluster.port}\ndbname={dbname(pg_url)}\n"
        f"user={USER}\npassword={PASSWORD}\n"
    )
    services.chmod(0o600)
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    url = "postgresql:///?service=ladder_test"
    smoke(home, url)
    shown = ok(invoke(home, url, "config", "--format", "json")).json
    assert shown["database"] == url


# -- TLS --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_cluster() -> Iterator[tuple[PgCluster, Path]]:
    """A server that accepts TCP connections over TLS only, and its CA's certificate."""
    reason = PgCluster.available()
    if reason is not None:
        pytest.skip(reason)
    cluster = PgCluster()
    try:
        cluster.start()
        ca = cluster.enable_tls()
        yield cluster, ca
    finally:
        cluster.cleanup()


@pytest.fixture
def tls_url(tls_cluster: tuple[PgCluster, Path]) -> Iterator[str]:
    cluster, _ = tls_cluster
    name = f"ladder_tls_{uuid.uuid4().hex[:8]}"
    yield cluster.create_database(name)
    cluster.drop_database(name)


@pytest.mark.pg
@pytest.mark.slow  # starts a server of its own
@pytest.mark.parametrize("mode", ["require", "verify-full"])
def test_tls(mode: str, tls_url: str, tls_cluster: tuple[PgCluster, Path], home: Path) -> None:
    _, ca = tls_cluster
    url = f"{tls_url}?sslmode={mode}&sslrootcert={quote(str(ca))}"
    smoke(home, url)
    # The connection was encrypted: the server takes no other over TCP.
    plain = invoke(home, f"{tls_url}?sslmode=disable", "record", 1, "bw_terran", 2, "bw_zerg")
    assert plain.code == 2 and len(plain.err_lines) == 1, plain
    rows = query(url, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    assert rows == [(True,)]


@pytest.mark.pg
@pytest.mark.slow  # starts a server of its own
def test_tls_with_a_certificate_it_does_not_trust_is_an_error_not_an_outage(
    tls_url: str, tls_cluster: tuple[PgCluster, Path], home: Path, tmp_path: Path
) -> None:
    """verify-full against a server whose certificate another CA signed: exit 2 and one
    line, nothing queued (waiting would not fix it; a queued job would wait forever)."""
    import subprocess

    other = tmp_path / "other-ca.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(tmp_path / "other.key"), "-out", str(other), "-days", "1",
         "-subj", "/CN=another CA"],
        check=True, capture_output=True,
    )  # fmt: skip
    url = f"{tls_url}?sslmode=verify-full&sslrootcert={quote(str(other))}"
    done = invoke(home, url, "record", 1, "bw_terran", 2, "bw_zerg")
    assert done.code == 2 and len(done.err_lines) == 1, done
    assert "certificate verify failed" in done.err
    assert not (home / "queue.sqlite3").exists() or ok(
        invoke(home, url.replace(quote(str(other)), quote(str(tls_cluster[1]))), "wal",
               "status", "--format", "json")
    ).json["pending"] == 0  # fmt: skip


# -- least privilege ----------------------------------------------------------------------


def _readme_grants() -> str:
    """The README's GRANTs, as a template: the test grants exactly what the README says."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    block = readme.split("```sql\nGRANT CONNECT", 1)[1].split("```", 1)[0]
    text = "GRANT CONNECT" + block
    return text.replace("DATABASE ladder ", "DATABASE {db} ").replace("ladder_admin", "{role}")


GRANTS = _readme_grants()


def test_the_readme_grants_cover_every_table_the_ladder_creates() -> None:
    from ladder_cli.stores import sql

    schema = sql.SCHEMA + "".join(v for k, v in vars(sql).items() if k.endswith("SCHEMA"))
    tables = set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", schema))
    on = GRANTS.split("GRANT SELECT, INSERT, UPDATE ON", 1)[1].split(" TO ")[0]
    granted = set(re.findall(r"\w+", on))
    assert tables and tables <= granted, sorted(tables - granted)


@pytest.fixture
def app_role(pg_url: str, pg_cluster: PgCluster) -> Iterator[str]:
    """After `ladder init` by the owner: a role with only the README's GRANTs; its URL."""
    role = f"ladder_app_{uuid.uuid4().hex[:8]}"
    password = "app-" + PASSWORD
    with pg_cluster.connect() as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")  # test-only literal
    yield role
    with pg_cluster.connect(dbname(pg_url)) as conn:
        conn.execute(f"DROP OWNED BY {role}")
    with pg_cluster.connect() as conn:
        conn.execute(f"DROP ROLE {role}")


@pytest.mark.pg
def test_a_least_privilege_role_can_run_every_command(
    pg_url: str, pg_cluster: PgCluster, app_role: str, home: Path, tmp_path: Path
) -> None:
    ok(invoke(tmp_path / "owner", pg_url, "init"))
    with pg_cluster.connect(dbname(pg_url)) as conn:
        for statement in GRANTS.format(db=dbname(pg_url), role=app_role).split(";"):
            if statement.strip():
                conn.execute(statement)
        # Only these: no CREATE anywhere, nothing granted to PUBLIC beyond the defaults.
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    url = pg_url.replace(f"://{USER}:{quote(PASSWORD, safe='')}@", f"://{app_role}:app-{PASSWORD}@")
    assert url != pg_url
    csv = tmp_path / "m.csv"
    lines = ["p1_uid,p1_race,p2_uid,p2_race,result"]
    lines += [f"{10 + i % 9},bw_zerg,{30 + i % 7},sc2_terran,{i % 2}" for i in range(150)]
    csv.write_text("\n".join(lines) + "\n")  # past the COPY threshold: the bulk path
    for argv in (
        ["init"],
        ["record", 1, "bw_terran", 2, "bw_zerg", "--p1-name", "Least"],
        ["record", "--file", csv],
        ["record", 2, "bw_zerg", 1, "bw_terran", "--no-flush"],
        ["wal", "status"],
        ["wal", "list"],
        ["wal", "replay"],
        ["wal", "failed"],
        ["wal", "failed", "--retry"],
        ["leaderboard"],
        ["leaderboard", "--format", "csv"],
        ["profile", "least"],
        ["history", "--format", "json"],
        ["verify", "--format", "json"],  # before the resets: they are not in the log yet
        ["reset", "least", "--race", "bw_terran", "--mmr", "1600", "--yes"],
        ["reset", 2, "--keep-stats", "--yes"],
        ["wal", "reconcile", "--format", "json"],
        ["config"],
        ["rules"],
        ["stats"],
        ["h2h", "least", 2],
        ["chart", "least"],
        ["record", 1, "bw_terran", 2, "bw_zerg", "--dry-run"],
        ["match", "show", "1"],
        ["match", "amend", "1", "--result", "draw", "--reason", "typo", "--yes"],
        ["match", "void", "2", "--reason", "no-show", "--yes"],
        ["adjust", "least", "--race", "bw_terran", "--by", "-5", "--reason", "smurf", "--yes"],
        ["season", "close", "Season 1", "--yes"],  # locks mmrs_1v1: UPDATE is enough
        ["season", "list"],
        ["leaderboard", "--season", "Season 1"],
        ["profile", "least", "--format", "json"],
        ["audit", "--format", "json"],
        ["verify", "--format", "json"],  # every write above is in the log now
    ):
        done = invoke(home, url, *argv)
        warnings = [line for line in done.err_lines if "pending" not in line]
        assert done.code == 0 and not warnings, (argv, done)
    assert ok(invoke(home, url, "wal", "status", "--format", "json")).json["pending"] == 0
    logged = query(pg_url, "SELECT count(*) FROM ladder_matches")
    assert logged == [(152,)]
    # reset to 1600 (corrections of the earlier matches stop at the reset), then adjusted by
    # -5, then the season's soft reset (F 0.5)
    races = json.loads(ok(invoke(home, url, "profile", "1", "--format", "json")).out)["races"]
    assert races[0]["mmr"] == 1548  # floor(1500 + 0.5 * (1595 - 1500) + 0.5)
