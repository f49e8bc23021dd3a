"""Reading a client's JSON, text and numbers within the server's limits (domain/client_input)."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockmind.domain.client_input import (
    DEFAULT_MAX_JSON_DEPTH,
    InputLimits,
    UnreadableNumber,
    deeper_than,
    lone_surrogate,
    part_name,
    read_float,
    read_int,
    read_json,
    read_text,
)
from mockmind.domain.errors import UnreadableInput

LIMITS = InputLimits()
DIGIT_LIMIT = sys.get_int_max_str_digits()


def nested(depth: int) -> str:
    """Arrays and objects in turn, ``depth`` levels deep: ``[{"a":[{"a":1}]}]``."""
    text = "1"
    for level in range(depth):
        text = f"[{text}]" if level % 2 == 0 else f'{{"a":{text}}}'
    return text


def refusal(text: str | bytes, limits: InputLimits = LIMITS, location: str = "body") -> Any:
    with pytest.raises(UnreadableInput) as caught:
        read_json(text, limits, location)
    error = caught.value
    assert error.status == 400
    assert error.title == "Bad Request"
    assert len(error.errors) == 1
    return error


def json_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((json_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((json_depth(v) for v in value), default=0)
    return 0


def test_the_default_depth_is_64() -> None:
    assert DEFAULT_MAX_JSON_DEPTH == 64
    assert LIMITS.max_json_depth == 64


def test_a_body_at_the_depth_limit_is_read_and_one_level_more_is_refused() -> None:
    assert json_depth(read_json(nested(64), LIMITS)) == 64
    error = refusal(nested(65))
    assert error.detail == "request body nests deeper than 64 levels (server.max_json_depth)"
    assert error.errors == [
        {
            "location": "body",
            "message": "nests deeper than 64 levels (server.max_json_depth)",
            "keyword": "max_json_depth",
        }
    ]


@pytest.mark.parametrize("depth", [500, 100_000])
def test_deep_bodies_are_refused_before_anything_recurses(depth: int) -> None:
    error = refusal("[" * depth + "]" * depth)
    assert error.detail == "request body nests deeper than 64 levels (server.max_json_depth)"


def test_an_unclosed_deep_body_is_refused_too() -> None:
    # The decoder recursed into every "[" before noticing the text never closes them.
    assert refusal("[" * 100_000).errors[0]["keyword"] == "max_json_depth"


def test_the_limit_is_the_configured_one() -> None:
    limits = InputLimits(max_json_depth=3)
    assert read_json("[[[1]]]", limits) == [[[1]]]
    error = refusal("[[[[1]]]]", limits)
    assert error.detail == "request body nests deeper than 3 levels (server.max_json_depth)"


def test_depth_without_a_run_of_openers() -> None:
    # [[],[[],[[],…]]]: never more than two "[" in a row, yet as deep as it is wrapped.
    value: Any = []
    for _ in range(9):
        value = [[], value]
    text = json.dumps(value)
    assert json_depth(value) == 10
    assert deeper_than(text, 10) is False
    assert deeper_than(text, 9) is True
    assert refusal(text, InputLimits(max_json_depth=9)).errors[0]["keyword"] == "max_json_depth"


def test_no_levels_allowed() -> None:
    assert deeper_than('"[{"', 0) is False
    assert deeper_than("[]", 0) is True
    assert deeper_than("]", 0) is False


def test_unbalanced_text_counts_as_deep_as_the_decoder_would_go() -> None:
    # Not JSON (never closed): the decoder opens five lists and a sixth inside the last.
    text = "[[]," * 5
    assert deeper_than(text, 6) is False
    assert deeper_than(text, 5) is True
    with pytest.raises(json.JSONDecodeError):
        read_json(text, InputLimits(max_json_depth=6))


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"a": "[" * 200, "b": '\\"[[[[', "c": "\\" * 3 + "{" * 100})
    assert deeper_than(text, 1) is False
    assert read_json(text, InputLimits(max_json_depth=1))["a"] == "[" * 200


def test_escaped_quotes_do_not_end_a_string() -> None:
    # If the scan took \" for the string's end, the brackets after it would count.
    text = '["\\"' + "[" * 10 + '"]'
    assert json.loads(text) == ['"' + "[" * 10]
    assert deeper_than(text, 1) is False


def test_an_unterminated_string_hides_nothing_and_costs_one_pass() -> None:
    # Quadratic with a regex that needs the closing quote: each quote started a new failed try.
    text = '"' + '\\"' * 50_000 + "[" * 100
    assert deeper_than(text, 64) is False
    with pytest.raises(json.JSONDecodeError, match="Unterminated string"):
        read_json(text, LIMITS)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(alphabet='[]{}"\\ab'), children, max_size=3)
        ),
        max_leaves=40,
    ),
    st.integers(min_value=0, max_value=12),
)
def test_the_scan_measures_what_the_decoder_would_nest(value: Any, limit: int) -> None:
    text = json.dumps(value)
    assert deeper_than(text, limit) == (json_depth(value) > limit)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=100), st.data())
def test_any_depth_up_to_the_limit_is_read_and_any_beyond_is_a_400(
    limit: int, data: st.DataObject
) -> None:
    limits = InputLimits(max_json_depth=limit)
    depth = data.draw(st.integers(min_value=0, max_value=limit), label="depth")
    assert json_depth(read_json(nested(depth), limits)) == depth
    beyond = data.draw(st.integers(min_value=limit + 1, max_value=limit * 4), label="beyond")
    error = refusal(nested(beyond), limits)
    assert error.detail == (
        f"request body nests deeper than {limit} levels (server.max_json_depth)"
    )


def test_a_lone_surrogate_is_not_unicode_and_says_where() -> None:
    error = refusal('{"product_id": "\\ud800", "quantity": 2}')
    assert error.detail == (
        "request body is not valid Unicode: body.product_id holds the lone surrogate \\ud800"
    )
    assert error.errors == [
        {
            "location": "body.product_id",
            "message": "holds the lone surrogate \\ud800, which is not valid Unicode",
            "keyword": "unicode",
        }
    ]


@pytest.mark.parametrize(
    ("text", "where", "surrogate"),
    [
        ('["ok", "x\\udc00"]', "body[1]", "\\udc00"),
        ('{"\\uDBFF": 1}', "body.\udbff", "\\udbff"),
        ('{"a": [{"b": "\\ud83d"}]}', "body.a[0].b", "\\ud83d"),
        ('"\\ude00\\ud83d"', "body", "\\ude00"),
    ],
)
def test_lone_surrogates_anywhere(text: str, where: str, surrogate: str) -> None:
    error = refusal(text)
    assert error.errors[0]["location"] == where
    assert error.detail.endswith(f"holds the lone surrogate {surrogate}")


def test_a_surrogate_pair_and_an_escaped_backslash_are_fine() -> None:
    assert read_json('{"a": "\\ud83d\\ude00"}', LIMITS) == {"a": "\U0001f600"}
    assert read_json('"\\\\ud800"', LIMITS) == "\\ud800"


def test_bytes_are_read_strictly() -> None:
    assert read_json('{"a": "é"}'.encode("utf-16"), LIMITS) == {"a": "é"}
    # json.loads reads encoded surrogates (surrogatepass); a client's body may not hold one.
    with pytest.raises(UnicodeDecodeError, match="invalid continuation byte"):
        read_json(b'"\xed\xa0\x80"', LIMITS)


def test_an_integer_longer_than_python_converts_is_named() -> None:
    error = refusal('{"quantity": ' + "7" * 5000 + "}")
    assert error.detail == (
        f"request body holds a number of 5000 digits; numbers of at most {DIGIT_LIMIT} digits "
        "can be read"
    )
    assert error.errors[0]["keyword"] == "max_digits"
    assert read_json("7" * DIGIT_LIMIT, LIMITS) == int("7" * DIGIT_LIMIT)


def test_a_number_too_large_for_a_double_is_refused() -> None:
    error = refusal('{"price": 1e400}')
    assert error.detail == "request body holds a number too large to represent (1e400)"
    assert error.errors[0]["keyword"] == "max_number"
    assert refusal("[-" + "9" * 400 + ".5]").errors[0]["keyword"] == "max_number"


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}'])
def test_nan_and_infinity_are_not_json(text: str) -> None:
    with pytest.raises(ValueError, match="is not JSON"):
        read_json(text, LIMITS)


def test_broken_json_is_a_value_error_as_before() -> None:
    with pytest.raises(json.JSONDecodeError):
        read_json('{"product_id": ', LIMITS)


@pytest.mark.parametrize(
    ("location", "name"),
    [
        ("body", "request body"),
        ("path", "request path"),
        ("body.meta", "request body field meta"),
        ("query.limit", "query parameter limit"),
        ("path.petId", "path parameter petId"),
        ("header.x-flags", "header x-flags"),
        ("cookie.session", "cookie session"),
    ],
)
def test_parts_are_named_for_people(location: str, name: str) -> None:
    assert part_name(location) == name


def test_a_json_parameter_is_named_in_the_detail() -> None:
    error = refusal(nested(70), location="query.where")
    assert error.detail == (
        "query parameter where nests deeper than 64 levels (server.max_json_depth)"
    )
    assert error.errors[0]["location"] == "query.where"


def test_numbers_read_as_int_and_float() -> None:
    assert read_int("-0042") == -42
    assert read_float("2.5e3") == 2500.0
    with pytest.raises(ValueError, match="invalid literal for int"):
        read_int("12x")
    with pytest.raises(UnreadableNumber) as too_long:
        read_int("1" * 5000)
    error = too_long.value.at("query.limit")
    assert error.status == 400
    assert error.detail == (
        f"query parameter limit has 5000 digits; numbers of at most {DIGIT_LIMIT} digits can "
        "be read"
    )
    with pytest.raises(UnreadableNumber) as too_large:
        read_float("1e400")
    assert too_large.value.at("header.x-ratio").detail == (
        "header x-ratio holds a number too large to represent (1e400)"
    )


def test_text_that_decodes_to_a_surrogate_is_refused() -> None:
    # UTF-7 can spell a lone surrogate.
    with pytest.raises(UnreadableInput) as caught:
        read_text(b'{"a": "+2AA-"}', "utf-7", "body")
    assert caught.value.detail == (
        "request body is not valid Unicode: body holds the lone surrogate \\ud800"
    )
    assert read_text("héllo".encode("latin-1"), "ISO-8859-1", "body") == "héllo"


@pytest.mark.parametrize("charset", ["unicode_escape", "raw-unicode-escape", "punycode", "idna"])
def test_python_codecs_that_are_no_character_set_are_unknown(charset: str) -> None:
    # unicode_escape spells surrogates; punycode decodes a 1 MB body in about half a minute.
    with pytest.raises(LookupError, match="is not a character set"):
        read_text(b"\\ud800", charset, "body")


def test_lone_surrogate_walks_without_recursion() -> None:
    value: Any = "\udfff"
    for _ in range(5000):
        value = [value]
    found = lone_surrogate(value, "body")
    assert found == ("body" + "[0]" * 5000, "\udfff")
    assert lone_surrogate({"a": ["fine", {"b": "é"}]}, "body") is None
