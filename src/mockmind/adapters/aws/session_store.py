"""Sessions in DynamoDB: one item each, written with optimistic locking on ``version``."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from mockmind.adapters.aws.table import (
    ITEM_BUDGET,
    DynamoTable,
    decode_payload,
    encode_payload,
    expiry_attributes,
    item_size,
    key_part,
    number,
)
from mockmind.domain.errors import StoreError, VersionConflict
from mockmind.domain.sessions import Session, session_from_dict, session_to_dict

if TYPE_CHECKING:
    from mockmind.adapters.aws.table import NewItem

_SK = "SESSION"

# A new session may take over an item that is absent or expired but not yet deleted by TTL.
_CREATE = "attribute_not_exists(pk) OR expiry <= :now"
_UPDATE = "version = :expected"


class DynamoSessionStore:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, session_id: str, *, now: float) -> Session | None:
        item = self._table.get(_pk(session_id), _SK, now=now)
        return None if item is None else session_from_dict(decode_payload(item))

    def put(self, session: Session, *, expected_version: int | None) -> Session:
        stored = _fitting(session.with_version((expected_version or 0) + 1))
        item = _item(stored)
        if expected_version is None:
            # The session's own clock reading, as the memory and SQLite stores use.
            written = self._table.put(
                item, condition=_CREATE, values={":now": number(session.last_seen)}
            )
        else:
            written = self._table.put(
                item, condition=_UPDATE, values={":expected": {"N": str(expected_version)}}
            )
        if not written:
            if expected_version is None:
                raise VersionConflict(f"session {session.id} already exists")
            raise VersionConflict(f"session {session.id} changed since version {expected_version}")
        return stored

    def delete(self, session_id: str) -> None:
        self._table.delete(_pk(session_id), _SK)


def _pk(session_id: str) -> str:
    return f"SESSION#{key_part(session_id)}"


def _item(session: Session) -> NewItem:
    return {
        "pk": {"S": _pk(session.id)},
        "sk": {"S": _SK},
        "version": {"N": str(session.version)},
        **expiry_attributes(session.expires_at),
        **encode_payload(session_to_dict(session)),
    }


def _fitting(session: Session) -> Session:
    """The session, or as much of its history as keeps the item inside the size budget.

    What goes, oldest first: the bodies of interactions (the bulk of a session, and the least
    useful part of an old one), then whole interactions. Dropping more never makes the item
    bigger, so a binary search over how many steps to take finds the least loss.
    """
    if item_size(_item(session)) <= ITEM_BUDGET:
        return session
    count = len(session.history)

    def trimmed(steps: int) -> Session:
        kept = session.history[max(0, steps - count) :]
        bare = min(steps, count) - max(0, steps - count)
        history = tuple(
            replace(i, request_body=None, response_body=None) if n < bare else i
            for n, i in enumerate(kept)
        )
        return replace(session, history=history)

    def fits(steps: int) -> bool:
        return item_size(_item(trimmed(steps))) <= ITEM_BUDGET

    if not fits(2 * count):
        size = item_size(_item(trimmed(2 * count)))
        raise StoreError(
            f"session {session.id} needs {size} bytes without any history; "
            f"the limit is {ITEM_BUDGET} (its state is too large)"
        )
    low, high = 1, 2 * count
    while low < high:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    return trimmed(low)
