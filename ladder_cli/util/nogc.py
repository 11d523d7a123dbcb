"""Pausing the cyclic garbage collector around work that allocates many objects and no
cycles (the flush's batches)."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

_T = TypeVar("_T")
_P = ParamSpec("_P")


def without_gc(method: Callable[_P, _T]) -> Callable[_P, _T]:
    """Run ``method`` with the cyclic garbage collector paused.

    A batch allocates a few objects per job and row, none of them in reference cycles;
    with the collector on, its full passes over a heap that grows with the batch take a
    large share of the flush's CPU time (docs/benchmarks.md has the measurement).
    """

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        if not gc.isenabled():
            return method(*args, **kwargs)
        gc.disable()
        try:
            return method(*args, **kwargs)
        finally:
            gc.enable()

    return wrapper
