"""The shared seed set: entities every session sees, written once per config.

A marker names a digest of what the set is made from (each seeding spec, the schemas it
reaches, the generator's settings), written last. A restart of the same config finds it and
neither generates nor writes: generating alone (Faker's first load, a dozen entities) was a
sixth of a Lambda cold start. A changed config writes again.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mockmind.domain.cache_keys import digest
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.resources.context import ResourceContext
from mockmind.domain.resources.specs import META_COLLECTION, ResourceSpec
from mockmind.domain.sessions import SHARED_SCOPE
from mockmind.ports.api_description import SchemaResolver
from mockmind.ports.entity_store import EntityRecord, EntityStore


def computed(entity: dict[str, Any], spec: ResourceSpec, ctx: ResourceContext) -> dict[str, Any]:
    """The spec's computed fields, evaluated over the entity (in place) and returned."""
    for name, expression in spec.computed.items():
        entity[name] = copy.deepcopy(expression.evaluate(entity, ctx))
    return entity


def seed_shared(
    store: EntityStore,
    specs: Sequence[ResourceSpec],
    ctx: ResourceContext,
    generator: OfflineGenerator,
    resolve: SchemaResolver,
    new_id: Callable[[ResourceSpec, int], Any],
) -> None:
    """Write each spec's shared seed set, unless the marker of the same set is there."""
    seeding = [spec for spec in specs if spec.seed or spec.seed_count > 0]
    if not seeding:
        return
    now = ctx.now()
    marker = "seeded:" + seed_digest(seeding, generator, resolve)
    if store.get(SHARED_SCOPE, META_COLLECTION, marker, now=now) is not None:
        return
    for spec in seeding:
        entities = [dict(e) for e in spec.seed]
        for index in range(spec.seed_count):
            entity = generate_entity(generator, spec, f"seed:{spec.name}:{index}")
            entity[spec.id_field] = new_id(spec, index + 1)
            entities.append(entity)
        for index, entity in enumerate(entities):
            key = str(entity.get(spec.id_field, index + 1))
            entity.setdefault(spec.id_field, key)
            record = EntityRecord(key, computed(entity, spec, ctx), index * 1e-3)
            store.put(SHARED_SCOPE, spec.name, record, expires_at=None)
    # Last, so a start that dies half-way writes everything again next time.
    store.put(SHARED_SCOPE, META_COLLECTION, EntityRecord(marker, {}, now), expires_at=None)


def seed_digest(
    specs: Sequence[ResourceSpec], generator: OfflineGenerator, resolve: SchemaResolver
) -> str:
    inputs = [
        [
            spec.name,
            spec.id_field,
            spec.id_kind,
            list(spec.seed),
            spec.seed_count,
            spec.schema,
            {name: expression.text for name, expression in spec.computed.items()},
        ]
        for spec in specs
    ]
    referenced = referenced_schemas([spec.schema for spec in specs], resolve)
    return digest([generator.settings_key(), inputs, referenced])[:32]


def generate_entity(generator: OfflineGenerator, spec: ResourceSpec, seed: str) -> dict[str, Any]:
    """Offline content for an entity of ``spec``; empty when it has no schema."""
    if spec.schema is None:
        return {}
    value = generator.generate(spec.schema, seed=seed)
    return dict(value) if isinstance(value, Mapping) else {}


def referenced_schemas(roots: list[Any], resolve: SchemaResolver) -> dict[str, Any]:
    """Every schema reachable through ``$ref`` from the roots, by reference.

    A reference that does not resolve is recorded as such: the generator fills it with
    anything, and a start must not fail over it (nor over a "$ref" key inside an example).
    """
    found: dict[str, Any] = {}
    pending = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref not in found:
                try:
                    found[ref] = resolve(ref)
                except Exception as exc:  # any resolver failure, as in the generator
                    found[ref] = f"unresolved: {type(exc).__name__}"
                pending.append(found[ref])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found
