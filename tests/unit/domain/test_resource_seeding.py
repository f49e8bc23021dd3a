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
    seed_shared,
)
from mockmind.domain.resources.specs import META_COLLECTION
from mockmind.domain.rules.expressions import parse_expression
from mockmind.domain.sessions import SHARED_SCOPE
from mockmind.ports import EntityRecord
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
        [
            s.name,
            s.id_field,
            s.id_kind,
            list(s.seed),
            s.seed_count,
            s.schema,
            {name: e.text for name, e in s.computed.items()},
        ]
        for s in specs
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


WIDGET = {"type": "object", "properties": {"label": {"type": "string"}}}


def _seeding_world() -> tuple[MemoryEntityStore, ResourceService, Resolver]:
    resolve = Resolver({"#/components/schemas/Widget": WIDGET})
    store = MemoryEntityStore(still_lifetimes())
    service = ResourceService({}, store, OfflineGenerator(), resolve, entity_ttl_seconds=60.0)
    return store, service, resolve


def test_the_shared_seed_set_keys_each_entity_by_its_id_in_order_with_its_computed_fields() -> None:
    store, service, resolve = _seeding_world()
    widgets = ResourceSpec(
        "widgets",
        "/widgets",
        "/widgets/{id}",
        "id",
        schema={"$ref": "#/components/schemas/Widget"},
        seed=({"label": "first"}, {"id": 7, "label": "second"}),
        seed_count=2,
        computed={"seeded_at": parse_expression("now()")},
    )
    # One generated entity, and no listed ones, is a seed set too; no seed at all is none.
    gadgets = ResourceSpec("gadgets", "/gadgets", "/gadgets/{id}", "id", seed_count=1)
    bare = ResourceSpec("bare", "/bare", "/bare/{id}", "id")
    asked: list[tuple[str, int]] = []

    def new_id(spec: ResourceSpec, number: int) -> str:
        asked.append((spec.name, number))
        return f"{spec.name[0]}{number}"

    seed_shared(
        store,
        [widgets, bare, gadgets],
        service.context(SHARED_SCOPE, 1000.0, {}),
        OfflineGenerator(),
        resolve,
        new_id,
    )
    assert asked == [("widgets", 1), ("widgets", 2), ("gadgets", 1)]
    listed = store.list(SHARED_SCOPE, "widgets", now=1000.0)
    # A listed entity without an id takes its place from 1; one with an id keeps it as it is.
    assert [(r.id, r.created_at, r.parent) for r in listed] == [
        ("1", 0.0, None),
        ("7", 0.001, None),
        ("w1", 0.002, None),
        ("w2", 0.003, None),
    ]
    assert [r.data["id"] for r in listed if r.data is not None] == ["1", 7, "w1", "w2"]
    assert listed[0].data == {"label": "first", "id": "1", "seeded_at": "1970-01-01T00:16:40Z"}
    assert listed[1].data == {"id": 7, "label": "second", "seeded_at": "1970-01-01T00:16:40Z"}
    assert [r.id for r in store.list(SHARED_SCOPE, "gadgets", now=1000.0)] == ["g1"]
    assert store.list(SHARED_SCOPE, "bare", now=1000.0) == []
    referenced = {"#/components/schemas/Widget": WIDGET}
    marker = "seeded:" + _expected([widgets, gadgets], referenced)
    assert store.list(SHARED_SCOPE, META_COLLECTION, now=1000.0) == [
        EntityRecord(marker, {}, 1000.0)
    ]


def test_a_start_that_finds_the_marker_of_the_same_seed_set_writes_nothing() -> None:
    store, service, resolve = _seeding_world()
    spec = ResourceSpec(
        "widgets", "/widgets", "/widgets/{id}", "id", seed=({"id": "a"},), seed_count=1
    )
    asked: list[int] = []

    def new_id(_: ResourceSpec, number: int) -> str:
        asked.append(number)
        return f"w{number}"

    def seed(now: float) -> None:
        ctx = service.context(SHARED_SCOPE, now, {})
        seed_shared(store, [spec], ctx, OfflineGenerator(), resolve, new_id)

    seed(1000.0)
    assert asked == [1]
    store.delete(SHARED_SCOPE, "widgets", "a")
    # The marker has no expiry: found at any later start, the set is neither generated nor
    # written again.
    seed(5000.0)
    assert asked == [1]
    assert [r.id for r in store.list(SHARED_SCOPE, "widgets", now=5000.0)] == ["w1"]
    # Nor is anything written where no spec seeds.
    empty, service, resolve = _seeding_world()
    seed_shared(
        empty,
        [ResourceSpec("bare", "/bare", "/bare/{id}", "id")],
        service.context(SHARED_SCOPE, 1000.0, {}),
        OfflineGenerator(),
        resolve,
        lambda s, n: n,
    )
    assert empty.list(SHARED_SCOPE, META_COLLECTION, now=1000.0) == []


def test_the_services_seeding_reads_and_writes_the_shared_scope_through_itself() -> None:
    """The service seeds under a context of the shared scope whose names read through the
    service: a seed entity's computed field counts the entities seeded before it, and a
    singleton it reads is made and kept in the shared scope, where the next one reads it."""
    cart = ResourceSpec(
        "cart",
        "/cart",
        singleton=True,
        schema={
            "type": "object",
            "properties": {"code": {"type": "integer", "minimum": 1, "maximum": 10**9}},
            "required": ["code"],
        },
    )
    widgets = ResourceSpec(
        "widgets",
        "/widgets",
        "/widgets/{id}",
        "id",
        seed=({"id": "a"}, {"id": "b"}, {"id": "c"}),
        computed={
            "before": parse_expression("count(widgets)"),
            "cart_code": parse_expression("cart.code"),
        },
    )
    store = MemoryEntityStore(still_lifetimes())
    service = ResourceService(
        {"/cart": cart, "/widgets": widgets},
        store,
        OfflineGenerator(),
        Resolver(),
        entity_ttl_seconds=60.0,
    )
    service.seed_shared(1000.0)
    kept = store.get(SHARED_SCOPE, "cart", "_", now=1000.0)
    assert kept is not None
    assert kept.data is not None
    code = kept.data["code"]
    assert isinstance(code, int)
    listed = store.list(SHARED_SCOPE, "widgets", now=1000.0)
    assert [r.data for r in listed] == [
        {"id": "a", "before": 0, "cart_code": code},
        {"id": "b", "before": 1, "cart_code": code},
        {"id": "c", "before": 2, "cart_code": code},
    ]


CODED = {
    "type": "object",
    "properties": {"code": {"type": "string", "pattern": "^c[0-9]{6}$"}},
}


def _seeded_badges_and_tags() -> tuple[MemoryEntityStore, list[ResourceSpec]]:
    """A shared seed set of one badge, whose id is drawn from its schema (reached through a
    reference) and whose computed field reads the state, and one tag of a prefixed id."""
    refs = {"#/Coded": CODED}
    badges = ResourceSpec(
        "badges",
        "/badges",
        "/badges/{code}",
        "code",
        id_field="code",
        id_kind="schema",
        schema={"allOf": [{"$ref": "#/Coded"}]},
        seed_count=1,
        computed={"state_seen": parse_expression("state")},
    )
    tags = ResourceSpec(
        "tags", "/tags", "/tags/{id}", "id", schema={"type": "object"}, seed_count=1
    )
    store = MemoryEntityStore(still_lifetimes())
    service = ResourceService(
        {"/badges": badges, "/tags": tags},
        store,
        OfflineGenerator(),
        refs.__getitem__,
        entity_ttl_seconds=60.0,
    )
    service.seed_shared(1000.0)
    return store, [badges, tags]


def test_seeded_ids_are_drawn_for_the_shared_scope_by_their_kind() -> None:
    store, _ = _seeded_badges_and_tags()
    # Both follow the sha256 of "__shared__:<name>:1": the tag's prefix and digest, the
    # badge's code drawn from its pattern under that digest as seed.
    assert [r.data for r in store.list(SHARED_SCOPE, "tags", now=1000.0)] == [
        {"id": "tag_5c573000ec2f"}
    ]
    assert [r.data for r in store.list(SHARED_SCOPE, "badges", now=1000.0)] == [
        {"code": "c148700", "state_seen": {}}
    ]


def test_the_seed_marker_digests_the_schemas_the_specs_reach_through_references() -> None:
    store, specs = _seeded_badges_and_tags()
    marker = "seeded:50ea1fe978de5603263916b365f9a99f"
    assert marker == "seeded:" + _expected(specs, {"#/Coded": CODED})
    assert [r.id for r in store.list(SHARED_SCOPE, META_COLLECTION, now=1000.0)] == [marker]
