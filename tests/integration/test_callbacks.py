"""Callbacks from a real server process to a real receiver on loopback: sent after the
configured delay, retried until the receiver takes it, and recorded in the session."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.fake_provider import FakeProvider, Reply
from tests.support.mockmind_server import start_server, stop_server
from tests.support.network import free_port
from tests.support.paths import FIXTURES

CALLBACKS = FIXTURES / "openapi" / "corpus" / "callbacks-3.0.json"


@pytest.fixture
def receiver() -> Iterator[FakeProvider]:
    server = FakeProvider()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mock_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    config = tmp_path_factory.mktemp("callbacks") / "mockmind.yaml"
    config.write_text(
        f"openapi: {CALLBACKS}\n"
        "storage: {backend: memory}\n"
        "callbacks:\n"
        "  delay_seconds: 1\n"
        "  retries: 3\n"
        "  backoff_seconds: 0.05\n"
        "  timeout_seconds: 5\n"
    )
    process, url = start_server(config)
    try:
        yield url
    finally:
        stop_server(process)


def _delivery_records(url: str, session_id: str, count: int) -> list[dict[str, Any]]:
    """The session's delivery records, once ``count`` are there (polled: they come later)."""
    deadline = time.monotonic() + 30
    while True:
        history = httpx.get(f"{url}/__mockmind/sessions/{session_id}").json()["history"]
        records = [h for h in history if "delivery" in h]
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


def test_a_callback_reaches_the_receiver_after_two_failures(
    mock_url: str, receiver: FakeProvider
) -> None:
    receiver.queue(Reply(500, {"busy": 1}), Reply(503, {"busy": 2}), Reply(202, {"ok": True}))
    response = httpx.post(
        f"{mock_url}/streams",
        params={"callbackUrl": f"{receiver.url}/hooks"},
        headers={"X-Session-ID": "int-cb-1"},
    )
    assert response.status_code == 201
    # The answer came first: the callback waits for the configured second.
    assert receiver.requests == []

    (record,) = _delivery_records(mock_url, "int-cb-1", 1)
    assert [(seen.method, seen.path) for seen in receiver.requests] == [("POST", "/hooks/data")] * 3
    bodies = [seen.body for seen in receiver.requests]
    assert bodies[0] == bodies[1] == bodies[2]
    assert set(bodies[0]) <= {"timestamp", "userData"}
    assert receiver.requests[0].headers["content-type"] == "application/json"
    delivery = record["delivery"]
    assert (record["method"], record["path"], record["status"], record["source"]) == (
        "POST",
        f"{receiver.url}/hooks/data",
        202,
        "callback",
    )
    assert record["response_body"] == {"ok": True}
    assert {k: delivery[k] for k in ("name", "attempts", "status", "delivered", "error")} == {
        "name": "onData",
        "attempts": 3,
        "status": 202,
        "delivered": True,
        "error": None,
    }
    assert delivery["finished_at"] >= delivery["scheduled_at"] + 1


def test_a_receiver_that_never_answers_well_is_recorded_as_undelivered(
    mock_url: str, receiver: FakeProvider
) -> None:
    receiver.queue(*[Reply(500, {"down": True})] * 4)
    httpx.post(
        f"{mock_url}/streams",
        params={"callbackUrl": f"{receiver.url}/hooks"},
        headers={"X-Session-ID": "int-cb-2"},
    )
    (record,) = _delivery_records(mock_url, "int-cb-2", 1)
    assert len(receiver.requests) == 4
    assert {k: record["delivery"][k] for k in ("attempts", "status", "delivered", "error")} == {
        "attempts": 4,
        "status": 500,
        "delivered": False,
        "error": "the receiver answered 500",
    }


def test_a_receiver_that_is_not_listening_is_recorded_with_the_error(mock_url: str) -> None:
    dead_url = f"http://127.0.0.1:{free_port()}"
    httpx.post(
        f"{mock_url}/streams",
        params={"callbackUrl": f"{dead_url}/hooks"},
        headers={"X-Session-ID": "int-cb-3"},
    )
    (record,) = _delivery_records(mock_url, "int-cb-3", 1)
    delivery = record["delivery"]
    assert (delivery["attempts"], delivery["status"], delivery["delivered"]) == (4, None, False)
    assert delivery["error"].startswith("ConnectError: ")
    assert record["status"] == 0
