"""Shared pieces of the resource tests: an orders/items pair of specs (items nested under an
order) and a memory store that records which collections each scope drop named."""

from __future__ import annotations

from collections.abc import Collection

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.domain.resources import ResourceSpec
from tests.support.clock import still_lifetimes

ORDERS = ResourceSpec("orders", "/orders", "/orders/{orderId}", "orderId")
ITEMS = ResourceSpec(
    "items",
    "/orders/{orderId}/items",
    "/orders/{orderId}/items/{itemId}",
    "itemId",
    parent="orders",
    parent_param="orderId",
    parent_field="orderId",
)


class DropRecordingStore(MemoryEntityStore):
    """A memory store that remembers the collections each ``drop_scope`` named: a store that
    keeps each collection apart (DynamoDB's partitions) drops only those."""

    def __init__(self) -> None:
        super().__init__(still_lifetimes())
        self.dropped: list[tuple[str, list[str]]] = []

    def drop_scope(self, scope: str, collections: Collection[str] = ()) -> None:
        self.dropped.append((scope, sorted(collections)))
        super().drop_scope(scope, collections)
