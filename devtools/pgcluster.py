"""A throwaway PostgreSQL cluster for tests and benchmarks.

``PgCluster`` runs ``initdb`` in a fresh temporary directory and starts a private
``postgres`` server on a free TCP port of 127.0.0.1 (nothing else is listened on). It is
meant for tests (see ``tests/conftest.py``) and for benchmark scripts run from the
project root::

    from devtools.pgcluster import PgCluster

    with PgCluster() as cluster:
        url = cluster.create_database("bench")
        ...  # postgresql://ladder:s3cret-PW-never-print@127.0.0.1:PORT/bench

Authentication: connections over the unix socket (inside the temporary directory, used
only for administration) are trusted; TCP connections -- the URLs this class hands out --
must give the password of the ``ladder`` role (SCRAM-SHA-256), so a wrong password really
fails. ``ladder`` is the cluster's bootstrap superuser.

Durability: by default the server keeps PostgreSQL's defaults (``fsync``,
``synchronous_commit`` and ``full_page_writes`` on) so that crash tests mean something.
``PgCluster(durable=False)`` turns the three off, which makes commits much cheaper: a
server stopped cleanly (``fast``) or whose connections are terminated loses nothing, but a
crash (``immediate``) may lose the last commits it acknowledged, and an operating-system
crash could corrupt it. The everyday tests use such a cluster; the tests that crash the
server or check durability are marked ``durable`` and use one with PostgreSQL's defaults.
This is a property of the test cluster only: the product has no switch that weakens
durability.

Binaries come from ``pg_config --bindir``, falling back to
``/usr/lib/postgresql/15/bin``; ``LADDER_TEST_PG_BINDIR`` overrides both. PostgreSQL
refuses to run as root, so when this process is root the server tools run as the
``postgres`` user through ``runuser``, and the temporary directory belongs to that user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, Self
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

__all__ = [
    "PASSWORD",
    "USER",
    "PgCluster",
    "PgClusterError",
    "StopMode",
    "find_bindir",
]

#: The login role of the cluster (its bootstrap superuser).
USER = "ladder"
#: The password of :data:`USER`: tests check that ``ladder`` never prints it.
PASSWORD = "s3cret-PW-never-print"

#: How ``pg_ctl stop`` shuts the server down; ``immediate`` is a simulated crash.
StopMode = Literal["smart", "fast", "immediate"]

_FALLBACK_BINDIR = Path("/usr/lib/postgresql/15/bin")
_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
_OS_USER_WHEN_ROOT = "postgres"
_TIMEOUT_S = 120
# Unix socket paths are limited to ~107 bytes; keep the temporary directory short.
_MAX_SOCKET_PATH = 100


class PgClusterError(RuntimeError):
    """A server tool failed; the message includes its output and the tail of the log."""


def _bindir_has_server(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in _REQUIRED_BINARIES)


def find_bindir() -> Path | None:
    """Return the directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None."""
    candidates: list[Path] = []
    override = os.environ.get("LADDER_TEST_PG_BINDIR")
    if override:
        candidates.append(Path(override))
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"],
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
                stdin=subprocess.DEVNULL,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            candidates.append(Path(out))
    candidates.append(_FALLBACK_BINDIR)
    for candidate in candidates:
        if _bindir_has_server(candidate):
            return candidate
    return None


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _free_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _others_can_traverse(path: Path) -> bool:
    """True if every directory from ``/`` down to ``path`` is searchable by anyone."""
    for directory in (path, *path.parents):
        try:
            if not os.stat(directory).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def _temp_parent(as_root: bool) -> str | None:
    """Where to create the temporary directory (None: the platform's default)."""
    default = Path(tempfile.gettempdir()).resolve()
    too_long = len(str(default)) > _MAX_SOCKET_PATH - 50
    if too_long or (as_root and not _others_can_traverse(default)):
        return "/tmp"
    return None


def _log_tail(log_file: Path, lines: int = 30) -> str:
    try:
        text = log_file.read_text(errors="replace")
    except OSError:
        return "(no server log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty server log)"


@dataclass(frozen=True)
class _Paths:
    """Everything the emergency clean-up needs, without a reference to the cluster."""

    bindir: Path
    base: Path
    as_root: bool

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def sockets(self) -> Path:
        return self.base / "sockets"

    @property
    def log_file(self) -> Path:
        return self.base / "postgres.log"

    def command(self, tool: str, *args: str) -> list[str]:
        argv = [str(self.bindir / tool), *args]
        if self.as_root:
            return ["runuser", "-u", _OS_USER_WHEN_ROOT, "--", *argv]
        return argv

    def run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        try:
            result = subprocess.run(
                self.command(tool, *args),
                cwd=self.base,
                capture_output=True,
                text=True,
                timeout=_TIMEOUT_S,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise PgClusterError(
                f"{tool} {' '.join(args)} timed out after {_TIMEOUT_S}s\n"
                f"--- server log ---\n{_log_tail(self.log_file)}"
            ) from exc
        if check and result.returncode != 0:
            raise PgClusterError(
                f"{tool} {' '.join(args)} exited with {result.returncode}\n"
                f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}\n"
                f"--- server log ---\n{_log_tail(self.log_file)}"
            )
        return result

    def is_running(self) -> bool:
        """What ``pg_ctl status`` answers (a postmaster.pid naming a live process), without
        spawning it: tests ask before and after each test."""
        pid = self.postmaster_pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # alive, but another user's (we are not root)
            return True
        return True

    def postmaster_pid(self) -> int | None:
        try:
            first_line = (self.data / "postmaster.pid").read_text().splitlines()[0]
            return int(first_line)
        except (OSError, IndexError, ValueError):
            return None

    def stop(self, mode: StopMode) -> None:
        if not self.is_running():
            return
        self.run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60")

    def destroy(self) -> None:
        """Stop the server however necessary and delete the temporary directory."""
        try:
            if self.is_running():
                try:
                    self.stop("fast")
                except PgClusterError:
                    self.stop("immediate")
        except PgClusterError:
            pid = self.postmaster_pid()
            if pid is not None:
                # The postmaster we started; its backends exit when they see it gone.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                time.sleep(0.5)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


class PgCluster:
    """A private PostgreSQL server in a temporary directory, removed by :meth:`cleanup`.

    The constructor runs ``initdb`` (about a second); :meth:`start` starts the server.
    Used as a context manager, the cluster is started on entry and cleaned up on exit.
    If the owner forgets :meth:`cleanup`, it runs when the object is collected or at
    interpreter exit, so no server or directory outlives the process that made it.
    """

    user: str = USER
    password: str = PASSWORD
    host: str = "127.0.0.1"

    def __init__(self, *, standby_of: PgCluster | None = None, durable: bool = True) -> None:
        reason = self.available()
        if reason is not None:
            raise PgClusterError(reason)
        bindir = find_bindir()
        assert bindir is not None  # available() checked it
        as_root = _running_as_root()
        base = Path(tempfile.mkdtemp(prefix="ladder-pg-", dir=_temp_parent(as_root)))
        self._paths = _Paths(bindir=bindir, base=base, as_root=as_root)
        # Registered before anything else can fail, so the directory never leaks.
        self._finalizer = weakref.finalize(self, self._paths.destroy)
        self.port = _free_port()
        self.durable = durable
        self._started_once = False
        try:
            if standby_of is None:
                self._init_cluster()
            else:
                self._init_standby(standby_of)
        except BaseException:
            self._finalizer()
            raise

    # -- discovery ---------------------------------------------------------------------

    @classmethod
    def available(cls) -> str | None:
        """None if a cluster can be started here, else the reason why it cannot."""
        if find_bindir() is None:
            return (
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found via "
                f"`pg_config --bindir` or in {_FALLBACK_BINDIR}; install postgresql-15"
            )
        if _running_as_root():
            try:
                pwd.getpwnam(_OS_USER_WHEN_ROOT)
            except KeyError:
                return (
                    f"running as root, but there is no {_OS_USER_WHEN_ROOT!r} user to run "
                    "the server as (PostgreSQL refuses to run as root)"
                )
            if shutil.which("runuser") is None:
                return "running as root, but `runuser` (util-linux) is not installed"
        return None

    # -- paths and URLs ------------------------------------------------------------------

    @property
    def base_dir(self) -> Path:
        """The temporary directory holding the data directory, sockets and log."""
        return self._paths.base

    @property
    def data_dir(self) -> Path:
        return self._paths.data

    @property
    def socket_dir(self) -> Path:
        return self._paths.sockets

    @property
    def log_file(self) -> Path:
        return self._paths.log_file

    @property
    def bindir(self) -> Path:
        return self._paths.bindir

    def url(self, dbname: str) -> str:
        """``postgresql://ladder:PASSWORD@127.0.0.1:PORT/dbname`` (TCP, password auth)."""
        return (
            f"postgresql://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{quote(dbname, safe='')}"
        )

    # -- lifecycle -----------------------------------------------------------------------

    def _init_cluster(self) -> None:
        paths = self._paths
        pwfile = paths.base / "pwfile"
        pwfile.write_text(self.password + "\n")
        paths.sockets.mkdir()
        if paths.as_root:
            entry = pwd.getpwnam(_OS_USER_WHEN_ROOT)
            for path in (paths.base, paths.sockets, pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        try:
            paths.run(
                "initdb",
                "-D",
                str(paths.data),
                "--username",
                self.user,
                f"--pwfile={pwfile}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                # Only skips syncing the initial files; the server's own setting is below.
                "--no-sync",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        # Trusted unix socket for administration; password-checked TCP on 127.0.0.1 only.
        (paths.data / "pg_hba.conf").write_text(
            "# TYPE  DATABASE  USER  ADDRESS       METHOD\n"
            "local   all       all                 trust\n"
            "local   replication all               trust\n"
            "host    all       all   127.0.0.1/32  scram-sha-256\n"
        )
        self._write_settings()

    def _init_standby(self, primary: PgCluster) -> None:
        """A copy of ``primary`` (running) by ``pg_basebackup -R``: it streams the
        primary's WAL asynchronously over the unix socket and answers reads (hot standby)
        on its own port until :meth:`promote`."""
        paths = self._paths
        paths.sockets.mkdir()
        if paths.as_root:
            entry = pwd.getpwnam(_OS_USER_WHEN_ROOT)
            for path in (paths.base, paths.sockets):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        paths.run(
            "pg_basebackup",
            "-D",
            str(paths.data),
            "-h",
            str(primary.socket_dir),
            "-p",
            str(primary.port),
            "-U",
            self.user,
            "-R",
            "-X",
            "stream",
            "--checkpoint=fast",  # else it waits for a spread checkpoint (minutes)
            "--no-sync",
        )
        self._write_settings()

    def promote(self) -> None:
        """Make this standby a primary (``pg_ctl promote``); waits until it accepts writes."""
        self._paths.run("pg_ctl", "promote", "-D", str(self._paths.data), "-w", "-t", "60")

    def stop_replication(self) -> None:
        """On a standby: stop receiving the primary's WAL (as a lagging standby would not
        have it yet), by clearing ``primary_conninfo``; what it has stays."""
        with self.connect() as conn:
            conn.execute("ALTER SYSTEM SET primary_conninfo = ''")
            conn.execute("SELECT pg_reload_conf()")
        deadline = time.monotonic() + 30
        with self.connect() as conn:
            while conn.execute("SELECT count(*) FROM pg_stat_wal_receiver").fetchone() != (0,):
                if time.monotonic() > deadline:
                    raise PgClusterError("the standby's WAL receiver did not stop")
                time.sleep(0.05)

    def wait_for_replay(self, primary: PgCluster) -> None:
        """On a standby: wait until it has replayed everything ``primary`` has written."""
        with primary.connect() as conn:
            row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        assert row is not None
        deadline = time.monotonic() + 60
        with self.connect() as conn:
            while True:
                done = conn.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (row[0],)
                ).fetchone()
                if done == (True,):
                    return
                if time.monotonic() > deadline:
                    raise PgClusterError("the standby did not catch up within 60 s")
                time.sleep(0.02)

    def dump(self, dbname: str) -> Path:
        """``pg_dump -Fc`` of ``dbname`` into a file of the cluster's directory."""
        out = self._paths.base / f"{dbname}.dump"
        self._paths.run(
            "pg_dump",
            "-h",
            str(self._paths.sockets),
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-Fc",
            "-f",
            str(out),
            dbname,
        )
        return out

    def restore(self, dbname: str, dump: Path) -> None:
        """Drop ``dbname`` and create it again from ``dump`` (as a restore from backup)."""
        self.drop_database(dbname)
        self.create_database(dbname)
        self._paths.run(
            "pg_restore",
            "-h",
            str(self._paths.sockets),
            "-p",
            str(self.port),
            "-U",
            self.user,
            "-d",
            dbname,
            "--exit-on-error",
            str(dump),
        )

    def enable_tls(self) -> Path:
        """Serve TLS with a certificate for 127.0.0.1 signed by a throwaway CA, and accept
        TCP connections only over TLS; restarts the server. Returns the CA's certificate
        (for ``sslrootcert``). Needs the ``openssl`` command."""
        paths = self._paths
        tls = paths.base / "tls"
        tls.mkdir(exist_ok=True)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

        def openssl(*args: str) -> None:
            done = subprocess.run(
                ["openssl", *args], cwd=tls, capture_output=True, text=True, timeout=60
            )
            if done.returncode != 0:
                raise PgClusterError(f"openssl {' '.join(args)} failed: {done.stderr}")

        openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                "-subj", "/CN=ladder test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
        openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=127.0.0.1")  # fmt: skip
        (tls / "san.ext").write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "server.crt", "-days", "2",
                "-extfile", "san.ext")  # fmt: skip
        for name in ("server.crt", "server.key"):
            target = paths.data / name
            shutil.copyfile(tls / name, target)
            target.chmod(0o600)
            if paths.as_root:
                entry = pwd.getpwnam(_OS_USER_WHEN_ROOT)
                os.chown(target, entry.pw_uid, entry.pw_gid)
        with (paths.data / "postgresql.conf").open("a") as conf:
            conf.write("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
        (paths.data / "pg_hba.conf").write_text(
            "local   all       all                 trust\n"
            "local   replication all               trust\n"
            "hostssl all       all   127.0.0.1/32  scram-sha-256\n"
        )
        self.restart()
        return tls / "ca.crt"

    def _write_settings(self) -> None:
        def on_off(value: bool) -> str:
            return "on" if value else "off"

        # Appended to postgresql.conf: for a repeated setting the last line wins, so
        # rewriting the port after a failed start just appends again.
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self._paths.sockets}'",
            "password_encryption": "'scram-sha-256'",
            "max_connections": "100",
            "shared_buffers": "'128MB'",
            "fsync": on_off(self.durable),
            "synchronous_commit": on_off(self.durable),
            "full_page_writes": on_off(self.durable),
            "logging_collector": "off",
            "log_min_messages": "warning",
            "timezone": "'UTC'",
        }
        lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
        with (self._paths.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# ladder test harness\n" + lines)

    def start(self) -> None:
        """Start the server (no-op if it is running); waits until it accepts connections.

        If the port was taken meanwhile on the very first start, another free port is
        tried. After that the port is kept, so URLs stay valid across restarts.
        """
        if self._paths.is_running():
            return
        attempts = 1 if self._started_once else 3
        for attempt in range(attempts):
            try:
                self._paths.run(
                    "pg_ctl",
                    "start",
                    "-D",
                    str(self._paths.data),
                    "-l",
                    str(self._paths.log_file),
                    "-w",
                    "-t",
                    "60",
                )
            except PgClusterError:
                in_use = "already in use" in _log_tail(self._paths.log_file, lines=10)
                if attempt + 1 < attempts and in_use:
                    self.port = _free_port()
                    self._write_settings()
                    continue
                raise
            self._started_once = True
            return

    def stop(self, mode: StopMode = "fast") -> None:
        """Stop the server (no-op if it is stopped). ``immediate`` simulates a crash."""
        self._paths.stop(mode)

    def restart(self, mode: StopMode = "fast") -> None:
        """Stop the server if it runs, then start it; the port and data are kept."""
        self.stop(mode)
        self.start()

    def is_running(self) -> bool:
        return self._paths.is_running()

    def cleanup(self) -> None:
        """Stop the server and delete the temporary directory. Safe to call twice."""
        self._finalizer()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    def __repr__(self) -> str:
        state = "running" if self._finalizer.alive and self.is_running() else "stopped"
        return f"<PgCluster {self.host}:{self.port} {state} in {self._paths.base}>"

    # -- administration ------------------------------------------------------------------

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[TupleRow]:
        """An autocommit superuser connection over the (trusted) unix socket."""
        return psycopg.connect(
            host=str(self._paths.sockets),
            port=self.port,
            user=self.user,
            dbname=dbname,
            autocommit=True,
            connect_timeout=10,
        )

    def create_database(self, name: str) -> str:
        """Create database ``name`` (owned by ``ladder``) and return its URL."""
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def reset_database(self, name: str) -> str:
        """Make database ``name`` as new: create it if missing, else disconnect everyone and
        drop every object of its ``public`` schema and its settings. Returns its URL.

        Far cheaper than a drop and a create (which cost a checkpoint each), so the tests
        reuse one database per cluster."""
        with self.connect() as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                return self.url(name)
        self.terminate_backends(name)
        with self.connect(name) as conn:
            conn.execute(
                sql.SQL(
                    "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"
                    # as initdb leaves it (PostgreSQL 15): owned by the database's owner,
                    # usable by everyone, creatable by its owner only
                    " ALTER SCHEMA public OWNER TO pg_database_owner;"
                    " GRANT USAGE ON SCHEMA public TO PUBLIC;"
                    " ALTER DATABASE {} RESET ALL"
                ).format(sql.Identifier(name))
            )
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, disconnecting anyone still using it."""
        self.terminate_backends(name)
        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def terminate_backends(self, dbname: str) -> int:
        """Terminate every other connection to ``dbname``; returns how many there were."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            ).fetchall()
        return len(rows)
