"""Many Redis commands sent as a few pipelines of bounded size.

A pipeline of a thousand commands holds the event loop for tens of milliseconds while it is
written and its reply parsed; every launch slot due meanwhile would be late. Callers send at
most a batch's worth at once and let the loop run between batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

__all__ = ["batched"]

_T = TypeVar("_T")


def batched(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    """`items` in consecutive slices of at most `size` (itertools.batched of Python 3.12)."""
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    for first in range(0, len(items), size):
        yield items[first : first + size]
