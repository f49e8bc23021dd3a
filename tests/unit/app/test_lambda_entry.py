"""The Lambda handler around a small ASGI app: events read as Mangum reads them, malformed ones
answered 400 in their source's shape, the app's own failures left to Mangum."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from mockmind.app.lambda_entry import LambdaEntry
from tests.support.paths import EVENTS

CONTEXT: Any = SimpleNamespace(get_remaining_time_in_millis=lambda: 29_000)


@pytest.fixture(autouse=True)
def event_loop() -> Iterator[None]:
    # Mangum runs the app on asyncio.get_event_loop(): the test sets one, and closes it.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


async def _echo(scope: Any, receive: Any, send: Any) -> None:
    """Answers with what it was given, and a cookie, so that the answer's shape shows."""
    message = await receive()
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    echo = {
        "method": scope["method"],
        "path": scope["path"],
        "query": scope["query_string"].decode(),
        "cookie": headers.get("cookie"),
        "body": message["body"].decode("latin-1"),
    }
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"set-cookie", b"s=1")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(echo).encode()})


async def _failing(scope: Any, receive: Any, send: Any) -> None:
    raise ValueError("the app's own bug")


def _event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def _echoed(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["statusCode"] == 200, answer
    echo: dict[str, Any] = json.loads(answer["body"])
    return echo


def test_each_payload_format_reaches_the_app_as_mangum_reads_it() -> None:
    entry = LambdaEntry(_echo)
    v2 = entry(_event("get.json"), CONTEXT)
    v1 = entry(_event("rest-api-v1-get.json"), CONTEXT)
    url = entry(_event("function-url-get.json"), CONTEXT)
    for answer in (v2, v1, url):
        assert _echoed(answer) == {
            "method": "GET",
            "path": "/products",
            "query": "limit=2",
            "cookie": None,
            "body": "",
        }
    # 2.0 answers put Set-Cookie in cookies[]; 1.0 answers in the headers, as Mangum writes them.
    assert v2["cookies"] == url["cookies"] == ["s=1"]
    assert v1["headers"]["set-cookie"] == "s=1"
    assert v1["multiValueHeaders"] == {}
    assert "multiValueHeaders" not in v2


def test_a_base64_body_reaches_the_app_decoded() -> None:
    echo = _echoed(LambdaEntry(_echo)(_event("base64-body.json"), CONTEXT))
    assert json.loads(echo["body"]) == {"product_id": "p-1", "quantity": 2}


def test_cookie_fields_split_in_a_1_0_event_are_joined_as_one_cookie_header() -> None:
    event = _event("rest-api-v1-session-cookie.json")
    session = event["headers"]["Cookie"]
    event["multiValueHeaders"]["Cookie"] = ["theme=dark", session]
    echo = _echoed(LambdaEntry(_echo)(event, CONTEXT))
    # Mangum alone joins them with ", ": the session would read as part of theme's value.
    assert echo["cookie"] == f"theme=dark; {session}"


def test_other_repeated_headers_are_joined_as_mangum_joins_them() -> None:
    event = _event("rest-api-v1-session-cookie.json")
    event["multiValueHeaders"]["Accept"] = ["text/plain", "application/json"]

    async def accept(scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope["headers"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": headers[b"accept"]})

    answer = LambdaEntry(accept)(event, CONTEXT)
    assert _text(answer) == "text/plain, application/json"


def _text(answer: dict[str, Any]) -> str:
    body: str = answer["body"]
    return base64.b64decode(body).decode() if answer["isBase64Encoded"] else body


def test_a_load_balancer_event_is_still_served_by_mangums_inference() -> None:
    event = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:tg"}},
        "httpMethod": "GET",
        "path": "/products",
        "queryStringParameters": {"limit": "2"},
        "headers": {"host": "mock.example", "accept": "application/json"},
        "body": "",
        "isBase64Encoded": False,
    }
    echo = _echoed(LambdaEntry(_echo)(event, CONTEXT))
    assert (echo["method"], echo["path"], echo["query"]) == ("GET", "/products", "limit=2")


@pytest.mark.parametrize(
    ("event", "has_multi_value_headers", "location"),
    [
        ({"hello": "world"}, False, "event"),
        ([{"version": "2.0"}], False, "event"),
        ({"version": "2.0", "requestContext": {}}, False, "event.requestContext.http"),
        ({"httpMethod": "GET", "path": "/", "requestContext": None}, True, "event.requestContext"),
        # An ALB event Mangum's own reader fails on: answered 2.0's way, as every unknown.
        ({"requestContext": {"elb": {}}, "httpMethod": "GET", "headers": None}, False, "event"),
    ],
)
def test_a_malformed_event_is_answered_400_in_its_sources_shape(
    event: Any, has_multi_value_headers: bool, location: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mockmind.lambda"):
        answer = LambdaEntry(_echo)(event, CONTEXT)
    assert answer["statusCode"] == 400
    assert answer["headers"] == {"content-type": "application/problem+json"}
    assert answer["isBase64Encoded"] is False
    assert ("multiValueHeaders" in answer) is has_multi_value_headers
    if has_multi_value_headers:
        assert answer["multiValueHeaders"] == {}
    problem = json.loads(answer["body"])
    assert (problem["status"], problem["title"]) == (400, "Bad Request")
    assert problem["errors"][0]["location"] == location
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert "refused (400)" in record.getMessage()
    assert location in record.getMessage()


def test_a_header_mangum_cannot_encode_is_answered_400_naming_it() -> None:
    event = _event("get.json")
    event["headers"]["x-note"] = "caf\udce9"
    answer = LambdaEntry(_echo)(event, CONTEXT)
    assert answer["statusCode"] == 400
    (error,) = json.loads(answer["body"])["errors"]
    assert error["location"] == "event.headers.x-note"


def test_the_apps_own_failure_is_still_mangums_500_not_a_400() -> None:
    answer = LambdaEntry(_failing)(_event("get.json"), CONTEXT)
    assert answer["statusCode"] == 500
    assert answer["body"] == "Internal Server Error"


def test_every_event_is_answered_exactly_as_mangum_answers_it() -> None:
    """The entry runs the app in its own cycle, and reads a 2.0 event's scope once: the
    answers are Mangum's, field for field, for each format and body kind."""
    from mangum import Mangum

    async def chunked(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"content-type", b"image/png"), (b"x-a", b"1"), (b"x-a", b"2")],
            }
        )
        await send({"type": "http.response.body", "body": b"\x89PN", "more_body": True})
        await send({"type": "http.response.body", "body": b"G"})

    names = ("get.json", "rest-api-v1-get.json", "function-url-get.json", "base64-body.json")
    for app in (_echo, chunked, _failing):
        for name in names:
            assert LambdaEntry(app)(_event(name), CONTEXT) == Mangum(app, lifespan="off")(
                _event(name), CONTEXT
            ), (app, name)


def test_a_receive_after_the_answer_is_a_disconnect_and_one_before_it_waits_for_it() -> None:
    seen: list[str] = []

    async def listening(scope: Any, receive: Any, send: Any) -> None:
        await receive()

        async def listen() -> None:
            seen.append((await receive())["type"])

        listener = asyncio.ensure_future(listen())
        await asyncio.sleep(0)
        assert not listener.done()  # no disconnect before the answer is complete
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        await listener
        seen.append((await receive())["type"])

    answer = LambdaEntry(listening)(_event("get.json"), CONTEXT)
    assert (answer["statusCode"], _text(answer)) == (200, "ok")
    assert seen == ["http.disconnect", "http.disconnect"]


def test_an_app_that_answers_wrongly_or_not_at_all_gets_mangums_500() -> None:
    async def silent(scope: Any, receive: Any, send: Any) -> None:
        await receive()

    async def twice(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def cut(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        raise ValueError("gone mid-answer")

    for app in (silent, twice, cut):
        answer = LambdaEntry(app)(_event("get.json"), CONTEXT)
        assert (answer["statusCode"], _text(answer)) == (500, "Internal Server Error"), app
        assert answer["headers"]["content-type"] == "text/plain; charset=utf-8"


# --------------------------------------------------------------------------- what answered


def test_an_answer_with_no_mock_outcome_is_named_by_what_answered() -> None:
    """The request line's source when no mock request ran (app/lambda_telemetry.py)."""
    failed = LambdaEntry(_failing)._answer(_event("get.json"), CONTEXT)
    assert (failed.status, failed.source, failed.outcome) == (500, "error", None)
    assert (failed.method, failed.path) == ("GET", "/products")
    admin_event = _event("get.json")
    admin_event["rawPath"] = admin_event["requestContext"]["http"]["path"] = "/__mockmind/health"
    admin = LambdaEntry(_echo)._answer(admin_event, CONTEXT)
    assert (admin.status, admin.source, admin.path) == (200, "admin", "/__mockmind/health")
    malformed = _event("get.json")
    del malformed["requestContext"]["http"]
    refused = LambdaEntry(_echo)._answer(malformed, CONTEXT)
    assert (refused.status, refused.source, refused.method, refused.path) == (
        400,
        "refused",
        "-",
        "/products",
    )


def test_without_telemetry_settings_nothing_is_built() -> None:
    entry = LambdaEntry(_echo)
    assert entry(_event("get.json"), CONTEXT)["statusCode"] == 200
    assert entry.telemetry() is None
