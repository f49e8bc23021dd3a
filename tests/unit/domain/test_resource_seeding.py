"""The shared seed set's digest and the schemas it reaches (domain/resources/seeding.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.resources import ResourceService, ResourceSpec
from mockmind.domain.resources.seeding import (
    computed,
    generate_entity,
    referenced_schemas,
    seed_digest,
)
from mockmind.domain.rules.expressions import parse_expression
from tests.support.clock import still_lifetimes

SCHEMAS: dict[str, Any] = {
    "#/components/schemas/Order": {
        "type": "object",
        "properties": {
            "line": {"$ref": "#/components/schemas/Line"},
            "again": {"$ref": "#/components/schemas/Line"},
        },
    },
    "#/components/schemas/Line": {
        "type": "object",
        "properties": {"order": {"$ref": "#/components/schemas/Order"}},
    },
    "#/components/schemas/Tag": {"type": "string"},
}


class Resolver:
    """The schemas above, counting each look-up."""

    def __init__(self, schemas: Mapping[str, Any] = SCHEMAS) -> None:
        self.schemas = schemas
        self.asked: list[str] = []

    def __call__(self, ref: str) -> Any:
        self.asked.append(ref)
        return self.schemas[ref]


def test_every_schema_a_reference_reaches_is_found_once_even_in_a_cycle() -> None:
    resolve = Resolver()
    roots = [{"items": [{"$ref": "#/components/schemas/Order"}]}]
    assert referenced_schemas(roots, resolve) == {
        "#/components/schemas/Order": SCHEMAS["#/components/schemas/Order"],
        "#/components/schemas/Line": SCHEMAS["#/components/schemas/Line"],
    }
    assert sorted(resolve.asked) == ["#/components/schemas/Line", "#/components/schemas/Order"]


def test_a_reference_that_does_not_resolve_is_recorded_with_its_error() -> None:
    resolve = Resolver()
    roots = [{"$ref": "#/components/schemas/Gone"}, {"$ref": "#/components/schemas/Tag"}]
    assert referenced_schemas(roots, resolve) == {
        "#/components/schemas/Gone": "unresolved: KeyError",
        "#/components/schemas/Tag": {"type": "string"},
    }


def test_a_ref_key_that_is_not_text_is_no_reference() -> None:
    resolve = Resolver()
    assert referenced_schemas([{"example": {"$ref": 7}}, None, True], resolve) == {}
    assert resolve.asked == []


def _spec(name: str, schema: Any) -> ResourceSpec:
    return ResourceSpec(name, f"/{name}", f"/{name}/{{id}}", "id", schema=schema, seed_count=2)


def _expected(specs: list[ResourceSpec], referenced: dict[str, Any]) -> str:
    # The digest's definition written out again: sha256 of the canonical JSON of the
    # generator's settings, each spec's inputs and the schemas they reach.
    inputs = [
        [s.name, s.id_field, s.id_kind, list(s.seed), s.seed_count, s.schema, {}] for s in specs
    ]
    text = json.dumps(
        [OfflineGenerator().settings_key(), inputs, referenced],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def test_the_seed_digest_covers_the_specs_and_every_schema_they_reach() -> None:
    specs = [_spec("orders", {"$ref": "#/components/schemas/Order"})]
    value = seed_digest(specs, OfflineGenerator(), Resolver())
    assert len(value) == 32
    assert value == seed_digest(specs, OfflineGenerator(), Resolver())
    # A schema reached through a reference changes the digest, so a changed document seeds
    # again; so does another spec.
    changed = {**SCHEMAS, "#/components/schemas/Line": {"type": "integer"}}
    assert seed_digest(specs, OfflineGenerator(), Resolver(changed)) != value
    assert seed_digest([_spec("carts", specs[0].schema)], OfflineGenerator(), Resolver()) != value


def test_the_seed_digest_is_the_sha256_of_its_inputs_canonical_json() -> None:
    specs = [_spec("orders", {"$ref": "#/components/schemas/Order"})]
    referenced = {
        "#/components/schemas/Order": SCHEMAS["#/components/schemas/Order"],
        "#/components/schemas/Line": SCHEMAS["#/components/schemas/Line"],
    }
    assert seed_digest(specs, OfflineGenerator(), Resolver()) == _expected(specs, referenced)


def test_an_entity_of_a_schema_that_is_no_object_is_empty() -> None:
    for schema in ({"type": "integer"}, {"type": "string"}, {"type": "array"}):
        spec = ResourceSpec("tags", "/tags", "/tags/{id}", "id", schema=schema)
        assert generate_entity(OfflineGenerator(), spec, "seed:tags:0") == {}


def test_a_computed_field_is_its_own_copy_of_what_it_reads() -> None:
    spec = ResourceSpec(
        "orders",
        "/orders",
        "/orders/{id}",
        "id",
        computed={"copied": parse_expression("lines")},
    )
    service = ResourceService(
        {"orders": spec},
        MemoryEntityStore(still_lifetimes()),
        OfflineGenerator(),
        lambda ref: {},
        entity_ttl_seconds=60.0,
    )
    entity = {"lines": [{"qty": 1}]}
    made = computed(entity, spec, service.context("s", 0.0, {}))
    # A later change of the entity's own field (a merge patch in place) is not the copy's.
    entity["lines"][0]["qty"] = 2
    assert made["copied"] == [{"qty": 1}]
