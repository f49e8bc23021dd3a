"""Entities made to fit their collection's item schema before they are stored, since every
answer that shows one must: request fields the schema forbids are dropped, a wrong shape or a
missing required field is generated, and the entity's id is kept when the schema allows it."""

from __future__ import annotations

from typing import Any

from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.resources.specs import ResourceSpec


def fitted(
    generator: OfflineGenerator, spec: ResourceSpec, entity: dict[str, Any]
) -> dict[str, Any]:
    """The entity repaired to the spec's item schema (as it is, without one)."""
    if spec.schema is None:
        return entity
    seed = f"{spec.name}:{entity.get(spec.id_field)}"
    repaired = generator.repair(spec.schema, entity, seed=seed)
    if not isinstance(repaired, dict):
        return entity
    if spec.id_field in entity and repaired.get(spec.id_field) != entity[spec.id_field]:
        kept = {**repaired, spec.id_field: entity[spec.id_field]}
        if generator.is_valid(spec.schema, kept):
            return kept
    return repaired
