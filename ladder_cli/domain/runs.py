"""Runs of a timed sequence in which marked items hold a share: the windows of the integrity
flags (:mod:`ladder_cli.domain.integrity`).

A *run* is a stretch of consecutive items ``i..j`` whose first and last are at most
``span`` seconds apart. It *qualifies* when it has at least ``least`` items and at least
``share`` of them are marked (compared exactly, ``share`` as the fraction ``num / den``).
Qualifying runs that share an item are one pattern: :func:`components` returns the unions
of overlapping qualifying runs, each as its first and last index, in order. Every item of
every qualifying run is in exactly one component; a component's first and last items are
the first and last of some qualifying runs (not trimmed, not padded).

With ``P(k) = den * (marked among the first k) - num * k``, run ``i..j`` has the share when
``P(j + 1) >= P(i)``. For each end ``j`` the smallest ``P(i)`` over the allowed starts (in
time, and ``least`` items back) is a sliding minimum, kept in a monotonic deque: O(n) over
the sequence. Only at an end that qualifies is the earliest qualifying start looked for, by
a scan back over the starts before the deque's minimum within the span; such ends are the
flagged patterns themselves, rare in a ladder's log.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from fractions import Fraction

Component = tuple[int, int]
"""A component's first and last index (inclusive) in the sequence."""


def ratio(share: float) -> tuple[int, int]:
    """``share`` as the exact fraction a user wrote (``0.8`` is 4/5, not the double's
    binary expansion, which is a hair above 0.8 and would refuse 8 of 10)."""
    exact = Fraction(repr(float(share)))
    return exact.numerator, exact.denominator


def least_marked(count: int, num: int, den: int) -> int:
    """The fewest marked items among ``count`` that reach the share ``num / den``."""
    return -(-count * num // den)


def components(
    times: Sequence[int],
    marked: Sequence[bool],
    *,
    least: int,
    num: int,
    den: int,
    span: int,
    first: int = 0,
    last: int | None = None,
) -> list[Component]:
    """The unions of overlapping qualifying runs within ``times[first:last]`` (times in
    seconds, non-decreasing; ``marked`` parallel to it), as absolute indices."""
    stop = len(times) if last is None else last
    n = stop - first
    if n < least:
        return []
    up, down = den - num, num
    prefix = [0] * (n + 1)  # P over the slice: prefix[k] for the first k items of it
    value = 0
    for k in range(n):
        value += up if marked[first + k] else -down
        prefix[k + 1] = value
    found: list[list[int]] = []  # [start, end] of components, relative to ``first``
    starts: deque[int] = deque()  # allowed starts, prefix increasing front to back
    low = 0  # the earliest start within the span of the current end
    for j in range(n):
        fresh = j - least + 1
        if fresh >= 0:
            p = prefix[fresh]
            while starts and prefix[starts[-1]] >= p:
                starts.pop()
            starts.append(fresh)
        t = times[first + j]
        while t - times[first + low] > span:
            low += 1
        while starts and starts[0] < low:
            starts.popleft()
        if not starts:
            continue
        target = prefix[j + 1]
        best = starts[0]
        if prefix[best] > target:
            continue
        if found and best <= found[-1][1]:
            # Overlaps the open component: it only matters whether it reaches further back.
            head = found[-1][0]
            start = _earliest(prefix, low, min(best, head), target)
            found[-1][1] = j
            found[-1][0] = min(head, start)
        else:
            start = _earliest(prefix, low, best, target)  # at most ``best``, which qualifies
            if found and start <= found[-1][1]:
                found[-1][1] = j
                found[-1][0] = min(found[-1][0], start)
            else:
                found.append([start, j])
        while len(found) > 1 and found[-1][0] <= found[-2][1]:
            head, _ = found.pop()
            found[-1][0] = min(found[-1][0], head)
            found[-1][1] = j
    return [(first + s, first + e) for s, e in found]


def _earliest(prefix: Sequence[int], low: int, high: int, target: int) -> int:
    """The first start in ``low..high`` (inclusive) with ``prefix <= target``; past
    ``high`` when there is none."""
    for i in range(low, high + 1):
        if prefix[i] <= target:
            return i
    return high + 1


__all__ = ["Component", "components", "least_marked", "ratio"]
