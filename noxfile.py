"""Developer and CI tasks: ``nox`` runs tests, lint and typecheck.

``tests`` runs on every supported Python (the classifiers in pyproject.toml) that this
machine has, on PATH or under pyenv; a version it lacks is skipped, and said so.
Other sessions: ``nox -s bench -- --quick`` (benchmarks), ``nox -s stress`` (slow tests).
Arguments after ``--`` go to the underlying tool, e.g. ``nox -s tests -- -k leaderboard``.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

#: The supported Pythons, oldest first (as pyproject.toml's classifiers list them).
PYTHONS = ["3.11", "3.12", "3.13"]

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_venv = "no"
# A supported version this machine lacks is skipped rather than failing the run.
nox.options.error_on_missing_interpreters = False


def _pyenv_on_path() -> None:
    """Let nox find pyenv's interpreters (``python3.13``) without pyenv's shims set up."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    dirs = [
        str(d / "bin")
        for version in PYTHONS
        for d in sorted(root.glob(f"{version}.*"))
        if (d / "bin" / f"python{version}").exists()
    ]
    if dirs:
        os.environ["PATH"] = os.pathsep.join([*dirs, os.environ.get("PATH", "")])


_pyenv_on_path()


@nox.session(python=PYTHONS)
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
