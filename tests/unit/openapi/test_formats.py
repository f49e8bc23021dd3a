"""``format`` and ``pattern`` against the official JSON Schema test suite (a vendored subset:
tests/fixtures/json-schema-test-suite/README.md), through the validators an OpenAPI 3.1
document's requests get."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mockmind.domain.ecma_regex import compile_ecma, is_ecma_regex, translate
from mockmind.openapi import OpenAPIDocument
from mockmind.openapi.formats import FORMAT_CHECKER

from .conftest import SPECS

SUITE = Path(__file__).resolve().parents[2] / "fixtures" / "json-schema-test-suite"
OPTIONAL = SUITE / "draft2020-12" / "optional"


def _cases(*files: Path) -> list[Any]:
    found = []
    for file in files:
        for group in json.loads(file.read_text(encoding="utf-8")):
            for test in group["tests"]:
                name = f"{file.stem}: {group['description']}: {test['description']}"
                found.append(pytest.param(group["schema"], test["data"], test["valid"], id=name))
    return found


FORMAT_CASES = _cases(*sorted((OPTIONAL / "format").glob("*.json")))
REGEX_CASES = _cases(OPTIONAL / "ecmascript-regex.json")


@pytest.fixture(scope="module")
def doc() -> OpenAPIDocument:
    return OpenAPIDocument.load(SPECS / "things-3.1.yaml")


def test_the_suite_is_there() -> None:
    assert len(FORMAT_CASES) >= 700
    assert len(REGEX_CASES) >= 70


@pytest.mark.parametrize(("schema", "data", "valid"), FORMAT_CASES)
def test_format_cases_of_the_suite(
    doc: OpenAPIDocument, schema: Any, data: Any, valid: bool
) -> None:
    assert doc.validator(schema, context="request").is_valid(data) is valid


def _unicode_property(schema: Any) -> bool:
    return "\\p{" in json.dumps(schema).replace("\\\\", "\\")


@pytest.mark.parametrize(("schema", "data", "valid"), REGEX_CASES)
def test_ecma_regex_cases_of_the_suite(
    doc: OpenAPIDocument, schema: Any, data: Any, valid: bool
) -> None:
    accepted = doc.validator(schema, context="request").is_valid(data)
    if _unicode_property(schema):
        # ``\p{…}`` is beyond Python's ``re``: such a pattern constrains nothing (accepted
        # rather than refused on a guess), and never raises.
        assert accepted is True
    else:
        assert accepted is valid


@pytest.mark.parametrize(
    ("pattern", "python"),
    [
        (r"^\d+$", r"^[0-9]+\Z"),
        (r"[\w.]", r"[A-Za-z0-9_.]"),
        (r"(?<year>\d{4})-\k<year>", r"(?P<year>[0-9]{4})-(?P=year)"),
        (r"a[]b", r"a(?!)b"),
        (r"[^]", r"[\s\S]"),
        (r"\cJ", r"\x0a"),
        (r"\u{1F600}", r"\U0001f600"),
        (r"(?<=a)b(?<!c)", r"(?<=a)b(?<!c)"),
    ],
)
def test_translation(pattern: str, python: str) -> None:
    assert translate(pattern) == python


def test_ecma_white_space_and_digits() -> None:
    space = compile_ecma(r"^\s$")
    digit = compile_ecma(r"^\d$")
    end = compile_ecma(r"^a$")
    assert space is not None
    assert digit is not None
    assert end is not None
    assert [bool(space.match(c)) for c in ("\x1d", "\x85", "\ufeff", "\u3000", "\t")] == [
        False,
        False,
        True,
        True,
        True,
    ]
    assert [bool(digit.match(c)) for c in ("7", "\u0967")] == [True, False]
    assert end.search("a\n") is None  # ECMA's $ is the end of the input


def test_patterns_python_cannot_run() -> None:
    assert compile_ecma(r"\p{Letter}") is None
    assert compile_ecma(r"(?<=a+)b") is None
    # Valid ECMA-262 although Python refuses to run it; Python-only syntax is not ECMA-262.
    assert is_ecma_regex(r"(?<=a+)b") is True
    assert is_ecma_regex(r"(?P<n>a)") is False


def test_unknown_formats_and_other_types_pass() -> None:
    assert FORMAT_CHECKER.conforms("anything", "made-up")
    assert FORMAT_CHECKER.conforms(12, "date")
    assert FORMAT_CHECKER.conforms("aGVsbG8=", "byte")
    assert not FORMAT_CHECKER.conforms("not base64!", "byte")
    assert not FORMAT_CHECKER.conforms(2**31, "int32")


def test_a_json_pointer_is_a_format_of_3_1_documents_and_unknown_to_3_0_ones() -> None:
    pointer = {"type": "string", "format": "json-pointer"}
    relative = {"type": "string", "format": "relative-json-pointer"}
    # OpenAPI 3.0's dialect (JSON Schema draft 5) has no JSON pointers: draft 6 added them.
    older = OpenAPIDocument.load(SPECS / "petstore-3.0.yaml")
    assert older.validator(pointer, context="request").is_valid("#/a~1b")
    assert older.validator(relative, context="request").is_valid("#/a")
    # Its own formats are still checked.
    assert not older.validator({"type": "string", "format": "date"}).is_valid("1996-13-19")
    newer = OpenAPIDocument.load(SPECS / "things-3.1.yaml")
    assert not newer.validator(pointer, context="request").is_valid("#/a~1b")
    assert newer.validator(pointer, context="request").is_valid("/a~1b")
