"""The memory journal keeps a request's event unbuilt (``KeepsUnbuiltEvents``) and builds it
when it is first read: once, in step order with built events, and one that cannot be built is
left out as if it had never been appended."""

from __future__ import annotations

from mockmind.adapters.memory import MemoryJournal, SessionLifetimes
from mockmind.domain.journal import JournalEvent, RecordedExchange
from mockmind.ports.journal import KeepsUnbuiltEvents, UnbuiltEvent
from tests.support.clock import ManualClock


def _event(seq: int) -> JournalEvent:
    exchange = RecordedExchange("GET", f"/x/{seq}", {}, {}, None, 200, {}, None)
    return JournalEvent(seq=seq, at=float(seq), exchange=exchange, source="offline", latency_ms=1)


class Builder:
    """Builds the events it hands the journal unbuilt, counting each build."""

    def __init__(self, *, fails: bool = False) -> None:
        self.fails = fails
        self.builds = 0

    def build_unbuilt(self, unbuilt: UnbuiltEvent) -> JournalEvent | None:
        self.builds += 1
        return None if self.fails else _event(unbuilt[0])


def test_unbuilt_events_are_built_once_when_read_and_unbuildable_ones_left_out() -> None:
    journal = MemoryJournal(SessionLifetimes(ManualClock(0.0)), max_events=10)
    assert isinstance(journal, KeepsUnbuiltEvents)
    second, third = Builder(), Builder(fails=True)
    assert journal.append("s", _event(1), expires_at=100.0)
    assert journal.append_unbuilt("s", (2, second), expires_at=100.0)
    assert journal.append_unbuilt("s", (3, third), expires_at=100.0)
    assert not journal.append_unbuilt("s", (2, Builder()), expires_at=100.0)  # a step kept
    page = journal.read("s", now=1.0)
    assert page.events == (_event(1), _event(2))
    assert journal.read("s", now=1.0, after=1).events == (_event(2),)
    assert (second.builds, third.builds) == (1, 1)
