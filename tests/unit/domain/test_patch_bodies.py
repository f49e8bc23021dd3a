"""A PATCH whose body is no merge-patch object: no body at all (the request body is optional in
many documents), a JSON Patch list, a scalar. The entity keeps its fields (issue 15, E1: it was
a 500)."""

from __future__ import annotations

from typing import Any

import pytest

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.resources import ResourceAction, ResourceService, ResourceSpec
from tests.support.clock import still_lifetimes

NOTES = ResourceSpec("notes", "/notes", "/notes/{noteId}", "noteId")
NOW = 1000.0


@pytest.fixture
def service() -> ResourceService:
    return ResourceService(
        {NOTES.name: NOTES},
        MemoryEntityStore(still_lifetimes()),
        OfflineGenerator(),
        lambda ref: {},
        entity_ttl_seconds=3600,
    )


def _patch(service: ResourceService, entity_id: Any, body: Any) -> dict[str, Any]:
    ctx = service.context("s1", NOW, {})
    return service.write(ctx, ResourceAction(NOTES, "merge", entity_id=entity_id), body, merge=True)


@pytest.mark.parametrize("body", [None, [{"op": "replace", "path": "/title", "value": "x"}], "x"])
def test_a_patch_without_a_merge_object_keeps_the_entity(
    service: ResourceService, body: Any
) -> None:
    ctx = service.context("s1", NOW, {})
    created = service.create(ctx, ResourceAction(NOTES, "create"), {"title": "first"})
    assert _patch(service, created["id"], body) == created
    assert service.read(service.context("s1", NOW, {}), NOTES, created["id"]) == created


def test_a_merge_object_still_merges(service: ResourceService) -> None:
    ctx = service.context("s1", NOW, {})
    created = service.create(ctx, ResourceAction(NOTES, "create"), {"title": "first", "tag": "a"})
    changed = _patch(service, created["id"], {"title": "second", "tag": None})
    assert changed == {"id": created["id"], "title": "second"}
