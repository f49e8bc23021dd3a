"""Journals in DynamoDB: the events a session's saves keep in its interaction items, and
items of their own under the session's ``JOURNAL#`` partition.

Kept events. The engine's request events are kept by the session's save in the request's
interaction item (adapters/aws/session_store.py says how, and how ``kept_events`` finds
them): one write a request. A read takes them, newest first, down to the cut of the last
``max_events`` steps, and merges the items of their own; a step in both reads as its own
item (there first: ``append`` would have refused a second). The journal lives while its
newest event does, kept or not. ``delete`` deletes its items and marks the kept events as
gone (``clear_kept_events``). Items of their own are what ``append`` writes: events a save
did not keep (an item too large, a grace longer than interaction items are kept), and an
admin's copies (rewind, fork, import); and those of the layout before this one. ``append``
looks only among items of their own for an event at its step, not among kept events (that
would read the session's items on every append): no caller appends a step a save kept, as
the engine appends only what its save did not keep, and an admin's copies follow a whole
write of the session, from which no kept event is reachable.

The sort key is the step, zero-padded, so a query reads events in order. An append is
put-if-absent (a step is written once, by whoever got there first), then deletes the step
``max_events`` back: with steps counted one by one that keeps the partition at ``max_events``
items with one small write. Steps left over from a larger bound (a config change) are never
read (``read`` cuts at the last step minus ``max_events``) and go with their TTL.

Each item expires (TTL) at the session's expiry when it was written, plus the grace the caller
adds (entities outlive an idle session by a day in this backend; the journal goes with them).
A read takes the journal as live while its newest event is, as the other stores do.

The answer's body, once. The session's item for the same request (adapters/aws/
session_store.py, one item per interaction) already holds the answer body, the bulk of most
events (examples/shop's list answer: 2.9 KB of JSON in both). Given the session store
(``sessions``), an append asks it for the item that holds this request's body and outlives
this event (``item_holding``: one it wrote, so no read), and writes the event without the
body and, in ``ib``, that item's generation, number and token (its sort key less the fixed
parts); a read fetches the items its events name (``answer_bodies``: one BatchGetItem) and
puts their bodies back. Nothing else ties the two:

- lifetime: the interaction item lives at least as long as the event (checked on append;
  its TTL is the session's expiry plus a day, the event's the same plus the journal's grace,
  a day), and nothing deletes it before: the session's history bound leaves dropped items to
  TTL, a session written whole (a renewal, a reset or an import) writes a new generation and
  leaves the old one to TTL, and deleting a session deletes its journal first
  (domain/session_travel.py). An event whose body's item is gone all the same (TTL deletes
  in no order among expired items, and older events are read past their own expiry while the
  newest lives) reads with the note ``body_no_longer_kept`` in its place, as an event too
  large keeps ``without_bodies``' note (replay compares neither);
- when the store does not know the item (another process saved the session, the body was
  too large for the interaction's item, the session was written whole since), the event
  keeps its body, as before.

Items written before (the body inside, no ``ib``) are read as they are.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mockmind.adapters.aws.interaction_items import answer_bodies, clear_kept_events, kept_events
from mockmind.adapters.aws.table import (
    ITEM_BUDGET,
    DynamoTable,
    decode_payload,
    encode_payload,
    expiry_attributes,
    is_live,
    item_size,
    key_part,
)
from mockmind.domain.journal import JournalEvent, JournalPage, body_no_longer_kept

if TYPE_CHECKING:
    from mockmind.adapters.aws.session_store import DynamoSessionStore
    from mockmind.adapters.aws.table import Item, NewItem

_PREFIX = "JOURNAL#"
_STEP_DIGITS = 12
# A "now" before every expiry: reads that take expired items too.
_EVER = float("-inf")
# Which of the session's interaction items holds the event's answer body (``item_holding``).
_HELD = "ib"


class DynamoJournal:
    def __init__(
        self,
        table: DynamoTable,
        *,
        max_events: int,
        sessions: DynamoSessionStore | None = None,
    ) -> None:
        if max_events < 1:
            raise ValueError(f"max_events must be at least 1, not {max_events}")
        self._table = table
        self.max_events = max_events
        self._sessions = sessions

    def append(self, session_id: str, event: JournalEvent, *, expires_at: float) -> bool:
        pk = _pk(session_id)
        item = self._item(session_id, event, expires_at)
        if item_size(item) > ITEM_BUDGET:
            # Bodies are what can be large; the rest of the event (what changed) is kept.
            item = _item(pk, event.without_bodies(), expires_at)
        if not self._table.put(item, condition="attribute_not_exists(pk)"):
            return False
        gone = event.seq - self.max_events
        if gone >= 1:
            self._table.delete(pk, _sk(gone))
        return True

    def reads_events_kept_in(self, table: DynamoTable) -> bool:
        """Whether this journal reads the events a session store on ``table`` keeps in its
        interaction items (adapters/aws/session_store.py, ``keeps_events_of``)."""
        return table.name == self._table.name and table.key_prefix == self._table.key_prefix

    def read(
        self, session_id: str, *, now: float, after: int = 0, limit: int | None = None
    ) -> JournalPage:
        pk = _pk(session_id)
        kept = kept_events(self._table, session_id, now=now)
        newest_kept = next(kept, None)
        # The journal lives as long as its newest event: older items keep the expiry they were
        # written with (renewing each on every append would cost a write per kept event).
        newest = self._table.query_range(pk, now=_EVER, limit=1, newest_first=True)
        last, live = 0, False
        if newest:
            last, live = _seq(newest[0]), is_live(newest[0], now)
        if newest_kept is not None and newest_kept[0].seq > last:
            last, live = newest_kept[0].seq, newest_kept[1] > now
        if not live:
            return JournalPage((), 0)
        cut = max(0, last - self.max_events)
        # Events kept with the session's interactions, then those of items of their own
        # (appended by ``append``, or by the layout before): an item of its own was there
        # first, as ``append`` would have refused a second event at its step.
        events: dict[int, JournalEvent] = {}
        for event, _ in itertools.chain((newest_kept,) if newest_kept else (), kept):
            if event.seq <= cut:
                break
            events[event.seq] = event
        first = self._table.query_range(pk, now=_EVER, after_sk=_sk(cut), limit=1)
        dropped = min([*events, *(_seq(item) for item in first)], default=cut + 1) - 1
        lowest = max(after, cut)
        # With kept events, a page's ``limit`` applies to both sources merged.
        items = self._table.query_range(
            pk, now=_EVER, after_sk=_sk(lowest), limit=None if events else limit
        )
        held = [item[_HELD]["S"] for item in items if _HELD in item]
        bodies = answer_bodies(self._table, session_id, held) if held else {}
        events.update((_seq(item), _event(item, bodies)) for item in items)
        page = [events[seq] for seq in sorted(events) if seq > lowest]
        return JournalPage(tuple(page if limit is None else page[:limit]), dropped)

    def delete(self, session_id: str) -> None:
        pk = _pk(session_id)
        for item in self._table.query(pk, now=_EVER):
            self._table.delete(pk, item["sk"]["S"])
        clear_kept_events(self._table, session_id)

    def _item(self, session_id: str, event: JournalEvent, expires_at: float) -> NewItem:
        """The event's item: without its answer body where the session's interaction item
        holds it (the module's docstring)."""
        pk = _pk(session_id)
        body = event.exchange.response_body
        if body is None or self._sessions is None:
            return _item(pk, event, expires_at)
        held = self._sessions.item_holding(session_id, event.at, body, until=expires_at)
        if held is None:
            return _item(pk, event, expires_at)
        return {**_item(pk, _answered(event, None), expires_at), _HELD: {"S": held}}


def _pk(session_id: str) -> str:
    return _PREFIX + key_part(session_id)


def _sk(seq: int) -> str:
    return str(seq).zfill(_STEP_DIGITS)


def _seq(item: Item) -> int:
    return int(item["sk"]["S"])


def _item(pk: str, event: JournalEvent, expires_at: float) -> NewItem:
    return {
        "pk": {"S": pk},
        "sk": {"S": _sk(event.seq)},
        **expiry_attributes(expires_at),
        # Compressed however small: an event is written on every request, and its JSON (the
        # request's headers, the change's before and after) compresses by about a third.
        **encode_payload(event.to_dict(), compress_from=0),
    }


def _event(item: Item, bodies: dict[str, Any]) -> JournalEvent:
    event = JournalEvent.from_dict(decode_payload(item))
    if _HELD not in item:
        return event
    held = item[_HELD]["S"]
    return _answered(event, bodies[held] if held in bodies else body_no_longer_kept())


def _answered(event: JournalEvent, body: Any) -> JournalEvent:
    return replace(event, exchange=replace(event.exchange, response_body=body))
