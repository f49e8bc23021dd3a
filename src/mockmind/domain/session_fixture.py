"""A session as a JSON fixture: its world and journal, written by export and read by import.

``{"format": "mockmind-session/1", "session": {...}, "entities": {...}, "journal": [...],
"digest": "sha256:..."}``. The digest is the SHA-256 of the canonical JSON of every other
member (sorted keys, no spaces): the same fixture always has the same digest, which is what
makes import idempotent. A fixture edited by hand may leave the digest out; one whose digest
does not match its content is refused, as it is not what was exported.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from mockmind.domain.cache_keys import digest
from mockmind.domain.errors import RequestError
from mockmind.domain.journal import Entities, JournalEvent
from mockmind.domain.resources.scope_copies import Bookkeeping
from mockmind.domain.sessions import Session
from mockmind.lean_dataclass import dataclass

FIXTURE_FORMAT = "mockmind-session/1"
# The largest fixture import reads (413 past it): a session of a few thousand events with
# large bodies fits; an API Gateway request cannot be larger than 10 MB anyway.
MAX_FIXTURE_BYTES = 8 * 1024 * 1024


def fixture_digest(content: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of every member but ``digest``."""
    return "sha256:" + digest({k: v for k, v in content.items() if k != "digest"})


@dataclass(frozen=True)
class Fixture:
    """A fixture read and checked: the session, its world, its journal and bookkeeping."""

    session: Session
    entities: Entities
    journal: tuple[JournalEvent, ...]
    bookkeeping: Bookkeeping
    digest: str


def bad_fixture(problem: str) -> RequestError:
    return RequestError(400, "Bad Request", f"the fixture is not one import can read: {problem}")


def checked(fixture: Fixture, collections: frozenset[str]) -> Fixture:
    """The fixture, if its parts agree with each other and with this server's resources;
    else a 400 naming the first problem found."""
    unknown = sorted(set(fixture.entities) - collections)
    if unknown:
        raise bad_fixture(
            f"entities: {unknown[0]!r} is no collection of this server's config "
            f"(it has {', '.join(sorted(collections)) or 'none'})"
        )
    unknown_sequences = sorted(set(fixture.bookkeeping.sequences) - collections)
    if unknown_sequences:
        raise bad_fixture(
            f"session.bookkeeping.sequences: {unknown_sequences[0]!r} is no collection of "
            "this server's config"
        )
    steps = [event.seq for event in fixture.journal]
    for n, (earlier, later) in enumerate(itertools.pairwise(steps), start=1):
        if later != earlier + 1:
            raise bad_fixture(
                f"journal[{n}]: step {later} follows step {earlier}; the steps of a journal "
                "are consecutive"
            )
    if steps and steps[-1] != fixture.session.requests:
        raise bad_fixture(
            f"journal: its last step is {steps[-1]}, but session.requests is "
            f"{fixture.session.requests}; they are the same number"
        )
    return fixture
