"""Callbacks and webhooks, black-box: a local mock server, a receiver on loopback, and only
what goes over HTTP (the answers, the receiver's requests, the session's history).

Runs locally only: a deployed mock (MOCKMIND_URL) cannot reach a receiver on this machine.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from tests.support.fake_provider import FakeProvider, Reply
from tests.support.mockmind_server import start_server, stop_server
from tests.support.paths import FIXTURES

CORPUS_CALLBACKS = FIXTURES / "openapi" / "corpus" / "callbacks-3.0.json"
HOOKS = FIXTURES / "openapi" / "hooks-3.1.yaml"


def _serve(spec: Path, directory: Path) -> Iterator[str]:
    if os.environ.get("MOCKMIND_URL"):
        pytest.skip("callbacks need a receiver the mock can reach: local servers only")
    config = directory / "mockmind.yaml"
    config.write_text(
        f"openapi: {spec}\ncallbacks: {{delay_seconds: 0.2, retries: 2, backoff_seconds: 0.05}}\n"
    )
    process, url = start_server(config)
    try:
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def corpus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(CORPUS_CALLBACKS, tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def hooks_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(HOOKS, tmp_path_factory.mktemp("hooks"))


@pytest.fixture
def receiver() -> Iterator[FakeProvider]:
    server = FakeProvider()
    server.default = lambda seen: Reply(200, {"thanks": True})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _records(url: str, session_id: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while True:
        history = httpx.get(f"{url}/__mockmind/sessions/{session_id}").json()["history"]
        records = [h for h in history if "delivery" in h]
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


def test_the_corpus_callback_document_calls_back_the_query_url(
    corpus_url: str, receiver: FakeProvider
) -> None:
    session = {"X-Session-ID": "e2e-cb-1"}
    answer = httpx.post(
        f"{corpus_url}/streams", params={"callbackUrl": f"{receiver.url}/tony"}, headers=session
    )
    assert answer.status_code == 201
    (record,) = _records(corpus_url, "e2e-cb-1", 1)
    (seen,) = receiver.requests
    assert (seen.method, seen.path) == ("POST", "/tony/data")
    schema = yaml.safe_load(CORPUS_CALLBACKS.read_text())["paths"]["/streams"]["post"]["callbacks"][
        "onData"
    ]["{$request.query.callbackUrl}/data"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    jsonschema.validate(seen.body, schema, format_checker=jsonschema.FormatChecker())
    assert (record["source"], record["path"], record["status"]) == (
        "callback",
        f"{receiver.url}/tony/data",
        200,
    )
    assert record["delivery"]["attempts"] == 1


def test_a_callback_delivery_leaves_no_gap_in_the_journal_steps(
    corpus_url: str, receiver: FakeProvider
) -> None:
    """A delivery's record is saved with the session (its version moves on), but it is no
    request: the steps stay 1, 2, 3 and the session counts 3 requests."""
    session = {"X-Session-ID": "e2e-cb-steps"}
    first = httpx.post(
        f"{corpus_url}/streams", params={"callbackUrl": f"{receiver.url}/a"}, headers=session
    )
    assert first.status_code == 201
    _records(corpus_url, "e2e-cb-steps", 1)
    for _ in range(2):
        again = httpx.post(
            f"{corpus_url}/streams", params={"callbackUrl": f"{receiver.url}/b"}, headers=session
        )
        assert again.status_code == 201
    assert len(_records(corpus_url, "e2e-cb-steps", 3)) == 3
    view = httpx.get(f"{corpus_url}/__mockmind/sessions/e2e-cb-steps").json()
    assert (view["requests"], view["version"]) == (3, 6)
    journal = httpx.get(f"{corpus_url}/__mockmind/sessions/e2e-cb-steps/journal").json()
    assert [e["seq"] for e in journal["events"]] == [1, 2, 3]
    assert journal["dropped"] == 0
    # Time travel needs every step: it works at each of them.
    for step in (0, 1, 2, 3):
        world = httpx.get(f"{corpus_url}/__mockmind/sessions/e2e-cb-steps/at/{step}")
        assert world.status_code == 200, world.text
    listed = httpx.get(
        f"{corpus_url}/__mockmind/sessions", params={"prefix": "e2e-cb-steps"}
    ).json()
    assert [(s["id"], s["requests"]) for s in listed["sessions"]] == [("e2e-cb-steps", 3)]


def test_a_document_without_webhooks_says_so(corpus_url: str) -> None:
    response = httpx.post(f"{corpus_url}/__mockmind/webhooks/any", json={"url": "http://x/"})
    assert response.status_code == 404
    assert response.json()["detail"] == "no webhook 'any' (webhooks: the document declares none)"


def test_a_callback_named_by_the_body_carries_the_answer_id(
    hooks_url: str, receiver: FakeProvider
) -> None:
    answer = httpx.post(
        f"{hooks_url}/orders",
        json={"item": "mug", "callbackUrl": f"{receiver.url}/shipped"},
        headers={"X-Session-ID": "e2e-cb-2"},
    )
    assert answer.status_code == 201
    order_id = answer.json()["id"]
    _records(hooks_url, "e2e-cb-2", 1)
    (seen,) = receiver.requests
    assert seen.path == f"/shipped?order={order_id}"
    shipment = yaml.safe_load(HOOKS.read_text())["components"]["schemas"]["Shipment"]
    jsonschema.validate(seen.body, shipment, format_checker=jsonschema.FormatChecker())


def test_a_file_url_is_refused_and_the_answer_stands(hooks_url: str) -> None:
    answer = httpx.post(
        f"{hooks_url}/orders",
        json={"item": "mug", "callbackUrl": "file:///etc/passwd"},
        headers={"X-Session-ID": "e2e-cb-3"},
    )
    assert answer.status_code == 201
    (record,) = _records(hooks_url, "e2e-cb-3", 1)
    assert record["delivery"]["delivered"] is False
    assert record["delivery"]["attempts"] == 0
    assert record["delivery"]["error"].startswith("refused: 'file:///etc/passwd?order=")


def test_a_webhook_is_fired_through_the_admin_route(hooks_url: str, receiver: FakeProvider) -> None:
    httpx.get(f"{hooks_url}/orders", headers={"X-Session-ID": "e2e-wh-1"})  # opens the session
    fired = httpx.post(
        f"{hooks_url}/__mockmind/webhooks/orderCancelled",
        json={"url": f"{receiver.url}/cancelled"},
        headers={"X-Session-ID": "e2e-wh-1"},
    )
    assert fired.status_code == 202
    (record,) = _records(hooks_url, "e2e-wh-1", 1)
    (seen,) = receiver.requests
    assert seen.path == "/cancelled"
    assert seen.body == fired.json()["deliveries"][0]["body"]
    assert seen.body["reason"] in ("customer", "stock", "fraud")
    assert set(seen.body) == {"order_id", "reason"}
    assert (record["source"], record["status"], record["delivery"]["name"]) == (
        "webhook",
        200,
        "orderCancelled",
    )
    listed = httpx.get(f"{hooks_url}/__mockmind/webhooks").json()
    assert listed == {"webhooks": [{"name": "orderCancelled", "targets": []}]}
