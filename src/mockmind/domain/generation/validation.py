"""The generator's own JSON Schema check, for the keywords it generates from: examples, enum
members, discriminator tags and the choices that cannot be made correct by construction
(``oneOf`` exclusivity, ``not``) are checked with it while a value is built.

Why not the jsonschema validators that check responses (``openapi.schemas``)? Not for speed:
a prototype that sent these checks to the document's validator (cached by schema content) was
within 2% of this one over the example and fixture documents (issue 12; a check costs about 55
µs there against 20 µs here, but only 640 checks are made per 960 values). It is kept because:

* It must be as strict as the validators clients use, so that no example or enum member a
  client would reject is handed out; the response validator is lenient on purpose. Given
  ``{"type": "number", "multipleOf": 0.01, "examples": [0.07]}`` it accepts 0.07 (decimal
  arithmetic) where jsonschema's default float division does not, and it accepts
  ``"http://"`` as a ``uri``: with it, 28 and 15 of 40 seeds emitted those examples, here none.
* It reads both dialects at once (``nullable`` and boolean ``exclusiveMinimum`` beside type
  arrays and ``const``), as ``generate`` does; those validators are built per document and
  dialect, and a 3.1 one never lets ``{"nullable": true, "enum": [null, "a"]}`` be null.
* It needs no document: ``OfflineGenerator()`` and a bare ``$ref`` resolver are enough, and
  the domain does not import the openapi adapters (nor could config ``schemas:`` use them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockmind.domain.generation.flattening import Flat, RefResolver, merge_number
from mockmind.domain.generation.formats import INT_FORMAT_BOUNDS, format_ok
from mockmind.domain.generation.json_values import canon, json_equal
from mockmind.domain.generation.number_planning import number_fits
from mockmind.domain.generation.patterns import search
from mockmind.domain.generation.schemas import MAX_REF_HOPS, Schema, schema_list


def is_valid(resolve: RefResolver, value: Any, schema: Schema, hops: int) -> bool:
    """Whether ``value`` satisfies ``schema``, ``$ref``s followed with ``resolve``."""
    if schema is True:
        return True
    if schema is False:
        return False
    if not isinstance(schema, Mapping) or hops > MAX_REF_HOPS:
        return True
    ref = schema.get("$ref")
    if isinstance(ref, str) and not is_valid(resolve, value, resolve(ref), hops + 1):
        return False
    kind = schema.get("type")
    if kind is not None:
        declared = [kind] if isinstance(kind, str) else list(kind)
        if schema.get("nullable") is True:
            declared.append("null")
        if not any(_is_type(value, t) for t in declared):
            return False
    if isinstance(schema.get("enum"), list) and not any(
        json_equal(value, e) for e in schema["enum"]
    ):
        return False
    if "const" in schema and not json_equal(value, schema["const"]):
        return False
    if _is_type(value, "number"):
        if not _number_valid(value, schema):
            return False
    elif isinstance(value, str):
        if not _string_valid(value, schema):
            return False
    elif isinstance(value, list):
        if not _array_valid(resolve, value, schema):
            return False
    elif isinstance(value, dict) and not _object_valid(resolve, value, schema):
        return False
    if not all(is_valid(resolve, value, s, hops) for s in schema_list(schema.get("allOf"))):
        return False
    any_of = schema_list(schema.get("anyOf"))
    if any_of and not any(is_valid(resolve, value, s, hops) for s in any_of):
        return False
    one_of = schema_list(schema.get("oneOf"))
    if one_of and sum(1 for s in one_of if is_valid(resolve, value, s, hops)) != 1:
        return False
    negated = schema.get("not")
    return not (isinstance(negated, Mapping | bool) and is_valid(resolve, value, negated, hops))


def _is_type(value: Any, kind: str) -> bool:
    match kind:
        case "null":
            return value is None
        case "boolean":
            return isinstance(value, bool)
        case "integer":
            if isinstance(value, bool):
                return False
            return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        case "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        case "string":
            return isinstance(value, str)
        case "array":
            return isinstance(value, list)
        case "object":
            return isinstance(value, dict)
    return True


def _number_valid(value: int | float, schema: Mapping[str, Any]) -> bool:
    fmt = schema.get("format")
    bounds = INT_FORMAT_BOUNDS.get(fmt) if isinstance(fmt, str) else None
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        return False
    flat = Flat()
    merge_number(flat, schema)
    return number_fits(
        value,
        flat.multiples,
        low=flat.low,
        low_ex=flat.low_exclusive,
        high=flat.high,
        high_ex=flat.high_exclusive,
    )


def _string_valid(value: str, schema: Mapping[str, Any]) -> bool:
    low = schema.get("minLength")
    high = schema.get("maxLength")
    if isinstance(low, int) and len(value) < low:
        return False
    if isinstance(high, int) and len(value) > high:
        return False
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not search(pattern, value):
        return False
    fmt = schema.get("format")
    return not isinstance(fmt, str) or format_ok(fmt, value)


def _array_valid(resolve: RefResolver, value: list[Any], schema: Mapping[str, Any]) -> bool:
    low = schema.get("minItems")
    high = schema.get("maxItems")
    if isinstance(low, int) and len(value) < low:
        return False
    if isinstance(high, int) and len(value) > high:
        return False
    if schema.get("uniqueItems") is True and len({canon(v) for v in value}) != len(value):
        return False
    items = schema.get("items")
    prefix = schema.get("prefixItems")
    if isinstance(items, list):
        prefix, items = items, schema.get("additionalItems")
    positional = prefix if isinstance(prefix, list) else []
    for index, element in enumerate(value):
        if index < len(positional):
            rule = positional[index]
        elif isinstance(items, Mapping | bool):
            rule = items
        else:
            continue
        if not is_valid(resolve, element, rule, 0):
            return False
    contains = schema.get("contains")
    if isinstance(contains, Mapping | bool):
        found = sum(1 for element in value if is_valid(resolve, element, contains, 0))
        at_least = schema.get("minContains", 1)
        at_most = schema.get("maxContains")
        if isinstance(at_least, int) and found < at_least:
            return False
        if isinstance(at_most, int) and found > at_most:
            return False
    return True


def _object_valid(resolve: RefResolver, value: dict[str, Any], schema: Mapping[str, Any]) -> bool:
    low = schema.get("minProperties")
    high = schema.get("maxProperties")
    if isinstance(low, int) and len(value) < low:
        return False
    if isinstance(high, int) and len(value) > high:
        return False
    required = schema.get("required")
    if isinstance(required, list) and any(k not in value for k in required):
        return False
    properties = schema.get("properties")
    properties = properties if isinstance(properties, Mapping) else {}
    patterns = schema.get("patternProperties")
    patterns = patterns if isinstance(patterns, Mapping) else {}
    additional = schema.get("additionalProperties", True)
    for key, element in value.items():
        matched = False
        if key in properties:
            matched = True
            if not is_valid(resolve, element, properties[key], 0):
                return False
        for pattern, sub in patterns.items():
            if search(pattern, key):
                matched = True
                if not is_valid(resolve, element, sub, 0):
                    return False
        if not matched and not is_valid(resolve, element, additional, 0):
            return False
    return True
