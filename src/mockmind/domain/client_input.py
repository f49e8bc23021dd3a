"""Reading what a client sent within limits that keep the server up: every decoder of a
client's bytes (bodies, form and multipart parts, JSON parameters, numeric parameters, the
history's and the cache key's reading of a body) goes through here, so each refuses the same
inputs the same way: ``UnreadableInput``, a 400 whose detail names the part and the limit.

- JSON nested deeper than ``server.max_json_depth`` levels (64 unless configured), and
  ``deepObject`` query parameters (``filter[a][b]=1``) nested as deep. What
  reads a body afterwards (the decoder, schema validation, copies, merges, redaction,
  encoding) recurses once or more per level; a 100,000-deep body ran Python out of stack.
  The depth is measured on the text, without recursion, before anything decodes it.
- Numbers too long to convert: integers with more digits than ``int()`` reads
  (``sys.get_int_max_str_digits()``, 4300 unless the process changed it; the limit is there
  because converting longer ones takes quadratic time), and JSON numbers too large for a
  double (``1e400``), which the decoder would read as infinity and an answer write as null.
- Text that is not valid Unicode: a JSON ``\\ud800`` escape decodes to a lone surrogate, which
  UTF-8 cannot encode, and every store, digest, seed and answer encodes text as UTF-8.
  Charsets that are Python codecs rather than character sets (``unicode_escape``, whose
  output can hold surrogates, and ``punycode``, which decodes in quadratic time) are unknown.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import sys
from itertools import accumulate
from typing import Any

from mockmind.domain.errors import RequestMismatch, UnreadableInput
from mockmind.lean_dataclass import dataclass

DEFAULT_MAX_JSON_DEPTH = 64
# The most ``server.max_json_depth`` may be. Schema validation recurses three to six frames
# per level of a body, and Python stops at 1000: through a recursive schema with allOf and
# oneOf at each level, bodies failed between 150 and 200 levels deep (a plain recursive one
# between 300 and 350), with the whole request flow on the stack.
MAX_JSON_DEPTH_CEILING = 100

_CONFIG_KEY = "server.max_json_depth"
_PARTS = {
    "query": "query parameter",
    "path": "path parameter",
    "header": "header",
    "cookie": "cookie",
}
# Every byte but brackets and quotes; braces read as square brackets (a depth is a depth);
# what each bracket adds to the depth.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_SQUARE = bytes.maketrans(b"{}", b"[]")
_DEPTH_STEP = [1 if b == ord("[") else -1 if b == ord("]") else 0 for b in range(256)]
_SURROGATE = re.compile("[\ud800-\udfff]")
# A \u escape of a surrogate (D800-DFFF); a lone one is what the decoder cannot pair.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# Text codecs of Python's that no client labels a body with, and that must not decode one.
_NOT_CHARSETS = frozenset({"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined"})


@dataclass(frozen=True)
class InputLimits:
    """The configurable limits (``server:`` in the config); the number limits are Python's."""

    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH


DEFAULT_LIMITS = InputLimits()


class UnreadableNumber(RequestMismatch):
    """A number's text that cannot be read as one; whoever knows where it was names the part
    (``at``) and answers the client."""

    def __init__(self, problem: str, keyword: str) -> None:
        self.problem = problem
        self.keyword = keyword
        super().__init__(problem)

    def at(self, location: str) -> UnreadableInput:
        return _unreadable(location, self.problem, self.keyword)


def part_name(location: str) -> str:
    """``body`` -> ``request body``, ``body.meta`` -> ``request body field meta``,
    ``query.limit`` -> ``query parameter limit``, ``path`` -> ``request path``."""
    kind, _, rest = location.partition(".")
    if kind == "body":
        return f"request body field {rest}" if rest else "request body"
    if not rest:
        return f"request {kind}"
    return f"{_PARTS.get(kind, kind)} {rest}".strip()


def read_int(text: str) -> int:
    """``int(text)``, or ``UnreadableNumber`` when it has more digits than Python converts."""
    try:
        return int(text)
    except ValueError:
        limit = sys.get_int_max_str_digits()
        digits = sum(c.isdecimal() for c in text)
        if not limit or digits <= limit:
            raise
        raise UnreadableNumber(
            f"has {digits} digits; numbers of at most {limit} digits can be read", "max_digits"
        ) from None


def read_float(text: str) -> float:
    """``float(text)``, or ``UnreadableNumber`` when it is too large for a double."""
    value = float(text)
    if math.isinf(value):
        raise UnreadableNumber(
            f"holds a number too large to represent ({_excerpt(text)})", "max_number"
        )
    return value


def text_codec(charset: str) -> str:
    """The codec for a client's charset; ``LookupError`` when Python has none, or only one
    that is no character set."""
    name = codecs.lookup(charset).name
    if name in _NOT_CHARSETS:
        raise LookupError(f"{charset} is not a character set")
    return name


def read_text(data: bytes, charset: str, location: str) -> str:
    """``data`` decoded with the client's charset; raises ``LookupError`` for a charset that
    is unknown, ``ValueError`` for bytes it cannot decode, ``UnreadableInput`` for text that
    decodes to a lone surrogate."""
    text = data.decode(text_codec(charset))
    if not text.isascii():
        found = _SURROGATE.search(text)
        if found is not None:
            raise _not_unicode(location, location, found.group())
    return text


def require_unicode(value: Any, location: str) -> None:
    """``UnreadableInput`` when a key or string in ``value`` holds a lone surrogate."""
    found = lone_surrogate(value, location)
    if found is not None:
        raise _not_unicode(location, *found)


def read_json(text: str | bytes, limits: InputLimits, location: str = "body") -> Any:
    """A client's JSON value: ``UnreadableInput`` when it breaks a limit, ``ValueError`` when
    it is not JSON (``NaN`` and ``Infinity`` are not). Bytes are read as ``json.loads``
    reads them (UTF-8, -16 or -32 by the first bytes), but strictly: encoded surrogates are
    not JSON text either."""
    if isinstance(text, bytes):
        text = text.decode(json.detect_encoding(text))
    if deeper_than(text, limits.max_json_depth):
        raise nested_too_deep(location, limits.max_json_depth)
    try:
        value = _DECODER.decode(text)
    except UnreadableNumber as exc:
        raise exc.at(location) from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        # int() refusing a literal longer than it converts, or NaN or Infinity refused.
        too_long = _long_integer(text, location)
        if too_long is None:
            raise
        raise too_long from exc
    if _SURROGATE_ESCAPE.search(text) or (not text.isascii() and _SURROGATE.search(text)):
        require_unicode(value, location)
    return value


def nested_too_deep(location: str, limit: int) -> UnreadableInput:
    """The answer to a part nesting deeper than ``limit``: JSON, or a ``deepObject`` query."""
    return _unreadable(
        location, f"nests deeper than {limit} levels ({_CONFIG_KEY})", "max_json_depth"
    )


def deeper_than(text: str, limit: int) -> bool:
    """Whether the JSON text nests more than ``limit`` arrays and objects inside each other.

    Brackets in strings do not count. Only bytes methods, no loop over characters: escaped
    backslashes and quotes are dropped, so every quote left delimits a string; then all but
    brackets and quotes, with braces read as square brackets; then what lies between quotes.
    Each ``[]`` removal then strips one level. A 790 KB body of 10,000 objects takes a fifth
    of ``json.loads``' time, and a 100,000-deep one is refused in about a millisecond (a
    running count of its brackets took 25). Text that is not JSON may count as too deep where
    the decoder would have refused it as not JSON: it is refused either way.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    data = text.encode("utf-8", "surrogatepass")
    # ``find``, not ``in``: ``bytes in bytes`` first tries its operand as an integer, and
    # builds and drops a TypeError each time (four times the cost of the search here).
    if data.find(b"\\") != -1:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = data.translate(_SQUARE, _NOT_STRUCTURE).replace(b'""', b"")
    if brackets.find(b'"') != -1:
        brackets = b"".join(brackets.split(b'"')[0::2])
    rest = brackets
    for removed in range(limit + 1):
        # A run of openers as deep as the levels not yet removed: the usual hostile body opens
        # them all in a row, and one with a sibling at every level does after a pass or two.
        if rest.find(b"[" * (limit + 1 - removed)) != -1:
            return True
        rest = rest.replace(b"[]", b"")
        if not rest:
            return False
        if rest.find(b"[]") == -1:
            break
    # Unbalanced, so not JSON: the decoder goes as deep as the running count before failing.
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > limit


def lone_surrogate(value: Any, location: str) -> tuple[str, str] | None:
    """Where in a JSON value a key or string holds a lone surrogate, and the surrogate.

    A walk with its own stack: it also reads values no depth check has bounded.
    """
    stack: list[tuple[Any, str]] = [(value, location)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            found = _SURROGATE.search(node)
            if found is not None:
                return where, found.group()
        elif isinstance(node, dict):
            children: list[tuple[Any, str]] = []
            for key, item in node.items():
                child = f"{where}.{key}"
                key_found = _SURROGATE.search(key) if isinstance(key, str) else None
                if key_found is not None:
                    return child, key_found.group()
                children.append((item, child))
            stack.extend(reversed(children))
        elif isinstance(node, list):
            stack.extend((node[i], f"{where}[{i}]") for i in range(len(node) - 1, -1, -1))
    return None


def _finite_float(text: str) -> float:
    return read_float(text)


def _refuse_constant(constant: str) -> Any:
    # The standard library reads NaN and Infinity; JSON has neither.
    raise ValueError(f"{constant} is not JSON")


# Built once: json.loads with options builds a decoder per call. Integers keep the C parser;
# one too long raises a ValueError that ``_long_integer`` recognises.
_DECODER = json.JSONDecoder(parse_float=_finite_float, parse_constant=_refuse_constant)


def _long_integer(text: str, location: str) -> UnreadableInput | None:
    """The error for a failed decode caused by an integer longer than Python converts."""
    limit = sys.get_int_max_str_digits()
    if not limit:
        return None
    longest = max((len(run) for run in re.findall(rf"\d{{{limit + 1},}}", text)), default=0)
    if not longest:
        return None
    return _unreadable(
        location,
        f"holds a number of {longest} digits; numbers of at most {limit} digits can be read",
        "max_digits",
    )


def _unreadable(location: str, problem: str, keyword: str) -> UnreadableInput:
    return UnreadableInput(location, f"{part_name(location)} {problem}", problem, keyword)


def _not_unicode(location: str, where: str, surrogate: str) -> UnreadableInput:
    """``location`` is the part read, ``where`` the string in it that holds ``surrogate``."""
    escape = f"\\u{ord(surrogate):04x}"
    return UnreadableInput(
        where,
        f"{part_name(location)} is not valid Unicode: {where} holds the lone surrogate {escape}",
        f"holds the lone surrogate {escape}, which is not valid Unicode",
        "unicode",
    )


def _excerpt(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
