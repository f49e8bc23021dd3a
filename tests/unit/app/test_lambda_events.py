"""Lambda events recognised and checked: what each malformed one is told, field by field."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from mockmind.app.lambda_events import (
    MAX_ERRORS,
    EventKind,
    check,
    malformed,
    recognise,
    request_body,
    unreadable,
)
from mockmind.domain.errors import RequestError
from tests.support.paths import EVENTS

NOT_TEXT = "not text: it holds a lone surrogate (an unpaired \\uD800-\\uDFFF escape)"
NOT_A_METHOD = "not an HTTP method: a method is a token (letters, digits and !#$%&'*+-.^_`|~)"
NOT_A_PATH = "not a path: a path starts with /"


def _event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


Edit = Callable[[dict[str, Any]], object]


def _set(*path: str | int, to: object) -> Edit:
    def edit(event: dict[str, Any]) -> None:
        node: Any = event
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = to

    return edit


def _drop(*path: str) -> Edit:
    def edit(event: dict[str, Any]) -> None:
        node: Any = event
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return edit


def _errors(problem: RequestError) -> list[tuple[object, object]]:
    return [(e["location"], e["message"]) for e in problem.errors]


# --------------------------------------------------------------------------- recognise


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("get.json", "api-gateway-v2"),
        ("session-cookie.json", "api-gateway-v2"),
        ("function-url-get.json", "function-url"),
        ("function-url-post-json.json", "function-url"),
        ("rest-api-v1-get.json", "api-gateway-v1"),
        ("rest-api-v1-post-json.json", "api-gateway-v1"),
    ],
)
def test_each_sample_event_is_recognised_and_passes_the_check(name: str, kind: str) -> None:
    event = _event(name)
    assert recognise(event) == kind
    check(event, recognise(event))


def test_an_http_api_set_to_payload_1_0_is_read_as_1_0() -> None:
    event = _event("rest-api-v1-get.json")
    event["version"] = "1.0"
    assert recognise(event) == "api-gateway-v1"


def test_a_2_0_event_without_its_version_is_checked_as_2_0_and_told_so() -> None:
    event = _event("get.json")
    del event["version"]
    assert recognise(event) == "api-gateway-v2"
    with pytest.raises(RequestError) as caught:
        check(event, "api-gateway-v2")
    assert _errors(caught.value) == [("event.version", "Field required")]


@pytest.mark.parametrize(
    "event",
    [
        {"requestContext": {"elb": {"targetGroupArn": "arn"}}, "httpMethod": "GET", "path": "/"},
        {"Records": [{"cf": {}}]},
        {},
        {"hello": "world"},
    ],
)
def test_what_is_no_api_gateway_payload_is_left_to_mangum(event: dict[str, Any]) -> None:
    assert recognise(event) == "other"
    check(event, "other")  # nothing to check: Mangum's inference decides


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ([], "the event is an array, not an object"),
        ("GET /products", "the event is a string, not an object"),
        (3, "the event is a number, not an object"),
        (None, "the event is null, not an object"),
        (True, "the event is a boolean, not an object"),
    ],
)
def test_an_event_that_is_not_an_object_is_refused(event: object, message: str) -> None:
    with pytest.raises(RequestError) as caught:
        recognise(event)
    assert caught.value.status == 400
    assert _errors(caught.value) == [("event", message)]


@pytest.mark.parametrize(
    ("version", "shown"), [("3.0", "'3.0'"), ("2", "'2'"), (2.0, "a number"), ([], "an array")]
)
def test_a_payload_version_api_gateway_never_sends_is_refused(version: object, shown: str) -> None:
    with pytest.raises(RequestError) as caught:
        recognise({"version": version, "requestContext": {}})
    message = f"payload format {shown} is not one mockmind serves (1.0 or 2.0)"
    assert _errors(caught.value) == [("event.version", message)]


# --------------------------------------------------------------------------- check

# (sample event, edit, the one error it must give)
MALFORMED: list[tuple[str, Edit, tuple[str, str]]] = [
    # payload 2.0 (HTTP API; function URLs share the shape)
    ("get.json", _drop("requestContext"), ("event.requestContext", "Field required")),
    (
        "get.json",
        _set("requestContext", to=None),
        ("event.requestContext", "Input should be a valid dictionary, not null"),
    ),
    ("get.json", _drop("requestContext", "http"), ("event.requestContext.http", "Field required")),
    (
        "function-url-get.json",
        _drop("requestContext", "http"),
        ("event.requestContext.http", "Field required"),
    ),
    (
        "get.json",
        _drop("requestContext", "http", "method"),
        ("event.requestContext.http.method", "Field required"),
    ),
    (
        "get.json",
        _set("requestContext", "http", "method", to=7),
        ("event.requestContext.http.method", "Input should be a valid string"),
    ),
    (
        "get.json",
        _set("requestContext", "http", "method", to="GET /admin"),
        ("event.requestContext.http.method", NOT_A_METHOD),
    ),
    (
        "get.json",
        _set("requestContext", "http", "method", to=""),
        ("event.requestContext.http.method", NOT_A_METHOD),
    ),
    (
        "get.json",
        _drop("requestContext", "http", "path"),
        ("event.requestContext.http.path", "Field required"),
    ),
    (
        "get.json",
        _set("requestContext", "http", "path", to="products"),
        ("event.requestContext.http.path", NOT_A_PATH),
    ),
    (
        "get.json",
        _set("requestContext", "http", "path", to="/products/\ud800"),
        ("event.requestContext.http.path", NOT_TEXT),
    ),
    (
        "get.json",
        _drop("requestContext", "http", "sourceIp"),
        ("event.requestContext.http.sourceIp", "Field required"),
    ),
    (
        "get.json",
        _set("headers", to=None),
        ("event.headers", "Input should be a valid dictionary, not null"),
    ),
    (
        "get.json",
        _set("headers", to=["accept"]),
        ("event.headers", "Input should be a valid dictionary"),
    ),
    (
        "get.json",
        _set("headers", "accept", to=1),
        ("event.headers.accept", "Input should be a valid string"),
    ),
    (
        "session-cookie.json",
        _set("cookies", to="a=b"),
        ("event.cookies", "Input should be a valid list"),
    ),
    (
        "session-cookie.json",
        _set("cookies", 0, to=None),
        ("event.cookies[0]", "Input should be a valid string, not null"),
    ),
    (
        "get.json",
        _set("cookies", to=None),
        ("event.cookies", "Input should be a valid list, not null"),
    ),
    (
        "get.json",
        _set("rawQueryString", to=None),
        ("event.rawQueryString", "Input should be a valid string, not null"),
    ),
    (
        "post-json.json",
        _set("body", to={"product_id": "p-1"}),
        ("event.body", "Input should be a valid string"),
    ),
    (
        "post-json.json",
        _set("isBase64Encoded", to="false"),
        ("event.isBase64Encoded", "Input should be a valid boolean"),
    ),
    (
        "get.json",
        _set("isBase64Encoded", to=None),
        ("event.isBase64Encoded", "Input should be a valid boolean, not null"),
    ),
    # payload 1.0 (REST API)
    ("rest-api-v1-get.json", _drop("httpMethod"), ("event.httpMethod", "Field required")),
    ("rest-api-v1-get.json", _set("httpMethod", to="FETCH IT"), ("event.httpMethod", NOT_A_METHOD)),
    ("rest-api-v1-get.json", _drop("path"), ("event.path", "Field required")),
    (
        "rest-api-v1-get.json",
        _set("path", to=None),
        ("event.path", "Input should be a valid string, not null"),
    ),
    ("rest-api-v1-get.json", _set("path", to=""), ("event.path", NOT_A_PATH)),
    ("rest-api-v1-get.json", _drop("requestContext"), ("event.requestContext", "Field required")),
    (
        "rest-api-v1-get.json",
        _set("requestContext", "identity", to=None),
        ("event.requestContext.identity", "Input should be a valid dictionary, not null"),
    ),
    (
        "rest-api-v1-get.json",
        _set("headers", to="Accept: */*"),
        ("event.headers", "Input should be a valid dictionary"),
    ),
    (
        "rest-api-v1-get.json",
        _set("multiValueHeaders", "Accept", to="application/json"),
        ("event.multiValueHeaders.Accept", "Input should be a valid list"),
    ),
    (
        "rest-api-v1-get.json",
        _set("queryStringParameters", "limit", to=["2"]),
        ("event.queryStringParameters.limit", "Input should be a valid string"),
    ),
    (
        "rest-api-v1-get.json",
        _set("multiValueQueryStringParameters", "limit", 0, to=2),
        ("event.multiValueQueryStringParameters.limit[0]", "Input should be a valid string"),
    ),
    (
        "rest-api-v1-post-json.json",
        _set("body", to=["x"]),
        ("event.body", "Input should be a valid string"),
    ),
]


@pytest.mark.parametrize(("name", "edit", "error"), MALFORMED)
def test_a_malformed_event_is_told_which_field_is_wrong(
    name: str, edit: Edit, error: tuple[str, str]
) -> None:
    event = _event(name)
    edit(event)
    kind = recognise(event)
    with pytest.raises(RequestError) as caught:
        check(event, kind)
    problem = caught.value
    assert (problem.status, problem.title) == (400, "Bad Request")
    assert _errors(problem) == [error]


@pytest.mark.parametrize(
    "field",
    [
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "body",
    ],
)
def test_a_1_0_event_may_carry_null_where_api_gateway_sends_null(field: str) -> None:
    event = _event("rest-api-v1-get.json")
    event[field] = None
    check(event, "api-gateway-v1")
    absent = _event("rest-api-v1-get.json")
    del absent[field]
    check(absent, "api-gateway-v1")


def test_a_2_0_body_may_be_null_or_absent() -> None:
    event = _event("post-json.json")
    event["body"] = None
    check(event, "api-gateway-v2")
    del event["body"]
    check(event, "api-gateway-v2")


def test_every_wrong_field_is_named_up_to_a_limit() -> None:
    event = _event("get.json")
    event["headers"] = {f"x-{i}": i for i in range(50)}
    event["cookies"] = "a=b"
    with pytest.raises(RequestError) as caught:
        check(event, "api-gateway-v2")
    locations = [e["location"] for e in caught.value.errors]
    assert len(locations) == MAX_ERRORS
    assert locations == [f"event.headers.x-{i}" for i in range(MAX_ERRORS)]


def test_a_lone_surrogate_in_a_key_is_escaped_in_the_problem() -> None:
    problem = malformed("api-gateway-v2", [("headers.x-\udc80", "bad")])
    assert problem.errors == [{"location": "event.headers.x-\\udc80", "message": "bad"}]
    json.dumps(problem.body(), ensure_ascii=False).encode()  # no surrogate left to break it


# --------------------------------------------------------------------------- body


def _with_body(body: object, *, base64_encoded: bool) -> dict[str, Any]:
    event = _event("post-json.json")
    event["body"] = body
    event["isBase64Encoded"] = base64_encoded
    return event


def test_the_body_is_its_utf8_bytes_or_its_base64_decoded() -> None:
    assert request_body(_with_body("{}", base64_encoded=False), "api-gateway-v2") == b"{}"
    assert request_body(_with_body("é", base64_encoded=False), "api-gateway-v2") == "é".encode()
    encoded = base64.b64encode(b"\x00\xff binary").decode()
    assert request_body(_with_body(encoded, base64_encoded=True), "api-gateway-v2") == (
        b"\x00\xff binary"
    )
    assert request_body(_with_body(None, base64_encoded=True), "api-gateway-v2") == b""
    assert request_body(_with_body("", base64_encoded=False), "api-gateway-v2") == b""


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("!!!!", "Only base64 data is allowed"),
        ("eyJ", "Incorrect padding"),
        # Mangum's decoder skips what is not base64: this body came through cut to `{"a"`.
        ('eyJhIjox"}', "Only base64 data is allowed"),
        ("ZXlK\nZXlK", "Only base64 data is allowed"),
        ("é", "string argument should contain only ASCII characters"),
    ],
)
def test_a_body_that_is_not_the_base64_it_claims_is_refused(body: str, reason: str) -> None:
    with pytest.raises(RequestError) as caught:
        request_body(_with_body(body, base64_encoded=True), "api-gateway-v1")
    message = f"isBase64Encoded is true, but the body is not valid base64 ({reason})"
    assert _errors(caught.value) == [("event.body", message)]
    assert caught.value.detail == (
        "the event is not a well-formed API Gateway payload 1.0 (REST API) request"
    )


def test_a_body_with_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(RequestError) as caught:
        request_body(_with_body('{"name": "\ud83d"}', base64_encoded=False), "function-url")
    assert _errors(caught.value) == [("event.body", NOT_TEXT)]
    assert caught.value.detail == "the event is not a well-formed Lambda function URL request"


# --------------------------------------------------------------------------- what Mangum fails on


def _encode_error() -> UnicodeEncodeError:
    try:
        "\ud800".encode()
    except UnicodeEncodeError as exc:
        return exc
    raise AssertionError("a lone surrogate encoded")


@pytest.mark.parametrize(
    ("kind", "edit", "location"),
    [
        ("api-gateway-v2", _set("headers", "x-note", to="caf\udce9"), "event.headers.x-note"),
        ("api-gateway-v2", _set("headers", "x-\udce9", to="1"), "event.headers.x-\\udce9"),
        ("api-gateway-v2", _set("cookies", to=["a=1", "b=\ud800"]), "event.cookies[1]"),
        ("api-gateway-v2", _set("rawQueryString", to="q=\udfff"), "event.rawQueryString"),
        (
            "api-gateway-v1",
            _set("multiValueHeaders", "Cookie", to=["a=1", "b=\ud800"]),
            "event.multiValueHeaders.Cookie[1]",
        ),
        (
            "api-gateway-v1",
            _set("queryStringParameters", "q", to="\ud800"),
            "event.queryStringParameters.q",
        ),
    ],
)
def test_a_lone_surrogate_mangum_cannot_encode_is_located(
    kind: EventKind, edit: Edit, location: str
) -> None:
    event = _event("get.json" if kind == "api-gateway-v2" else "rest-api-v1-get.json")
    edit(event)
    check(event, kind)  # the shapes do not look for surrogates: it is left to the encoding
    problem = unreadable(event, kind, _encode_error())
    assert _errors(problem) == [(location, NOT_TEXT)]


def test_an_event_no_mangum_reader_takes_is_told_what_it_lacks() -> None:
    problem = unreadable({"hello": "world"}, "other", RuntimeError("unable to infer"))
    message = (
        "not a request from API Gateway, a Lambda function URL or a load balancer "
        "(no version, httpMethod or requestContext.elb)"
    )
    assert _errors(problem) == [("event", message)]
    assert problem.detail == "the event is not a well-formed Lambda request"


def test_any_other_reading_failure_is_named_by_its_exception() -> None:
    event = copy.deepcopy(_event("get.json"))
    error = ValueError("invalid literal for int() with base 10: 'x'")
    problem = unreadable(event, "api-gateway-v2", error)
    message = "Mangum could not read it: ValueError: invalid literal for int() with base 10: 'x'"
    assert _errors(problem) == [("event", message)]
