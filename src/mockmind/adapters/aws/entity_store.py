"""Entities in DynamoDB: one partition per scope and collection, one item per entity.

Every write is one UpdateItem that adds 1 to the item's ``version``, its condition (absent,
or at the version read) checked by DynamoDB in the same step. Counters are items of their own
(``COUNTER#`` partitions), so a Query of a collection never meets one.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from mockmind.adapters.aws.table import (
    PAYLOAD_ATTRIBUTES,
    DynamoTable,
    decode_payload,
    encode_payload,
    expiry_attributes,
    key_part,
    number,
)
from mockmind.domain.errors import EntityExists, StoreError, VersionConflict
from mockmind.ports.entity_store import EntityRecord

if TYPE_CHECKING:
    from mockmind.adapters.aws.table import Item, NewItem

# Attributes an entity item may have besides its keys, ``created_at`` and ``version``: each
# write sets those it has and removes the others, so a write leaves nothing of the one before.
_OPTIONAL = (*PAYLOAD_ATTRIBUTES, "parent", "expires_at", "expiry")
# Absent, or expired and waiting for TTL to delete it.
_ABSENT = "attribute_not_exists(pk) OR expiry <= :now"
_LIVE = "attribute_not_exists(expiry) OR expiry > :now"
_COUNTER = "counter"
# A "now" before every expiry: reads that take expired items too.
_EVER = float("-inf")
# A reset of an expired counter races only other resets and increments: a few turns settle it.
_COUNTER_ATTEMPTS = 5


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
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        *,
        expires_at: float | None,
        expected_version: int | None = None,
    ) -> EntityRecord:
        condition: str | None
        values: NewItem | None
        if expected_version is None:
            condition, values = None, None
        elif expected_version == 0:
            # Read from an item written before versions existed.
            condition, values = "attribute_exists(pk) AND attribute_not_exists(version)", None
        else:
            condition, values = "version = :expected", {":expected": {"N": str(expected_version)}}
        version = self._write(scope, collection, record, expires_at, condition, values)
        if version is None:
            raise VersionConflict(
                f"{collection} {record.id} changed since version {expected_version}"
            )
        return _versioned(record, version)

    def put_new(
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        *,
        now: float,
        expires_at: float | None,
    ) -> EntityRecord:
        version = self._write(scope, collection, record, expires_at, _ABSENT, {":now": number(now)})
        if version is None:
            raise EntityExists(f"{collection} {record.id} already exists")
        return _versioned(record, version)

    def delete(self, scope: str, collection: str, entity_id: str) -> None:
        self._table.delete(_pk(scope, collection), entity_id)

    def drop_scope(self, scope: str, collections: Collection[str]) -> None:
        """Each named collection's partition of ``scope`` and its counters' partition, item by
        item (expired ones too: TTL deletion lags). Partitions are per collection: the
        caller names them, so no scan of the table is needed."""
        for collection in collections:
            for pk in (_pk(scope, collection), _counter_pk(scope, collection)):
                for item in self._table.query(pk, now=_EVER):
                    self._table.delete(pk, item["sk"]["S"])

    def list(self, scope: str, collection: str, *, now: float) -> list[EntityRecord]:
        records = [_record(item) for item in self._table.query(_pk(scope, collection), now=now)]
        return sorted(records, key=lambda r: (r.created_at, r.id))

    def increment(
        self,
        scope: str,
        collection: str,
        key: str,
        *,
        now: float,
        expires_at: float | None,
        by: int = 1,
    ) -> int:
        pk = _counter_pk(scope, collection)
        expiry = expiry_attributes(expires_at)
        removed = [] if expiry else ["expires_at", "expiry"]
        for _ in range(_COUNTER_ATTEMPTS):
            # ADD starts an absent counter at 0. The whole item comes back (a counter's is a
            # few attributes): with only the updated ones, a counter this write left as it was
            # (by 0, or a restart at the value it held) may be missing from the answer.
            changed = self._table.update(
                pk,
                key,
                set_values=expiry,
                remove=removed,
                add={_COUNTER: by},
                condition=_LIVE,
                values={":now": number(now)},
                whole_item=True,
            )
            if changed is None:
                # Expired but not yet deleted by TTL: it starts again, unless another writer
                # restarted it first (then the next turn adds to theirs).
                changed = self._table.update(
                    pk,
                    key,
                    set_values={**expiry, _COUNTER: {"N": str(by)}},
                    remove=removed,
                    condition="expiry <= :now",
                    values={":now": number(now)},
                    whole_item=True,
                )
            if changed is not None:
                return int(changed[_COUNTER]["N"])
        raise StoreError(f"counter {key} of {collection} kept changing; gave up")

    def _write(
        self,
        scope: str,
        collection: str,
        record: EntityRecord,
        expires_at: float | None,
        condition: str | None,
        values: NewItem | None,
    ) -> int | None:
        """The record written in one UpdateItem; its new version, None when ``condition``
        did not hold."""
        attributes: NewItem = {
            "created_at": number(record.created_at),
            **expiry_attributes(expires_at),
            # A tombstone (data None) is stored as JSON null, so it reads back as one.
            # Deflated against the preset dictionary however small: DynamoDB bills an
            # UpdateItem by the whole item, and entity writes come with requests.
            **encode_payload(None if record.data is None else dict(record.data), compress_from=0),
        }
        if record.parent is not None:
            attributes["parent"] = {"S": record.parent}
        changed = self._table.update(
            _pk(scope, collection),
            record.id,
            set_values=attributes,
            remove=[name for name in _OPTIONAL if name not in attributes],
            add={"version": 1},
            condition=condition,
            values=values,
        )
        # Adding 1 always changes ``version``, so it is among the updated attributes returned.
        return None if changed is None else int(changed["version"]["N"])


def _counter_pk(scope: str, collection: str) -> str:
    return f"COUNTER#{key_part(scope)}#{key_part(collection)}"


def _pk(scope: str, collection: str) -> str:
    return f"ENTITY#{key_part(scope)}#{key_part(collection)}"


def _versioned(record: EntityRecord, version: int) -> EntityRecord:
    return EntityRecord(record.id, record.data, record.created_at, record.parent, version)


def _record(item: Item) -> EntityRecord:
    parent = item.get("parent")
    version = item.get("version")
    return EntityRecord(
        id=item["sk"]["S"],
        data=decode_payload(item),
        created_at=float(item["created_at"]["N"]),
        parent=None if parent is None else parent["S"],
        version=0 if version is None else int(version["N"]),
    )
