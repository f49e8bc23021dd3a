"""Paging and filters of list requests (domain/resources/querying.py)."""

from __future__ import annotations

from typing import Any

import pytest

from mockmind.domain.resources.querying import page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"limit": 10, "offset": 20}, (20, 10)),
        ({"limit": "5", "page": "3"}, (10, 5)),
        ({"per_page": -4}, (0, 0)),
        ({"limit": "ten"}, (0, None)),
        # Undeclared parameters arrive as text: one longer than int() reads is no count.
        ({"limit": "1" * 5000}, (0, None)),
        # A number parameter may hold infinity or NaN, which int() cannot convert.
        ({"limit": float("inf"), "offset": float("nan")}, (0, None)),
    ],
)
def test_page_reads_what_counts_and_ignores_the_rest(
    query: dict[str, Any], expected: tuple[int, int | None]
) -> None:
    assert page(query) == expected
