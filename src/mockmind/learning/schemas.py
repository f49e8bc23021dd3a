"""JSON Schemas merged from samples.

genson merges the samples: types (``integer`` widening to ``number``), ``required`` for the
keys present in every sample, ``null`` among a field's types when a sample held null. This
module adds what genson leaves out, from the values seen at each place of the schema:
``format`` when every value of a string is one (date-time, date, email, uuid, uri), and
``enum`` for a string of few, word-like values seen often enough to say they are few. A
place where a value was masked (``***``) gets neither: its values are not known.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from genson import SchemaBuilder

from mockmind.lean_dataclass import dataclass
from mockmind.learning.exchanges import is_masked

# An enum needs this many samples, at most ENUM_MAX distinct values, each seen twice on
# average: a status seen 12 times with 3 values is an enum; 3 names seen once each are not.
ENUM_MIN_SAMPLES = 4
ENUM_MAX = 8
_ENUM_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,31}")
_NUMBERED = re.compile(r"\d")

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "date-time",
        re.compile(
            r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)",
        ),
    ),
    ("date", re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")),
    ("email", re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")),
    (
        "uuid",
        re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
    ),
    ("uri", re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s]+")),
)

Location = tuple[str, ...]


@dataclass(frozen=True)
class StringFacts:
    """What the values of one string place say: its format, its enum (either may be None)."""

    format: str | None
    enum: tuple[str, ...] | None


def infer_schema(samples: Sequence[Any]) -> dict[str, Any]:
    """A schema every sample is valid against (an empty one for no samples)."""
    if not samples:
        return {}
    builder = SchemaBuilder(schema_uri=None)
    for sample in samples:
        builder.add_object(sample)
    schema: dict[str, Any] = builder.to_schema()
    strings: dict[Location, list[str]] = {}
    for sample in samples:
        _collect(sample, (), strings)
    _annotate(schema, (), strings)
    return schema


def string_facts(values: Sequence[str]) -> StringFacts:
    if not values or any(is_masked(v) for v in values):
        return StringFacts(None, None)
    found = next(
        (name for name, pattern in FORMATS if all(pattern.fullmatch(v) for v in values)), None
    )
    if found is not None:
        return StringFacts(found, None)
    distinct = sorted(set(values))
    if (
        len(values) >= ENUM_MIN_SAMPLES
        and len(distinct) <= ENUM_MAX
        and len(distinct) * 2 <= len(values)
        and all(_ENUM_WORD.fullmatch(v) and not _NUMBERED.search(v) for v in distinct)
    ):
        return StringFacts(None, tuple(distinct))
    return StringFacts(None, None)


def enum_like(values: Iterable[Any]) -> bool:
    """Whether these values could be the states of an enum-like field."""
    strings = list(values)
    return bool(strings) and all(
        isinstance(v, str) and _ENUM_WORD.fullmatch(v) and not _NUMBERED.search(v) for v in strings
    )


def _collect(value: Any, location: Location, strings: dict[Location, list[str]]) -> None:
    if isinstance(value, str):
        strings.setdefault(location, []).append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect(item, (*location, "properties", str(key)), strings)
    elif isinstance(value, list):
        for item in value:
            _collect(item, (*location, "items"), strings)


def _annotate(schema: Any, location: Location, strings: dict[Location, list[str]]) -> None:
    if not isinstance(schema, dict):
        return
    for branch in schema.get("anyOf", ()):
        _annotate(branch, location, strings)
    for key, sub in schema.get("properties", {}).items():
        _annotate(sub, (*location, "properties", key), strings)
    if isinstance(schema.get("items"), dict):
        _annotate(schema["items"], (*location, "items"), strings)
    kinds = schema.get("type")
    if kinds == "string" or (isinstance(kinds, list) and "string" in kinds):
        facts = string_facts(strings.get(location, []))
        if facts.format:
            schema["format"] = facts.format
        if facts.enum:
            # null, when the field also held it, stays allowed: an enum lists every value.
            nullable = isinstance(kinds, list) and "null" in kinds
            schema["enum"] = [*facts.enum, *([None] if nullable else [])]
