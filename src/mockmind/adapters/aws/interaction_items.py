"""A session's interaction items on DynamoDB (adapters/aws/session_store.py's docstring says
the layout): their keys, how an interaction and the journal event it keeps are written into
one, and how the journal reads its kept events and answer bodies back from them."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mockmind.adapters.aws.session_head import HEAD, LINGER, head_of, int_of, whole
from mockmind.adapters.aws.table import (
    ITEM_BUDGET,
    DynamoTable,
    decode_payload,
    encode_payload,
    item_size,
    key_part,
    ttl_attribute,
)
from mockmind.domain.errors import StoreError
from mockmind.domain.journal import JournalEvent
from mockmind.domain.sessions import Interaction, Session, interaction_to_dict
from mockmind.lean_dataclass import dataclass

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from mockmind.adapters.aws.table import Item, NewItem

_NUMBER_DIGITS = 12
# Sorts after every token character (URL-safe base64): the upper end of a number's keys.
PAST_TOKENS = "~"
# A "now" before every expiry: interaction items are read whatever theirs (the head decides).
_EVER = float("-inf")
# The journal's event kept in an interaction's payload (the module's docstring): the event,
# its expiry, and whether its answer body is the interaction's own (then not repeated).
_EVENT, _EVENT_EXPIRY, _SAME_BODY = "j", "jx", "jb"
# On a generation's first item written by a renewal: ``<gen>#<number>#<token>`` of the last
# item of the generation before, where the journal's older events are.
_EARLIER = "pg"
# The item that says which events the journal no longer has (``clear_kept_events``).
_CLEARED = "JOURNAL"
# How many interaction numbers a journal read queries at first, and at most, per Query.
_WINDOW, _MAX_WINDOW = 32, 256


@dataclass(frozen=True)
class Link:
    """An interaction item as read or written: the token before it, the interaction, the
    item's size (what the memory of them is bounded by) and its expiry."""

    prev: str | None
    interaction: Interaction
    size: int
    expires_at: float


# Interaction items of one generation by (number, token): written once, never changed.
Links = dict[tuple[int, str], Link]


def answer_bodies(table: DynamoTable, session_id: str, references: Sequence[str]) -> dict[str, Any]:
    """The answer bodies held by the session's interaction items ``references`` name
    (``item_holding``'s, ``<gen>#<number>#<token>``: the sort key without its fixed parts),
    by reference; those found (an item goes with its TTL, or with its session's delete)."""
    keys: dict[str, str] = {}
    for reference in references:
        gen, n, token = reference.split("#")
        keys[interaction_sk(gen, int(n), token)] = reference
    found = table.get_many(session_pk(session_id), keys)
    return {keys[sk]: decode_payload(item).get("response_body") for sk, item in found.items()}


def kept_events(
    table: DynamoTable, session_id: str, *, now: float
) -> Iterator[tuple[JournalEvent, float]]:
    """The journal's events kept in the session's interaction items, newest first, each with
    its expiry: those of the items its head names and, through their ``prev`` and a
    renewal's ``pg``, of the items before, back to the first gone (or a ``LINGER`` past its
    TTL at ``now``) or cleared (``clear_kept_events``). Items a losing or dead writer left
    are never reached. Queried a window of numbers at a time, so a reader that stops early
    reads little."""
    pk = session_pk(session_id)
    found = table.get_many(pk, (HEAD, _CLEARED))
    item = found.get(HEAD)
    if item is None:
        return
    head = head_of(item)
    if head.gen is None or head.last is None:
        return
    cleared = _cleared_of(found.get(_CLEARED))
    gen, n, token = head.gen, int_of(item, "s") + int_of(item, "n") - 1, head.last
    fetched: dict[tuple[int, str], Item] = {}
    lowest, window = n + 1, _WINDOW
    while n >= 0:
        if cleared is not None and cleared[0] == gen and n <= cleared[1]:
            return
        link = fetched.get((n, token))
        if link is None:
            if n < lowest:
                low = max(0, lowest - window)
                for read in table.query_range(
                    pk,
                    now=_EVER,
                    between=(
                        interaction_sk(gen, low, ""),
                        interaction_sk(gen, lowest - 1, PAST_TOKENS),
                    ),
                ):
                    _, _, number_text, read_token = read["sk"]["S"].split("#")
                    fetched[(int(number_text), read_token)] = read
                lowest, window = low, min(window * 2, _MAX_WINDOW)
                continue
            # Gone (TTL, or a delete under way): nothing before it can be reached.
            return
        if float(link["expires_at"]["N"]) + LINGER <= now:
            # As good as gone: TTL deletes in no set order, and the ``JOURNAL`` item, whose
            # TTL is a ``LINGER`` past that of the items it clears, may have gone before them.
            return
        payload = decode_payload(link)
        if _EVENT in payload:
            yield _kept_event(payload), float(payload[_EVENT_EXPIRY])
        if "prev" in link:
            token, n = link["prev"]["S"], n - 1
        elif _EARLIER in link:
            gen, number_text, token = link[_EARLIER]["S"].split("#")
            n = int(number_text)
            fetched, lowest, window = {}, n + 1, _WINDOW
        else:
            return


def clear_kept_events(table: DynamoTable, session_id: str) -> None:
    """Mark the events kept in the session's interaction items so far as gone from its
    journal: ``kept_events`` stops at the newest item its head names now. Its TTL is a
    ``LINGER`` past the head's, so no earlier than a ``LINGER`` past those of the items it
    clears, which ``kept_events`` takes as gone from then on (TTL deletes in no set order);
    a session's ``delete`` deletes it with the rest."""
    pk = session_pk(session_id)
    item = table.get(pk, HEAD, now=_EVER)
    if item is None or head_of(item).gen is None:
        return
    head = head_of(item)
    assert head.gen is not None
    table.put(
        {
            "pk": {"S": pk},
            "sk": {"S": _CLEARED},
            "g": {"S": head.gen},
            "n": whole(int_of(item, "s") + int_of(item, "n") - 1),
            **ttl_attribute(float(item["expires_at"]["N"]) + LINGER),
        }
    )


def _cleared_of(item: Item | None) -> tuple[str, int] | None:
    if item is None:
        return None
    return item["g"]["S"], int(item["n"]["N"])


def _kept_event(payload: dict[str, Any]) -> JournalEvent:
    event = JournalEvent.from_dict(payload[_EVENT])
    if not payload.get(_SAME_BODY):
        return event
    exchange = replace(event.exchange, response_body=payload.get("response_body"))
    return replace(event, exchange=exchange)


def reference(gen: str, n: int, token: str) -> str:
    return f"{gen}#{n}#{token}"


def session_pk(session_id: str) -> str:
    return f"SESSION#{key_part(session_id)}"


def interaction_sk(gen: str, n: int, token: str) -> str:
    return f"I#{gen}#{str(n).zfill(_NUMBER_DIGITS)}#{token}"


def new_token() -> str:
    return secrets.token_urlsafe(6)


def interaction_items(
    session: Session,
    gen: str,
    first: int,
    interactions: tuple[Interaction, ...],
    prev: str | None,
    expires_at: float,
    event: tuple[JournalEvent, float] | None = None,
    earlier: str | None = None,
) -> tuple[list[NewItem], Links, str | None, tuple[JournalEvent, float] | None]:
    """The items of ``interactions``, numbered from ``first`` and chained from ``prev``
    (the first naming ``earlier`` when there is none); their links, in order, holding the
    interactions as written (one too large for an item keeps everything but its bodies, the
    bulk of it and the least useful part of an old one); the newest token; ``event`` when
    the newest item keeps it (not when that would take the item past its size budget)."""
    items: list[NewItem] = []
    links: Links = {}
    newest = first + len(interactions) - 1
    kept_event = None
    for n, given in enumerate(interactions, first):
        token = new_token()
        kept = given
        with_event = event if n == newest else None
        item = interaction_item(
            session.id, gen, n, token, prev, kept, expires_at, with_event, earlier
        )
        if with_event is not None and item_size(item) > ITEM_BUDGET:
            # The journal keeps it as an item of its own, its bodies left out if need be.
            with_event = None
            item = interaction_item(
                session.id, gen, n, token, prev, kept, expires_at, None, earlier
            )
        if item_size(item) > ITEM_BUDGET:
            kept = replace(given, request_body=None, response_body=None)
            item = interaction_item(
                session.id, gen, n, token, prev, kept, expires_at, None, earlier
            )
            if item_size(item) > ITEM_BUDGET:
                raise StoreError(
                    f"session {session.id}: interaction {n} needs {item_size(item)} bytes "
                    f"without its bodies; the limit is {ITEM_BUDGET}"
                )
        items.append(item)
        links[(n, token)] = Link(prev, kept, item_size(item), expires_at)
        prev, earlier = token, None
        kept_event = with_event
    return items, links, prev, kept_event


def interaction_item(
    session_id: str,
    gen: str,
    n: int,
    token: str,
    prev: str | None,
    interaction: Interaction,
    expires_at: float,
    event: tuple[JournalEvent, float] | None = None,
    earlier: str | None = None,
) -> NewItem:
    payload = interaction_to_dict(interaction)
    if event is not None:
        # In the interaction's own JSON, deflated with it: the two repeat each other (the
        # request, the status, the time), and the answer body is not written twice.
        kept, until = event
        body = kept.exchange.response_body
        same = body is not None and (
            body is interaction.response_body or body == interaction.response_body
        )
        if same:
            kept = replace(kept, exchange=replace(kept.exchange, response_body=None))
            payload[_SAME_BODY] = 1
        payload[_EVENT] = kept.to_dict()
        payload[_EVENT_EXPIRY] = until
    item: NewItem = {
        "pk": {"S": session_pk(session_id)},
        "sk": {"S": interaction_sk(gen, n, token)},
        # TTL only: reads take interaction items whatever their expiry (the head decides).
        **ttl_attribute(expires_at),
        **encode_payload(payload, compress_from=0),
    }
    if prev is not None:
        item["prev"] = {"S": prev}
    elif earlier is not None:
        item[_EARLIER] = {"S": earlier}
    return item
