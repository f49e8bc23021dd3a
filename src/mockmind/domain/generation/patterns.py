"""Regular expressions (``pattern``, ``patternProperties``): checking text against them, and
producing text that matches them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from random import Random
from typing import Final, cast

from rstr.xeger import Xeger

from mockmind.domain.generation.draws import Rng

_PATTERN_ATTEMPTS: Final = 16
_REPEAT_SPAN: Final = 6


class _ShortXeger(Xeger):
    """rstr lets ``*`` and ``+`` repeat up to 100 times; short strings read better."""

    def __init__(self, rng: Rng, span: int) -> None:
        # rstr draws with choice, randint and shuffle, which a Rng has as Random has them.
        super().__init__(cast(Random, rng))
        self._span = span

    def _handle_repeat(self, start_range: int, end_range: int, value: str) -> str:
        return super()._handle_repeat(start_range, min(end_range, start_range + self._span), value)


def matching_text(
    rng: Rng,
    patterns: Sequence[str],
    low: int,
    accept: Callable[[str], bool],
    prefixes: Sequence[str] = (),
) -> str | None:
    """Text of at least ``low`` characters, from the patterns in turn, that ``accept`` takes;
    None when a pattern cannot be read or nothing produced is accepted. A match may follow
    one of ``prefixes`` (values of the field's format): a pattern not anchored at its start
    still matches, and the format may only accept it so (``format: uri`` with the pattern
    ``magnet:\\?xt=...``: ``https://host/path/magnet:?xt=...``)."""
    xeger = _ShortXeger(rng, max(_REPEAT_SPAN, low))
    for attempt in range(_PATTERN_ATTEMPTS):
        pattern = patterns[attempt % len(patterns)]
        try:
            text = xeger.xeger(pattern)
        except (re.error, KeyError, IndexError, ValueError, TypeError, OverflowError):
            return None
        candidates = [text]
        if len(text) < low:
            # Patterns match anywhere unless anchored, so padding can keep the match.
            pad = "x" * (low - len(text))
            candidates += [text + pad, pad + text]
        candidates += [prefix + text for prefix in prefixes]
        for candidate in candidates:
            if accept(candidate):
                return candidate
    return None


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except (re.error, OverflowError, RecursionError):
        return None


def search(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern`` anywhere, as JSON Schema's ``pattern`` asks."""
    compiled = _compiled(pattern)
    # A pattern Python cannot read (ECMA-only syntax) cannot be checked either; do not block.
    return compiled is None or compiled.search(text) is not None
