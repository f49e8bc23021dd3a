"""Payload 2.0 events read without the shape check: the scope is Mangum's, and only events
the check accepts are read so; and their answers, Mangum's (app/lambda_http_api.py)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from mangum.handlers import HTTPGateway
from mangum.types import LambdaConfig

from mockmind.app import lambda_http_api
from mockmind.app.lambda_events import check
from mockmind.domain.errors import RequestError
from tests.support.paths import EVENTS

CONTEXT: Any = SimpleNamespace(get_remaining_time_in_millis=lambda: 29_000)
READING_ERRORS = (KeyError, TypeError, AttributeError, ValueError)

Change = Callable[[dict[str, Any]], None]


def _event(name: str, change: Change | None = None) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    if change is not None:
        change(event)
    return event


def _http(event: dict[str, Any]) -> dict[str, Any]:
    http: dict[str, Any] = event["requestContext"]["http"]
    return http


def _config() -> LambdaConfig:
    # Mangum's own, as Mangum(app, lifespan="off") makes it.
    return LambdaConfig(
        api_gateway_base_path="/", text_mime_types=[*DEFAULT_TEXT_MIME_TYPES], exclude_headers=[]
    )


def _mangums(event: dict[str, Any]) -> Any:
    return HTTPGateway(copy.deepcopy(event), CONTEXT, _config()).scope


# Events the check accepts, some of them in ways API Gateway does not write (mixed-case and
# repeated names, an escaped path, a host with its port, no headers at all).
PLAIN: dict[str, Change | None] = {
    "as sent": None,
    "mixed-case names": lambda e: e["headers"].update({"X-Trace": "a", "ACCEPT": "text/html"}),
    "a cookie header and cookies": lambda e: e.update(
        {"cookies": ["a=1", "b=2"], "headers": {**e["headers"], "cookie": "c=3"}}
    ),
    "no headers": lambda e: e.pop("headers"),
    "empty headers": lambda e: e.update(headers={}),
    "no query": lambda e: e.pop("rawQueryString"),
    "escaped path": lambda e: _http(e).update(path="/products/p%2F1%20x"),
    "host with a port": lambda e: e["headers"].update(host="example.test:8443"),
    "no port": lambda e: e["headers"].pop("x-forwarded-port"),
    "no host": lambda e: e["headers"].pop("host"),
    "non-ASCII value": lambda e: e["headers"].update({"x-name": "Zoë"}),
    "body null": lambda e: e.update(body=None),
    "empty body": lambda e: e.update(body=""),
    "a lone surrogate in the source address": lambda e: _http(e).update(sourceIp="\udce9"),
}


@pytest.mark.parametrize("name", ["get.json", "post-json.json", "function-url-session-cookie.json"])
@pytest.mark.parametrize("change", PLAIN.values(), ids=PLAIN.keys())
def test_a_plain_event_is_read_into_mangums_scope(name: str, change: Change | None) -> None:
    event = _event(name, change)
    check(event, "api-gateway-v2")
    # Twice: the second time, names seen before in lower case are copied, not lowered.
    for _ in range(2):
        assert lambda_http_api.scope(event, CONTEXT, "/") == _mangums(event)


# Events the check refuses, or Mangum cannot read, or that are not plainly read: each raises
# or is None,
# and the handler reads it the long way.
NOT_PLAIN: dict[str, Change] = {
    "no version": lambda e: e.pop("version"),
    "headers null": lambda e: e.update(headers=None),
    "a header value not text": lambda e: e["headers"].update(accept=1),
    "cookies a string": lambda e: e.update(cookies="a=1"),
    "cookies null": lambda e: e.update(cookies=None),
    "cookies empty string": lambda e: e.update(cookies=""),
    "a cookie not text": lambda e: e.update(cookies=[1]),
    "body a number": lambda e: e.update(body=0),
    "body false": lambda e: e.update(body=False),
    "isBase64Encoded a string": lambda e: e.update(isBase64Encoded="false"),
    "isBase64Encoded null": lambda e: e.update(isBase64Encoded=None),
    "query null": lambda e: e.update(rawQueryString=None),
    "no source address": lambda e: _http(e).pop("sourceIp"),
    "source address a number": lambda e: _http(e).update(sourceIp=1),
    "a method of another kind": lambda e: _http(e).update(method="PROPFIND"),
    "a method in lower case": lambda e: _http(e).update(method="get"),
    "not a method": lambda e: _http(e).update(method="GET /"),
    "a relative path": lambda e: _http(e).update(path="products"),
    "a non-ASCII path": lambda e: _http(e).update(path="/produits/é"),
    "http a list": lambda e: e["requestContext"].update(http=[]),
    "no requestContext": lambda e: e.pop("requestContext"),
    "a header Mangum cannot encode": lambda e: e["headers"].update({"x-note": "caf\udce9"}),
    "a port that is not a number": lambda e: e["headers"].update({"x-forwarded-port": "https"}),
}


@pytest.mark.parametrize("change", NOT_PLAIN.values(), ids=NOT_PLAIN.keys())
def test_an_event_not_plainly_well_formed_is_left_to_the_long_way(change: Change) -> None:
    event = _event("get.json", change)
    _assert_not_read(event)


@pytest.mark.parametrize("change", NOT_PLAIN.values(), ids=NOT_PLAIN.keys())
def test_what_the_check_refuses_is_never_read_plainly(change: Change) -> None:
    """The other half of the contract: ``scope`` raising covers every event ``check`` refuses
    (the list above includes events the check accepts, read the long way all the same)."""
    event = _event("get.json", change)
    try:
        check(event, "api-gateway-v2")
    except RequestError:
        _assert_not_read(event)


def _assert_not_read(event: dict[str, Any]) -> None:
    try:
        read = lambda_http_api.scope(event, CONTEXT, "/")
    except READING_ERRORS:
        return
    assert read is None


def test_a_base_path_is_left_to_mangum() -> None:
    assert lambda_http_api.scope(_event("get.json"), CONTEXT, "/stage") is None


RESPONSES: dict[str, Any] = {
    "JSON": {"status": 200, "headers": [(b"content-type", b"application/json")], "body": b"{}"},
    "no headers": {"status": 204, "headers": [], "body": b""},
    "no content type": {"status": 200, "headers": [(b"X-A", b"1")], "body": b"{}"},
    "repeated and cookies": {
        "status": 201,
        "headers": [
            (b"x-a", b"1"),
            (b"Set-Cookie", b"a=1"),
            (b"X-A", b"2"),
            (b"set-cookie", b"b=2"),
        ],
        "body": b"ok",
    },
    "text, not UTF-8": {
        "status": 200,
        "headers": [(b"content-type", b"text/plain")],
        "body": b"\xff\xfe",
    },
    "binary": {"status": 200, "headers": [(b"content-type", b"image/png")], "body": b"\x89PNG"},
    "UTF-8 header value": {
        "status": 200,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"x-n", "Zoë".encode())],
        "body": "é".encode(),
    },
}


@pytest.mark.parametrize("response", RESPONSES.values(), ids=RESPONSES.keys())
def test_the_answer_is_mangums(response: Any) -> None:
    config = _config()
    mangums = HTTPGateway(_event("get.json"), CONTEXT, config)(response)
    assert lambda_http_api.answer(config["text_mime_types"], response) == mangums
