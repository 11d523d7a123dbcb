"""Developer and CI tasks: ``nox`` runs tests, lint and typecheck.

Other sessions: ``nox -s bench -- --quick`` (benchmarks), ``nox -s stress`` (slow tests).
Arguments after ``--`` go to the underlying tool, e.g. ``nox -s tests -- -k leaderboard``.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_venv = "no"
nox.options.error_on_missing_interpreters = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (PostgreSQL tests need the server binaries installed)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install("ruff>=0.6,<1")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package (configured in pyproject.toml)."""
    session.install("-e", ".[test]")
    session.run("mypy", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against a non-editable install, e.g. ``nox -s bench -- --quick``."""
    session.install(".")
    session.run("python", "-m", "bench", *session.posargs)


@nox.session
def stress(session: nox.Session) -> None:
    """Long-running stress tests (the ``slow`` marker)."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "--run-slow",
        "-m",
        "slow",
        *session.posargs,
        env={"LADDER_STRESS": "1"},
    )
