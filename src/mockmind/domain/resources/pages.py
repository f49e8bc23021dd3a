"""A list request's page: the records it shows and how many match in all, and the key a
page is kept under while the collection it was made of stays as it was
(``ResourceService.listing``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from mockmind.ports.entity_store import EntityRecord


class Listing(NamedTuple):
    """A list request's page: the records it shows, as the store holds them, their entities
    (the stored objects themselves: read, never changed; ``ResourceService.list`` copies
    them for a caller that may change them), and how many records match in all.

    Not copied for an answer: an answer's body is never edited in place once built (a
    cached answer's body is the cache's, an example's the document's), and a stored entity
    never changes in place either (a write stores a new record). Copying the page was
    13.4k of bench row 4's store read's 397k instructions a request (with its freeing
    when the session's history drops the answer).

    The page is read only as a whole, its list of entities too: the listing hands the page
    it kept out again while the collection is unchanged, and answers of it share one body
    (``ResourceResponder._list``)."""

    records: tuple[EntityRecord, ...]
    entities: list[dict[str, Any]]
    total: int


# A kept page: the collection's mark and the query it was made for, the page itself (handed
# out again as it is: it is read only, so the answer built from it last time is still its
# answer, ``ResourceResponder``), and the records read with their versions
# (``ResourceContext.seen``).
KeptPage = tuple[
    tuple[int, int],
    tuple[tuple[str, Any], ...],
    Listing,
    tuple[tuple[EntityRecord, int | None], ...],
]
PAGES_KEPT = 1024


def query_key(query: Mapping[str, Any]) -> tuple[tuple[str, Any], ...] | None:
    """The query as a key, when its values are text or integers: equal keys are then the
    same query to filters and paging (``True == 1`` and ``1 == 1.0`` would not be, to a
    filter comparing text). None for any other query, whose page is not kept."""
    for value in query.values():
        if type(value) is not str and type(value) is not int:
            return None
    return tuple(query.items())
