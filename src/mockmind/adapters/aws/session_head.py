"""A DynamoDB session's head item (adapters/aws/session_store.py has the layout): its
attributes under their short names, and the long names heads had before, read alike; the
head written from a session, and read back into a session or a listing's summary.

Short names because every save writes the head whole and DynamoDB bills every byte of every
name. Heads written before them (``session_id``, ``authenticated`` always, ``version``,
``gen``, ``start``, ``count``, ``last``, ``renew``) are read, listed and conditionally
replaced alike; the next save writes the short names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockmind.adapters.aws.table import (
    decode_payload,
    encode_payload,
    has_payload,
    number,
    ttl_attribute,
)
from mockmind.domain.errors import StoreError
from mockmind.domain.sessions import (
    Interaction,
    Session,
    SessionSummary,
    state_value_from_dict,
    state_value_to_dict,
)
from mockmind.lean_dataclass import dataclass

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    from mockmind.adapters.aws.table import Item, NewItem

HEAD = "SESSION"
# How long an interaction's item, and the head naming it, outlive the session's expiry when
# written: how often a session kept alive that long is written whole again, how long dropped
# interactions stay stored before TTL takes them, and the longest journal grace whose events
# the interaction items can keep (adapters/aws/session_store.py).
LINGER = 86_400.0
# The conditions of a save on the head it read (version, and generation for an append),
# met by a head of the names before as well.
REPLACE = "v = :expected OR version = :expected"
APPEND = "(v = :expected AND g = :gen) OR (version = :expected AND gen = :gen)"
# The head's own attributes by their short names, and the names heads had before.
OLD_NAMES = {"v": "version", "g": "gen", "s": "start", "n": "count", "r": "renew", "l": "last"}


@dataclass(frozen=True)
class Head:
    """What a save needs of the head its base was read from: ``gen`` None for an item in
    the layout before this one (the session whole)."""

    version: int
    gen: str | None
    last: str | None
    renew: float


def head_of(item: Item) -> Head:
    gen, last = _attribute(item, "g"), _attribute(item, "l")
    if gen is None:
        return Head(int_of(item, "v"), None, None, 0.0)
    renew = _attribute(item, "r")
    assert renew is not None  # written with every generation
    return Head(
        int_of(item, "v"), gen["S"], last["S"] if last is not None else None, float(renew["N"])
    )


def int_of(item: Item, name: str) -> int:
    """The head's whole-number attribute ``name`` (short), or under the name it had before."""
    found = _attribute(item, name)
    if found is None:
        # Both names: the head is of neither layout, whichever it was meant to be.
        raise StoreError(
            f"session head {item['pk']['S']!r} has no {name!r} "
            f"(nor {OLD_NAMES[name]!r}, its name before)"
        )
    return int(found["N"])


def whole(value: int) -> AttributeValueTypeDef:
    return {"N": str(value)}


def session_id_of(item: Item) -> str:
    """The id in the head's ``activity`` (``<micros>#<id>``): the head does not repeat it."""
    return item["activity"]["S"].split("#", 1)[1]


def head_item(
    session: Session, *, pk: str, listing: str, gen: str, last: str | None, renew: float
) -> NewItem:
    summary = SessionSummary.of(session)
    item: NewItem = {
        "pk": {"S": pk},
        "sk": {"S": HEAD},
        "v": whole(session.version),
        "listing": {"S": listing},
        "activity": {"S": summary.activity_key},
        "created_at": number(session.created_at),
        "last_seen": number(session.last_seen),
        "requests": whole(session.requests),
        # TTL a day late (``LINGER``): the journal's events kept in the interaction items
        # are found from the head, and live until the session's expiry plus the journal's
        # grace (adapters/aws/session_store.py). Reads and listings go by ``expiry``.
        **ttl_attribute(session.expires_at + LINGER),
        "expiry": number(session.expires_at),
        "g": {"S": gen},
        "s": whole(session.history_start),
        "n": whole(len(session.history)),
        "r": number(renew),
    }
    if session.authenticated:
        # Absent: not authenticated (the usual case, so the usual head is smaller).
        item["authenticated"] = {"BOOL": True}
    if last is not None:
        item["l"] = {"S": last}
    if session.state:
        state = {k: state_value_to_dict(v) for k, v in session.state.items()}
        item.update(encode_payload(state, compress_from=0))
    return item


def session_of(head: Item, history: tuple[Interaction, ...]) -> Session:
    state: dict[str, Any] = decode_payload(head) if has_payload(head) else {}
    return Session(
        id=session_id_of(head),
        created_at=float(head["created_at"]["N"]),
        last_seen=float(head["last_seen"]["N"]),
        expires_at=float(head["expiry"]["N"]),
        version=int_of(head, "v"),
        authenticated=_authenticated(head),
        state={k: state_value_from_dict(v) for k, v in state.items()},
        history=history,
        requests=int(head["requests"]["N"]),
        history_start=int_of(head, "s"),
    )


def summary_of(head: Item) -> SessionSummary:
    return SessionSummary(
        id=session_id_of(head),
        created_at=float(head["created_at"]["N"]),
        last_seen=float(head["last_seen"]["N"]),
        expires_at=float(head["expiry"]["N"]),
        requests=int(head["requests"]["N"]),
        authenticated=_authenticated(head),
    )


def _attribute(item: Item, name: str) -> AttributeValueTypeDef | None:
    found = item.get(name)
    return found if found is not None else item.get(OLD_NAMES[name])


def _authenticated(item: Item) -> bool:
    flag = item.get("authenticated")
    return flag is not None and bool(flag["BOOL"])
