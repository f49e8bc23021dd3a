"""Flattening: every keyword that constrains one value, with ``allOf`` branches and ``$ref``
targets merged into one ``Flat`` (bounds intersected, lists of sub-schemas kept side by side),
and what is read back from a flat (the type to build, the schema of a property or an item).

``oneOf``/``anyOf`` are not resolved here: they are queued on the flat as choices for the
generator, which picks a branch and merges it in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final

from mockmind.domain.generation.formats import INT_FORMAT_BOUNDS, STRING_FORMATS
from mockmind.domain.generation.json_values import json_equal
from mockmind.domain.generation.patterns import search
from mockmind.domain.generation.schemas import MAX_REF_HOPS, Schema, schema_list
from mockmind.domain.generation.vocabulary import HINT_TYPES
from mockmind.lean_dataclass import dataclass

if TYPE_CHECKING:
    from mockmind.domain.generation.number_plan import NumberPlan

RefResolver = Callable[[str], Schema]
"""What flattening follows a ``$ref`` with: the schema it names."""

Reads = tuple[tuple[str, bytes | None], ...]
"""The ``$ref``s a flat's schema read, each with its target's bytes when it was flattened
(``flat_memo``)."""

_OBJECT_KEYWORDS: Final = frozenset(
    {"properties", "required", "patternProperties", "additionalProperties"}
    | {"minProperties", "maxProperties"}
)
_ARRAY_KEYWORDS: Final = frozenset(
    {"items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains"}
)
_NUMBER_KEYWORDS: Final = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
)
_STRING_KEYWORDS: Final = frozenset({"minLength", "maxLength", "pattern", "format"})
# Cheapest first: what a value shrinks to once it is past max_depth.
_CHEAP_ORDER: Final = ("null", "boolean", "integer", "number", "string", "array", "object")
# Preference order for a value whose type is only known by exclusion (`not: {type: ...}`).
_ALL_TYPES: Final = ("string", "integer", "number", "boolean", "object", "array", "null")
_NOT_TYPE_KEYWORDS: Final = frozenset({"type", "nullable", "description", "title"})


@dataclass(slots=True)
class Flat:
    """Every constraint on one value, with allOf branches and $refs merged in."""

    types: tuple[str, ...] | None = None
    enum: list[Any] | None = None
    impossible: bool = False
    properties: dict[str, list[Schema]] = field(default_factory=dict)
    required: dict[str, None] = field(default_factory=dict)
    # (declared properties, declared patterns, additionalProperties) per schema that closes.
    closures: list[tuple[frozenset[str], tuple[str, ...], Schema]] = field(default_factory=list)
    pattern_props: list[tuple[str, Schema]] = field(default_factory=list)
    min_props: int = 0
    max_props: int | None = None
    # (prefixItems, items) per schema that constrains elements.
    item_rules: list[tuple[tuple[Schema, ...], Schema | None]] = field(default_factory=list)
    min_items: int = 0
    max_items: int | None = None
    unique: bool = False
    contains: list[Schema] = field(default_factory=list)
    min_contains: int = 1
    low: Fraction | None = None
    low_exclusive: bool = False
    high: Fraction | None = None
    high_exclusive: bool = False
    multiples: list[int | float] = field(default_factory=list)
    min_len: int = 0
    max_len: int | None = None
    patterns: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    choices: list[tuple[str, list[Schema], Any]] = field(default_factory=list)
    nots: list[Schema] = field(default_factory=list)
    examples: list[Any] = field(default_factory=list)
    default: tuple[Any] | None = None
    read_only: bool = False
    write_only: bool = False
    discriminator: Mapping[str, Any] | None = None
    identity: str | None = None
    # Derived from the fields above, by (hint, integer), once they are final (``pick_number``
    # runs after oneOf/anyOf branches are merged in); a memoised flat keeps them for next time.
    number_plans: dict[tuple[str | None, bool], NumberPlan] | None = None
    # The same for an object's layout (``layouts``), by whether the value is minimal, and for
    # the type a value is built as (``pick_type``), by hint and whether it is minimal.
    layouts: dict[bool, ObjectLayout] | None = None
    # And an array's elements' shared member (``layouts.element_member``).
    element: Member | None = None
    # The memo's own flat, shared by calls and never edited (``FlatMemo``), and the
    # verdicts on its enum members that such a flat keeps (``generator._enum_verdicts``).
    shared: bool = False
    enum_verdicts: tuple[bool, ...] | None = None
    kinds: dict[tuple[str | None, bool], str] | None = None


@dataclass(slots=True)
class Member:
    """One property of an object (its layout's, made once per flat by ``layouts``): its key,
    the schema its value must satisfy, and its flat once known (with the refs that flat read)."""

    key: str
    schema: Schema
    optional: bool
    # "name" or "title" in any case: a label, unless the object describes a person.
    label: bool
    # The named schema the value is (``product`` for a $ref to Product), if any.
    owner: str | None
    known: tuple[Flat, Reads] | None = None


@dataclass(frozen=True, slots=True)
class ObjectLayout:
    """The members an object is filled with, in order; those it takes only while it has fewer
    than ``minProperties``; and how many made-up keys a map gets at least."""

    members: tuple[Member, ...]
    leftovers: tuple[Member, ...]
    map_keys: int


def flatten(resolve: RefResolver, schema: Schema) -> Flat:
    """Every constraint ``schema`` puts on one value, read into a fresh flat."""
    flat = Flat()
    merge(resolve, flat, schema, 0)
    return flat


def merge(resolve: RefResolver, flat: Flat, schema: Schema, hops: int) -> None:
    """Adds ``schema``'s constraints to ``flat``; ``oneOf``/``anyOf`` are queued as choices."""
    if schema is False:
        flat.impossible = True
        return
    if not isinstance(schema, Mapping) or hops > MAX_REF_HOPS:
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if flat.identity is None:
            flat.identity = ref
        merge(resolve, flat, resolve(ref), hops + 1)
        # Siblings of $ref count in 3.1; in 3.0 they are ignored, but in practice they are
        # annotations (description, example), and honouring them never breaks the target.

    kind = schema.get("type")
    if kind is not None:
        declared = [kind] if isinstance(kind, str) else [t for t in kind if isinstance(t, str)]
        if schema.get("nullable") is True and "null" not in declared:
            declared.append("null")
        flat.types = _intersect_types(flat.types, tuple(declared))
        if not flat.types:
            flat.impossible = True
    if "enum" in schema and isinstance(schema["enum"], list):
        flat.enum = _intersect_values(flat.enum, schema["enum"])
    if "const" in schema:
        flat.enum = _intersect_values(flat.enum, [schema["const"]])

    # Most schemas use a handful of keywords; skipping whole groups halves the cost of a leaf.
    keys = schema.keys()
    if not keys.isdisjoint(_OBJECT_KEYWORDS):
        _merge_object(flat, schema)
    if not keys.isdisjoint(_ARRAY_KEYWORDS):
        _merge_array(flat, schema)
    if not keys.isdisjoint(_NUMBER_KEYWORDS):
        merge_number(flat, schema)
    if not keys.isdisjoint(_STRING_KEYWORDS):
        _merge_string(flat, schema)

    for branch in schema_list(schema.get("allOf")):
        merge(resolve, flat, branch, hops)
    for keyword in ("oneOf", "anyOf"):
        branches = schema_list(schema.get(keyword))
        if branches:
            flat.choices.append((keyword, branches, schema.get("discriminator")))
    if "discriminator" in schema and not ("oneOf" in schema or "anyOf" in schema):
        discriminator = schema["discriminator"]
        if isinstance(discriminator, Mapping):
            flat.discriminator = discriminator
    if "not" in schema:
        _merge_not(flat, schema["not"])

    if "example" in schema:
        flat.examples.append(schema["example"])
    examples = schema.get("examples")
    if isinstance(examples, list):
        flat.examples.extend(examples)
    if "default" in schema and flat.default is None:
        flat.default = (schema["default"],)
    if schema.get("readOnly") is True:
        flat.read_only = True
    if schema.get("writeOnly") is True:
        flat.write_only = True


def _merge_not(flat: Flat, negated: Any) -> None:
    flat.nots.append(negated)
    if negated is True or (isinstance(negated, Mapping) and not negated):
        flat.impossible = True
        return
    if not isinstance(negated, Mapping):
        return
    kind = negated.get("type")
    # A type may only be ruled out when nothing else in the `not` narrows it.
    if kind is not None and set(negated) <= _NOT_TYPE_KEYWORDS:
        excluded = {kind} if isinstance(kind, str) else set(kind)
        if negated.get("nullable") is True:
            excluded.add("null")
        if "number" in excluded:
            excluded.add("integer")
        remaining = tuple(t for t in _ALL_TYPES if t not in excluded)
        flat.types = _intersect_types(flat.types, remaining)
        if not flat.types:
            flat.impossible = True


def _merge_object(flat: Flat, schema: Mapping[str, Any]) -> None:
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for key, sub in properties.items():
            flat.properties.setdefault(key, []).append(sub)
    required = schema.get("required")
    if isinstance(required, list):
        for key in required:
            if isinstance(key, str):
                flat.required[key] = None
    patterns = schema.get("patternProperties")
    if isinstance(patterns, Mapping):
        flat.pattern_props.extend(patterns.items())
    additional = schema.get("additionalProperties")
    if additional is not None and additional is not True:
        declared = frozenset(properties) if isinstance(properties, Mapping) else frozenset()
        own_patterns = tuple(patterns) if isinstance(patterns, Mapping) else ()
        flat.closures.append((declared, own_patterns, additional))
    if isinstance(schema.get("minProperties"), int):
        flat.min_props = max(flat.min_props, schema["minProperties"])
    if isinstance(schema.get("maxProperties"), int):
        flat.max_props = _lesser(flat.max_props, schema["maxProperties"])


def _merge_array(flat: Flat, schema: Mapping[str, Any]) -> None:
    items = schema.get("items")
    prefix = schema.get("prefixItems")
    if isinstance(items, list):
        # Draft 4 tuple form: positional schemas, the rest governed by additionalItems.
        flat.item_rules.append((tuple(items), schema.get("additionalItems")))
    elif isinstance(prefix, list):
        flat.item_rules.append((tuple(prefix), items))
    elif items is not None:
        flat.item_rules.append(((), items))
    if isinstance(schema.get("minItems"), int):
        flat.min_items = max(flat.min_items, schema["minItems"])
    if isinstance(schema.get("maxItems"), int):
        flat.max_items = _lesser(flat.max_items, schema["maxItems"])
    if schema.get("uniqueItems") is True:
        flat.unique = True
    if "contains" in schema:
        flat.contains.append(schema["contains"])
        if isinstance(schema.get("minContains"), int):
            flat.min_contains = max(flat.min_contains, schema["minContains"])


def merge_number(flat: Flat, schema: Mapping[str, Any]) -> None:
    """Adds ``schema``'s numeric bounds and ``multipleOf`` to ``flat``."""
    minimum = _num(schema.get("minimum"))
    maximum = _num(schema.get("maximum"))
    ex_min = schema.get("exclusiveMinimum")
    ex_max = schema.get("exclusiveMaximum")
    if minimum is not None:
        _raise_low(flat, minimum, ex_min is True)
    if maximum is not None:
        _lower_high(flat, maximum, ex_max is True)
    if _num(ex_min) is not None:
        _raise_low(flat, _num(ex_min), True)
    if _num(ex_max) is not None:
        _lower_high(flat, _num(ex_max), True)
    multiple = _num(schema.get("multipleOf"))
    if multiple is not None and multiple > 0:
        flat.multiples.append(multiple)


def _merge_string(flat: Flat, schema: Mapping[str, Any]) -> None:
    if isinstance(schema.get("minLength"), int):
        flat.min_len = max(flat.min_len, schema["minLength"])
    if isinstance(schema.get("maxLength"), int):
        flat.max_len = _lesser(flat.max_len, schema["maxLength"])
    if isinstance(schema.get("pattern"), str):
        flat.patterns.append(schema["pattern"])
    if isinstance(schema.get("format"), str):
        flat.formats.append(schema["format"])


def _num(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _raise_low(flat: Flat, value: int | float | None, exclusive: bool) -> None:
    if value is None or not math.isfinite(value):
        return
    bound = Fraction(value)
    if flat.low is None or bound > flat.low or (bound == flat.low and exclusive):
        flat.low, flat.low_exclusive = bound, exclusive


def _lower_high(flat: Flat, value: int | float | None, exclusive: bool) -> None:
    if value is None or not math.isfinite(value):
        return
    bound = Fraction(value)
    if flat.high is None or bound < flat.high or (bound == flat.high and exclusive):
        flat.high, flat.high_exclusive = bound, exclusive


def _lesser(current: int | None, value: int) -> int:
    return value if current is None else min(current, value)


def _intersect_types(current: tuple[str, ...] | None, new: tuple[str, ...]) -> tuple[str, ...]:
    if current is None:
        return new
    result = [t for t in current if t in new or (t == "integer" and "number" in new)]
    if "number" in current and "integer" in new and "integer" not in result:
        result.append("integer")
    return tuple(result)


def _intersect_values(current: list[Any] | None, new: list[Any]) -> list[Any]:
    if current is None:
        return list(new)
    return [v for v in current if any(json_equal(v, n) for n in new)]


def property_schema(flat: Flat, key: str) -> Schema:
    """What the value of property ``key`` must satisfy: its declarations, the patterns it
    matches, and ``additionalProperties`` of every schema that does not declare it."""
    parts: list[Schema] = list(flat.properties.get(key, ()))
    parts += [sub for pattern, sub in flat.pattern_props if search(pattern, key)]
    for declared, patterns, additional in flat.closures:
        if key not in declared and not any(search(p, key) for p in patterns):
            parts.append(additional)
    if not parts:
        return True
    return parts[0] if len(parts) == 1 else {"allOf": parts}


def key_allowed(flat: Flat, key: str) -> bool:
    """Whether the object may have a property ``key`` at all."""
    return not any(
        additional is False and key not in declared and not any(search(p, key) for p in pats)
        for declared, pats, additional in flat.closures
    )


def element_schema(flat: Flat, index: int, *, with_contains: bool) -> Schema:
    """What the array element at ``index`` must satisfy (``contains`` too, if asked)."""
    parts: list[Schema] = []
    for prefix, items in flat.item_rules:
        if index < len(prefix):
            parts.append(prefix[index])
        elif items is not None:
            parts.append(items)
    if with_contains:
        parts.extend(flat.contains)
    if not parts:
        return True
    return parts[0] if len(parts) == 1 else {"allOf": parts}


def pick_type(flat: Flat, hint: str | None, minimal: bool) -> str:
    """The JSON type to build: the cheapest when ``minimal``, else the one the hint suits."""
    options = flat.types if flat.types is not None else (_infer_type(flat, hint),)
    concrete = [t for t in options if t != "null"]
    if not concrete or (minimal and "null" in options):
        return "null"
    if minimal:
        return min(concrete, key=lambda t: _CHEAP_ORDER.index(t) if t in _CHEAP_ORDER else 99)
    if len(concrete) > 1:
        wanted = HINT_TYPES.get(hint or "", "string")
        if wanted in concrete:
            return wanted
        if wanted == "integer" and "number" in concrete:
            return "integer"
    return concrete[0]


def _infer_type(flat: Flat, hint: str | None) -> str:
    if flat.properties or flat.required or flat.closures or flat.pattern_props or flat.min_props:
        return "object"
    if flat.item_rules or flat.min_items or flat.max_items is not None or flat.contains:
        return "array"
    if (
        flat.patterns
        or flat.min_len
        or flat.max_len is not None
        or any(f in STRING_FORMATS for f in flat.formats)
    ):
        return "string"
    if flat.multiples or flat.low is not None or flat.high is not None or flat.formats:
        if any(f in INT_FORMAT_BOUNDS for f in flat.formats):
            return "integer"
        return "integer" if HINT_TYPES.get(hint or "") == "integer" else "number"
    return HINT_TYPES.get(hint or "", "string")
