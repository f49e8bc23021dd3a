"""Paging and filters of list requests (domain/resources/querying.py)."""

from __future__ import annotations

from typing import Any

import pytest

from mockmind.domain.resources.querying import merge_body, merge_patch, page, same


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"limit": 10, "offset": 20}, (20, 10)),
        ({"limit": "5", "page": "3"}, (10, 5)),
        ({"per_page": -4}, (0, 0)),
        # Each name a page size goes by, in the order they are read.
        ({"page_size": "7", "page": "2"}, (7, 7)),
        ({"size": 3, "page": 3}, (6, 3)),
        ({"page_size": 4, "size": 9}, (0, 4)),
        ({"per_page": 2, "page_size": 4}, (0, 2)),
        ({"page": 0, "limit": 5}, (0, 5)),
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


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [
        # RFC 7386's appendix A, a few of its cases.
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ("string", {"a": "b"}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
        # A null for a key the target lacks removes nothing and is no error.
        ({"a": 1}, {"b": None}, {"a": 1}),
        # Nested objects merge with what the target holds under the same key only.
        ({"a": {"x": 1}, "b": {"y": 2}}, {"a": {"z": 3}}, {"a": {"x": 1, "z": 3}, "b": {"y": 2}}),
    ],
)
def test_merge_patch_follows_rfc_7386(target: Any, patch: Any, expected: Any) -> None:
    assert merge_patch(target, patch) == expected


def test_merge_patch_shares_no_part_with_the_patch_or_the_target() -> None:
    patch = {"tags": [{"name": "a"}]}
    merged = merge_patch({}, patch)
    merged["tags"][0]["name"] = "changed"
    assert patch == {"tags": [{"name": "a"}]}
    source = [{"name": "a"}]
    replaced = merge_patch({"x": 1}, source)
    replaced[0]["name"] = "changed"
    assert source == [{"name": "a"}]
    target = {"a": {"x": 1}}
    merge_patch(target, {"a": {"y": 2}, "b": None})
    assert target == {"a": {"x": 1}}


def test_merge_body_puts_a_copy_of_the_body_over_the_generated_fields() -> None:
    body = {"name": "mug", "tags": ["a"]}
    entity = merge_body({"name": "made up", "price": 3}, body)
    assert entity == {"name": "mug", "price": 3, "tags": ["a"]}
    entity["tags"].append("b")
    assert body == {"name": "mug", "tags": ["a"]}
    assert merge_body({"price": 3}, ["not", "an", "object"]) == {"price": 3}


@pytest.mark.parametrize(
    ("value", "wanted", "expected"),
    [
        ("Paid", "paid", True),
        (3, "3", True),
        ("paid", "placed", False),
        ("b", ["a", "B"], True),
        ("c", ["a", "b"], False),
        (None, "None", True),
    ],
)
def test_same_matches_equal_or_equal_text_ignoring_case(
    value: Any, wanted: Any, expected: bool
) -> None:
    assert same(value, wanted) is expected
