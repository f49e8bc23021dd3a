"""The callback sender over httpx: what it hands the courier of a receiver's answer."""

from __future__ import annotations

import asyncio
import time
from email.utils import formatdate

import httpx
import pytest

from mockmind.adapters.callbacks.http_sender import HttpCallbackSender
from mockmind.ports.callbacks import SentAnswer


def _answer(response: httpx.Response) -> SentAnswer:
    sender = HttpCallbackSender(httpx.MockTransport(lambda request: response))
    return asyncio.run(sender.send("POST", "http://rx.test/cb", {}, b"{}", timeout=5))


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [({"Retry-After": "7"}, 7.0), ({"Retry-After": "soon"}, None), ({}, None)],
)
def test_a_retry_after_in_seconds_is_handed_on(
    headers: dict[str, str], seconds: float | None
) -> None:
    answer = _answer(httpx.Response(503, headers=headers))
    assert (answer.status, answer.retry_after) == (503, seconds)


def test_a_retry_after_date_is_the_seconds_until_it() -> None:
    later = formatdate(time.time() + 60, usegmt=True)
    answer = _answer(httpx.Response(429, headers={"Retry-After": later}))
    assert answer.retry_after is not None
    assert 55 <= answer.retry_after <= 60
