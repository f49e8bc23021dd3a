"""The memory journal: each session's events in step order, the oldest dropped past the bound,
and a session's journal small when it holds few events (every live session holds one)."""

from __future__ import annotations

import tracemalloc

from mockmind.adapters.memory import MemoryJournal, SessionLifetimes
from mockmind.domain.journal import JournalEvent, RecordedExchange
from tests.support.clock import ManualClock

NOW = 1000.0
EXCHANGE = RecordedExchange("GET", "/cart", {}, {}, None, 200, {}, {"items": []})


def _event(seq: int) -> JournalEvent:
    return JournalEvent(seq=seq, at=NOW, exchange=EXCHANGE, source="store", latency_ms=1.0)


def _journal(max_events: int) -> MemoryJournal:
    return MemoryJournal(SessionLifetimes(ManualClock(NOW)), max_events=max_events)


def _steps(journal: MemoryJournal, session_id: str) -> list[int]:
    page = journal.read(session_id, now=NOW)
    return [event.seq for event in page.events]


def test_the_newest_events_are_kept_in_step_order_past_the_bound() -> None:
    journal = _journal(3)
    for seq in range(1, 6):
        assert journal.append("s", _event(seq), expires_at=NOW + 5)
    assert _steps(journal, "s") == [3, 4, 5]
    assert journal.read("s", now=NOW).dropped == 2


def test_a_late_step_goes_in_order_and_the_bound_still_holds() -> None:
    journal = _journal(3)
    for seq in (1, 2, 4):
        journal.append("s", _event(seq), expires_at=NOW + 5)
    assert journal.append("s", _event(3), expires_at=NOW + 5)
    assert _steps(journal, "s") == [2, 3, 4]
    # Older than every step kept: it would be dropped first, so it is not kept.
    journal.append("s", _event(1), expires_at=NOW + 5)
    assert _steps(journal, "s") == [2, 3, 4]
    assert not journal.append("s", _event(3), expires_at=NOW + 5)


def test_a_one_event_journal_costs_little_memory() -> None:
    """A churning client's sessions have one request each, and each live session keeps its
    journal: a bounded deque made it 760 bytes or more, whatever the bound."""
    sessions = 2_000
    journal = _journal(200)
    events = [_event(1) for _ in range(sessions)]
    ids = [f"session-{n}" for n in range(sessions)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for session_id, event in zip(ids, events, strict=True):
            journal.append(session_id, event, expires_at=NOW + 5)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # A list of one (88 bytes) and the session's entries in the journal's two dicts.
    assert held / sessions < 400
