"""ECMA-262 regular expressions (what JSON Schema's ``pattern`` means) run by Python's ``re``.

The two dialects share most syntax but not every meaning. Translated here:

* ``\\d``, ``\\w`` (and ``\\D``, ``\\W``, ``\\b``) are ASCII in ECMA-262 and Unicode in Python;
  ``\\s`` is ECMA's own list of white space and line terminators (Python's adds U+001C-U+001F
  and U+0085, and lacks U+FEFF): all three become explicit classes;
* ``$`` is the end of the input (Python's also matches before a final newline);
* ``(?<name>…)`` and ``\\k<name>`` are Python's ``(?P<name>…)`` and ``(?P=name)``;
* ``[]`` matches nothing and ``[^]`` any character; ``\\cX`` is a control character;
  ``\\u{…}`` a code point.

A pattern ``re`` still cannot compile (a variable-width look-behind) is ``None``: the caller
decides what an unreadable pattern means (the request checks accept).
"""

from __future__ import annotations

import re
from functools import lru_cache

# ECMA-262 WhiteSpace and LineTerminator code points.
_SPACE = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_DIGIT = "0-9"
_WORD = "A-Za-z0-9_"
_CLASSES = {"d": _DIGIT, "w": _WORD, "s": _SPACE}
_CACHE_SIZE = 1024


@lru_cache(maxsize=_CACHE_SIZE)
def compile_ecma(pattern: str) -> re.Pattern[str] | None:
    """``pattern`` read as ECMA-262 (without flags), or None when Python cannot run it."""
    try:
        return re.compile(translate(pattern))
    except (re.error, ValueError, OverflowError, RecursionError):
        return None


# Python syntax ECMA-262 does not have: ``(?P<n>``, ``(?P=n)``, ``(?#…)``, inline flags; and
# escapes of letters ECMA-262 gives no meaning (``\a``).
_ECMA_LETTER_ESCAPES = frozenset("dDwWsSbBfnrtvcxukpP")


def _python_only(pattern: str) -> bool:
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            letter = pattern[i + 1]
            if letter.isascii() and letter.isalpha() and letter not in _ECMA_LETTER_ESCAPES:
                return True
            i += 2
            continue
        if pattern.startswith("(?", i) and pattern[i + 2 : i + 3] not in (":", "=", "!", "<"):
            return True
        i += 1
    return False


def is_ecma_regex(pattern: str) -> bool:
    """Whether ``pattern`` is an ECMA-262 regular expression (``format: regex``)."""
    if _python_only(pattern):
        return False
    try:
        re.compile(translate(pattern))
    except re.error as exc:
        # ECMA-262 allows look-behinds of any width; Python's ``re`` refuses to run them,
        # which says nothing about the pattern's validity.
        return "look-behind requires fixed-width pattern" in str(exc)
    except (ValueError, OverflowError, RecursionError):
        return False
    return True


def translate(pattern: str) -> str:
    """The Python pattern that means what ``pattern`` means in ECMA-262."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\" and i + 1 < n:
            text, i = _escape(pattern, i, in_class=False)
            out.append(text)
        elif char == "[":
            text, i = _class(pattern, i)
            out.append(text)
        elif char == "$":
            out.append(r"\Z")
            i += 1
        elif pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _escape(pattern: str, i: int, *, in_class: bool) -> tuple[str, int]:
    """The translation of the escape at ``pattern[i]`` (a backslash), and where it ends."""
    letter = pattern[i + 1]
    lower = letter.lower()
    if lower in _CLASSES:
        ranges = _CLASSES[lower]
        if in_class:
            # A negated class inside a class has no range form; Python's meaning is kept.
            return (ranges if letter.islower() else "\\" + letter), i + 2
        return (f"[{ranges}]" if letter.islower() else f"[^{ranges}]"), i + 2
    if letter in "bB" and not in_class:
        word = f"[{_WORD}]"
        if letter == "b":
            return f"(?:(?<!{word})(?={word})|(?<={word})(?!{word}))", i + 2
        return f"(?:(?<={word})(?={word})|(?<!{word})(?!{word}))", i + 2
    if letter == "c" and pattern[i + 2 : i + 3].isascii() and pattern[i + 2 : i + 3].isalpha():
        return f"\\x{ord(pattern[i + 2]) % 32:02x}", i + 3
    if letter == "k" and pattern[i + 2 : i + 3] == "<":
        end = pattern.find(">", i + 3)
        if end > 0:
            return f"(?P={pattern[i + 3 : end]})", end + 1
    if letter == "u" and pattern[i + 2 : i + 3] == "{":
        end = pattern.find("}", i + 3)
        if end > 0:
            return f"\\U{int(pattern[i + 3 : end], 16):08x}", end + 1
    if letter == "/":
        return "/", i + 2
    return pattern[i : i + 2], i + 2


def _class(pattern: str, i: int) -> tuple[str, int]:
    """A character class from ``pattern[i]`` (``[``) to its ``]``, translated."""
    if pattern.startswith("[]", i):
        return "(?!)", i + 2
    if pattern.startswith("[^]", i):
        return r"[\s\S]", i + 3
    out = ["["]
    j = i + 1
    if pattern[j : j + 1] == "^":
        out.append("^")
        j += 1
    while j < len(pattern):
        char = pattern[j]
        if char == "]":
            out.append("]")
            return "".join(out), j + 1
        if char == "\\" and j + 1 < len(pattern):
            text, j = _escape(pattern, j, in_class=True)
            out.append(text)
        elif char == "[":
            # A literal "[" in ECMA-262; Python warns of nested sets.
            out.append("\\[")
            j += 1
        else:
            out.append(char)
            j += 1
    # No closing bracket: left for ``re`` to refuse.
    return "".join(out), j
