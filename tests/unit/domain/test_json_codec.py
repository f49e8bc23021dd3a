"""JSON bytes: orjson's, and the standard library's where orjson refuses."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockmind.domain import json_codec

# Text that reads back unchanged; lone surrogates are written as escapes (tested below).
_text_chars = st.characters(exclude_categories=("Cs",))
_text = st.text(_text_chars)
_scalars = st.none() | st.booleans() | st.integers() | _text
_json = st.recursive(
    _scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


@given(_json)
def test_compact_reads_back_as_the_same_value(value: object) -> None:
    # Integers past 64 bits and lone surrogates take the standard library's path.
    encoded = json_codec.compact(value)
    assert json.loads(encoded) == value


# 64-bit integers: larger ones take the standard library's path, which escapes non-ASCII text
# (test_integers_past_64_bits_and_non_str_keys).
_int64 = st.integers(-(2**63), 2**63 - 1)


@given(st.dictionaries(st.text(_text_chars, max_size=5), _int64, max_size=6))
def test_canonical_ignores_key_order(value: dict[str, int]) -> None:
    # The standard library's own sorted, compact, UTF-8 text is the oracle.
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    reordered = dict(reversed(list(value.items())))
    assert json_codec.canonical(value) == expected.encode()
    assert json_codec.canonical(reordered) == expected.encode()


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
