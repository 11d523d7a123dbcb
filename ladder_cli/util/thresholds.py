"""The config file's ``[integrity]`` section: the thresholds the integrity report looks for
patterns with (what they mean: :mod:`ladder_cli.domain.integrity`).

It sits beside the config file's reader, as ``[decay]`` does, so a wrong value is bad input
before any command runs, naming the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

from ladder_cli.util.errors import BadInput

MAX_DAYS: Final = 36_500
MAX_COUNT: Final = 1_000_000
MAX_MMR: Final = 100_000


@dataclass(frozen=True, slots=True)
class IntegrityRules:
    """The ``[integrity]`` thresholds of the config file (the contract's defaults)."""

    window_days: int = 7
    pair_games: int = 10
    pair_share: float = 0.8
    feeder_losses: int = 8
    feeder_share: float = 0.6
    sandbag_streak: int = 8
    sandbag_drop: int = 150
    sandbag_regain: int = 100
    newcomer_games: int = 5
    newcomer_upsets: int = 4
    newcomer_gap: int = 300

    def as_dict(self) -> dict[str, int | float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


KEYS: Final = tuple(f.name for f in fields(IntegrityRules))
_SHARES: Final = ("pair_share", "feeder_share")
#: Whole-number keys: (lowest, highest, unit).
_LIMITS: Final = {
    "window_days": (1, MAX_DAYS, "days"),
    "pair_games": (1, MAX_COUNT, "games"),
    "feeder_losses": (1, MAX_COUNT, "losses"),
    "sandbag_streak": (1, MAX_COUNT, "games"),
    "sandbag_drop": (1, MAX_MMR, "MMR"),
    "sandbag_regain": (1, MAX_MMR, "MMR"),
    "newcomer_games": (1, MAX_COUNT, "games"),
    "newcomer_upsets": (1, MAX_COUNT, "opponents"),
    "newcomer_gap": (0, MAX_MMR, "MMR"),
}


def parse_rules(section: object, path: str | os.PathLike[str]) -> IntegrityRules:
    """The ``[integrity]`` table of the config file (missing keys take their defaults), or
    BadInput naming the key that is wrong."""
    where = f"config file {os.fspath(path)}: [integrity]"
    if not isinstance(section, Mapping):
        raise BadInput(
            f"{where} must be a table (an [integrity] section with any of {', '.join(KEYS)})"
        )
    unknown = sorted(str(key) for key in set(section) - set(KEYS))
    if unknown:
        raise BadInput(f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(KEYS)})")
    values: dict[str, Any] = IntegrityRules().as_dict()
    for key, value in section.items():
        if key in _SHARES:
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
                raise BadInput(
                    f"{where}: {key} must be a share above 0 and at most 1 (0.8 is 80%), "
                    f"not {value!r}"
                )
            values[key] = float(value)
            continue
        low, high, unit = _LIMITS[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise BadInput(
                f"{where}: {key} must be a whole number of {unit} from {low} to {high}, "
                f"not {value!r}"
            )
        values[key] = value
    if values["newcomer_upsets"] > values["newcomer_games"]:
        raise BadInput(
            f"{where}: newcomer_upsets ({values['newcomer_upsets']}) must be at most "
            f"newcomer_games ({values['newcomer_games']}): no newcomer could be flagged"
        )
    return IntegrityRules(**values)


__all__ = ["KEYS", "IntegrityRules", "parse_rules"]
