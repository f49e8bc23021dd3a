"""Journals in DynamoDB: one item per event under the session's ``JOURNAL#`` partition.

The sort key is the step, zero-padded, so a query reads events in order. An append is
put-if-absent (a step is written once, by whoever got there first), then deletes the step
``max_events`` back: with steps counted one by one that keeps the partition at ``max_events``
items with one small write. Steps left over from a larger bound (a config change) are never
read (``read`` cuts at the last step minus ``max_events``) and go with their TTL.

Each item expires (TTL) at the session's expiry when it was written, plus the grace the caller
adds (entities outlive an idle session by a day in this backend; the journal goes with them).
A read takes the journal as live while its newest event is, as the other stores do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from mockmind.domain.journal import JournalEvent, JournalPage

if TYPE_CHECKING:
    from mockmind.adapters.aws.table import NewItem

_PREFIX = "JOURNAL#"
_STEP_DIGITS = 12
# A "now" before every expiry: reads that take expired items too.
_EVER = float("-inf")


class DynamoJournal:
    def __init__(self, table: DynamoTable, *, max_events: int) -> None:
        if max_events < 1:
            raise ValueError(f"max_events must be at least 1, not {max_events}")
        self._table = table
        self.max_events = max_events

    def append(self, session_id: str, event: JournalEvent, *, expires_at: float) -> bool:
        pk = _pk(session_id)
        item = _item(pk, event, expires_at)
        if item_size(item) > ITEM_BUDGET:
            # Bodies are what can be large; the rest of the event (what changed) is kept.
            item = _item(pk, event.without_bodies(), expires_at)
        if not self._table.put(item, condition="attribute_not_exists(pk)"):
            return False
        gone = event.seq - self.max_events
        if gone >= 1:
            self._table.delete(pk, _sk(gone))
        return True

    def read(
        self, session_id: str, *, now: float, after: int = 0, limit: int | None = None
    ) -> JournalPage:
        pk = _pk(session_id)
        # The journal lives as long as its newest event: older items keep the expiry they were
        # written with (renewing each on every append would cost a write per kept event).
        newest = self._table.query_range(pk, now=_EVER, limit=1, newest_first=True)
        if not newest or not is_live(newest[0], now):
            return JournalPage((), 0)
        last = _seq(newest[0])
        cut = max(0, last - self.max_events)
        first = self._table.query_range(pk, now=_EVER, after_sk=_sk(cut), limit=1)
        dropped = _seq(first[0]) - 1 if first else cut
        items = self._table.query_range(pk, now=_EVER, after_sk=_sk(max(after, cut)), limit=limit)
        return JournalPage(tuple(_event(item) for item in items), dropped)

    def delete(self, session_id: str) -> None:
        pk = _pk(session_id)
        for item in self._table.query(pk, now=_EVER):
            self._table.delete(pk, item["sk"]["S"])


def _pk(session_id: str) -> str:
    return _PREFIX + key_part(session_id)


def _sk(seq: int) -> str:
    return str(seq).zfill(_STEP_DIGITS)


def _seq(item: Any) -> int:
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


def _event(item: Any) -> JournalEvent:
    return JournalEvent.from_dict(decode_payload(item))
