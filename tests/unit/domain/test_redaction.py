"""Secrets masked out of remembered bodies, and the byte check that skips most walks."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mockmind.domain import json_codec
from mockmind.domain.client_input import InputLimits
from mockmind.domain.redaction import (
    may_name_a_secret,
    redacted,
    redacted_answer,
    redacted_json_bytes,
)


def test_secret_keys_are_masked_at_any_depth_and_other_values_kept() -> None:
    body = {"user": {"name": "ada", "Password": "hunter2", "api-key": "k"}, "items": [{"token": 1}]}
    assert redacted(body) == {
        "user": {"name": "ada", "Password": "***", "api-key": "***"},
        "items": [{"token": "***"}],
    }


def test_a_body_without_secrets_is_kept_without_a_copy() -> None:
    body = [{"id": 1, "name": "mug"}]
    assert redacted(body) is body
    assert redacted_answer(body, json_codec.compact(body)) is body


def test_request_bodies() -> None:
    masked = redacted_json_bytes(b'{"username": "ada", "password": "hunter2"}')
    assert json.loads(masked) == {"username": "ada", "password": "***"}
    assert redacted_json_bytes(b"not json, password=1") == b"not json, password=1"
    plain = b'{"qty": 2}'
    assert redacted_json_bytes(plain) is plain


def test_text_that_is_not_ascii_is_always_walked() -> None:
    # The long s (U+017F) folds onto s in a case-insensitive match: it names a password.
    body = {"pa\u017fsword": "hunter2"}
    assert may_name_a_secret(json_codec.compact(body))
    assert redacted_answer(body, json_codec.compact(body)) == {"pa\u017fsword": "***"}


_keys = st.sampled_from(
    [
        "id",
        "name",
        "Password",
        "PASS",
        "secretive",
        "x_token",
        "API_KEY",
        "apiKey",
        "api-key",
        "Authorization",
        "credentials",
        "note",
        "pa\u017fs",
        "\uff30\uff21\uff33\uff33",
    ]
) | st.text(max_size=8)
_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=10,
)


@given(_values)
def test_the_byte_check_never_skips_a_body_that_holds_a_secret(value: Any) -> None:
    try:
        encoded = json_codec.compact(value)
    except UnicodeEncodeError:
        return
    assert redacted_answer(value, encoded) == redacted(value)


def test_a_secret_key_spelled_with_escapes_is_masked() -> None:
    body = rb'{"p\u0061ssword": "hunter2", "user": "bob"}'
    assert json.loads(redacted_json_bytes(body)) == {"password": "***", "user": "bob"}
    assert json.loads(redacted_json_bytes(rb'{"pa\u017fsword": "x"}')) == {"pa\u017fsword": "***"}


def test_a_body_breaking_a_client_input_limit_is_not_remembered_when_it_may_hold_a_secret() -> None:
    deep = b'{"password": "hunter2", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert redacted_json_bytes(deep) == b""
    surrogate = b'{"password": "hunter2", "name": "\\ud800"}'
    assert redacted_json_bytes(surrogate) == b""
    long_number = b'{"token": "t", "n": ' + b"1" * 5000 + b"}"
    assert redacted_json_bytes(long_number) == b""
    # The limit is the configured one.
    nested = b'{"password": "p", "a": [[[1]]]}'
    assert redacted_json_bytes(nested, InputLimits(max_json_depth=2)) == b""
    assert json.loads(redacted_json_bytes(nested, InputLimits(max_json_depth=4))) == {
        "password": "***",
        "a": [[[1]]],
    }


def test_a_deep_body_naming_no_secret_is_kept_as_it_came() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    assert redacted_json_bytes(deep) is deep
