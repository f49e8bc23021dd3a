"""Schemas whose generated values are valid by construction, so that a caller may skip
checking them (``OfflineGenerator.generate_vouched``).

A response body generated for a schema was checked against it on every offline answer, only
to log the generator's mistakes: 30k instructions of a 530k answer (bench row 4). For the
schemas accepted here every part of the value comes from a path that satisfies its keywords
as any validator of either OpenAPI dialect reads them, except a number no draw fitted, which
the walk reports (``GenerationContext.unchecked``); anything else is checked as before.

Accepted: ``type`` (one of object, array, integer, number, string, boolean) with only the
keywords below, ``$ref`` (no cycle) with annotations beside it, and annotations anywhere.

* object: ``properties``, ``required`` (declared properties only), ``additionalProperties``
  ``true`` or ``false``. Responses carry every declared property, none made up.
* array: ``items``, ``minItems``, ``maxItems``.
* integer: ``minimum``, ``maximum``, ``multipleOf``, ``format`` int32/int64. Values are ints,
  on a step that is a multiple of ``multipleOf``, inside the bounds (the format's too).
* number: ``minimum``, ``maximum``, ``multipleOf``, ``format`` float/double (which constrain
  nothing). A drawn value is the float nearest k * step, checked against the bounds exactly
  and against ``multipleOf`` by float division; the response validator divides decimals
  (``Decimal(str(value))``). Those agree when the value's decimal has at most 15 significant
  digits (its ``str`` is then that decimal exactly): bounds and ``multipleOf`` are limited
  here so that every value a plan can draw has (``_digits_fit``).
* string, boolean: nothing more (any text, any boolean).
* string, boolean, integer and number without ``multipleOf``: ``enum``, ``example``,
  ``examples`` and ``default`` whose values are all of the schema's type as Python holds it
  (an int for an integer, not 3.0 nor True). The generator takes a member or an example only
  when its own check accepts it, which for those keywords and values reads them as the
  validators do (with ``multipleOf`` it divides floats, they divide decimals); an enum none
  of whose members fits is reported (``unchecked``).

Left out, for now: ``const``, ``nullable`` and type lists, ``readOnly`` and ``writeOnly``
(properties left out), exclusive bounds, string keywords and formats, choices, ``allOf``,
``not``, examples of objects and arrays, and every keyword not named here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Final

from mockmind.domain.generation.flattening import RefResolver
from mockmind.domain.generation.schemas import Schema
from mockmind.domain.generation.vocabulary import NUMERIC_HINTS

_ANNOTATIONS: Final = frozenset(
    {"description", "title", "deprecated", "$comment", "externalDocs", "xml", "summary"}
)
_VALUES: Final = frozenset({"enum", "example", "examples", "default"})
_KEYWORDS: Final[Mapping[str, frozenset[str]]] = {
    "object": frozenset({"properties", "required", "additionalProperties"}),
    "array": frozenset({"items", "minItems", "maxItems"}),
    "integer": frozenset({"minimum", "maximum", "multipleOf", "format"} | _VALUES),
    "number": frozenset({"minimum", "maximum", "multipleOf", "format"} | _VALUES),
    "string": _VALUES,
    "boolean": _VALUES,
}
# The types a value of enum, examples or default must have, exactly (bool is no int here).
_EXACT_TYPES: Final[Mapping[str, tuple[type, ...]]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
}
_FORMATS: Final[Mapping[str, frozenset[str]]] = {
    "integer": frozenset({"int32", "int64"}),
    "number": frozenset({"float", "double"}),
}
# Objects and arrays nested deeper than this are not vouched for: past max_depth + 24 the
# generator gives up (None), and max_depth may be 0.
_MAX_NESTING: Final = 16
# A chain of $refs followed, at most (the generator follows up to MAX_REF_HOPS).
_MAX_REF_HOPS: Final = 8
# Bounds a vouched number may have, and the largest magnitude any window of its plan reaches
# beyond them (the widest preferred range of a field hint, plus the span a window may take
# past a bound).
_MAX_BOUND: Final = 10**12
_REACH: Final = 2 * max(high for _, high, _ in NUMERIC_HINTS.values()) + 10**4
_EXACT_DIGITS: Final = 10**15


def vouched(schema: Schema, resolve: RefResolver) -> bool:
    """Whether every value generated for ``schema`` in responses is valid by construction,
    unless the walk reports a fallback (``GenerationContext.unchecked``)."""
    try:
        return _accepted(schema, resolve, 0, ())
    except Exception:  # a resolver's failure, a hostile schema: not vouched for
        return False


def _accepted(schema: Schema, resolve: RefResolver, nesting: int, refs: tuple[str, ...]) -> bool:
    if not isinstance(schema, Mapping) or nesting > _MAX_NESTING:
        return False
    ref = schema.get("$ref")
    if ref is not None:
        if not isinstance(ref, str) or ref in refs or len(refs) >= _MAX_REF_HOPS:
            return False
        if any(key != "$ref" and not _annotation(key) for key in schema):
            return False
        return _accepted(resolve(ref), resolve, nesting, (*refs, ref))
    kind = schema.get("type")
    if not isinstance(kind, str) or kind not in _KEYWORDS:
        return False
    allowed = _KEYWORDS[kind]
    for key in schema:
        if key != "type" and key not in allowed and not _annotation(key):
            return False
    fmt = schema.get("format")
    if fmt is not None and fmt not in _FORMATS.get(kind, ()):
        return False
    if not _values_accepted(schema, kind):
        return False
    if kind == "object":
        return _object_accepted(schema, resolve, nesting, refs)
    if kind == "array":
        return _array_accepted(schema, resolve, nesting, refs)
    if kind in ("integer", "number"):
        return _number_accepted(schema, integer=kind == "integer")
    return True


def _values_accepted(schema: Mapping[str, Any], kind: str) -> bool:
    """Whether the enum, examples and default given (if any) are all of ``kind`` as Python
    holds it, and ``multipleOf`` does not come with them."""
    values: list[Any] = []
    enum = schema.get("enum")
    if enum is not None:
        if not isinstance(enum, list) or not enum:
            return False
        values += enum
    examples = schema.get("examples")
    if isinstance(examples, list):
        values += examples
    values += [schema[key] for key in ("example", "default") if key in schema]
    if not values:
        return True
    exact = _EXACT_TYPES.get(kind)
    return (
        exact is not None
        and "multipleOf" not in schema
        and all(type(value) in exact and _finite_or_other(value) for value in values)
    )


def _finite_or_other(value: Any) -> bool:
    return type(value) is not float or math.isfinite(value)


def _annotation(key: Any) -> bool:
    return isinstance(key, str) and (key in _ANNOTATIONS or key.startswith("x-"))


def _object_accepted(
    schema: Mapping[str, Any], resolve: RefResolver, nesting: int, refs: tuple[str, ...]
) -> bool:
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    if not isinstance(properties, Mapping) or not isinstance(required, list):
        return False
    if schema.get("additionalProperties", True) not in (True, False):
        return False
    if not all(isinstance(key, str) and key in properties for key in required):
        return False
    return all(_accepted(sub, resolve, nesting + 1, refs) for sub in properties.values())


def _array_accepted(
    schema: Mapping[str, Any], resolve: RefResolver, nesting: int, refs: tuple[str, ...]
) -> bool:
    low = schema.get("minItems", 0)
    high = schema.get("maxItems")
    if not _count(low) or (high is not None and (not _count(high) or high < low)):
        return False
    items = schema.get("items")
    return items is None or _accepted(items, resolve, nesting + 1, refs)


def _count(value: Any) -> bool:
    return type(value) is int and value >= 0


def _number_accepted(schema: Mapping[str, Any], *, integer: bool) -> bool:
    bounds = [schema.get("minimum"), schema.get("maximum")]
    magnitude = 0
    for bound in bounds:
        if bound is None:
            continue
        if not _finite(bound) or abs(bound) > _MAX_BOUND:
            return False
        magnitude = max(magnitude, math.ceil(abs(bound)))
    multiple = schema.get("multipleOf")
    if multiple is None:
        # Only the bounds are checked, and the generator compares a value with them exactly.
        return True
    if not _finite(multiple) or multiple <= 0:
        return False
    if integer:
        # The values are ints on a step that is a multiple of Fraction(str(multiple)), which
        # is what the validator divides by.
        return True
    return _digits_fit(Fraction(str(multiple)), magnitude + _REACH + 10 * math.ceil(multiple))


def _finite(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _digits_fit(step: Fraction, largest: int) -> bool:
    """Whether every multiple of ``step`` up to ``largest`` is a decimal of at most 15
    significant digits: ``largest`` times the power of ten that makes the step whole."""
    scale = 1
    while scale % step.denominator:
        scale *= 10
        if scale > _EXACT_DIGITS:
            return False
    return largest * scale < _EXACT_DIGITS
