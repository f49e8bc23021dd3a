"""``run_eagerly``: the Lambda entry's way to run the app, as ``run_until_complete`` would."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from mockmind.app.lambda_entry import run_eagerly


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def test_a_coroutine_that_never_waits_ends_in_a_task_without_a_turn_of_the_loop(
    loop: asyncio.AbstractEventLoop,
) -> None:
    seen: list[object] = []
    turns: list[str] = []
    loop.call_soon(turns.append, "a turn")

    async def answer() -> None:
        seen.append(asyncio.get_running_loop())
        task = asyncio.current_task()
        seen.append(task is not None and task.get_loop())
        async with asyncio.timeout(10):
            seen.append("inside a timeout")

    run_eagerly(loop, answer())
    assert seen == [loop, loop, "inside a timeout"]
    # The callback waiting on the loop did not run: the loop was not turned.
    assert turns == []
    assert not loop.is_running()
    assert asyncio.all_tasks(loop) == set()


def test_a_coroutine_that_waits_is_finished_by_the_loop(loop: asyncio.AbstractEventLoop) -> None:
    steps: list[str] = []

    async def answer() -> None:
        steps.append("before")
        await asyncio.sleep(0)
        steps.append("after a yield")
        await asyncio.sleep(0.001)
        steps.append("after a timer")
        future = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(future.set_result, "done")
        steps.append(await future)

    run_eagerly(loop, answer())
    assert steps == ["before", "after a yield", "after a timer", "done"]
    assert not loop.is_running()


def test_its_failure_is_raised_as_run_until_complete_raises_it(
    loop: asyncio.AbstractEventLoop,
) -> None:
    async def eager() -> None:
        raise ValueError("at once")

    async def later() -> None:
        await asyncio.sleep(0)
        raise ValueError("after a wait")

    with pytest.raises(ValueError, match="at once"):
        run_eagerly(loop, eager())
    with pytest.raises(ValueError, match="after a wait"):
        run_eagerly(loop, later())
    assert not loop.is_running()
    # The loop is left usable, and not seen as running.
    assert loop.run_until_complete(asyncio.sleep(0, "still runs")) == "still runs"


def test_tasks_it_starts_advance_as_they_did_under_run_until_complete(
    loop: asyncio.AbstractEventLoop,
) -> None:
    steps: list[str] = []

    async def behind() -> None:
        steps.append("behind: first step")
        await asyncio.sleep(0)
        steps.append("behind: second step")

    tasks: set[asyncio.Task[None]] = set()

    async def answer() -> None:
        tasks.add(asyncio.get_running_loop().create_task(behind()))

    run_eagerly(loop, answer())
    # One turn of the loop after the answer: the task's first step, as before.
    assert steps == ["behind: first step"]
    run_eagerly(loop, answer())
    # The next invocation turns the loop again: the first task goes on, the new one starts.
    assert steps == ["behind: first step", "behind: second step", "behind: first step"]


def test_inside_a_running_loop_it_refuses_as_run_until_complete_does() -> None:
    async def outer() -> None:
        async def inner() -> None:
            return None

        coroutine = inner()
        with pytest.raises(RuntimeError, match=r"already running|another loop"):
            run_eagerly(asyncio.get_running_loop(), coroutine)
        coroutine.close()

    asyncio.run(outer())


def test_a_finished_task_still_held_does_not_turn_the_loop(
    loop: asyncio.AbstractEventLoop,
) -> None:
    async def quick() -> str:
        await asyncio.sleep(0)
        return "done"

    held = loop.create_task(quick())
    loop.run_until_complete(held)
    turns: list[str] = []
    loop.call_soon(turns.append, "a turn")

    async def answer() -> None:
        return None

    run_eagerly(loop, answer())
    # The held task is done: nothing is alive on the loop, so it is not turned.
    assert (held.result(), turns) == ("done", [])


def test_a_loop_that_cannot_be_seen_as_running_runs_the_coroutine_itself() -> None:
    class SlottedLoop(asyncio.SelectorEventLoop):
        # Stands for a loop type without an instance dict (uvloop's).
        def __setattr__(self, name: str, value: object) -> None:
            if name == "is_running":
                raise AttributeError(name)
            super().__setattr__(name, value)

    loop = SlottedLoop()
    turns: list[str] = []
    loop.call_soon(turns.append, "a turn")

    async def answer() -> str:
        return "answered"

    try:
        run_eagerly(loop, answer())
        # Run by the loop: its waiting callback ran, and no running loop is left behind.
        assert turns == ["a turn"]
        with pytest.raises(RuntimeError, match="no running event loop"):
            asyncio.get_running_loop()
    finally:
        loop.close()


def test_an_async_generator_dropped_unfinished_in_the_step_is_closed_by_the_loop(
    loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    unraisable: list[BaseException | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda hook: unraisable.append(hook.exc_value))
    steps: list[str] = []
    hooks_inside: list[object] = []
    hooks_before = sys.get_asyncgen_hooks()

    async def pages() -> AsyncIterator[int]:
        try:
            yield 1
            yield 2
        finally:
            await asyncio.sleep(0)
            steps.append("closed after an await")

    async def answer() -> None:
        hooks_inside.append(sys.get_asyncgen_hooks())
        async for page in pages():
            steps.append(f"page {page}")
            break

    run_eagerly(loop, answer())
    # As inside run_until_complete: the loop's hooks during the step, the old ones after.
    base: Any = loop
    assert hooks_inside == [
        (base._asyncgen_firstiter_hook, base._asyncgen_finalizer_hook),
    ]
    assert sys.get_asyncgen_hooks() == hooks_before
    # The loop's finalizer scheduled the generator's aclose; the loop runs it, as it would
    # have run it after run_until_complete.
    loop.run_until_complete(asyncio.sleep(0))
    loop.run_until_complete(asyncio.sleep(0))
    assert steps == ["page 1", "closed after an await"]
    assert unraisable == []


def _heap_sizes_after_answers(loop: asyncio.AbstractEventLoop, *, timeout: float) -> list[int]:
    """The loop's timer heap after each of 1,000 eager answers that each use a timeout."""

    async def answer() -> None:
        async with asyncio.timeout(timeout):
            pass

    base: Any = loop
    sizes = []
    for _ in range(1000):
        run_eagerly(loop, answer())
        sizes.append(len(base._scheduled))
    return sizes


def test_the_timers_eager_answers_cancel_do_not_pile_up_on_the_loop(
    loop: asyncio.AbstractEventLoop,
) -> None:
    sizes = _heap_sizes_after_answers(loop, timeout=30)
    # Each answer leaves its cancelled timer until a turn drops them: past 128 the loop is
    # turned once after the answer that left the 129th, and the heap starts again from none.
    assert max(sizes) == 128
    assert sizes[:129] == [*range(1, 129), 0]
    assert sizes[-1] == 1000 % 129


def test_a_live_timer_ahead_of_them_keeps_its_place_and_the_cancelled_ones_still_go(
    loop: asyncio.AbstractEventLoop,
) -> None:
    # Due before the answers' timeouts: at the heap's head, where a turn's pops of cancelled
    # handles from the head stop, so only the rebuild of the heap drops them.
    fired: list[str] = []
    loop.call_later(600, fired.append, "later")

    sizes = _heap_sizes_after_answers(loop, timeout=3600)
    assert max(sizes) == 129
    scheduled: Any = loop
    assert [handle.cancelled() for handle in scheduled._scheduled].count(False) == 1
    assert fired == []
