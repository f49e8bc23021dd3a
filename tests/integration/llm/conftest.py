from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_provider import FakeProvider, serve


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    yield from serve()
