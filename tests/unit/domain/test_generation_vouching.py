"""Values valid by construction (``OfflineGenerator.generate_vouched``, ``vouching``): vouched
for only where every part comes from a path that satisfies its schema as the response
validators read it; anything else, and a number no draw fitted, is left to be checked."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, Draft202012Validator, FormatChecker
from jsonschema.validators import extend

from mockmind.domain.engine.answers import Answers
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.json_schema import multiple_of
from mockmind.openapi.description import OpenAPIDescription
from mockmind.ports.api_description import ResponsePlan

STATS: dict[str, Any] = {
    "type": "object",
    "required": ["orders_today", "revenue_today", "active_carts"],
    "properties": {
        "orders_today": {"type": "integer", "minimum": 0},
        "revenue_today": {"type": "number", "minimum": 0, "multipleOf": 0.01},
        "active_carts": {"type": "integer", "minimum": 0},
    },
}


def test_a_plain_schema_is_vouched_for_and_generated_as_before() -> None:
    generator = OfflineGenerator()
    for seed in ("a", "b", "c"):
        value, constructed = generator.generate_vouched(STATS, seed=seed)
        assert constructed
        assert value == OfflineGenerator().generate(STATS, seed=seed, immutable=True)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "example": 3.0},
        {"type": "integer", "examples": [True]},
        {"type": "string", "default": None},
        {"type": "number", "enum": [0.07], "multipleOf": 0.01},
        {"type": "number", "example": 0.07, "multipleOf": 0.01},
        {"type": "string", "enum": []},
        {"type": "string", "enum": ["a", None]},
        {"type": "object", "example": {}},
        {"type": "string", "const": "a"},
        {"type": "integer", "nullable": True},
        {"type": ["integer", "null"]},
        {"type": "integer", "exclusiveMinimum": 0},
        {"type": "string", "pattern": "^a+$"},
        {"type": "string", "format": "email"},
        {"type": "string", "minLength": 2},
        {"type": "integer", "format": "float"},
        {"type": "object", "properties": {"p": {"type": "string", "writeOnly": True}}},
        {"type": "object", "properties": {"p": {"type": "string", "readOnly": True}}},
        {"type": "object", "required": ["q"], "properties": {}},
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"type": "object", "minProperties": 1},
        {"type": "object", "properties": {"p": True}},
        {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        {"type": "array", "minItems": 3, "maxItems": 2},
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        {"allOf": [{"type": "string"}]},
        {"type": "string", "not": {"const": "a"}},
        {"type": "integer", "if": {"minimum": 1}, "then": {"multipleOf": 2}},
        {"type": "number", "multipleOf": 1e-12},
        {"type": "number", "maximum": 1e13},
        {},
        {"$ref": "#/$defs/loop", "$defs": {"loop": {"$ref": "#/$defs/loop"}}},
    ],
)
def test_what_the_generator_does_not_build_correct_is_not_vouched_for(
    schema: dict[str, Any],
) -> None:
    _, constructed = OfflineGenerator().generate_vouched(schema, seed="s")
    assert not constructed


def test_refs_are_followed_and_a_cycle_or_deep_nesting_is_not_vouched_for() -> None:
    schemas: dict[str, Any] = {
        "Stats": {"$ref": "#/components/schemas/Inner", "description": "an annotation"},
        "Inner": STATS,
        "Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}},
    }
    generator = OfflineGenerator(lambda ref: schemas[ref.rsplit("/", 1)[-1]])
    assert generator.generate_vouched({"$ref": "#/components/schemas/Stats"}, seed="s")[1]
    assert not generator.generate_vouched({"$ref": "#/components/schemas/Node"}, seed="s")[1]
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(20):
        deep = {"type": "array", "items": deep}
    assert not generator.generate_vouched(deep, seed="s")[1]


def test_enums_and_examples_of_plain_values_are_vouched_for() -> None:
    generator = OfflineGenerator()
    for schema in (
        {"type": "string", "enum": ["placed", "paid"]},
        {"type": "integer", "minimum": 1, "example": 3, "examples": [4], "default": 5},
        {"type": "number", "maximum": 9, "enum": [1, 2.5]},
        {"type": "boolean", "default": True},
    ):
        for seed in ("a", "b", "c", "d"):
            assert generator.generate_vouched(schema, seed=seed)[1], schema


def test_an_enum_none_of_whose_members_fits_is_reported() -> None:
    value, constructed = OfflineGenerator().generate_vouched(
        {"type": "integer", "minimum": 5, "enum": [1, 2]}, seed="s"
    )
    assert value in (1, 2)
    assert not constructed


def test_a_number_no_draw_fits_is_reported_and_not_vouched_for() -> None:
    generator = OfflineGenerator()
    # Bounds that leave no value: the generator answers with a bound that breaks the other.
    value, constructed = generator.generate_vouched(
        {"type": "integer", "minimum": 5, "maximum": 4}, seed="s"
    )
    assert (value, constructed) == (5, False)
    # Nested: one such part takes the whole value's vouching away.
    schema = {"type": "object", "properties": {"n": {"type": "number", "minimum": 1, "maximum": 0}}}
    assert not generator.generate_vouched(schema, seed="s")[1]
    fine = {"type": "object", "properties": {"n": {"type": "number", "minimum": 0, "maximum": 1}}}
    assert generator.generate_vouched(fine, seed="s")[1]


def test_a_generated_body_not_vouched_for_is_still_checked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "checked", "version": "1"},
        "paths": {},
        "components": {
            "schemas": {
                "Empty": {"type": "integer", "minimum": 5, "maximum": 4},
                "Stats": STATS,
            }
        },
    }
    path = tmp_path / "checked.json"
    path.write_text(json.dumps(document))
    api = OpenAPIDescription.load(path)
    answers = Answers(api, OfflineGenerator(api.resolve_ref))

    def plan(name: str) -> ResponsePlan:
        pointer = f"#/components/schemas/{name}"
        return ResponsePlan(200, schema={"$ref": pointer}, schema_key=pointer)

    with caplog.at_level(logging.ERROR, logger="mockmind.engine"):
        assert answers.generate(plan("Empty"), "seed") == 5
        assert "generated body breaks its schema #/components/schemas/Empty" in caplog.text
        caplog.clear()
        body = answers.generate(plan("Stats"), "seed")
    assert caplog.text == ""
    assert not api.response_errors(plan("Stats"), body)


# -- every vouched value validates ---------------------------------------------------------------

# The response validators' multipleOf (decimal) and jsonschema's (float division, stricter on
# 0.07 / 0.01): a vouched value passes both, in both dialects.
_FORMATS = FormatChecker()
_DECIMAL_2020 = extend(Draft202012Validator, {"multipleOf": multiple_of})
_DECIMAL_4 = extend(Draft4Validator, {"multipleOf": multiple_of})
_VALIDATORS = (_DECIMAL_2020, _DECIMAL_4, Draft202012Validator, Draft4Validator)
NAMES = ["id", "price", "age", "rating", "created_at", "latitude", "email", "name", "count"]
_ANNOTATION = st.fixed_dictionaries({}, optional={"description": st.text(max_size=3)})


def _bounded(kind: str, multiples: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": kind, **draw(_ANNOTATION)}
        low = draw(st.none() | st.integers(-1000, 1000) | st.floats(-1000, 1000))
        width = draw(st.integers(1000, 10**6))
        if low is not None:
            schema["minimum"] = low
        if draw(st.booleans()):
            schema["maximum"] = (low or 0) + width
        multiple = draw(st.none() | multiples)
        if multiple is not None:
            schema["multipleOf"] = multiple
        formats = ["int32", "int64"] if kind == "integer" else ["float", "double"]
        fmt = draw(st.none() | st.sampled_from(formats))
        if fmt is not None:
            schema["format"] = fmt
        return schema

    return build()


def _with_values(kind: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Plain leaves with an enum, examples or a default, some of which may not fit."""
    return st.fixed_dictionaries(
        {"type": st.just(kind)},
        optional={
            "enum": st.lists(values, min_size=1, max_size=3),
            "example": values,
            "examples": st.lists(values, max_size=2),
            "default": values,
            "minimum": st.integers(-5, 5),
        }
        if kind in ("integer", "number")
        else {
            "enum": st.lists(values, min_size=1, max_size=3),
            "example": values,
            "examples": st.lists(values, max_size=2),
            "default": values,
        },
    )


_LEAVES = st.one_of(
    _bounded("integer", st.integers(1, 50) | st.sampled_from([0.5, 0.25, 0.3, 2.5])),
    _bounded("number", st.sampled_from([0.01, 0.1, 0.05, 0.25, 0.3, 1, 2.5, 0.001, 7])),
    st.just({"type": "string"}),
    st.just({"type": "boolean"}),
    _with_values("integer", st.integers(-10, 10)),
    _with_values("number", st.integers(-10, 10) | st.floats(-10, 10)),
    _with_values("string", st.text(max_size=4)),
    _with_values("boolean", st.booleans()),
)


def _containers(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    arrays = st.builds(
        lambda items, low, extra: {
            "type": "array",
            "items": items,
            "minItems": low,
            "maxItems": low + extra,
        },
        children,
        st.integers(0, 3),
        st.integers(0, 3),
    )

    @st.composite
    def objects(draw: st.DrawFn) -> dict[str, Any]:
        properties = draw(st.dictionaries(st.sampled_from(NAMES), children, max_size=4))
        required = draw(st.lists(st.sampled_from(sorted(properties) or ["id"]), unique=True))
        return {
            "type": "object",
            "properties": properties,
            "required": [key for key in required if key in properties],
            "additionalProperties": draw(st.booleans()),
        }

    return arrays | objects()


VOUCHED = st.recursive(_LEAVES, _containers, max_leaves=8)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=VOUCHED, seed=st.text(max_size=6), name=st.none() | st.sampled_from(NAMES))
def test_vouched_values_validate(schema: dict[str, Any], seed: str, name: str | None) -> None:
    for generator in (OfflineGenerator(), OfflineGenerator(max_depth=1)):
        value, constructed = generator.generate_vouched(schema, seed=seed, name=name)
        # Every schema drawn here leaves values to draw, or has an enum none of whose
        # members fits: all but those are vouched for.
        assert constructed or "enum" in json.dumps(schema), json.dumps(schema)
        if not constructed:
            continue
        for validator in _VALIDATORS:
            checker = validator(schema, format_checker=_FORMATS)
            found = [e.message for e in checker.iter_errors(value)]
            assert found == [], (validator.__name__, json.dumps(schema), json.dumps(value))
