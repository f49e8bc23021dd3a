from __future__ import annotations

import hashlib

import pytest

from mockmind.domain.cache_keys import (
    canonical_body,
    canonical_query,
    response_cache_key,
)
from mockmind.domain.client_input import InputLimits
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
        ("proxy=true", Preference(proxy=True)),
        ("code=200; Proxy=TRUE", Preference(code=200, proxy=True)),
        ("proxy=false", Preference()),
    ],
)
def test_parse_prefer(header: str | None, expected: Preference) -> None:
    assert parse_prefer(header) == expected


def test_query_order_does_not_matter() -> None:
    assert canonical_query({"b": ["2"], "a": ["1", "0"]}) == "a=0&a=1&b=2"
    assert canonical_query({"a": ["0", "1"], "b": ["2"]}) == "a=0&a=1&b=2"
    assert canonical_query({}) == ""


def test_one_name_keys_as_the_general_form_does() -> None:
    # One name with one value is the usual query, written without sorting: the same text.
    assert canonical_query({"n": ["7"]}) == "n=7"
    assert canonical_query({"n": ["b", "a"]}) == "n=a&n=b"
    assert canonical_query({"n": []}) == ""


def test_json_body_by_content() -> None:
    assert canonical_body(b'{"a": 1, "b": 2}', "application/json") == '{"a":1,"b":2}'
    assert canonical_body(b'{"b":2,"a":1}', "application/problem+json") == '{"a":1,"b":2}'
    assert canonical_body(b"", "application/json") == ""
    # Other bodies, and JSON that does not parse, by the SHA-256 of their bytes.
    assert canonical_body(b"raw", "text/plain") == hashlib.sha256(b"raw").hexdigest()
    assert canonical_body(b'{"a": 1}', None) == hashlib.sha256(b'{"a": 1}').hexdigest()
    assert canonical_body(b'{"a":', "application/json") == hashlib.sha256(b'{"a":').hexdigest()


def test_cache_key_separates_parts() -> None:
    assert response_cache_key("s1", "GET", "/a") != response_cache_key("s2", "GET", "/a")
    assert response_cache_key("ab", "c") != response_cache_key("a", "bc")


def test_bodies_with_nan_or_infinity_never_share_a_key_with_null() -> None:
    json_type = "application/json"
    assert canonical_body(b'{"x": null}', json_type) == '{"x":null}'
    # The others are not JSON: keyed by the SHA-256 of their bytes, as any other text.
    for body in (b'{"x": NaN}', b'{"x": Infinity}', b'{"x": -Infinity}', b'{"x": 1e400}'):
        assert canonical_body(body, json_type) == hashlib.sha256(body).hexdigest(), body
    assert canonical_body(b'{"x": 1.5, "y": 2}', json_type) == '{"x":1.5,"y":2}'
    assert canonical_body(b'{"y":2,"x":1.5}', json_type) == '{"x":1.5,"y":2}'


def test_a_body_the_client_reader_refuses_is_keyed_by_its_bytes() -> None:
    json_type = "application/json"
    deep = b"[" * 100_000 + b"]" * 100_000
    assert canonical_body(deep, json_type) == hashlib.sha256(deep).hexdigest()
    surrogate = b'{"a": "\\ud800"}'
    assert canonical_body(surrogate, json_type) == hashlib.sha256(surrogate).hexdigest()
    nested = b"[[[1]]]"
    assert canonical_body(nested, json_type, InputLimits(max_json_depth=2)) == (
        hashlib.sha256(nested).hexdigest()
    )
    assert canonical_body(nested, json_type, InputLimits(max_json_depth=3)) == "[[[1]]]"
