"""Entities in DynamoDB: one partition per scope and collection, one item per entity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mockmind.adapters.aws.table import (
    DynamoTable,
    decode_payload,
    encode_payload,
    expiry_attributes,
    key_part,
    number,
)
from mockmind.ports.entity_store import EntityRecord

if TYPE_CHECKING:
    from mockmind.adapters.aws.table import Item, NewItem


class DynamoEntityStore:
    """A collection is one Query away; an entity too big for an item raises ``StoreError``."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(
        self, scope: str, collection: str, entity_id: str, *, now: float
    ) -> EntityRecord | None:
        item = self._table.get(_pk(scope, collection), entity_id, now=now)
        return None if item is None else _record(item)

    def put(
        self, scope: str, collection: str, record: EntityRecord, *, expires_at: float | None
    ) -> None:
        item: NewItem = {
            "pk": {"S": _pk(scope, collection)},
            "sk": {"S": record.id},
            "created_at": number(record.created_at),
            **expiry_attributes(expires_at),
            # A tombstone (data None) is stored as JSON null, so it reads back as one.
            **encode_payload(None if record.data is None else dict(record.data)),
        }
        if record.parent is not None:
            item["parent"] = {"S": record.parent}
        self._table.put(item)

    def delete(self, scope: str, collection: str, entity_id: str) -> None:
        self._table.delete(_pk(scope, collection), entity_id)

    def list(self, scope: str, collection: str, *, now: float) -> list[EntityRecord]:
        records = [_record(item) for item in self._table.query(_pk(scope, collection), now=now)]
        return sorted(records, key=lambda r: (r.created_at, r.id))


def _pk(scope: str, collection: str) -> str:
    return f"ENTITY#{key_part(scope)}#{key_part(collection)}"


def _record(item: Item) -> EntityRecord:
    parent = item.get("parent")
    return EntityRecord(
        id=item["sk"]["S"],
        data=decode_payload(item),
        created_at=float(item["created_at"]["N"]),
        parent=None if parent is None else parent["S"],
    )
