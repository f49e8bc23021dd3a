from __future__ import annotations

import pytest

from mockmind.domain.cache_keys import (
    canonical_body,
    canonical_query,
    response_cache_key,
)
from mockmind.domain.prefer import Preference, parse_prefer


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, Preference()),
        ("code=404", Preference(code=404)),
        ("example=mug", Preference(example="mug")),
        ("dynamic=true", Preference(dynamic=True)),
        ("code=201, example=mug", Preference(code=201, example="mug")),
        ("code=500; dynamic=true", Preference(code=500, dynamic=True)),
        ('example="quoted"', Preference(example="quoted")),
        ("code=abc", Preference()),
        ("respond-async", Preference()),
    ],
)
def test_parse_prefer(header: str | None, expected: Preference) -> None:
    assert parse_prefer(header) == expected


def test_query_order_does_not_matter() -> None:
    assert canonical_query({"b": ["2"], "a": ["1", "0"]}) == canonical_query(
        {"a": ["0", "1"], "b": ["2"]}
    )


def test_json_body_by_content() -> None:
    a = canonical_body(b'{"a": 1, "b": 2}', "application/json")
    b = canonical_body(b'{"b":2,"a":1}', "application/json")
    assert a == b
    assert canonical_body(b'{"a":1}', "application/json") != canonical_body(
        b'{"a":2}', "application/json"
    )
    assert canonical_body(b"raw", "text/plain") != canonical_body(b"other", "text/plain")


def test_cache_key_separates_parts() -> None:
    assert response_cache_key("s1", "GET", "/a") != response_cache_key("s2", "GET", "/a")
    assert response_cache_key("ab", "c") != response_cache_key("a", "bc")


def test_bodies_with_nan_or_infinity_never_share_a_key_with_null() -> None:
    json_type = "application/json"
    keys = {
        canonical_body(body, json_type)
        for body in (b'{"x": null}', b'{"x": NaN}', b'{"x": Infinity}', b'{"x": -Infinity}')
    }
    assert len(keys) == 4
    assert canonical_body(b'{"x": 1e400}', json_type) != canonical_body(b'{"x": null}', json_type)
    assert canonical_body(b'{"x": 1.5, "y": 2}', json_type) == canonical_body(
        b'{"y":2,"x":1.5}', json_type
    )
