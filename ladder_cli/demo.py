"""Where ``ladder demo`` finds its sample ladder, installed or in a source checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ladder_cli.util.errors import LadderError


def sample_matches_path() -> Path:
    packaged = resources.files("ladder_cli") / "sample_data" / "matches.csv"
    if packaged.is_file():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / "sample_data" / "matches.csv"
    if checkout.is_file():
        return checkout
    raise LadderError("the sample data is missing from this installation: reinstall ladder")
