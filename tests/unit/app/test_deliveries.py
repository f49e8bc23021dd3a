"""Callbacks through the app: sent after the answer, by a task under uvicorn or an
asynchronous self-invocation in Lambda; webhooks fired through the admin route."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from mockmind.adapters.callbacks.http_sender import HttpCallbackSender
from mockmind.app.api import MockmindApp, create_app
from mockmind.app.bootstrap import Container, build
from mockmind.app.deliveries import BackgroundDeliveries, choose_launcher
from mockmind.app.environment import Environment
from mockmind.app.lambda_entry import LambdaEntry
from mockmind.config import parse_config
from tests.support.paths import FIXTURES

CALLBACKS = FIXTURES / "openapi" / "corpus" / "callbacks-3.0.json"
WEBHOOKS = {
    "openapi": "3.1.0",
    "info": {"title": "hooks", "version": "1"},
    "paths": {},
    "webhooks": {
        "newPet": {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {"name": {"type": "string"}},
                            }
                        }
                    }
                },
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}
CONTEXT: Any = SimpleNamespace(get_remaining_time_in_millis=lambda: 29_000)


class Receiver:
    """httpx's mock transport, noting every request the mock sends."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return httpx.Response(202, json={"received": True})

    def sender(self) -> HttpCallbackSender:
        return HttpCallbackSender(httpx.MockTransport(self))


class RecordingInvoker:
    """boto3's Lambda client as far as the self-invocation uses it."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"StatusCode": 202}


def _container(
    receiver: Receiver,
    spec: Path = CALLBACKS,
    env: dict[str, str] | None = None,
    invoker: RecordingInvoker | None = None,
    extra: str = "",
) -> Container:
    config = f"openapi: {spec}\nstorage: {{backend: memory}}\n{extra}"
    return build(
        parse_config(config, env={}),
        env=env or {},
        callback_sender=receiver.sender(),
        lambda_invoker=invoker,
    )


def _call(app: MockmindApp, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            response = await client.request(method, path, **kwargs)
        deliveries = app.container.deliveries
        assert deliveries is not None
        await deliveries.drain()
        return response

    return asyncio.run(run())


def _history(container: Container, session_id: str) -> list[Any]:
    session = container.sessions.get(session_id, now=time.time())
    assert session is not None
    return list(session.history)


def test_the_launcher_is_a_task_here_and_a_self_invocation_in_lambda() -> None:
    assert choose_launcher(Environment.from_mapping({})) == "in_process"
    lambda_env = Environment.from_mapping({"AWS_LAMBDA_FUNCTION_NAME": "fn"})
    assert choose_launcher(lambda_env) == "lambda"


def test_a_callback_is_sent_after_the_answer_and_recorded_in_the_session() -> None:
    receiver = Receiver()
    container = _container(receiver)
    app = create_app(container)
    assert isinstance(container.deliveries.launcher, BackgroundDeliveries)  # type: ignore[union-attr]
    response = _call(
        app,
        "POST",
        "/streams",
        params={"callbackUrl": "http://rx.test/cb"},
        headers={"X-Session-ID": "cb-1"},
    )
    assert response.status_code == 201
    (sent,) = receiver.seen
    assert (sent.method, str(sent.url)) == ("POST", "http://rx.test/cb/data")
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["user-agent"].startswith("mockmind/")
    body = json.loads(sent.content)
    assert set(body) <= {"timestamp", "userData"}
    request, callback = _history(container, "cb-1")
    assert (request.method, request.path, request.status) == ("POST", "/streams", 201)
    assert (callback.source, callback.path, callback.status) == (
        "callback",
        "http://rx.test/cb/data",
        202,
    )
    assert callback.delivery["attempts"] == 1
    assert callback.delivery["delivered"] is True
    assert json.loads(callback.request_body) == body
    assert callback.response_body == {"received": True}


def test_a_refused_request_sends_no_callback() -> None:
    receiver = Receiver()
    app = create_app(_container(receiver))
    # callbackUrl is a required query parameter: without it the request is 400.
    assert _call(app, "POST", "/streams").status_code == 400
    assert receiver.seen == []


def test_a_callback_url_that_is_not_http_is_refused_and_the_answer_is_kept() -> None:
    receiver = Receiver()
    container = _container(receiver)
    response = _call(
        create_app(container),
        "POST",
        "/streams",
        params={"callbackUrl": "gopher://rx.test"},
        headers={"X-Session-ID": "cb-2"},
    )
    assert response.status_code == 201
    assert receiver.seen == []
    _, refused = _history(container, "cb-2")
    assert refused.delivery["error"] == (
        "refused: 'gopher://rx.test/data' has scheme 'gopher': only http and https URLs are called"
    )
    assert refused.delivery["attempts"] == 0


@pytest.fixture
def thread_loop() -> Iterator[None]:
    # Mangum runs the app on asyncio.get_event_loop(): the test sets one, and closes it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


def _api_event(path: str, query: str, session: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "api.test", "x-session-id": session},
        "requestContext": {
            "http": {"method": "POST", "path": path, "sourceIp": "127.0.0.1"},
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


@pytest.mark.usefixtures("thread_loop")
def test_in_lambda_the_answer_hands_the_callback_to_an_asynchronous_invocation() -> None:
    receiver, invoker = Receiver(), RecordingInvoker()
    env = {
        "AWS_LAMBDA_FUNCTION_NAME": "stack-mockmind",
        "AWS_LAMBDA_FUNCTION_VERSION": "7",
        "AWS_REGION": "eu-west-1",
    }
    container = _container(receiver, env=env, invoker=invoker)
    entry = LambdaEntry(create_app(container), deliveries=container.deliveries)
    answer = entry(_api_event("/streams", "callbackUrl=http://rx.test/cb", "lam-1"), CONTEXT)
    assert answer["statusCode"] == 201
    assert receiver.seen == []  # nothing was sent while the caller waited
    (call,) = invoker.calls
    assert {k: v for k, v in call.items() if k != "Payload"} == {
        "FunctionName": "stack-mockmind",
        "InvocationType": "Event",
        "Qualifier": "7",
    }
    event = json.loads(call["Payload"])
    assert event["mockmind"] == "deliveries"
    batch = event["batch"]
    assert batch["session_id"] == "lam-1"
    assert batch["refusals"] == []
    (delivery,) = batch["deliveries"]
    assert {k: v for k, v in delivery.items() if k != "body"} == {
        "kind": "callback",
        "name": "onData",
        "method": "POST",
        "url": "http://rx.test/cb/data",
        "headers": {"Content-Type": "application/json"},
        "trigger": "POST /streams",
    }

    # The asynchronous invocation: the handler recognises the event and delivers it.
    result = entry(event, CONTEXT)
    assert result == {"delivered": 1, "failed": 0}
    (sent,) = receiver.seen
    assert (str(sent.url), sent.content.decode()) == ("http://rx.test/cb/data", delivery["body"])
    assert [i.source for i in _history(container, "lam-1")] == ["offline", "callback"]
    # A request after it still runs on the thread's loop, as Mangum needs.
    again = entry(_api_event("/streams", "callbackUrl=http://rx.test/cb", "lam-1"), CONTEXT)
    assert again["statusCode"] == 201


@pytest.mark.usefixtures("thread_loop")
def test_a_malformed_delivery_event_is_answered_not_raised() -> None:
    receiver = Receiver()
    container = _container(
        receiver, env={"AWS_LAMBDA_FUNCTION_NAME": "fn"}, invoker=RecordingInvoker()
    )
    entry = LambdaEntry(create_app(container), deliveries=container.deliveries)
    result = entry({"mockmind": "deliveries", "batch": {"session_id": 5}}, CONTEXT)
    assert result["delivered"] == 0
    assert result["error"].startswith("malformed delivery event: ")
    assert receiver.seen == []


@pytest.fixture
def webhook_spec(tmp_path: Path) -> Path:
    path = tmp_path / "hooks.json"
    path.write_text(json.dumps(WEBHOOKS))
    return path


def test_a_webhook_is_fired_by_name_to_the_url_the_admin_request_names(
    webhook_spec: Path,
) -> None:
    receiver = Receiver()
    container = _container(receiver, webhook_spec)
    app = create_app(container)
    assert _call(app, "POST", "/anything", headers={"X-Session-ID": "wh-1"}).status_code == 404
    response = _call(
        app,
        "POST",
        "/__mockmind/webhooks/newPet",
        json={"url": "http://rx.test/in"},
        headers={"X-Session-ID": "wh-1"},
    )
    assert response.status_code == 202
    answer = response.json()
    assert (answer["webhook"], answer["session_id"]) == ("newPet", "wh-1")
    (planned,) = answer["deliveries"]
    (sent,) = receiver.seen
    assert (planned["method"], planned["url"]) == ("POST", "http://rx.test/in")
    assert json.loads(sent.content) == planned["body"]
    assert isinstance(planned["body"]["name"], str)
    hook = _history(container, "wh-1")[-1]
    assert (hook.source, hook.path, hook.status) == ("webhook", "http://rx.test/in", 202)
    listed = _call(app, "GET", "/__mockmind/webhooks").json()
    assert listed == {"webhooks": [{"name": "newPet", "targets": []}]}


def test_a_webhook_goes_to_the_registered_targets_without_a_session(webhook_spec: Path) -> None:
    receiver = Receiver()
    extra = "callbacks:\n  webhook_targets:\n    newPet: [http://a.test/1, http://b.test/2]\n"
    app = create_app(_container(receiver, webhook_spec, extra=extra))
    response = _call(app, "POST", "/__mockmind/webhooks/newPet")
    assert response.status_code == 202
    assert response.json()["session_id"] is None
    assert sorted(str(r.url) for r in receiver.seen) == ["http://a.test/1", "http://b.test/2"]


@pytest.mark.parametrize(
    ("name", "body", "status", "detail"),
    [
        ("nope", {"url": "http://a.test/"}, 404, "no webhook 'nope' (webhooks: newPet)"),
        (
            "newPet",
            {"url": "ftp://a.test/"},
            400,
            "'ftp://a.test/' has scheme 'ftp': only http and https URLs are called",
        ),
        (
            "newPet",
            {},
            400,
            'no target for webhook \'newPet\': send {"url": "http://..."}, or register one '
            "in callbacks.webhook_targets",
        ),
        ("newPet", {"url": 3}, 400, "url must be a string"),
        ("newPet", [1], 400, 'the body must be a JSON object ({"url": ...})'),
        (
            "newPet",
            {"url": "http://a.test/", "session_id": "never-seen"},
            404,
            "no live session 'never-seen' to record the delivery in",
        ),
    ],
)
def test_a_webhook_request_that_cannot_be_carried_out_says_why_and_sends_nothing(
    webhook_spec: Path, name: str, body: Any, status: int, detail: str
) -> None:
    receiver = Receiver()
    app = create_app(_container(receiver, webhook_spec))
    response = _call(app, "POST", f"/__mockmind/webhooks/{name}", json=body)
    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert receiver.seen == []


def test_callbacks_can_be_switched_off() -> None:
    receiver = Receiver()
    app = create_app(_container(receiver, extra="callbacks: {enabled: false}\n"))
    response = _call(app, "POST", "/streams", params={"callbackUrl": "http://rx.test/cb"})
    assert response.status_code == 201
    assert receiver.seen == []
