"""ladder: administer a 1v1 StarCraft ladder from the terminal.

The package is a library first; ``ladder_cli.cli`` is a thin command line over it::

    from ladder_cli import Ladder

    with Ladder.open(home="~/ladder") as ladder:
        outcome = ladder.record(111, "bw_terran", 222, "bw_zerg")
        print(ladder.leaderboard(top=10))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Ladder", "__version__"]

if TYPE_CHECKING:
    from ladder_cli.core.ladder import Ladder


def __getattr__(name: str) -> Any:
    # Lazy, so `ladder --version` does not pay for Polars and the stores.
    if name == "Ladder":
        from ladder_cli.core.ladder import Ladder

        return Ladder
    raise AttributeError(name)
