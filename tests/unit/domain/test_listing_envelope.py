"""A list answer's envelope, worked out once per response schema: each answer filled from it
is the body the list answer built per request before (the generated envelope, its first array
property holding the entities, its counters the total), key order included."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from mockmind.domain.engine.listing_envelope import (
    BARE_LIST,
    TOTAL_FIELDS,
    ListingEnvelope,
    listing_envelope,
)
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.resources.inference import properties
from mockmind.domain.schema_refs import deref
from mockmind.ports.api_description import ResponsePlan

COMPONENTS: dict[str, Any] = {
    "Item": {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
    },
    "Wrapper": {
        "type": "object",
        "properties": {
            "data": {"type": "array", "items": {"type": "object"}},
            "links": {"type": "object", "properties": {"self": {"type": "string"}}},
        },
    },
}


def resolve(ref: str) -> Mapping[str, Any]:
    found: Mapping[str, Any] = COMPONENTS[ref.rsplit("/", 1)[-1]]
    return found


GENERATOR = OfflineGenerator(resolve)


def generate(plan: ResponsePlan, seed: str) -> Any:
    assert plan.schema is not None
    return GENERATOR.generate(plan.schema, seed=seed)


ITEMS = {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}
SCHEMAS: dict[str, Any] = {
    "bare array": ITEMS,
    "items without a type": {"items": {"$ref": "#/components/schemas/Item"}},
    "a reference to an array": {"$ref": "#/components/schemas/Items"},
    "an envelope with counters": {
        "type": "object",
        "required": ["data", "total", "count"],
        "properties": {"total": {"type": "integer"}, "data": ITEMS, "count": {"type": "integer"}},
    },
    "an envelope whose list is optional": {
        "type": "object",
        "required": ["page"],
        "properties": {"page": {"type": "integer"}, "results": ITEMS, "totalCount": {}},
    },
    # writeOnly: the generated envelope leaves the list out, and the entities come last.
    "an envelope whose generated body has no list": {
        "type": "object",
        "required": ["page"],
        "properties": {
            "results": {**ITEMS, "writeOnly": True},
            "page": {"type": "integer"},
            "count": {"type": "integer"},
        },
    },
    "an envelope without a list": {
        "type": "object",
        "required": ["total"],
        "properties": {"total": {"type": "integer"}, "next": {"type": "string"}},
    },
    "an envelope composed with allOf": {
        "allOf": [
            {"$ref": "#/components/schemas/Wrapper"},
            {"properties": {"data": ITEMS, "total_items": {"type": "integer"}}},
        ]
    },
    "a free-form object": {"type": "object"},
    "anything": True,
}
COMPONENTS["Items"] = ITEMS
ENTITIES = [{"id": "a-1", "name": "one"}, {"id": "a-2", "name": "two"}]


def per_request(plan: ResponsePlan, entities: list[dict[str, Any]], total: int) -> Any:
    """The list body as ResourceResponder built it on every request before the envelope was
    remembered (with its properties read through allOf)."""
    schema = deref(plan.schema, resolve)
    if not isinstance(schema, Mapping) or (schema.get("type") == "array" or "items" in schema):
        return entities
    wrapper = generate(plan, "envelope")
    if not isinstance(wrapper, dict):
        return entities
    props = properties(schema, resolve)
    for name, raw in props.items():
        prop = deref(raw, resolve)
        if isinstance(prop, Mapping) and prop.get("type") == "array":
            wrapper[name] = entities
            break
    for name in TOTAL_FIELDS:
        if name in props:
            wrapper[name] = total
    return wrapper


@pytest.mark.parametrize("name", list(SCHEMAS))
@pytest.mark.parametrize("entities", [ENTITIES, []])
def test_a_filled_envelope_is_the_body_made_per_request_before(
    name: str, entities: list[dict[str, Any]]
) -> None:
    plan = ResponsePlan(200, schema=SCHEMAS[name], schema_key=f"#/{name}")
    envelope = listing_envelope(plan, resolve, generate)
    for total in (len(entities), 7):
        filled = envelope.filled(list(entities), total)
        # As JSON text: the same keys in the same order, the same values.
        assert json.dumps(filled) == json.dumps(per_request(plan, list(entities), total))


def test_lists_answer_their_entities_bare() -> None:
    for name in ("bare array", "items without a type", "a reference to an array", "anything"):
        plan = ResponsePlan(200, schema=SCHEMAS[name])
        assert listing_envelope(plan, resolve, generate) == BARE_LIST
    assert BARE_LIST.filled(ENTITIES, 2) is ENTITIES


def test_the_envelope_knows_its_list_and_counters_and_keeps_no_generated_entity() -> None:
    plan = ResponsePlan(200, schema=SCHEMAS["an envelope with counters"])
    envelope = listing_envelope(plan, resolve, generate)
    assert (envelope.items_field, envelope.total_fields) == ("data", ("total", "count"))
    assert envelope.template is not None
    assert envelope.template["data"] is None
    composed = listing_envelope(
        ResponsePlan(200, schema=SCHEMAS["an envelope composed with allOf"]), resolve, generate
    )
    assert (composed.items_field, composed.total_fields) == ("data", ("total_items",))


def test_the_envelope_is_generated_once_with_the_seed_used_per_request_before() -> None:
    seeds: list[str] = []

    def counting(plan: ResponsePlan, seed: str) -> Any:
        seeds.append(seed)
        return generate(plan, seed)

    plan = ResponsePlan(200, schema=SCHEMAS["an envelope composed with allOf"])
    envelope = listing_envelope(plan, resolve, counting)
    for total in range(3):
        envelope.filled(ENTITIES, total)
    assert seeds == ["envelope"]


def test_each_answer_gets_its_own_copy_of_the_envelope() -> None:
    envelope = ListingEnvelope({"data": None, "links": {"self": "/x"}, "tags": ["a"]}, "data", ())
    first = envelope.filled(ENTITIES, 2)
    first["links"]["self"] = "/changed"
    first["tags"].append("b")
    second = envelope.filled([], 0)
    assert second == {"data": [], "links": {"self": "/x"}, "tags": ["a"]}
    assert envelope.template == {"data": None, "links": {"self": "/x"}, "tags": ["a"]}


def test_a_generated_body_that_is_no_object_answers_the_bare_list() -> None:
    plan = ResponsePlan(200, schema=SCHEMAS["an envelope with counters"])
    assert listing_envelope(plan, resolve, lambda plan, seed: ["not", "an", "object"]) == BARE_LIST
