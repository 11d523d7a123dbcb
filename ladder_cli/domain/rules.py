"""A ladder's rating rules as data: Elo's constants, rounding, and how letters are handed out.

Two presets: ``standard`` (this tool's own rules, the contract's "Rating" section) and
``evoladder`` (the original bot's: K 40 over a scale of 500, Python's ``round``, letters by
fixed allocation among entries active in the last 14 days). The rules are stored with the
ladder, so every home that writes to it rates the same way.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Final, Literal

from ladder_cli.util.errors import BadInput

Rounding = Literal["half_up", "half_even"]
Letters = Literal["percentile", "fixed"]

LETTERS: Final = ("S", "A", "B", "C", "D", "E", "F")

# The percentile rule: an entry gets the first letter whose bound its percentile is below.
PERCENTILE_BOUNDS: Final = (("S", 1), ("A", 8), ("B", 29), ("C", 50), ("D", 71), ("E", 92))

# Fixed allocation: each letter's share of the ranked entries, in hundredths, and the order
# in which the remainder of the floors is handed out (the middle letters first, then the
# ends in an order that depends on whether F already outnumbers S and A together).
SHARES: Final = {"S": 1, "A": 7, "B": 21, "C": 21, "D": 21, "E": 21, "F": 8}
MIDDLE_FIRST: Final = ("D", "C", "E", "B")
ENDS_WHEN_F_LARGER: Final = ("A", "F", "S")
ENDS_OTHERWISE: Final = ("F", "A", "S")


@dataclass(frozen=True, slots=True)
class Rules:
    """How a ladder rates matches and hands out letters."""

    preset: str
    k: int = 40
    scale: int = 400
    rounding: Rounding = "half_up"
    start_mmr: int = 1500
    letters: Letters = "percentile"
    #: Entries not played within this many days are unranked (None: no window).
    activity_days: int | None = None

    def round(self, value: float) -> int:
        """An MMR as stored: half up (``floor(x + 0.5)``) or half to even (``round``)."""
        if self.rounding == "half_even":
            return round(value)
        return math.floor(value + 0.5)

    def with_activity(self, days: int | None) -> Rules:
        """These rules with the config's activity window, where the rules set none."""
        if days is None or self.activity_days is not None:
            return self
        return replace(self, activity_days=days)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


STANDARD: Final = Rules("standard")
EVOLADDER: Final = Rules(
    "evoladder", k=40, scale=500, rounding="half_even", letters="fixed", activity_days=14
)
PRESETS: Final = {rules.preset: rules for rules in (STANDARD, EVOLADDER)}


def preset(name: str) -> Rules:
    """The preset called ``name``; anything else is bad input."""
    found = PRESETS.get(name.strip().lower())
    if found is None:
        raise BadInput(f"unknown rules {name!r}: choose one of {', '.join(PRESETS)}")
    return found


def fixed_allocation(n: int) -> dict[str, int]:
    """How many of ``n`` ranked entries each letter gets under fixed allocation."""
    counts = {letter: n * share // 100 for letter, share in SHARES.items()}
    left = n - sum(counts.values())
    for letter in MIDDLE_FIRST:
        if left <= 0:
            break
        counts[letter] += 1
        left -= 1
    ends = ENDS_WHEN_F_LARGER if counts["F"] > counts["S"] + counts["A"] else ENDS_OTHERWISE
    for letter in ends:
        if left <= 0:
            break
        counts[letter] += 1
        left -= 1
    return counts


def cutoffs(n: int, rules: Rules) -> list[tuple[str, int]]:
    """Each letter but F with the number of ranked positions (0-based) below which it is
    given, for ``n`` ranked entries: position ``i`` gets the first letter with ``i < cut``."""
    if rules.letters == "fixed":
        counts = fixed_allocation(n)
        cuts, total = [], 0
        for letter in LETTERS[:-1]:
            total += counts[letter]
            cuts.append((letter, total))
        return cuts
    # 100 * i < bound * n  <=>  i < ceil(bound * n / 100), for whole i.
    return [(letter, -(-bound * n // 100)) for letter, bound in PERCENTILE_BOUNDS]


def letter_for(i: int, n: int, rules: Rules = STANDARD) -> str:
    """The letter of the ranked entry at 0-based position ``i`` of ``n``."""
    for letter, cut in cutoffs(n, rules):
        if i < cut:
            return letter
    return "F"
