"""The Lambda path: the real handler module, invoked with the payloads in events/ (API Gateway
HTTP API and REST API, Lambda function URL), with requests of each source built from them, and
with malformed events, each of which must get an answer (a 400 naming the field), never raise."""

from __future__ import annotations

import base64
import importlib
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.lambda_transport import SOURCES, LambdaTransport, Source, http_response
from tests.support.mockmind_server import start_server, stop_server
from tests.support.paths import EVENTS, EXAMPLES
from tests.support.shop_flow import shop_flow

CART_ITEM = {"product_id": "p-1", "quantity": 2}


@pytest.fixture(scope="module")
def handler_module(event_loop_for_mangum: None) -> Iterator[ModuleType]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOCKMIND_CONFIG", str(EXAMPLES / "shop" / "mockmind.yaml"))
        patch.delenv("MOCKMIND_STORAGE", raising=False)
        patch.delenv("OPENAI_API_KEY", raising=False)
        sys.modules.pop("mockmind.handler", None)
        module = importlib.import_module("mockmind.handler")
        yield module
        sys.modules.pop("mockmind.handler", None)


def _context() -> Any:
    return SimpleNamespace(
        function_name="mockmind",
        aws_request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:mockmind",
        get_remaining_time_in_millis=lambda: 29_000,
    )


def _invoke(module: ModuleType, name: str) -> dict[str, Any]:
    event = json.loads((EVENTS / name).read_text())
    response: dict[str, Any] = module.handler(event, _context())
    return response


def _body(response: dict[str, Any]) -> Any:
    raw = response.get("body") or ""
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw)


def test_get_event_lists_products(handler_module: ModuleType) -> None:
    response = _invoke(handler_module, "get.json")
    assert response["statusCode"] == 200
    body = _body(response)
    assert len(body) == 2  # the event asks for ?limit=2
    assert all({"id", "name", "price", "in_stock"} <= set(item) for item in body)
    assert response["headers"]["x-mockmind-source"] == "store"
    # No cookie came in, so a new session is handed out.
    (cookie,) = response["cookies"]
    assert re.fullmatch(
        r"mockforge_session=[A-Za-z0-9_-]{43}; HttpOnly; Max-Age=3600; Path=/; SameSite=lax",
        cookie,
    ), cookie


def test_session_cookie_event_is_not_given_a_new_cookie(handler_module: ModuleType) -> None:
    response = _invoke(handler_module, "session-cookie.json")
    assert response["statusCode"] == 200
    assert "cookies" not in response


def test_json_post_event_creates_a_cart_item(handler_module: ModuleType) -> None:
    response = _invoke(handler_module, "post-json.json")
    assert response["statusCode"] == 201
    body = _body(response)
    sent = json.loads(json.loads((EVENTS / "post-json.json").read_text())["body"])
    assert set(body) == {"id", "product_id", "name", "quantity", "price"}
    assert (body["product_id"], body["quantity"]) == (sent["product_id"], sent["quantity"])


def test_an_event_naming_the_shared_scope_or_a_newline_gets_a_fresh_session(
    handler_module: ModuleType,
) -> None:
    for header, value in (("x-session-id", "__shared__"), ("x-session-id", "abc\n")):
        event = json.loads((EVENTS / "get.json").read_text())
        event["headers"][header] = value
        response: dict[str, Any] = handler_module.handler(event, _context())
        assert response["statusCode"] == 200
        cookies = response.get("cookies", [])
        assert len(cookies) == 1
        assert cookies[0].startswith("mockforge_session=")
        assert value not in cookies[0]
        assert "\n" not in cookies[0]


def test_base64_body_event_is_decoded(handler_module: ModuleType) -> None:
    event = json.loads((EVENTS / "base64-body.json").read_text())
    assert event["isBase64Encoded"] is True
    response = _invoke(handler_module, "base64-body.json")
    # The body decodes to valid JSON for the operation, so it is accepted, not a 422.
    assert response["statusCode"] == 201, response.get("body")


def test_an_encoded_question_mark_in_an_event_stays_in_its_id(handler_module: ModuleType) -> None:
    """Mangum decodes the path and gives no raw_path: the id is read from the event's rawPath.

    Paying the order ``?abc`` (which does not exist) is 404, never a checkout (``POST /orders``)
    that would make an order and empty the cart.
    """
    response = _invoke(handler_module, "encoded-id.json")
    assert response["statusCode"] == 404, response.get("body")
    assert _body(response) == {
        "status": 404,
        "title": "Not Found",
        "detail": "order ?abc does not exist",
    }


@pytest.mark.parametrize(
    ("raw_path", "order_id"), [("/orders/%3Fabc", "?abc"), ("/orders/a%2Fb", "a/b")]
)
def test_an_encoded_id_in_an_event_reads_one_order(
    handler_module: ModuleType, raw_path: str, order_id: str
) -> None:
    event = json.loads((EVENTS / "get.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = raw_path
    event["rawQueryString"] = ""
    event.pop("queryStringParameters")
    response = handler_module.handler(event, _context())
    # One order, never made: GET /orders/{orderId} documents a 404 (not the list of orders).
    assert response["statusCode"] == 404
    assert response["headers"]["content-type"] == "application/json"
    assert _body(response)["detail"] == f"order {order_id} does not exist"


def test_health_through_lambda(handler_module: ModuleType) -> None:
    event = json.loads((EVENTS / "get.json").read_text())
    event["rawPath"] = "/__mockmind/health"
    event["rawQueryString"] = ""
    event["requestContext"]["http"]["path"] = "/__mockmind/health"
    response = handler_module.handler(event, _context())
    assert response["statusCode"] == 200
    assert _body(response)["provider"]["in_use"] == "offline"


DEPTH_DETAIL = "request body nests deeper than 64 levels (server.max_json_depth)"
SURROGATE_DETAIL = (
    "request body is not valid Unicode: body.product_id holds the lone surrogate \\ud800"
)


def _post_event(body: str, *, base64_encoded: bool = False) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / "post-json.json").read_text())
    raw = body.encode()
    event["headers"]["content-length"] = str(len(raw))
    event["body"] = base64.b64encode(raw).decode() if base64_encoded else body
    event["isBase64Encoded"] = base64_encoded
    return event


def _assert_problem(response: dict[str, Any], detail: str) -> None:
    assert response["statusCode"] == 400, response.get("body")
    assert response["headers"]["content-type"] == "application/json"
    problem = _body(response)
    assert (problem["status"], problem["title"], problem["detail"]) == (400, "Bad Request", detail)


@pytest.mark.parametrize("base64_encoded", [False, True])
@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"product_id": "p-1", "quantity": ' + "[" * 499 + "]" * 499 + "}", DEPTH_DETAIL),
        ("[" * 100_000 + "]" * 100_000, DEPTH_DETAIL),
        ('{"product_id": "\\ud800", "quantity": 2}', SURROGATE_DETAIL),
    ],
    ids=["500-deep", "100000-deep", "lone-surrogate"],
)
def test_hostile_bodies_are_answered_400_through_lambda(
    handler_module: ModuleType, body: str, detail: str, base64_encoded: bool
) -> None:
    event = _post_event(body, base64_encoded=base64_encoded)
    _assert_problem(handler_module.handler(event, _context()), detail)


def test_a_5000_digit_query_integer_is_answered_400_through_lambda(
    handler_module: ModuleType,
) -> None:
    event = json.loads((EVENTS / "get.json").read_text())
    digits = "1" * 5000
    event["rawQueryString"] = f"limit={digits}"
    event["queryStringParameters"] = {"limit": digits}
    _assert_problem(
        handler_module.handler(event, _context()),
        "query parameter limit has 5000 digits; numbers of at most 4300 digits can be read",
    )


def test_the_function_answers_as_before_after_hostile_events(handler_module: ModuleType) -> None:
    deep = _post_event("[" * 100_000 + "]" * 100_000)
    assert handler_module.handler(deep, _context())["statusCode"] == 400
    response = _invoke(handler_module, "post-json.json")
    assert response["statusCode"] == 201
    assert _body(response)["quantity"] == 2


@pytest.mark.slow
def test_fastapi_is_imported_by_the_first_admin_request_not_the_cold_start() -> None:
    """A mock-only Lambda never pays for FastAPI's import (a third of the handler's), an
    offline one never for httpx's (the LLM providers'), and one without a vector store never
    for numpy's."""
    script = """
import json, sys
from types import SimpleNamespace
import mockmind.handler as module
import mockmind.app.aws  # what an AWS deployment imports: boto3, not numpy
before = [m for m in ("fastapi", "httpx", "numpy") if m in sys.modules]
event = json.loads(open(sys.argv[1]).read())
event["rawPath"] = "/__mockmind/health"
event["requestContext"]["http"]["path"] = "/__mockmind/health"
context = SimpleNamespace(get_remaining_time_in_millis=lambda: 29_000)
response = module.handler(event, context)
print(json.dumps([before, "fastapi" in sys.modules, response["statusCode"]]))
"""
    env = {
        **os.environ,
        "MOCKMIND_CONFIG": str(EXAMPLES / "shop" / "mockmind.yaml"),
        "MOCKMIND_STORAGE": "memory",
    }
    env.pop("OPENAI_API_KEY", None)
    out = subprocess.run(
        [sys.executable, "-c", script, str(EVENTS / "get.json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [[], True, 200]


# What a mock-only start (memory stores, keys from the environment, no vector store, offline)
# has no use for, and so must not import: the AWS SDK, the LLM providers' HTTP client, numpy,
# Powertools (metrics of generated content, of which there is none), FastAPI (admin routes),
# and the parts of Starlette, sqlite3 and urllib the mock path does without.
NOT_IMPORTED_BY_A_MOCK_ONLY_START = (
    "boto3",
    "botocore",
    "httpx",
    "numpy",
    "aws_lambda_powertools",
    "fastapi",
    "starlette.requests",
    "sqlite3",
    "urllib.request",
    "mockmind.app.aws",
    "mockmind.adapters.aws",
)
# Nor on its first request: the package metadata machinery (pydantic's plugin search, Faker's
# version) and the email package (multipart bodies, HTTP dates in Retry-After).
NOT_IMPORTED_BY_A_MOCK_ONLY_REQUEST = (
    "importlib.metadata",
    "email",
)


def _mock_only_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "MOCKMIND_CONFIG": str(EXAMPLES / "shop" / "mockmind.yaml"),
        "MOCKMIND_STORAGE": "memory",
        "MOCKMIND_LLM_PROVIDER": "offline",
        # In Lambda: EMF metrics are chosen, and must still not load Powertools at import.
        "AWS_LAMBDA_FUNCTION_NAME": "mockmind",
        "PYDANTIC_DISABLE_PLUGINS": "__all__",  # template.yaml, Globals
        **extra,
    }
    keys = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MOCKMIND_SECRET_ARN", "MOCKMIND_SECRET_ID")
    for name in keys:
        env.pop(name, None)
    return env


def test_a_mock_only_lambda_start_imports_only_what_it_uses() -> None:
    script = """
import json, sys
from types import SimpleNamespace
import mockmind.handler as module
heavy = json.loads(sys.argv[2])
at_start = [m for m in heavy if m in sys.modules]
event = json.loads(open(sys.argv[1]).read())
response = module.handler(event, SimpleNamespace(get_remaining_time_in_millis=lambda: 29_000))
after_a_request = [m for m in heavy if m in sys.modules]
print(json.dumps([at_start, after_a_request, response["statusCode"]]))
"""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            str(EVENTS / "get.json"),
            json.dumps(NOT_IMPORTED_BY_A_MOCK_ONLY_START + NOT_IMPORTED_BY_A_MOCK_ONLY_REQUEST),
        ],
        env=_mock_only_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # The first request builds the request log and metrics (app/lambda_telemetry), which are
    # Powertools': it loads that, and botocore's package alone (Powertools registers its user
    # agent with botocore, if present; about a millisecond, no boto3 and no client).
    loaded = [[], ["botocore", "aws_lambda_powertools"], 200]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == loaded


# --------------------------------------------------------------------------- every source served


@pytest.mark.parametrize("source", SOURCES)
def test_the_shop_flow_runs_through_each_source(handler_module: ModuleType, source: Source) -> None:
    """REST API (payload 1.0), HTTP API and function URL (2.0): login, cart, checkout, pay,
    the session carried by the client's cookie jar from one event to the next."""
    transport = LambdaTransport(handler_module.handler, source)
    with httpx.Client(transport=transport, base_url="https://mock.example") as client:
        order = shop_flow(client)
        assert order["status"] == "shipped"
        assert len(client.cookies) == 1
        # The session carried: the order is there on the next request, and no new cookie.
        again = client.get(f"/orders/{order['id']}")
        assert again.status_code == 200
        assert again.json() == order
        assert "set-cookie" not in again.headers


# One client's requests, in order: a new session, a write, a read of it, and four client errors.
SCRIPT: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/products", {"params": {"limit": 2}}),
    ("POST", "/cart/items", {"json": CART_ITEM}),
    ("GET", "/cart", {}),
    ("HEAD", "/products", {"params": {"limit": 1}}),
    ("GET", "/nowhere", {}),
    ("POST", "/cart/items", {"content": b"{", "headers": {"content-type": "application/json"}}),
    ("DELETE", "/products", {}),
]
# Generated ids, session ids and what the generator makes per session (the cart's currency)
# differ from one client to the next; the rest must not.
_GENERATED_ID = re.compile(r"\b(cart_item|order)_[0-9a-f]{12}\b")
_CART_CURRENCY = re.compile(r'("total":[0-9.]+,"currency":)"[A-Z]{3}"')
_SESSION = re.compile(r"(mockforge_session=)[A-Za-z0-9_-]{43}")
_HEADERS = ("content-type", "content-length", "x-mockmind-source", "x-total-count", "allow")


def _seen(response: httpx.Response) -> dict[str, Any]:
    """What the client sees of an answer, with what is generated per client masked."""
    body = response.text
    return {
        "status": response.status_code,
        "headers": {k: response.headers[k] for k in _HEADERS if k in response.headers},
        "set-cookie": [_SESSION.sub(r"\1<id>", c) for c in response.headers.get_list("set-cookie")],
        "body": _CART_CURRENCY.sub(r'\1"<currency>"', _GENERATED_ID.sub(r"\1_<id>", body)),
    }


def _run_script(client: httpx.Client) -> list[dict[str, Any]]:
    return [_seen(client.request(method, url, **kwargs)) for method, url, kwargs in SCRIPT]


@pytest.fixture(scope="module")
def over_http() -> Iterator[list[dict[str, Any]]]:
    """The script's answers from `mockmind serve` on the same config, over real HTTP."""
    process, base_url = start_server(
        EXAMPLES / "shop" / "mockmind.yaml",
        {"MOCKMIND_LLM_PROVIDER": "offline", "MOCKMIND_STORAGE": "memory"},
    )
    try:
        with httpx.Client(base_url=base_url) as client:
            yield _run_script(client)
    finally:
        stop_server(process)


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES)
def test_each_source_gets_the_answers_http_gets(
    handler_module: ModuleType, over_http: list[dict[str, Any]], source: Source
) -> None:
    transport = LambdaTransport(handler_module.handler, source)
    with httpx.Client(transport=transport, base_url="https://mock.example") as client:
        through_lambda = _run_script(client)
    assert [s["status"] for s in over_http] == [200, 201, 200, 405, 404, 422, 405]
    assert len(over_http[0]["set-cookie"]) == 1
    assert json.loads(over_http[2]["body"])["items"][0]["product_id"] == "p-1"
    assert through_lambda == over_http


@pytest.mark.parametrize(
    ("session_event", "new_event"),
    [
        ("rest-api-v1-session-cookie.json", "rest-api-v1-get.json"),
        ("function-url-session-cookie.json", "function-url-get.json"),
        ("session-cookie.json", "get.json"),
    ],
)
def test_a_sample_session_event_keeps_its_session_and_a_new_one_gets_a_cookie(
    handler_module: ModuleType, session_event: str, new_event: str
) -> None:
    carried = _invoke(handler_module, session_event)
    assert carried["statusCode"] == 200
    assert _set_cookies(carried) == []
    fresh = _invoke(handler_module, new_event)
    assert fresh["statusCode"] == 200
    (cookie,) = _set_cookies(fresh)
    assert _SESSION.sub(r"\1<id>", cookie) == (
        "mockforge_session=<id>; HttpOnly; Max-Age=3600; Path=/; SameSite=lax"
    )
    # 1.0 carries Set-Cookie in its headers (both maps when repeated); 2.0 in cookies[].
    assert ("cookies" in fresh) is new_event.startswith(("function-url", "get"))


def _set_cookies(answer: dict[str, Any]) -> list[str]:
    return http_response(answer).headers.get_list("set-cookie")


# --------------------------------------------------------------------------- malformed events


def _with(name: str, edit: Callable[[dict[str, Any]], object]) -> Callable[[], Any]:
    """A sample event changed in place by ``edit`` (whatever ``edit`` returns is dropped)."""

    def build() -> Any:
        event = json.loads((EVENTS / name).read_text())
        edit(event)
        return event

    return build


# The reports and the event-level failures around them: (event, location named).
MALFORMED_EVENTS: list[tuple[str, Callable[[], Any], str]] = [
    (
        "isBase64Encoded with a body that is not base64",
        _with("base64-body.json", lambda e: e.update(body="eyJwcm9kdWN0X2lkIjogInAtMSIs!")),
        "event.body",
    ),
    (
        "requestContext.http missing",
        _with("get.json", lambda e: e["requestContext"].pop("http")),
        "event.requestContext.http",
    ),
    ("headers null (2.0)", _with("get.json", lambda e: e.update(headers=None)), "event.headers"),
    (
        "a lone surrogate in a header",
        _with("get.json", lambda e: e["headers"].update({"x-note": "\ud800"})),
        "event.headers.x-note",
    ),
    (
        "a lone surrogate in the body",
        _with("post-json.json", lambda e: e.update(body='{"product_id": "\udc00"}')),
        "event.body",
    ),
    (
        "a body that is not a string",
        _with("post-json.json", lambda e: e.update(body=CART_ITEM)),
        "event.body",
    ),
    (
        "requestContext missing",
        _with("get.json", lambda e: e.pop("requestContext")),
        "event.requestContext",
    ),
    (
        "requestContext missing (1.0)",
        _with("rest-api-v1-get.json", lambda e: e.pop("requestContext")),
        "event.requestContext",
    ),
    ("path missing (1.0)", _with("rest-api-v1-get.json", lambda e: e.pop("path")), "event.path"),
    (
        "requestContext.http.path missing",
        _with("function-url-get.json", lambda e: e["requestContext"]["http"].pop("path")),
        "event.requestContext.http.path",
    ),
    (
        "httpMethod not a method",
        _with("rest-api-v1-get.json", lambda e: e.update(httpMethod="GET /admin")),
        "event.httpMethod",
    ),
    (
        "multiValueHeaders values not lists",
        _with("rest-api-v1-get.json", lambda e: e.update(multiValueHeaders={"Accept": "*/*"})),
        "event.multiValueHeaders.Accept",
    ),
    (
        "cookies not a list",
        _with("session-cookie.json", lambda e: e.update(cookies="a=b")),
        "event.cookies",
    ),
    ("an array, not an object", lambda: [json.loads((EVENTS / "get.json").read_text())], "event"),
    ("null", lambda: None, "event"),
    (
        "no request at all",
        lambda: {"detail-type": "Scheduled Event", "source": "aws.events"},
        "event",
    ),
    ("payload format 3.0", _with("get.json", lambda e: e.update(version="3.0")), "event.version"),
]


@pytest.mark.parametrize(
    ("build", "location"),
    [pytest.param(build, location, id=name) for name, build, location in MALFORMED_EVENTS],
)
def test_a_malformed_event_is_answered_400_naming_the_field(
    handler_module: ModuleType,
    build: Callable[[], Any],
    location: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = build()
    with caplog.at_level(logging.WARNING, logger="mockmind.lambda"):
        response = handler_module.handler(event, _context())
    assert response["statusCode"] == 400
    assert response["headers"] == {"content-type": "application/problem+json"}
    problem = _body(response)
    assert (problem["status"], problem["title"]) == (400, "Bad Request")
    assert [e["location"] for e in problem["errors"]] == [location]
    # A 1.0 source reads multiValueHeaders beside the headers; 2.0 and unknown sources do not.
    is_1_0 = isinstance(event, dict) and "httpMethod" in event
    assert ("multiValueHeaders" in response) is is_1_0
    (record,) = [r for r in caplog.records if r.name == "mockmind.lambda"]
    assert record.levelno == logging.WARNING
    assert location in record.getMessage()


@pytest.mark.parametrize(
    ("fields", "listed"),
    [
        (("headers",), 2),
        (("multiValueHeaders",), 2),
        (("headers", "multiValueHeaders"), 2),  # a request with no headers at all
        (("queryStringParameters",), 2),  # the other map still says limit=2
        (("multiValueQueryStringParameters",), 2),
        (("queryStringParameters", "multiValueQueryStringParameters"), 12),  # no limit
    ],
)
def test_a_1_0_event_with_null_maps_is_served(
    handler_module: ModuleType, fields: tuple[str, ...], listed: int
) -> None:
    """REST APIs send null for an empty map: the request is served, not refused."""
    event = json.loads((EVENTS / "rest-api-v1-get.json").read_text())
    for field in fields:
        event[field] = None
    response = handler_module.handler(event, _context())
    assert response["statusCode"] == 200
    assert len(_body(response)) == listed


def test_a_method_that_is_a_token_gets_the_engines_405_as_over_http(
    handler_module: ModuleType,
) -> None:
    event = json.loads((EVENTS / "rest-api-v1-get.json").read_text())
    event["httpMethod"] = "BREW"
    response = handler_module.handler(event, _context())
    assert response["statusCode"] == 405
    assert _body(response)["detail"] == "BREW is not defined for /products"


# --------------------------------------------------------------------------- any event at all

_SAMPLES = sorted(p.name for p in EVENTS.glob("*.json"))
_TEXT = st.text(max_size=12) | st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)


def _places(value: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key and index inside a JSON value, as paths."""
    if isinstance(value, dict):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        yield (*where, key)
        yield from _places(item, (*where, key))


@st.composite
def _mutated_events(draw: st.DrawFn) -> Any:
    """A sample event with one to three of its values replaced, removed or added to."""
    event: Any = json.loads((EVENTS / draw(st.sampled_from(_SAMPLES))).read_text())
    for _ in range(draw(st.integers(1, 3))):
        places = list(_places(event))
        if not places or draw(st.integers(0, 19)) == 0:
            return draw(_JSON)  # now and then, no event shape at all
        *parent_path, key = draw(st.sampled_from(places))
        parent = event
        for step in parent_path:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "replace":
            parent[key] = draw(_JSON)
        elif action == "remove":
            del parent[key]
        elif isinstance(parent[key], dict):
            parent[key][draw(_TEXT)] = draw(_JSON)
        elif isinstance(parent[key], list):
            parent[key].append(draw(_JSON))
    return event


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=_mutated_events())
def test_any_event_gets_an_answer_below_500_never_an_exception(
    handler_module: ModuleType, event: Any
) -> None:
    response = handler_module.handler(event, _context())
    assert isinstance(response, dict)
    assert isinstance(response["statusCode"], int)
    assert response["statusCode"] < 500, response
    assert isinstance(response.get("body", ""), str)
    assert isinstance(response.get("headers", {}), dict)
    if response["statusCode"] == 400 and response["headers"].get("content-type") == (
        "application/problem+json"
    ):
        assert _body(response)["errors"]


def test_a_mock_only_lambda_start_leaves_what_its_path_never_runs_uncompiled() -> None:
    # The string formats' and a model answer's patterns (lazy_pattern), and the __init__ of
    # dataclasses never instantiated, the package's and pydantic's alike (lean_dataclass).
    script = """
import dataclasses, inspect, json, sys
from types import SimpleNamespace
import mockmind.handler as module
event = json.loads(open(sys.argv[1]).read())
response = module.handler(event, SimpleNamespace(get_remaining_time_in_millis=lambda: 29_000))
from mockmind.lazy_pattern import LazyPattern
from mockmind.openapi import formats
from mockmind.domain import json_extraction
compiled = [name for m in (formats, json_extraction) for name, value in vars(m).items()
            if isinstance(value, LazyPattern) and value._compiled is not None]
waiting = {}
for name, loaded in list(sys.modules.items()):
    for value in list(vars(loaded).values()):
        if isinstance(value, type) and dataclasses.is_dataclass(value):
            init = value.__dict__.get("__init__")
            lazy = init is not None and not inspect.isfunction(init)
            top = name.partition(".")[0]
            waiting[top] = waiting.get(top, False) or lazy
print(json.dumps([compiled, waiting["mockmind"], waiting["pydantic"], response["statusCode"]]))
"""
    out = subprocess.run(
        [sys.executable, "-c", script, str(EVENTS / "get.json")],
        env=_mock_only_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [[], True, True, 200]
