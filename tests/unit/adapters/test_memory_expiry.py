"""The memory stores' expiry queue: keys come out once expired, a few at a time."""

from __future__ import annotations

import math

import pytest

from mockmind.adapters.memory.expiry import ExpiryQueue


def test_keys_come_out_once_their_slot_has_ended() -> None:
    queue: ExpiryQueue[str] = ExpiryQueue()
    queue.schedule("a", 10.0)
    queue.schedule("b", 10.5)
    queue.schedule("c", 12.0)
    assert queue.due(9.99, 10) == []
    assert queue.due(10.0, 10) == ["a"]
    # b expired at 10.5 and leaves with its slot, which ends at 11: at most a slot late.
    assert queue.due(10.9, 10) == []
    assert queue.due(11.0, 10) == ["b"]
    assert queue.due(100.0, 10) == ["c"]
    assert len(queue) == 0


def test_due_hands_out_at_most_limit_keys_and_the_rest_later() -> None:
    queue: ExpiryQueue[int] = ExpiryQueue()
    for n in range(5):
        queue.schedule(n, 1.0 + n / 10)
    first = queue.due(50.0, 2)
    second = queue.due(50.0, 2)
    third = queue.due(50.0, 2)
    assert (len(first), len(second), len(third)) == (2, 2, 1)
    assert sorted(first + second + third) == [0, 1, 2, 3, 4]
    assert queue.due(50.0, 2) == []


def test_earlier_slots_come_out_first() -> None:
    queue: ExpiryQueue[str] = ExpiryQueue()
    queue.schedule("late", 30.0)
    queue.schedule("early", 5.0)
    queue.schedule("middle", 20.0)
    assert [queue.due(100.0, 1)[0] for _ in range(3)] == ["early", "middle", "late"]


def test_rescheduling_moves_a_key_and_cancelling_or_never_removes_it() -> None:
    queue: ExpiryQueue[str] = ExpiryQueue()
    queue.schedule("slides", 10.0)
    queue.schedule("slides", 40.0)
    queue.schedule("cancelled", 10.0)
    queue.cancel("cancelled")
    queue.schedule("forever", 10.0)
    queue.schedule("forever", None)
    assert queue.due(39.0, 10) == []
    assert "slides" in queue
    assert "forever" not in queue
    assert queue.due(40.0, 10) == ["slides"]
    queue.cancel("never scheduled")
    assert len(queue) == 0


def test_a_slot_emptied_and_used_again_hands_out_its_keys_once() -> None:
    queue: ExpiryQueue[str] = ExpiryQueue()
    queue.schedule("a", 10.0)
    queue.schedule("a", 20.0)  # slot 10 emptied; its heap entry stays behind
    queue.schedule("b", 10.0)  # slot 10 used again: pushed a second time
    assert queue.due(15.0, 10) == ["b"]
    assert queue.due(25.0, 10) == ["a"]
    assert queue.due(99.0, 10) == []


def test_coarser_resolution_groups_keys() -> None:
    queue: ExpiryQueue[str] = ExpiryQueue(resolution=60.0)
    queue.schedule("a", 1.0)
    queue.schedule("b", 59.0)
    assert queue.due(59.0, 10) == []
    assert sorted(queue.due(60.0, 10)) == ["a", "b"]
    with pytest.raises(ValueError, match="positive"):
        ExpiryQueue(resolution=0)


def test_next_due_is_when_the_earliest_slot_ends() -> None:
    # What a save checks before asking ``due``: never later than a key's slot's end, and
    # back to never once every slot has been handed out.
    queue: ExpiryQueue[str] = ExpiryQueue()
    assert queue.next_due == math.inf
    queue.schedule("late", 20.5)
    assert queue.next_due == 21.0
    queue.schedule("early", 9.2)
    queue.schedule("early too", 9.7)
    assert queue.next_due == 10.0
    assert len(queue.due(10.0, 1)) == 1
    assert queue.next_due == 10.0  # the slot still holds a key
    assert len(queue.due(10.0, 1)) == 1
    assert queue.next_due == 21.0
    queue.cancel("late")
    # A cancelled key's slot stays in the order until ``due`` comes to it: one call finds none.
    assert queue.due(21.0, 10) == []
    assert queue.next_due == math.inf
    queue.schedule("again", 5.0)
    assert queue.next_due == 5.0
