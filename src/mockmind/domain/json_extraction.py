"""Find the JSON value in what a language model wrote.

Models asked for "JSON only" still wrap it: in Markdown fences, after a sentence of preamble,
before a paragraph of commentary, or as a JSON string holding the JSON. The strategies, in
order: the whole text; each fenced code block; the first balanced object or array in the prose
(bracket matching that skips brackets inside strings, so ``{"a": "}"}`` is one value). A value
that is itself a string holding JSON is unwrapped. Output cut off at the token limit is
reported as truncated, so the caller can say why it fell back; prose is reported as holding no
JSON, even when it has a bracket it never closes (``see [1`` or ``{placeholder``): a cut is
only claimed for an unclosed bracket whose text starts the way JSON does (``{"``, ``[{``,
``[1``...).
"""

from __future__ import annotations

import json
import re
from typing import Any

from mockmind.domain.errors import MockmindError
from mockmind.lazy_pattern import LazyPattern

_FENCE = LazyPattern(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
# How the inside of an object or an array starts when it is JSON (whitespace skipped): a key
# or the end for an object; a value or the end for an array. Text ending there is a cut too.
_OBJECT_START = LazyPattern(r'\s*(?:["}]|\Z)')
_ARRAY_START = LazyPattern(r'\s*(?:[-0-9"{\[\]]|true\b|false\b|null\b|\Z)')
_OPENERS = {"{": "}", "[": "]"}
# Each failed candidate costs a parse; a pathological answer must not cost seconds.
_MAX_CANDIDATES = 64
_MAX_UNWRAP = 2


class JsonExtractionError(MockmindError):
    """The text holds no usable JSON value; ``reason`` says why (empty, cut off, none found)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def extract_json(text: str) -> Any:
    """The JSON value in ``text``. Raises JsonExtractionError with a reason a human can act on."""
    return _extract(text, _MAX_UNWRAP)


def _extract(text: str, unwrap: int) -> Any:
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        raise JsonExtractionError("the answer is empty")
    found, value = _loads(stripped)
    if found:
        return _unwrapped(value, unwrap)
    truncated = False
    for match in _FENCE.finditer(stripped):
        block = match.group(2).strip()
        if not block:
            continue
        found, value = _loads(block)
        if found:
            return _unwrapped(value, unwrap)
        span_found, value, cut = _first_balanced(block)
        if span_found:
            return _unwrapped(value, unwrap)
        truncated = truncated or cut
    found, value, cut = _first_balanced(stripped)
    if found:
        return _unwrapped(value, unwrap)
    if truncated or cut:
        raise JsonExtractionError(
            "the answer was cut off before its JSON value ended (truncated output)"
        )
    raise JsonExtractionError("no JSON object or array found in the answer")


def _loads(text: str) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except ValueError:
        return False, None


def _unwrapped(value: Any, unwrap: int) -> Any:
    if isinstance(value, str) and unwrap > 0 and value.strip().startswith(("{", "[", "```")):
        try:
            return _extract(value, unwrap - 1)
        except JsonExtractionError:
            return value
    return value


def _first_balanced(text: str) -> tuple[bool, Any, bool]:
    """(found, value, truncated): the first ``{…}`` or ``[…]`` span that parses as JSON.

    ``truncated`` is True when some opening bracket was never closed before the text ended.
    """
    start = _next_opener(text, 0)
    tried = 0
    while start != -1 and tried < _MAX_CANDIDATES:
        tried += 1
        end = _matching_close(text, start)
        if end is None:
            # Everything after an unclosed bracket is inside it: an inner object found there
            # would be a fragment passed off as the answer. Only JSON's way of starting makes
            # it a value cut off; prose's stray bracket is no JSON at all.
            starts = _OBJECT_START if text[start] == "{" else _ARRAY_START
            return False, None, bool(starts.match(text, start + 1))
        if end >= 0:
            found, value = _loads(text[start : end + 1])
            if found:
                return True, value, False
            # A balanced span that is not JSON (``{the}`` in prose, a trailing comma): its
            # insides are fragments too, so the search goes on after it.
            start = _next_opener(text, end + 1)
        else:
            start = _next_opener(text, start + 1)
    return False, None, False


def _next_opener(text: str, start: int) -> int:
    positions = [p for p in (text.find("{", start), text.find("[", start)) if p != -1]
    return min(positions) if positions else -1


def _matching_close(text: str, start: int) -> int | None:
    """Index of the bracket closing the one at ``start``; None if the text ends first, -1 if a
    bracket of the wrong kind closes it (prose such as ``[see {note]``).
    """
    stack: list[str] = []
    in_string = False
    escaped = False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in _OPENERS:
            stack.append(_OPENERS[char])
        elif char in ("}", "]"):
            if not stack or stack.pop() != char:
                return -1
            if not stack:
                return index
    return None
