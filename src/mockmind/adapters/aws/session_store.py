"""Sessions in DynamoDB: a small head item each, and each interaction an item of its own.

Under the session's partition key (``SESSION#<id>``):

``SESSION`` (the head)
    what a listing shows (``created_at``, ``last_seen``, ``requests``, ``authenticated`` only
    when true; the id is in the key and in ``activity``), the keys of the ``SESSIONS_INDEX``
    global secondary index, ``v`` (the version, for optimistic locking), the history's place:
    ``g`` (the generation its interactions are written under), ``s`` and ``n`` (the number of
    its first interaction, ``history_start``, and how many it holds), ``l`` (the token of its
    newest interaction) and ``r`` (renew, below); and the state, as JSON deflated against
    the preset dictionary in ``z1`` (or as text in ``data`` when that is no larger; absent
    when there is none: adapters/aws/table.py). adapters/aws/session_head.py writes and
    reads it, and says why the names are short; heads written with the long names before
    them are read, listed and conditionally replaced alike. Its TTL (``expires_at``) is a
    ``LINGER`` past ``expiry``: the journal's events are found from it (below).
``I#<gen>#<number, 12 digits>#<token>`` (an interaction)
    the interaction's JSON (``z1``; ``data_z`` or ``data`` when written before) and ``prev``,
    the token of the interaction numbered one less that its writer built on; its TTL
    (``expires_at``) and no exact ``expiry``, which no read looks at. ``token`` is random,
    drawn for each write. In the same JSON, the journal's event of the request that added
    it (``j``, its expiry ``jx``; ``jb`` when its answer body is the interaction's, then
    not repeated: below). A renewal's first item names the generation before in ``pg``.
``JOURNAL`` (optional)
    where the journal was last deleted (``clear_kept_events``): the generation and number
    of the newest item whose event it no longer has.

The index is sparse: only heads have ``listing`` (the same value on every head), with
``activity`` (``domain/session_listing``'s key) as its sort key, so listing sessions is one
Query on one partition in activity order, never a Scan. One partition, rather than a bucket
per day or a hash shard: a page newest first, filtered by time, is then one range read and a
cursor one position in it. Its cost: every save also writes that index partition, which
DynamoDB serves up to about 1,000 writes a second (a mock's test traffic stays far below).

Why this layout. DynamoDB bills a write by the whole item it writes (one unit per KB
started), an ``UpdateItem`` as much as a ``PutItem`` however little it sends. One item
holding the session whole, compressed over its history, cost about 2.9 KB and 3 units a save
at 50 interactions of examples/shop (bench row 20), growing with the history; a map of
interactions in that item, updated in place, about 23 KB. Here a request's save writes its
interaction's item (a few hundred bytes compressed, only a large answer takes a second unit)
and the head (about 200 bytes with no state): the same however long the history.

A save by a request (``update``): the new interactions' items first, each under a fresh
token and naming the previous one's token in ``prev``, then the head by a ``PutItem``
conditional on ``version`` (and ``gen``) being the base's, with ``last`` naming the newest
token. The head is the commit point. Two writers on one session both write their
interaction's item (different tokens, so neither overwrites the other) and only one head
write holds: the other gets ``VersionConflict`` and retries from the new head, nothing lost
silently. A writer that loses, or dies between its two writes, leaves an item no head names:
a read follows the tokens back from the head's ``last`` through ``prev``, so it never sees
such an item, and nothing waits for it (no lock or claim to expire). It goes with its TTL.
Chosen over one ``TransactWriteItems`` of the two items, which DynamoDB bills at twice the
units (4 a save instead of 2: more than the whole session's 3 at 50 interactions), and over
claiming the interaction's number with a conditional put, where a claimant that dies blocks
the number until some lease, a timing rule, lets others take it.

A read (``get``): one ``GetItem`` of the head, then the interactions it names, numbers
``start``..``start + count - 1`` of its generation: the history bound holds in what is read
and kept in memory. Interaction items are written once and never changed, so an item
(number, token) read or written before is the same item now: the store remembers those of
the sessions it served (a bounded number of sessions and bytes, least recently used
forgotten first) and queries only those it does not, the ones another writer added since, or
all of them in one ``Query`` for a session it has not seen (another process, a cold start).
Consistent reads bill a unit per 4 KB started over the items returned: a read that finds all
in memory costs the head's one unit; a Query of examples/shop's 50 kept interactions about 8
more, where the session whole was one ``GetItem`` of 3 KB (bench row 20 shows both).
Interactions the bound drops are not deleted (a delete is billed as a write of the item) but
left to DynamoDB's TTL, which deletes free of charge; nothing reads them. The price is
storage, for up to a day after they are dropped.

Expiry: each interaction item expires (TTL) ``LINGER`` (a day) after its session's expiry
when written, and never before ``renew``, the head's record of the earliest expiry among its
generation's items. A save whose session would outlive ``renew`` (a session kept alive for a
day since it was last written whole) writes it whole again, under a new generation: the items
the head names always outlive it, so a read never finds one gone. A whole write (``put``, a
history that is not the base's with interactions dropped and added, the renewal) writes every
kept interaction under a new random generation, then the head: what the old generation held
is never read again and goes with its TTL. ``delete`` deletes the head, then every item of
the partition.

Items written before this layout (the session whole in ``data_z``, no ``gen``) are read as
they are, and the next save writes that session whole in this layout, replacing the item.

The journal's events. A request's save keeps its journal event (``KeepsJournalEvents``,
ports/session_store.py: the engine hands the save a builder, since the event's step is the
``requests`` count the save settles on) in its interaction's item, deflated together with
the interaction (they repeat each other; the answer body, examples/shop's list 2.9 KB of
JSON, is written once): one item a request where the journal wrote a second (bench row 20).
The event is committed with the head, as the interaction is: a losing or dead writer's event
is in an item no head leads to. ``kept_events`` (adapters/aws/interaction_items.py, with the
items' keys and how they are written) reads them newest first from the head's
``last`` back through ``prev``, a window of numbers a Query, past the history bound (dropped
items stay until their TTL) and across a renewal (its first item's ``pg`` names the last
item of the generation before); never across a whole write that is not a renewal (an
admin's rewind, fork or import, a session made anew under the id: the journal is appended
again or starts anew there). Lifetimes: an event is kept in an item only if the item and the
head outlive it (the journal's grace at most ``LINGER``; otherwise, and for an item too
large, the journal appends it as an item of its own, adapters/aws/journal.py), and nothing
deletes an interaction item a session still had but its ``delete``. Deleting the journal
alone writes the ``JOURNAL`` item, past which ``kept_events`` does not read.

Events written as items of their own (the layout before, and appends) may name the
interaction's item for their answer body instead of repeating it: ``item_holding`` says
which item this store wrote holds a body, and ``answer_bodies`` reads them back; an item
lives at least as long as an event naming it (the journal checks, against the item's TTL,
before naming it).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mockmind.adapters.aws.interaction_items import (
    PAST_TOKENS,
    Link,
    Links,
    interaction_items,
    interaction_sk,
    new_token,
    reference,
    session_pk,
)
from mockmind.adapters.aws.session_head import (
    APPEND,
    HEAD,
    LINGER,
    REPLACE,
    Head,
    head_item,
    head_of,
    int_of,
    session_id_of,
    session_of,
    summary_of,
    whole,
)
from mockmind.adapters.aws.table import (
    ITEM_BUDGET,
    DynamoTable,
    decode_payload,
    item_size,
    number,
)
from mockmind.domain.errors import StoreError, VersionConflict
from mockmind.domain.journal import JournalEvent
from mockmind.domain.session_listing import SessionPage, SessionQuery, cut
from mockmind.domain.sessions import (
    Interaction,
    Session,
    interaction_from_dict,
    session_delta,
    session_from_dict,
)
from mockmind.lean_dataclass import dataclass

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    from mockmind.adapters.aws.table import NewItem
    from mockmind.ports.journal import Journal
    from mockmind.ports.session_store import EventAtSave

SESSIONS_INDEX = "sessions-by-activity"
LISTING = "SESSION"
# What the index copies from each item: what a listing shows, and the exact expiry.
# ``session_id`` is read by nothing here now (a listing takes the id from ``activity``, which
# every listed head has had; heads of the names before carry it, new ones do not, so it costs
# nothing), only by the previous release's listing. It stays because an index's projection
# cannot change in place: DynamoDB's UpdateTable changes only an index's throughput, so a
# deployed table (template.yaml, which tests/integration/test_sam_template.py keeps equal to
# this) would need the index deleted and built again, its listing unavailable meanwhile.
INDEX_ATTRIBUTES = ("session_id", "created_at", "last_seen", "requests", "authenticated", "expiry")

# A new session may take over an item that is absent or expired but not yet deleted by TTL.
_CREATE = "attribute_not_exists(pk) OR expiry <= :now"
# A "now" before every expiry: interaction items are read whatever theirs (the head decides).
_EVER = float("-inf")
# Sessions remembered from this store's own reads and writes (the module's docstring): how
# many, and how many bytes of interaction items among them.
_KNOWN_SESSIONS = 4096
_KNOWN_BYTES = 16 * 1024 * 1024
_READ_TRIES = 3
# How many of a session's newest interactions ``item_holding`` looks through: the request's
# own is the newest, unless the same save added delivery records after it.
_BODY_LOOKBACK = 4


@dataclass(frozen=True)
class _Known:
    head: Head
    links: Links
    size: int


class DynamoSessionStore:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table
        self._known: OrderedDict[str, _Known] = OrderedDict()
        self._known_bytes = 0
        self._lock = threading.Lock()

    def get(self, session_id: str, *, now: float) -> Session | None:
        pk = session_pk(session_id)
        for _ in range(_READ_TRIES):
            item = self._table.get(pk, HEAD, now=now)
            if item is None:
                return None
            head = head_of(item)
            links: Links = {}
            if head.gen is None:
                session = session_from_dict(decode_payload(item))
            else:
                start, count = int_of(item, "s"), int_of(item, "n")
                read = self._history(session_id, head, start, count)
                if read is None:
                    # An item the head names is gone: the session was deleted since the
                    # head was read. Read it again.
                    continue
                history, links = read
                session = session_of(item, history)
            self._know(session_id, head, links)
            return session
        raise StoreError(
            f"session {session_id}: its history changed under {_READ_TRIES} reads in a row "
            f"in table {self._table.name!r}"
        )

    def keeps_events_of(self, journal: Journal) -> bool:
        """Whether ``journal`` reads the events kept in this store's interaction items: a
        DynamoDB journal of the same table (adapters/aws/journal.py)."""
        reads = getattr(journal, "reads_events_kept_in", None)
        return reads is not None and bool(reads(self._table))

    def put(
        self, session: Session, *, expected_version: int | None, event: EventAtSave | None = None
    ) -> Session:
        return self._put(session, expected_version, event, None)

    def _put(
        self,
        session: Session,
        expected_version: int | None,
        event: EventAtSave | None,
        earlier: str | None,
    ) -> Session:
        """``put``; ``earlier``: the last item of the generation this one renews (where
        the journal's older events are), named by the new generation's first item."""
        stored = session.with_version((expected_version or 0) + 1)
        gen = new_token()
        renew = stored.expires_at + LINGER
        built = _built(event, stored, renew)
        items, links, last, built = interaction_items(
            stored, gen, stored.history_start, stored.history, None, renew, built, earlier
        )
        stored = replace(stored, history=tuple(link.interaction for link in links.values()))
        head = head_item(
            stored,
            pk=session_pk(stored.id),
            listing=self._table.scoped(LISTING),
            gen=gen,
            last=last,
            renew=renew,
        )
        self._put_interactions(head, items)
        if expected_version is None:
            # The session's own clock reading, as the memory and SQLite stores use.
            written = self._table.put(
                head, condition=_CREATE, values={":now": number(session.last_seen)}
            )
        else:
            written = self._table.put(
                head, condition=REPLACE, values={":expected": whole(expected_version)}
            )
        if not written:
            if expected_version is None:
                raise VersionConflict(f"session {session.id} already exists")
            raise VersionConflict(f"session {session.id} changed since version {expected_version}")
        self._know(stored.id, Head(stored.version, gen, last, renew), links)
        if event is not None and built is not None:
            event.kept(built[0])
        return stored

    def update(
        self, session: Session, *, base: Session, event: EventAtSave | None = None
    ) -> Session:
        delta = session_delta(base, session)
        known = self._head_for(base)
        # The generation a whole write below renews: its items keep the journal's events.
        earlier = (
            reference(known.gen, base.history_start + len(base.history) - 1, known.last)
            if known.gen is not None and known.last is not None
            else None
        )
        if delta is None:
            return self._put(session, base.version, event, earlier)
        if known.gen is None or session.expires_at > known.renew:
            # A session in the layout before this one, or one that would outlive the items
            # its head names (the module's docstring): written whole, in a new generation.
            return self._put(session, base.version, event, earlier)
        stored = session.with_version(base.version + 1)
        appended = [i for _, i in delta.appended]
        first = delta.appended[0][0] if appended else 0
        expires_at = max(known.renew, stored.expires_at + LINGER)
        built = _built(event, stored, expires_at)
        items, links, last, built = interaction_items(
            stored, known.gen, first, tuple(appended), known.last, expires_at, built, None
        )
        written = [link.interaction for link in links.values()]
        if any(w is not a for w, a in zip(written, appended, strict=True)):
            # An interaction lost its bodies to fit in an item: the stored session says so.
            kept = len(stored.history) - len(written)
            stored = replace(stored, history=(*stored.history[:kept], *written))
        if not stored.history:
            last = None
        head = head_item(
            stored,
            pk=session_pk(stored.id),
            listing=self._table.scoped(LISTING),
            gen=known.gen,
            last=last,
            renew=known.renew,
        )
        self._put_interactions(head, items)
        written_head = self._table.put(
            head,
            condition=APPEND,
            values={":expected": whole(base.version), ":gen": {"S": known.gen}},
        )
        if not written_head:
            raise VersionConflict(f"session {session.id} changed since version {base.version}")
        self._know(
            stored.id,
            Head(stored.version, known.gen, last, known.renew),
            {**self._links(stored.id, known.gen, stored.history_start), **links},
        )
        if event is not None and built is not None:
            event.kept(built[0])
        return stored

    def _put_interactions(self, head: NewItem, items: Sequence[NewItem]) -> None:
        """The interaction items a head will name, written before it (the head commits them);
        refused before any write when the head alone is too large."""
        if item_size(head) > ITEM_BUDGET:
            raise StoreError(
                f"session {session_id_of(head)} needs {item_size(head)} bytes without any "
                f"history; the limit is {ITEM_BUDGET} (its state is too large)"
            )
        for item in items:
            self._table.put(item)

    def delete(self, session_id: str) -> None:
        pk = session_pk(session_id)
        # The head first: a delete cut short leaves interactions no head names.
        self._table.delete(pk, HEAD)
        self._forget(session_id)
        for item in self._table.query(pk, now=_EVER):
            self._table.delete(pk, item["sk"]["S"])

    def item_holding(
        self, session_id: str, interaction_at: float, body: Any, *, until: float
    ) -> str | None:
        """A reference (``answer_bodies`` reads it) to an interaction item this store wrote
        or read for the session, among its newest, that holds ``body`` as the answer to the
        request made at ``interaction_at`` and lives at least ``until``; None when it knows
        of none (the journal then keeps the body itself: adapters/aws/journal.py)."""
        with self._lock:
            known = self._known.get(session_id)
        if known is None or known.head.gen is None:
            return None
        newest = sorted(known.links.items(), key=lambda entry: entry[0][0], reverse=True)
        for (n, token), link in newest[:_BODY_LOOKBACK]:
            held = link.interaction
            if (
                held.at == interaction_at
                and held.delivery is None
                and (held.response_body is body or held.response_body == body)
                # TTL deletes by whole seconds, rounded up (table.ttl_attribute).
                and math.ceil(link.expires_at) >= math.ceil(until)
            ):
                return f"{known.head.gen}#{n}#{token}"
        return None

    def list(self, query: SessionQuery, *, now: float) -> SessionPage:
        filters = ["expiry > :now"]
        values: dict[str, AttributeValueTypeDef] = {":now": number(now)}
        if query.prefix:
            # The key, escaped character by character, starts as the id does: heads carry
            # the id only there and in ``activity``.
            filters.append("begins_with(pk, :prefix)")
            values[":prefix"] = {"S": self._table.scoped(session_pk(query.prefix))}
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
        return cut([summary_of(item) for item in items], query.limit)

    def _history(
        self, session_id: str, head: Head, start: int, count: int
    ) -> tuple[tuple[Interaction, ...], Links] | None:
        """The interactions the head names, oldest first, and their links; None when one of
        them is gone. Followed from the head's ``last`` back through the items this store
        remembers, and one Query of those it does not: the ones above the newest it
        remembers (added by another writer), or all of them. Committed items of a generation
        are one chain, so a second Query of the whole range is for what should not happen
        (an item gone), before giving up."""
        assert head.gen is not None
        if count == 0:
            return (), {}
        end = start + count - 1
        known = self._links(session_id, head.gen, start)
        newest_known = max((number for number, _ in known), default=start - 1)
        found: list[tuple[tuple[int, str], Link]] = []
        token, n, queries = head.last, end, 0
        while n >= start:
            if token is None:
                return None
            link = known.get((n, token))
            if link is None:
                if queries == 2:
                    return None
                lowest = (
                    max(start, newest_known + 1) if queries == 0 and n > newest_known else start
                )
                known = {**known, **self._read_links(session_id, head.gen, lowest, n)}
                queries += 1
                continue
            found.append(((n, token), link))
            token, n = link.prev, n - 1
        found.reverse()
        return tuple(link.interaction for _, link in found), dict(found)

    def _read_links(self, session_id: str, gen: str, first: int, last: int) -> Links:
        items = self._table.query_range(
            session_pk(session_id),
            now=_EVER,
            between=(interaction_sk(gen, first, ""), interaction_sk(gen, last, PAST_TOKENS)),
        )
        links: Links = {}
        for item in items:
            _, _, number_text, token = item["sk"]["S"].split("#")
            links[(int(number_text), token)] = Link(
                item["prev"]["S"] if "prev" in item else None,
                interaction_from_dict(decode_payload(item)),
                item_size(item),
                # Items written before carry their exact expiry too; TTL goes by this one.
                float(item["expires_at"]["N"]),
            )
        return links

    def _head_for(self, base: Session) -> Head:
        """The head ``base`` was read from: remembered, or read (once after a restart, or
        for a session this store did not read itself)."""
        with self._lock:
            known = self._known.get(base.id)
        if known is not None and known.head.version == base.version:
            return known.head
        item = self._table.get(session_pk(base.id), HEAD, now=_EVER)
        if item is None or int_of(item, "v") != base.version:
            raise VersionConflict(f"session {base.id} changed since version {base.version}")
        return head_of(item)

    def _links(self, session_id: str, gen: str, start: int) -> Links:
        """The remembered items of the session's generation ``gen`` numbered ``start`` on."""
        with self._lock:
            known = self._known.get(session_id)
        if known is None or known.head.gen != gen:
            return {}
        return {key: link for key, link in known.links.items() if key[0] >= start}

    def _know(self, session_id: str, head: Head, links: Links) -> None:
        size = sum(link.size for link in links.values())
        with self._lock:
            gone = self._known.pop(session_id, None)
            self._known_bytes -= gone.size if gone is not None else 0
            self._known[session_id] = _Known(head, links, size)
            self._known_bytes += size
            while len(self._known) > _KNOWN_SESSIONS or (
                self._known_bytes > _KNOWN_BYTES and len(self._known) > 1
            ):
                _, oldest = self._known.popitem(last=False)
                self._known_bytes -= oldest.size

    def _forget(self, session_id: str) -> None:
        with self._lock:
            gone = self._known.pop(session_id, None)
            self._known_bytes -= gone.size if gone is not None else 0


def _built(
    event: EventAtSave | None, stored: Session, expires_at: float
) -> tuple[JournalEvent, float] | None:
    """``event`` built for ``stored``, if the items written for it (expiring at
    ``expires_at``) and its head (a ``LINGER`` past ``stored``'s expiry) outlive it; None when
    the journal keeps it itself (too long a grace, or no event)."""
    if event is None or not stored.history or stored.history[-1].delivery is not None:
        return None
    made = event.build(stored)
    if made is None:
        return None
    # TTL deletes by whole seconds, rounded up (table.ttl_attribute).
    until = math.ceil(made[1])
    if until > math.ceil(expires_at) or until > math.ceil(stored.expires_at + LINGER):
        return None
    return made
