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

The session's parts live in attributes of their own, so that a request's save is one
``UpdateItem`` (conditional on ``version``) that writes what the request changed rather than a
``PutItem`` of the whole session: ``st``, a map of state keys to their values; ``h``, a map of
interactions by number (``hstart`` is the number of the oldest kept, ``Session.history_start``);
``hbytes``, the size of ``h``'s entries, kept so the update can check the item stays inside
the size budget (``table.ITEM_BUDGET``) without reading it. A save that would go past the budget,
and an item from before this layout (its whole session JSON in ``data``/``data_z``), are written
whole instead, history trimmed to fit.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from mockmind.adapters.aws.table import (
    ITEM_BUDGET,
    DynamoTable,
    decode_payload,
    decode_value,
    encode_value,
    expiry_attributes,
    item_size,
    key_part,
    number,
    value_size,
)
from mockmind.domain.errors import StoreError, VersionConflict
from mockmind.domain.session_listing import SessionPage, SessionQuery, cut
from mockmind.domain.sessions import (
    Interaction,
    Session,
    SessionSummary,
    StateValue,
    interaction_from_dict,
    interaction_to_dict,
    session_delta,
    session_from_dict,
    state_value_from_dict,
    state_value_to_dict,
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
# A save of what changed: the version still the one read, and room left for what it adds.
_CHANGE = "version = :expected AND hbytes <= :room"
# Interactions are compressed one by one, without the rest of the history to share words
# with: from a smaller size than whole payloads (``table._COMPRESS_FROM``), as each one is
# written on its own, and every byte of the item counts in each write's cost.
_COMPRESS_INTERACTIONS_FROM = 128
# What an item holds besides the map of interactions (its name, and a map's own 3 bytes).
_HISTORY_MAP_OVERHEAD = len("h") + 3


class DynamoSessionStore:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, session_id: str, *, now: float) -> Session | None:
        item = self._table.get(_pk(session_id), _SK, now=now)
        return None if item is None else _session(item)

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

    def update(self, session: Session, *, base: Session) -> Session:
        delta = session_delta(base, session)
        if delta is None:
            return self.put(session, expected_version=base.version)
        stored = session.with_version(base.version + 1)
        appended = {str(n): _interaction_value(i) for n, i in delta.appended}
        dropped = [str(n) for n in delta.dropped]
        gone = base.history[: len(dropped)]
        grow = sum(_entry_size(key, value) for key, value in appended.items()) - sum(
            _entry_size(key, _interaction_value(i)) for key, i in zip(dropped, gone, strict=True)
        )
        head = _head(stored)
        room = ITEM_BUDGET - item_size(head) - _HISTORY_MAP_OVERHEAD - grow
        changed = self._table.update(
            _pk(session.id),
            _SK,
            set_values={
                name: head[name]
                for name in (
                    "version",
                    "activity",
                    "last_seen",
                    "requests",
                    "authenticated",
                    "expires_at",
                    "expiry",
                    "hstart",
                )
            },
            add={"hbytes": grow},
            set_entries={
                **{("h", key): value for key, value in appended.items()},
                **{("st", key): _state_value(v) for key, v in delta.state_set.items()},
            },
            remove_entries=[
                *(("h", key) for key in dropped),
                *(("st", key) for key in delta.state_removed),
            ],
            condition=_CHANGE,
            values={":expected": {"N": str(base.version)}, ":room": {"N": str(room)}},
            returned=False,
        )
        if changed is not None:
            return stored
        # Either another writer saved first, or the item has no room left or is of the
        # layout before this one: read whatever is there (expired or not, as the condition
        # did) to tell which.
        current = self._table.get(_pk(session.id), _SK, now=-math.inf)
        if current is None or int(current["version"]["N"]) != base.version:
            raise VersionConflict(f"session {session.id} changed since version {base.version}")
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
            partition=("listing", LISTING),
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


def _head(session: Session) -> NewItem:
    """Everything of the session's item but its interactions."""
    summary = SessionSummary.of(session)
    return {
        "pk": {"S": _pk(session.id)},
        "sk": {"S": _SK},
        "version": {"N": str(session.version)},
        "listing": {"S": LISTING},
        "activity": {"S": summary.activity_key},
        "session_id": {"S": session.id},
        "created_at": number(session.created_at),
        "last_seen": number(session.last_seen),
        "requests": {"N": str(session.requests)},
        "authenticated": {"BOOL": session.authenticated},
        **expiry_attributes(session.expires_at),
        "st": {"M": {k: _state_value(v) for k, v in session.state.items()}},
        "hstart": {"N": str(session.history_start)},
    }


def _item(session: Session) -> NewItem:
    history = {
        str(session.history_start + n): _interaction_value(i) for n, i in enumerate(session.history)
    }
    size = sum(_entry_size(key, value) for key, value in history.items())
    return {**_head(session), "h": {"M": history}, "hbytes": {"N": str(size)}}


def _entry_size(key: str, value: AttributeValueTypeDef) -> int:
    """What one map entry adds to the item's size."""
    return len(key.encode()) + value_size(value) + 1


def _interaction_value(interaction: Interaction) -> AttributeValueTypeDef:
    return encode_value(interaction_to_dict(interaction), compress_from=_COMPRESS_INTERACTIONS_FROM)


def _state_value(value: StateValue) -> AttributeValueTypeDef:
    return encode_value(state_value_to_dict(value))


def _session(item: Item) -> Session:
    if "h" not in item:
        # Written before the session's parts had attributes of their own.
        return session_from_dict(decode_payload(item))
    entries = item["h"]["M"]
    history: tuple[Interaction, ...] = tuple(
        interaction_from_dict(decode_value(entries[key])) for key in sorted(entries, key=int)
    )
    return Session(
        id=item["session_id"]["S"],
        created_at=float(item["created_at"]["N"]),
        last_seen=float(item["last_seen"]["N"]),
        expires_at=float(item["expiry"]["N"]),
        version=int(item["version"]["N"]),
        authenticated=bool(item["authenticated"]["BOOL"]),
        state={k: state_value_from_dict(decode_value(v)) for k, v in item["st"]["M"].items()},
        history=history,
        requests=int(item["requests"]["N"]),
        history_start=int(item["hstart"]["N"]),
    )


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
