"""JSON bytes: orjson's, and the standard library's where orjson refuses."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockmind.domain import json_codec

_scalars = st.none() | st.booleans() | st.integers() | st.text()
_json = st.recursive(
    _scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(_json)
def test_compact_reads_back_as_the_same_value(value: object) -> None:
    # Integers past 64 bits and lone surrogates take the standard library's path.
    encoded = json_codec.compact(value)
    assert json.loads(encoded) == value


@given(st.dictionaries(st.text(max_size=5), st.integers(), max_size=6))
def test_canonical_ignores_key_order(value: dict[str, int]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert json_codec.canonical(value) == json_codec.canonical(reordered)


def test_integers_past_64_bits_and_non_str_keys() -> None:
    assert json_codec.compact({"n": 2**70, 3: "x"}) == b'{"n":1180591620717411303424,"3":"x"}'
    assert json_codec.canonical({"b": 2**70, "a": 1}) == b'{"a":1,"b":1180591620717411303424}'


def test_canonical_writes_what_json_cannot_hold_as_its_str() -> None:
    assert json_codec.canonical({"price": Decimal("1.50")}) == b'{"price":"1.50"}'
    with pytest.raises(TypeError):
        json_codec.compact({"price": Decimal("1.50")})


def test_utf8_is_written_as_is() -> None:
    assert json_codec.compact({"name": "Zoë ✓"}) == '{"name":"Zoë ✓"}'.encode()


def test_nan_and_infinity_are_written_as_null_not_as_invalid_json() -> None:
    assert json_codec.compact([float("nan"), float("inf")]) == b"[null,null]"


def test_a_lone_surrogate_is_written_as_its_escape() -> None:
    # UTF-8 cannot encode one; the answer (or history) still goes out, as valid JSON.
    value = {"name": "Zoë \ud800", "n": 2**70}
    encoded = json_codec.compact(value)
    assert encoded == b'{"name":"Zo\\u00eb \\ud800","n":1180591620717411303424}'
    assert json.loads(encoded) == value
    assert json_codec.compact(["\udfff"]) == b'["\\udfff"]'
    assert json_codec.canonical({"b": "\ud800", "a": 1}) == b'{"a":1,"b":"\\ud800"}'
