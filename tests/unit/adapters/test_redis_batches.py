"""Requests of bounded size: consecutive slices, nothing lost, nothing repeated."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_adapters.redis._batches import batched


@given(st.lists(st.integers(), max_size=300), st.integers(min_value=1, max_value=50))
def test_the_slices_are_the_items_in_order_none_longer_than_the_size(
    items: list[int], size: int
) -> None:
    parts = list(batched(items, size))
    assert [item for part in parts for item in part] == items
    assert all(1 <= len(part) <= size for part in parts)
    assert all(len(part) == size for part in parts[:-1])


def test_a_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        list(batched([1, 2], 0))
