"""The ``ladder`` command line: one module per command group, wired by
:mod:`~ladder_cli.cli.app`, printing through :mod:`~ladder_cli.cli.output`."""

from ladder_cli.cli.app import main, run

__all__ = ["main", "run"]
