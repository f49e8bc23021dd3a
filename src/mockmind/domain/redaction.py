"""Secrets masked out of what the mock remembers: history feeds prompts, logs and the admin API.

A value under a key that names a secret (``password``, ``api_key``, ``Authorization``...) is
written ``***``, decided by the key's name and the value's shape together: a key that names
what a secret is rather than holding one (``token_type``, ``password_expires_at``,
``token_ttl``) is kept, and so is a value no secret can be (``null``, ``true``/``false``, or an
authentication scheme's name such as ``"Bearer"``): a login's
``{"token": "…", "token_type": "Bearer"}`` keeps its type and masks only its token.

Most bodies hold no secret, and every answer is remembered, so the check starts on the
answer's JSON bytes: if no secret's name appears in them at all, no key can be one and the
body is kept as it is, without walking it (a ten-entity list: 2 µs instead of 25).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from mockmind.domain import json_codec
from mockmind.domain.client_input import DEFAULT_LIMITS, InputLimits, read_json
from mockmind.domain.errors import UnreadableInput

_SECRET_KEY = re.compile(r"pass(word)?|secret|token|api[_-]?key|authorization|credential", re.I)
# Everyday words that hold a secret's name without being one (a passenger's name, a passport
# number, a secretary): taken out of a key before it is searched, so that what it says apart
# from them still counts (``passengerToken`` is a token).
_NOT_SECRETS = re.compile(r"passeng|passport|passag|passiv|compass|surpass|secretar", re.I)
# A name that describes a secret (its type, lifetime, where to get one) instead of holding it.
_DESCRIPTOR = re.compile(
    r"(type|kind|scheme|expires|expires_?in|expires_?at|expiry|ttl|lifetime|length|url|uri"
    r"|endpoint)$",
    re.I,
)
# Authentication scheme names (RFC 6750 Bearer, RFC 7617 Basic, ...): what a token is, never
# a secret, whatever key holds them.
_SCHEME_NAMES = frozenset({"bearer", "basic", "digest", "mac", "dpop", "negotiate", "jwt"})
# Every match of _SECRET_KEY contains one of these, in ASCII lower case. Searched as text, not
# bytes: ``bytes in bytes`` first tries its operand as an integer (``5 in b"..."``) and builds
# then drops a TypeError, 4,000 instructions a search (Python 3.12, callgrind) against 700.
_SECRET_WORDS = (
    "pass",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "authoriz",
    "credential",
)


def may_name_a_secret(text: bytes) -> bool:
    """False only when no key in this JSON text can name a secret.

    Case-insensitive matching also folds some non-ASCII letters onto ASCII ones (the long s
    onto s), so text that is not all ASCII is always walked; and so is text with a ``\\u``
    escape, which can spell any letter (a client's ``"p\\u0061ssword"``).
    """
    if not text.isascii():
        return True
    decoded = text.decode("ascii")
    if "\\u" in decoded:
        return True
    lowered = decoded.lower()
    # A plain loop: any() over a generator costs more than the searches on a small answer.
    for word in _SECRET_WORDS:  # noqa: SIM110
        if word in lowered:
            return True
    return False


def redacted_answer(body: Any, encoded: bytes) -> Any:
    """``body`` with secrets masked, given its JSON bytes."""
    global _last_answer  # noqa: PLW0603 (one pair, replaced whole: safe across threads)
    last = _last_answer
    if last[0] is encoded:
        holds = last[1]
    else:
        holds = _answer_verdict(body, encoded)
        _last_answer = (encoded, holds)
    return redacted(body) if holds else body


def _answer_verdict(body: Any, encoded: bytes) -> bool:
    """Whether ``body`` holds a secret, looked up by its bytes' content for an answer large
    enough that the scan costs more than hashing them.

    The verdict kept is the walk's, not only the text scan's: a key that merely contains a
    secret's name (train-travel's ``passenger_name`` holds "pass") sends every answer of its
    list to the walk, a seventh of the list row (bench/RESULTS.md row 4). The same bytes are the
    same keys and values, so the same verdict.
    """
    global _verdict_bytes  # noqa: PLW0603 (a tally; a race only misjudges when to empty)
    if not _VERDICT_KEPT_FROM <= len(encoded) <= _VERDICT_KEPT_UP_TO:
        return may_name_a_secret(encoded) and _holds_secret(body)
    holds = _verdicts.get(encoded)
    if holds is None:
        holds = may_name_a_secret(encoded) and _holds_secret(body)
        if _verdict_bytes + len(encoded) > _VERDICT_BYTES_KEPT:
            # Emptied whole rather than the oldest dropped: one call, safe across threads.
            _verdicts.clear()
            _verdict_bytes = 0
        _verdicts[encoded] = holds
        _verdict_bytes += len(encoded)
    return holds


# The last answer's bytes and whether their body holds a secret. A cached answer's bytes are the
# same object on every hit of the memory cache (the journal takes the session's masked body, so
# a request scans its answer once already): the scan of its text (a lower-cased copy, eight
# searches) is made once a cached body. Compared by identity, so the verdict is always the one of
# these very bytes (the pair holds them, so their id cannot be reused meanwhile).
_last_answer: tuple[bytes, bool] = (b"", False)

# Whether recent answers hold a secret, by their bytes' content. A store read answers the same list
# again and again, each time in new bytes (only a cached answer's are the same object): the
# scan costs about 7 µs a kilobyte (a lower-cased copy, eight searches), the lookup a hash of
# the bytes and one comparison, a tenth of it. Small answers are scanned as fast as they are
# hashed. Bounded by the bytes kept (2 MiB), not by a count: one process serving many APIs (a
# tenant front, fifty shops in turn: bench/RESULTS.md row 21) answers more distinct lists than
# a count of 32 held, and emptied on every turn the memo saved nothing.
_verdicts: dict[bytes, bool] = {}
_verdict_bytes = 0
_VERDICT_BYTES_KEPT = 2 * 1024 * 1024
_VERDICT_KEPT_FROM = 512
_VERDICT_KEPT_UP_TO = 64 * 1024


def redacted_json_bytes(body: bytes, limits: InputLimits = DEFAULT_LIMITS) -> bytes:
    """A request body with secrets masked, when it is JSON; other bodies as they are.

    JSON that may name a secret but breaks a client input limit (too deep, a number too
    long, a lone surrogate) cannot be read to mask it, and is not remembered at all (empty
    bytes): the answer, which is remembered, says what was wrong with it.
    """
    if not body or not may_name_a_secret(body):
        return body
    try:
        parsed = read_json(body, limits)
    except UnreadableInput:
        return b""
    except ValueError:
        return body
    if not isinstance(parsed, dict | list):
        return body
    return json_codec.compact(redacted(parsed))


def redacted_query(query: Mapping[str, list[str]]) -> str:
    """A query string with secrets masked (``?api_key=…`` is ``api_key=%2A%2A%2A``)."""
    global _last_query  # noqa: PLW0603 (one pair, replaced whole: safe across threads)
    if not query:
        return ""
    last = _last_query
    # Names and values are text: the same names in the same order, with equal values, are
    # the same query string (dicts compare equal in any order, so the names are compared too,
    # unless there is one: two tuples of the names were two thirds of the comparison).
    if last[0] == query and (len(query) == 1 or tuple(last[0]) == tuple(query)):
        return last[1]
    written = _written_query(query)
    # A copy: the request's own lists could change after it is remembered.
    _last_query = ({k: list(values) for k, values in query.items()}, written)
    return written


# The last query remembered and its string: a client repeating a request (a poll, a page
# asked again) sends the same query, and comparing it costs a tenth of writing it.
_last_query: tuple[Mapping[str, list[str]], str] = ({}, "")


def _written_query(query: Mapping[str, list[str]]) -> str:
    # Most queries (``limit=10``) name no secret and hold only characters ``urlencode`` keeps
    # as they are: written directly, as it would write them, without its quoting per key and
    # value (every request with a query is remembered with it).
    parts = []
    for k, values in query.items():
        if _is_secret_key(k) or k.strip(_UNQUOTED):
            return _encoded_query(query)
        for v in values:
            if v.strip(_UNQUOTED):
                return _encoded_query(query)
            parts.append(f"{k}={v}")
    return "&".join(parts)


# What ``urlencode`` (``quote_plus``) writes unchanged: urllib.parse's always-safe characters.
_UNQUOTED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"


def _encoded_query(query: Mapping[str, list[str]]) -> str:
    return urlencode(
        [(k, "***" if is_secret(k, v) else v) for k, values in query.items() for v in values]
    )


def redacted(value: Any) -> Any:
    """The value with secrets masked.

    Most bodies hold no secret: they are returned as they are, without a copy. Bodies are
    JSON values, so the checks are on dict and list (an ABC check costs several times more).
    """
    if not _holds_secret(value):
        return value
    if isinstance(value, dict):
        return {k: "***" if is_secret(str(k), v) else redacted(v) for k, v in value.items()}
    return [redacted(v) for v in value]


def is_secret(key: str, value: Any) -> bool:
    """Whether ``value`` under ``key`` is a secret: by the key's name and the value's shape."""
    if value is None or isinstance(value, bool) or not _is_secret_key(key):
        return False
    return not (isinstance(value, str) and value.strip().lower() in _SCHEME_NAMES)


def is_secret_name(key: str) -> bool:
    """Whether a value under ``key`` is a secret unless its shape says otherwise (``None``,
    a boolean, a scheme's name): False means no value under this key is one."""
    return _is_secret_key(key)


@lru_cache(maxsize=4096)
def _is_secret_key(key: str) -> bool:
    named = _NOT_SECRETS.sub("", key) if _NOT_SECRETS.search(key) else key
    return bool(_SECRET_KEY.search(named)) and not _DESCRIPTOR.search(key)


def _holds_secret(value: Any) -> bool:
    # A dict's key set is checked once per distinct set of names, and only containers are
    # descended into.
    if isinstance(value, dict):
        if _names_secret(tuple(value)):
            for k, v in value.items():
                if is_secret(str(k), v):
                    return True
        nested: Iterable[Any] = value.values()
    elif isinstance(value, list):
        nested = value
    else:
        return False
    # A plain loop: any() over a generator measured twice as slow on ten-entity lists.
    for v in nested:  # noqa: SIM110
        if isinstance(v, _CONTAINERS) and _holds_secret(v):
            return True
    return False


_CONTAINERS = (dict, list)


@lru_cache(maxsize=4096)
def _names_secret(keys: tuple[Any, ...]) -> bool:
    return any(_is_secret_key(str(k)) for k in keys)
