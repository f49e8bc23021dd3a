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


# Keys and whether each names a secret, decided by reading them (the oracle for the walk).
_NAMED = {
    "id": False,
    "name": False,
    "Password": True,
    "PASS": True,
    "secretive": True,
    "x_token": True,
    "API_KEY": True,
    "apiKey": True,
    "api-key": True,
    "api key": False,
    "Authorization": True,
    "credentials": True,
    "note": False,
    "pa\u017fs": True,  # the long s matches s when case is ignored
    "\uff30\uff21\uff33\uff33": False,  # full-width letters are other letters
}
# A second, plain reading of the rule for ASCII keys: the name holds one of these words.
_WORDS = ("pass", "secret", "token", "apikey", "api_key", "api-key", "authorization", "credential")
_ascii_keys = st.text(alphabet="abcdeiknoprstwyzAKPST_- ", max_size=12)
_keys = st.sampled_from(sorted(_NAMED)) | _ascii_keys
# No lone surrogates: JSON bodies cannot hold them, so no answer's bytes can.
_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=10,
)


def _names_a_secret(key: str) -> bool:
    return _NAMED[key] if key in _NAMED else any(word in key.lower() for word in _WORDS)


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: "***" if _names_a_secret(key) and item is not None else _masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


@given(_values)
def test_secrets_are_masked_wherever_they_are(value: Any) -> None:
    assert redacted(value) == _masked(value)


@given(_values)
def test_the_byte_check_never_skips_a_body_that_holds_a_secret(value: Any) -> None:
    assert redacted_answer(value, json_codec.compact(value)) == _masked(value)


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
