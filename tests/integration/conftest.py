from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def event_loop_for_mangum() -> Iterator[None]:
    # Mangum calls asyncio.get_event_loop(), which warns (an error here) when no loop is set,
    # and never closes the loop it gets; the test owns one and closes it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()
