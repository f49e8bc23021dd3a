"""parse_bytes (orjson from the bytes) answers exactly what decoding and parse_text answer."""

from __future__ import annotations

import codecs
import math
from pathlib import Path
from typing import Any

import pytest

from mockmind.domain.errors import ConfigError
from mockmind.openapi.loading import decode_text, parse_bytes, parse_text
from mockmind.openapi.pointers import child_uri, escape_pointer_segment

CASES = [
    ("a.json", b'{"openapi": "3.0.3", "n": [1, 2.5, -3, true, null, "\\u00e9\\n"]}'),
    ("a.json", '{"title": "caf\u00e9 \u2603"}'.encode()),
    ("a.json", codecs.BOM_UTF8 + b'{"bom": 1}'),
    ("a.json", b'{"a": 1, "a": 2}'),
    # Beyond orjson's integers: json keeps them exact.
    ("a.json", b'{"big": 123456789012345678901234, "low": -9223372036854775809}'),
    ("a.json", b'{"edge": 18446744073709551615, "min": -9223372036854775808}'),
    ("a.json", b'{"nan": NaN, "inf": Infinity}'),
    ("a.json", b'{"huge": 1e400}'),
    ("a.json", b'["\\ud800"]'),
    ("a.yaml", b'  {"flow": "json"}'),
    ("a.yaml", b"{flow: yaml}"),
    ("a.yaml", b"12"),
    ("a.yaml", b"x: yes\ny: 2024-01-01\n"),
    ("doc", b'\n\t{"sniffed": [1]}'),
    ("doc", b"[1, 2]"),
    ("doc", b"plain: yaml"),
]


def same(left: Any, right: Any) -> bool:
    """Equal, with types (1 is not 1.0) and NaN equal to NaN."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, float) and math.isnan(left):
        return math.isnan(right)
    return bool(left == right)


@pytest.mark.parametrize(("name", "data"), CASES)
def test_parse_bytes_answers_what_the_text_parser_answers(name: str, data: bytes) -> None:
    path = Path(name)
    expected = parse_text(decode_text(data, path), path)
    assert same(parse_bytes(data, path), expected)


def test_long_integers_stay_exact() -> None:
    parsed = parse_bytes(b'{"big": 123456789012345678901234}', Path("a.json"))
    assert parsed == {"big": 123456789012345678901234}
    assert type(parsed["big"]) is int


def test_a_long_integer_across_a_scan_chunk_boundary_stays_exact() -> None:
    padding = " " * ((1 << 20) - 15)
    data = f'{{"a":{padding}123456789012345678901234}}'.encode()
    assert parse_bytes(data, Path("a.json")) == {"a": 123456789012345678901234}


@pytest.mark.parametrize(
    ("name", "data", "message", "line"),
    [
        ("a.json", b'{\n  "a": 1,\n}', "invalid JSON: Expecting property name", 3),
        ("a.json", b'{"a": "\xff"}', "the file is not UTF-8 text", 1),
        ("doc", b"[1,\n2", "invalid JSON: Expecting", 2),
    ],
)
def test_errors_are_the_text_parsers(name: str, data: bytes, message: str, line: int) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_bytes(data, Path(name))
    (issue,) = exc.value.issues
    assert issue.message.startswith(message)
    assert issue.line == line


def test_child_uri_escapes_every_key() -> None:
    base = "file:///api.json"
    assert child_uri(base, "paths", "/a/{b}~c", 200) == base + "#/paths/~1a~1{b}~0c/200"
    assert child_uri(base + "#/x", "50%#") == base + "#/x/50%25%23"
    assert child_uri(base + "#/x") == base + "#/x"
    assert escape_pointer_segment("~/") == "~0~1"
