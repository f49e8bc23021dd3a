"""The memory backend frees a session, and everything the stores keep for it, when it ends:
expired (swept a few per save, or found expired by a read), or past ``max_sessions``."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mockmind.adapters.memory import (
    MemoryEntityStore,
    MemoryJournal,
    MemoryResponseCache,
    MemorySessionStore,
    SessionLifetimes,
)
from mockmind.adapters.memory.lifetimes import SWEEP_PER_SAVE
from mockmind.domain.journal import JournalEvent, RecordedExchange
from mockmind.domain.sessions import Session
from mockmind.ports import CachedResponse, EntityRecord
from tests.support.clock import ManualClock

T0 = 1000.0
TIMEOUT = 5.0
DAY = 86_400.0


class Backend:
    """The memory stores on one lifetime, as the app builds them."""

    def __init__(self, max_sessions: int = 100) -> None:
        self.clock = ManualClock(T0)
        self.lifetimes = SessionLifetimes(self.clock, max_sessions=max_sessions)
        self.sessions = MemorySessionStore(self.lifetimes)
        self.entities = MemoryEntityStore(self.lifetimes)
        self.cache = MemoryResponseCache(self.lifetimes)
        self.journal = MemoryJournal(self.lifetimes, max_events=10)

    def open(self, session_id: str) -> None:
        """What a request does: save its session, write an entity, a counter and an answer,
        and journal it."""
        now = self.clock.t
        session = Session(session_id, now, now, now + TIMEOUT)
        self.sessions.put(session, expected_version=None)
        order = EntityRecord("o-1", {"id": "o-1", "by": session_id}, now)
        self.entities.put(session_id, "orders", order, expires_at=now + DAY)
        self.entities.increment(session_id, "__meta__", "seq", now=now, expires_at=now + DAY)
        answer = CachedResponse(200, {"for": session_id})
        self.cache.put(f"k-{session_id}", answer, expires_at=now + 300, session_id=session_id)
        exchange = RecordedExchange("GET", "/orders/o-1", {}, {}, None, 200, {}, {"id": "o-1"})
        event = JournalEvent(seq=1, at=now, exchange=exchange, source="store", latency_ms=1.0)
        self.journal.append(session_id, event, expires_at=now + TIMEOUT)

    def keeps(self, session_id: str) -> bool:
        """Whether the session or anything it owned is still held in memory."""
        now = self.clock.t
        return (
            self.sessions.holds(session_id)
            or self.entities.holds(session_id)
            or self.cache.get(f"k-{session_id}", now=now) is not None
            or self.journal.holds(session_id)
        )

    def sees_order(self, session_id: str) -> bool:
        return self.entities.get(session_id, "orders", "o-1", now=self.clock.t) is not None


def test_an_expired_session_and_all_it_owned_are_freed_by_a_later_save() -> None:
    backend = Backend()
    backend.open("a")
    backend.clock.t += TIMEOUT - 1
    backend.open("b")
    assert backend.keeps("a")
    assert backend.sees_order("a")  # the entity itself lives a day
    backend.clock.t += 2  # a expired one second ago; b has three seconds left
    backend.open("c")
    assert not backend.keeps("a")
    assert not backend.sees_order("a")
    assert backend.keeps("b")
    assert backend.sees_order("b")
    assert (len(backend.sessions), len(backend.lifetimes), len(backend.cache)) == (2, 2, 2)


def test_each_save_ends_a_few_expired_sessions_so_no_request_scans_them_all() -> None:
    backend = Backend(max_sessions=1000)
    for n in range(10):
        backend.open(f"old-{n}")
    backend.clock.t += TIMEOUT + 1
    backend.open("new-0")
    assert len(backend.sessions) == 11 - SWEEP_PER_SAVE
    for n in range(1, 5):
        backend.open(f"new-{n}")
    # Two ended per save: the backlog of ten is gone after five saves, and only it.
    assert len(backend.sessions) == 5
    assert all(backend.sessions.holds(f"new-{n}") for n in range(5))
    assert not any(backend.entities.holds(f"old-{n}") for n in range(10))
    assert len(backend.cache) == 5


def test_a_session_its_saves_keep_alive_outlives_its_first_expiry_and_ends_after_its_last() -> None:
    # The sweep comes to the session at its first expiry's slot, finds it renewed and queues
    # it again; it ends once its last expiry has passed.
    backend = Backend()
    backend.open("a")
    for _ in range(4):
        backend.clock.t += TIMEOUT - 1
        now = backend.clock.t
        current = backend.sessions.get("a", now=now)
        assert current is not None
        renewed = replace(current, last_seen=now, expires_at=now + TIMEOUT)
        backend.sessions.update(renewed, base=current)
        assert backend.keeps("a")
    backend.clock.t += TIMEOUT - 0.5
    backend.open("b")
    assert backend.keeps("a")
    backend.clock.t += 1
    backend.open("c")
    assert not backend.keeps("a")
    assert backend.keeps("b")


def test_a_read_that_finds_a_session_expired_frees_it_before_the_sweep_does() -> None:
    backend = Backend()
    backend.open("a")
    # The clock the sweep goes by has not moved; the reader's time is past the expiry.
    assert backend.sessions.get("a", now=T0 + TIMEOUT) is None
    assert not backend.keeps("a")
    assert not backend.sees_order("a")


def test_a_read_before_the_expiry_keeps_the_session() -> None:
    backend = Backend()
    backend.open("a")
    found = backend.sessions.get("a", now=T0 + TIMEOUT - 0.5)
    assert found is not None
    assert found.id == "a"
    assert backend.sees_order("a")


def test_past_max_sessions_the_least_recently_saved_session_ends() -> None:
    backend = Backend(max_sessions=2)
    backend.open("a")
    backend.open("b")
    # a is saved again (a request of a), so b is now the least recently used.
    a = backend.sessions.get("a", now=T0)
    assert a is not None
    backend.sessions.put(a, expected_version=a.version)
    backend.open("c")
    assert not backend.keeps("b")
    assert not backend.sees_order("b")
    assert backend.keeps("a")
    assert backend.keeps("c")
    assert len(backend.sessions) == 2


def test_a_session_ended_by_the_cap_starts_again_empty() -> None:
    backend = Backend(max_sessions=1)
    backend.open("a")
    backend.open("b")
    assert backend.sessions.get("a", now=T0) is None
    # Saved again as a new session (what the engine does with an id it does not know).
    again = backend.sessions.put(Session("a", T0, T0, T0 + TIMEOUT), expected_version=None)
    assert again.version == 1
    assert not backend.sees_order("a")


def test_delete_frees_the_session_and_what_it_owned() -> None:
    backend = Backend()
    backend.open("a")
    backend.open("b")
    backend.sessions.delete("a")
    assert not backend.keeps("a")
    assert backend.keeps("b")


def test_records_of_other_scopes_are_freed_a_few_per_write_once_expired() -> None:
    backend = Backend()
    store = backend.entities
    for n in range(3):
        token = EntityRecord(f"t-{n}", {"session_id": "a"}, T0)
        store.put("__tokens__", "tokens", token, expires_at=T0 + 60)
    store.put("__shared__", "products", EntityRecord("p", {}, T0), expires_at=None)
    store.increment("__anonymous__", "__meta__", "seq", now=T0, expires_at=T0 + 60)
    backend.clock.t += 61
    store.put("__shared__", "products", EntityRecord("q", {}, T0), expires_at=None)
    assert store.holds("__tokens__")  # two of four freed by this write
    store.put("__shared__", "products", EntityRecord("r", {}, T0), expires_at=None)
    assert not store.holds("__tokens__")
    assert not store.holds("__anonymous__")
    assert [r.id for r in store.list("__shared__", "products", now=backend.clock.t)] == [
        "p",
        "q",
        "r",
    ]


def test_a_rewritten_record_is_kept_until_its_new_expiry() -> None:
    backend = Backend()
    store = backend.entities
    store.put("__tokens__", "tokens", EntityRecord("t", {}, T0), expires_at=T0 + 10)
    store.put("__tokens__", "tokens", EntityRecord("t", {}, T0), expires_at=T0 + 100)
    backend.clock.t += 50
    store.put("__tokens__", "tokens", EntityRecord("u", {}, T0), expires_at=T0 + 100)
    assert store.get("__tokens__", "tokens", "t", now=backend.clock.t) is not None


def test_cached_answers_are_freed_once_expired_and_the_size_bound_still_holds() -> None:
    clock = ManualClock(T0)
    cache = MemoryResponseCache(SessionLifetimes(clock), max_entries=3)
    for n in range(3):
        cache.put(f"k{n}", CachedResponse(200, n), expires_at=T0 + 10, session_id="a")
    clock.t += 11
    cache.put("fresh", CachedResponse(200, "x"), expires_at=T0 + 100, session_id="a")
    assert len(cache) == 2  # two expired ones freed by this write
    cache.put("fresh2", CachedResponse(200, "y"), expires_at=T0 + 100)
    assert len(cache) == 2
    for n in range(3):
        cache.put(f"more{n}", CachedResponse(200, n), expires_at=T0 + 100)
    assert len(cache) == 3
    assert cache.get("more2", now=clock.t) == CachedResponse(200, 2)
    assert cache.get("fresh", now=clock.t) is None  # the oldest write went first


def test_ending_a_session_frees_only_its_cached_answers() -> None:
    lifetimes = SessionLifetimes(ManualClock(T0))
    cache = MemoryResponseCache(lifetimes)
    cache.put("mine", CachedResponse(200, 1), expires_at=T0 + 100, session_id="a")
    cache.put("theirs", CachedResponse(200, 2), expires_at=T0 + 100, session_id="b")
    cache.put("nobodys", CachedResponse(200, 3), expires_at=T0 + 100)
    lifetimes.end("a")
    assert cache.get("mine", now=T0) is None
    assert cache.get("theirs", now=T0) == CachedResponse(200, 2)
    assert cache.get("nobodys", now=T0) == CachedResponse(200, 3)
    # Put again under another session, a key belongs to that one only.
    cache.put("theirs", CachedResponse(200, 4), expires_at=T0 + 100, session_id="c")
    lifetimes.end("b")
    assert cache.get("theirs", now=T0) == CachedResponse(200, 4)


def test_lifetimes_refuse_a_cap_below_one_and_a_second_session_store() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        SessionLifetimes(ManualClock(), max_sessions=0)
    lifetimes = SessionLifetimes(ManualClock())
    MemorySessionStore(lifetimes)
    with pytest.raises(RuntimeError, match="already belong"):
        MemorySessionStore(lifetimes)
