"""Secrets masked out of remembered bodies, and the byte check that skips most walks."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockmind.domain import json_codec, redaction
from mockmind.domain.client_input import InputLimits
from mockmind.domain.redaction import (
    may_name_a_secret,
    redacted,
    redacted_answer,
    redacted_json_bytes,
    redacted_query,
)


def test_secret_keys_are_masked_at_any_depth_and_other_values_kept() -> None:
    body = {"user": {"name": "ada", "Password": "hunter2", "api-key": "k"}, "items": [{"token": 1}]}
    assert redacted(body) == {
        "user": {"name": "ada", "Password": "***", "api-key": "***"},
        "items": [{"token": "***"}],
    }


def test_a_login_answer_keeps_its_token_type_and_masks_its_token() -> None:
    body = {"token": "pShjymiB9rSw", "token_type": "Bearer", "expires_in": 575}
    assert redacted(body) == {"token": "***", "token_type": "Bearer", "expires_in": 575}


def test_keys_describing_a_secret_are_kept_and_keys_holding_one_masked() -> None:
    body = {
        "tokenType": "opaque",
        "password_expires_at": "2026-12-01T00:00:00Z",
        "api_key_url": "https://example.test/keys",
        "token_ttl": 60,
        "refresh_token": "r-123",
        "access_token": "a-456",
        "pin_password": 1234,
    }
    assert redacted(body) == {
        "tokenType": "opaque",
        "password_expires_at": "2026-12-01T00:00:00Z",
        "api_key_url": "https://example.test/keys",
        "token_ttl": 60,
        "refresh_token": "***",
        "access_token": "***",
        "pin_password": "***",
    }


def test_everyday_words_holding_a_secrets_name_are_kept() -> None:
    body = {
        "passenger_name": "Ada Lovelace",
        "passengers": [{"passport_number": "X123", "name": "Ada"}],
        "passage": "Dover",
        "compassHeading": 270,
        "secretary": "Grace",
        "passive": False,
        # What a key says beside the everyday word still counts.
        "passengerToken": "t-789",
        "passport_password": "hunter2",
        "pass": "p-1",
        "userPass": "p-2",
        "clientSecret": "s-1",
    }
    assert redacted(body) == {
        "passenger_name": "Ada Lovelace",
        "passengers": [{"passport_number": "X123", "name": "Ada"}],
        "passage": "Dover",
        "compassHeading": 270,
        "secretary": "Grace",
        "passive": False,
        "passengerToken": "***",
        "passport_password": "***",
        "pass": "***",
        "userPass": "***",
        "clientSecret": "***",
    }


def test_values_no_secret_can_be_are_kept_under_a_secret_key() -> None:
    body = {"password": True, "token": None, "authorization": "Basic", "secret": "Bearer x"}
    assert redacted(body) == {
        "password": True,
        "token": None,
        "authorization": "Basic",
        "secret": "***",
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
# A second, plain reading of the rule for ASCII keys: the name holds one of these words, and
# does not end in a word that describes a secret instead of holding one.
_WORDS = ("pass", "secret", "token", "apikey", "api_key", "api-key", "authorization", "credential")
_DESCRIBING = (
    "type", "kind", "scheme", "expires", "expiresin", "expires_in", "expiresat", "expires_at",
    "expiry", "ttl", "lifetime", "length", "url", "uri", "endpoint",
)  # fmt: skip
_SCHEMES = ("bearer", "basic", "digest", "mac", "dpop", "negotiate", "jwt")
_ascii_keys = st.text(alphabet="abcdeiknoprstwyzAKPST_- ", max_size=12)
_keys = st.sampled_from(sorted(_NAMED)) | _ascii_keys
# No lone surrogates: JSON bodies cannot hold them, so no answer's bytes can.
_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | _text | st.sampled_from(["Bearer", " basic"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=10,
)


def _names_a_secret(key: str) -> bool:
    if key in _NAMED:
        return _NAMED[key]
    lowered = key.lower()
    return any(w in lowered for w in _WORDS) and not lowered.endswith(_DESCRIBING)


def _can_be_a_secret(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return False
    return not (isinstance(value, str) and value.strip().lower() in _SCHEMES)


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: "***" if _names_a_secret(key) and _can_be_a_secret(item) else _masked(item)
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


def test_an_answer_s_verdict_is_that_of_its_own_bytes_whatever_came_before() -> None:
    """redacted_answer remembers the last bytes it scanned, by identity: bytes equal to them
    but another object, or other bytes in between, are judged on their own."""
    secret = {"token": "abc"}
    plain = {"name": "abc"}
    secret_bytes, plain_bytes = json_codec.compact(secret), json_codec.compact(plain)
    for _ in range(2):
        assert redacted_answer(secret, secret_bytes) == {"token": "***"}
        assert redacted_answer(plain, plain_bytes) is plain
    assert redacted_answer(secret, bytes(bytearray(secret_bytes))) == {"token": "***"}
    assert redacted_answer(secret, secret_bytes) == {"token": "***"}


# Keys and values from urlencode's unquoted characters, the ones it quotes, and secret names.
_query_text = st.one_of(
    st.text(alphabet="abcXYZ019_.-~", max_size=6),
    st.text(max_size=6),
    st.sampled_from(["api_key", "token", "password", "token_type", "limit", "Bearer", ""]),
)


@given(st.dictionaries(_query_text, st.lists(_query_text, max_size=3), max_size=4))
def test_a_remembered_query_is_urlencoded_with_its_secrets_masked(
    query: dict[str, list[str]],
) -> None:
    expected = urlencode(
        [
            (k, "***" if _names_a_secret(k) and _can_be_a_secret(v) else v)
            for k in query
            for v in query[k]
        ]
    )
    assert redacted_query(query) == expected


def test_a_query_written_as_it_reads_only_when_nothing_in_it_needs_quoting() -> None:
    assert redacted_query({"limit": ["10"], "sort": ["-name", "id.v~2"]}) == (
        "limit=10&sort=-name&sort=id.v~2"
    )
    assert redacted_query({"q": ["a b&c=d"], "n": [""]}) == "q=a+b%26c%3Dd&n="
    assert redacted_query({"limit": ["10"], "api_key": ["k"]}) == "limit=10&api_key=%2A%2A%2A"
    assert redacted_query({"token_type": ["x"], "é": ["ü"]}) == "token_type=x&%C3%A9=%C3%BC"


def test_a_query_asked_again_is_written_as_it_reads_now() -> None:
    assert redacted_query({"a": ["1"], "b": ["2"]}) == "a=1&b=2"
    assert redacted_query({"a": ["1"], "b": ["2"]}) == "a=1&b=2"
    # Equal as dicts, but another order: another query string.
    assert redacted_query({"b": ["2"], "a": ["1"]}) == "b=2&a=1"
    query = {"a": ["1"]}
    assert redacted_query(query) == "a=1"
    query["a"].append("2")
    assert redacted_query(query) == "a=1&a=2"
    # One name: another name, or the same with another value, is another query string.
    assert redacted_query({"b": ["1", "2"]}) == "b=1&b=2"
    assert redacted_query({"b": ["2", "1"]}) == "b=2&b=1"
    assert redacted_query({"a": ["1"], "api_key": ["k"]}) == "a=1&api_key=%2A%2A%2A"
    assert redacted_query({"a": ["1"], "api_key": ["k"]}) == "a=1&api_key=%2A%2A%2A"


def test_large_answers_are_judged_by_their_content_wherever_their_bytes_come_from() -> None:
    """Verdicts on large answers are kept by content: equal bytes in another object share
    one, bytes that differ (by one letter) never do, also after the kept ones are emptied."""
    secret = {"items": [{"name": "x" * 40, "token": "abc"}] * 20}
    plain = {"items": [{"name": "x" * 40, "tokex": "abc"}] * 20}
    secret_bytes, plain_bytes = json_codec.compact(secret), json_codec.compact(plain)
    assert len(secret_bytes) == len(plain_bytes) > 1024
    masked = {"items": [{"name": "x" * 40, "token": "***"}] * 20}
    for _ in range(2):
        assert redacted_answer(secret, bytes(bytearray(secret_bytes))) == masked
        assert redacted_answer(plain, bytes(bytearray(plain_bytes))) is plain
    for n in range(100):
        other = {"items": [{"name": f"{n:040}"}] * 20}
        assert redacted_answer(other, json_codec.compact(other)) is other
        assert redacted_answer(secret, bytes(bytearray(secret_bytes))) == masked


def test_a_large_answer_naming_a_secret_word_but_holding_none_is_kept_every_time() -> None:
    """A key like ``passenger_name`` holds "pass": the byte scan cannot rule it out, the walk
    does, and its verdict is kept with the bytes; a body of other bytes that does hold a
    secret is still masked between two such answers."""
    plain = {"data": [{"passenger_name": f"P {n}", "has_dog": n % 2 == 0} for n in range(40)]}
    secret = {"data": [{"passenger_name": f"P {n}", "password": "pw"} for n in range(40)]}
    plain_bytes, secret_bytes = json_codec.compact(plain), json_codec.compact(secret)
    assert len(plain_bytes) > 1024
    assert b"pass" in plain_bytes
    masked = {"data": [{"passenger_name": f"P {n}", "password": "***"} for n in range(40)]}
    for _ in range(3):
        assert redacted_answer(plain, bytes(bytearray(plain_bytes))) is plain
        assert redacted_answer(secret, bytes(bytearray(secret_bytes))) == masked
        assert redacted_answer(plain, plain_bytes) is plain


def test_kept_verdicts_are_bounded_by_their_bytes_and_right_after_emptying(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """More distinct answers than a count would hold (fifty APIs in turn) keep their
    verdicts while their bytes fit; past the bytes kept, the memo empties and verdicts stay
    those of each answer's own bytes."""
    monkeypatch.setattr(redaction, "_VERDICT_BYTES_KEPT", 8 * 1024)
    monkeypatch.setattr(redaction, "_verdicts", {})
    monkeypatch.setattr(redaction, "_verdict_bytes", 0)
    secret = {"items": [{"name": "x" * 40, "token": "abc"}] * 20}
    masked = {"items": [{"name": "x" * 40, "token": "***"}] * 20}
    secret_bytes = json_codec.compact(secret)
    for n in range(60):
        other = {"items": [{"name": f"{n:040}"}] * 20}
        assert redacted_answer(other, json_codec.compact(other)) is other
        assert redacted_answer(secret, bytes(bytearray(secret_bytes))) == masked
        assert redaction._verdict_bytes <= 8 * 1024
        assert len(redaction._verdicts) <= 8 * 1024 // 512
