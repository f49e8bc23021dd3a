"""The courier: the delay, retries with backoff, what ends them, and the history record."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from mockmind.adapters.memory import MemorySessionStore
from mockmind.domain.callbacks.courier import Courier
from mockmind.domain.callbacks.deliveries import (
    Delivery,
    DeliveryBatch,
    DeliveryFailed,
    DeliveryPolicy,
    Refusal,
)
from mockmind.domain.sessions import Session
from mockmind.ports.callbacks import SentAnswer
from tests.support.clock import ManualClock, still_lifetimes


class ScriptedSender:
    """Answers from a script (a status, or an error for no answer), noting when each came."""

    def __init__(self, clock: ManualClock, *script: int | str | tuple[int, float]) -> None:
        self.clock = clock
        self.script = list(script)
        self.sent: list[tuple[float, str, str, dict[str, str], bytes, float]] = []

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, *, timeout: float
    ) -> SentAnswer:
        self.sent.append((self.clock.now(), method, url, dict(headers), body, timeout))
        step = self.script.pop(0)
        if isinstance(step, str):
            raise DeliveryFailed(step)
        if isinstance(step, tuple):  # a status and the Retry-After it came with
            return SentAnswer(step[0], b"", None, retry_after=step[1])
        return SentAnswer(step, b'{"ok":true}', "application/json")


DELIVERY = Delivery(
    "callback",
    "onData",
    "POST",
    "http://rx.test/data",
    {"Content-Type": "application/json"},
    '{"n":1}',
    "POST /streams",
)


def _setup(
    *script: int | str | tuple[int, float], policy: DeliveryPolicy | None = None
) -> tuple[Courier, ScriptedSender, MemorySessionStore, ManualClock]:
    clock = ManualClock(1000.0)
    store = MemorySessionStore(still_lifetimes())
    store.put(Session("s1", 1000.0, 1000.0, 10_000.0), expected_version=None)
    sender = ScriptedSender(clock, *script)
    courier = Courier(sender, store, clock, policy or DeliveryPolicy(), max_history=10)
    return courier, sender, store, clock


def _history(store: MemorySessionStore) -> list[dict[str, object]]:
    session = store.get("s1", now=1000.0)
    assert session is not None
    return [dict(i.delivery or {}, source=i.source, path=i.path) for i in session.history]


def test_a_delivery_waits_for_the_delay_then_is_sent_and_recorded() -> None:
    courier, sender, store, _ = _setup(202, policy=DeliveryPolicy(delay_seconds=3))
    records = asyncio.run(courier.deliver(DeliveryBatch("s1", 1000.0, (DELIVERY,))))
    assert [(r.attempts, r.status, r.delivered, r.error) for r in records] == [(1, 202, True, None)]
    assert sender.sent == [
        (
            1003.0,
            "POST",
            "http://rx.test/data",
            {"Content-Type": "application/json"},
            b'{"n":1}',
            10.0,
        )
    ]
    session = store.get("s1", now=1000.0)
    assert session is not None
    (interaction,) = session.history
    assert (interaction.method, interaction.path, interaction.status, interaction.source) == (
        "POST",
        "http://rx.test/data",
        202,
        "callback",
    )
    assert interaction.request_body == '{"n":1}'
    assert interaction.response_body == {"ok": True}
    assert interaction.delivery == {
        "kind": "callback",
        "name": "onData",
        "method": "POST",
        "url": "http://rx.test/data",
        "trigger": "POST /streams",
        "attempts": 1,
        "status": 202,
        "delivered": True,
        "error": None,
        "scheduled_at": 1000.0,
        "finished_at": 1003.0,
    }


def test_failures_are_retried_with_exponential_backoff_until_one_succeeds() -> None:
    policy = DeliveryPolicy(retries=3, backoff_seconds=0.5)
    courier, sender, store, _ = _setup("connection refused", 503, 200, policy=policy)
    (record,) = asyncio.run(courier.deliver(DeliveryBatch("s1", 1000.0, (DELIVERY,))))
    assert [s[0] for s in sender.sent] == [1000.0, 1000.5, 1001.5]
    assert (record.attempts, record.status, record.delivered, record.error) == (3, 200, True, None)
    assert _history(store)[0]["attempts"] == 3


def test_retries_end_at_the_limit_and_the_last_failure_is_recorded() -> None:
    policy = DeliveryPolicy(retries=2, backoff_seconds=1, max_backoff_seconds=1.5)
    courier, sender, store, _ = _setup(500, 429, "timed out", policy=policy)
    (record,) = asyncio.run(courier.deliver(DeliveryBatch("s1", 1000.0, (DELIVERY,))))
    assert [s[0] for s in sender.sent] == [1000.0, 1001.0, 1002.5]
    assert (record.attempts, record.status, record.delivered, record.error) == (
        3,
        None,
        False,
        "timed out",
    )
    (entry,) = _history(store)
    assert (entry["status"], entry["delivered"], entry["error"]) == (None, False, "timed out")


def test_a_retry_after_longer_than_the_backoff_is_waited() -> None:
    policy = DeliveryPolicy(retries=3, backoff_seconds=0.5, max_backoff_seconds=30)
    # Asked for 4 s, then for 0.2 s (less than the 1 s backoff of the second retry).
    courier, sender, store, _ = _setup((503, 4.0), (429, 0.2), 200, policy=policy)
    (record,) = asyncio.run(courier.deliver(DeliveryBatch("s1", 1000.0, (DELIVERY,))))
    assert [s[0] for s in sender.sent] == [1000.0, 1004.0, 1005.0]
    assert (record.attempts, record.status, record.delivered) == (3, 200, True)
    assert _history(store)[0]["finished_at"] == 1005.0


def test_a_retry_after_longer_than_the_longest_backoff_ends_the_retries() -> None:
    policy = DeliveryPolicy(retries=3, max_backoff_seconds=30)
    courier, sender, store, _ = _setup((503, 120.0), 200, policy=policy)
    (record,) = asyncio.run(courier.deliver(DeliveryBatch("s1", 1000.0, (DELIVERY,))))
    assert [s[0] for s in sender.sent] == [1000.0]
    assert (record.attempts, record.status, record.delivered, record.error) == (
        1,
        503,
        False,
        "the receiver answered 503 and asked for 120 s before another attempt (Retry-After), "
        "more than callbacks.max_backoff_seconds (30 s)",
    )
    assert _history(store)[0]["error"] == record.error


def test_a_client_error_is_the_receivers_final_word() -> None:
    courier, sender, _, _ = _setup(404, 200)
    (record,) = asyncio.run(courier.deliver(DeliveryBatch("s1", 1000.0, (DELIVERY,))))
    assert len(sender.sent) == 1
    assert (record.status, record.delivered, record.error) == (
        404,
        False,
        "the receiver answered 404",
    )


def test_a_refusal_is_recorded_without_sending_anything() -> None:
    courier, sender, store, _ = _setup()
    refusal = Refusal("callback", "onData", "POST", "ftp://x/y", "no ftp", "POST /streams")
    asyncio.run(courier.deliver(DeliveryBatch("s1", 1000.0, refusals=(refusal,))))
    assert sender.sent == []
    (entry,) = _history(store)
    assert (entry["path"], entry["attempts"], entry["error"], entry["delivered"]) == (
        "ftp://x/y",
        0,
        "refused: no ftp",
        False,
    )


def test_a_session_that_ended_records_nothing_and_the_delivery_still_goes() -> None:
    courier, _sender, store, _ = _setup(200)
    (record,) = asyncio.run(courier.deliver(DeliveryBatch("gone", 1000.0, (DELIVERY,))))
    assert record.delivered
    assert store.get("gone", now=1000.0) is None


def test_the_backoff_doubles_and_is_capped() -> None:
    policy = DeliveryPolicy(backoff_seconds=0.5, max_backoff_seconds=3)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
