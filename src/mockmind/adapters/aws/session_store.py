"""Sessions in DynamoDB: one item each, written with optimistic locking on ``version``.

Each session item also carries what a listing shows (``session_id``, ``created_at``,
``last_seen``, ``requests``, ``authenticated``) and the keys of the ``SESSIONS_INDEX``
global secondary index: ``listing`` (the same value on every session item) and
``activity`` (``domain/session_listing``'s key). Only session items have ``listing``, so the
index is sparse: it holds sessions and nothing else, and listing them is one Query on one
partition in activity order, never a Scan of the table.

One partition, rather than a bucket per day or a hash shard: a page newest first, filtered
by time, is then a single range read, and a cursor is one position in it. Its cost is that
every session save also writes that one index partition, which DynamoDB serves up to about
1,000 writes a second (a mock's test traffic stays far below); shards would multiply the
queries of every page instead.

Every save writes the session whole, its JSON zlib-compressed in ``data_z``
(``table.encode_payload``), as one ``PutItem`` conditional on ``version``; a request's save
(``update``) too, though it only adds an interaction, sets some state and drops what the
history bound lets go. DynamoDB bills a write by the size of the whole item it writes, one
write unit per KB started, an ``UpdateItem`` as much as a ``PutItem`` however little it
sends. Compressed over the whole history, the item of examples/shop's session at 50 requests
is about 3 KB (bench row 20). Interactions kept apart in the one item, so that an
``UpdateItem`` sends only the new one, make it bigger, as they are then stored uncompressed
or compressed one by one, sharing no words: a map of them was about 23 KB at 50 requests,
about 8 times the write units per save, for a 0.7 KB call.

What would write less: each interaction an item of its own under the session's partition
key, and a small head item holding the state, counts and ``version``, a request's save being
one ``TransactWriteItems`` of the head (conditional on ``version``), the new interaction and
the delete of the one the bound drops. Its cost stays the same however long the history
(each item about 1 KB or less, twice the units in a transaction: 4 units, 6 with the
delete), so it beats whole writes once the compressed session passes 4 to 6 KB (larger
bodies, a longer bound); reads become a Query of the partition. Not done.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

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
from mockmind.domain.session_listing import SessionPage, SessionQuery, cut
from mockmind.domain.sessions import (
    Session,
    SessionSummary,
    session_from_dict,
    session_to_dict,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    from mockmind.adapters.aws.table import Item, NewItem

_SK = "SESSION"
SESSIONS_INDEX = "sessions-by-activity"
LISTING = "SESSION"
# What the index copies from each item: what a listing shows, and the exact expiry.
INDEX_ATTRIBUTES = ("session_id", "created_at", "last_seen", "requests", "authenticated", "expiry")

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
        item = _item(stored, self._table.scoped(LISTING))
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

    def update(self, session: Session, *, base: Session) -> Session:
        # Whole, as every save here (the module's docstring says why).
        return self.put(session, expected_version=base.version)

    def delete(self, session_id: str) -> None:
        self._table.delete(_pk(session_id), _SK)

    def list(self, query: SessionQuery, *, now: float) -> SessionPage:
        filters = ["expiry > :now"]
        values: dict[str, AttributeValueTypeDef] = {":now": number(now)}
        if query.prefix:
            filters.append("begins_with(session_id, :prefix)")
            values[":prefix"] = {"S": query.prefix}
        items = self._table.query_index(
            SESSIONS_INDEX,
            partition=("listing", self._table.scoped(LISTING)),
            sort_key="activity",
            lowest=query.lowest,
            below=query.highest,
            newest_first=True,
            wanted=query.limit + 1,
            filter_expression=" AND ".join(filters),
            values=values,
            now=now,
        )
        return cut([_summary(item) for item in items], query.limit)


def _pk(session_id: str) -> str:
    return f"SESSION#{key_part(session_id)}"


def _item(session: Session, listing: str = LISTING) -> NewItem:
    summary = SessionSummary.of(session)
    return {
        "pk": {"S": _pk(session.id)},
        "sk": {"S": _SK},
        "version": {"N": str(session.version)},
        "listing": {"S": listing},
        "activity": {"S": summary.activity_key},
        "session_id": {"S": session.id},
        "created_at": number(session.created_at),
        "last_seen": number(session.last_seen),
        "requests": {"N": str(session.requests)},
        "authenticated": {"BOOL": session.authenticated},
        **expiry_attributes(session.expires_at),
        **encode_payload(_document(session)),
    }


def _document(session: Session) -> dict[str, Any]:
    document = session_to_dict(session)
    if session.history_start:
        # Left out at 0 (nothing dropped yet), as in items written before it was kept: every
        # byte of the item is billed on every save.
        document["history_start"] = session.history_start
    return document


def _summary(item: Item) -> SessionSummary:
    return SessionSummary(
        id=item["session_id"]["S"],
        created_at=float(item["created_at"]["N"]),
        last_seen=float(item["last_seen"]["N"]),
        expires_at=float(item["expiry"]["N"]),
        requests=int(item["requests"]["N"]),
        authenticated=bool(item["authenticated"]["BOOL"]),
    )


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
        gone = max(0, steps - count)
        kept = session.history[gone:]
        bare = min(steps, count) - gone
        history = tuple(
            replace(i, request_body=None, response_body=None) if n < bare else i
            for n, i in enumerate(kept)
        )
        return replace(session, history=history, history_start=session.history_start + gone)

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
