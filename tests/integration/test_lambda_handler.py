"""The Lambda path: the real handler module, invoked with the API Gateway payloads in events/."""

from __future__ import annotations

import base64
import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from tests.support.paths import EVENTS, EXAMPLES


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
    assert response["statusCode"] == 200
    assert _body(response)["id"] == order_id


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
    env = {
        **os.environ,
        "MOCKMIND_CONFIG": str(EXAMPLES / "shop" / "mockmind.yaml"),
        "MOCKMIND_STORAGE": "memory",
        "MOCKMIND_LLM_PROVIDER": "offline",
        # In Lambda: EMF metrics are chosen, and must still not load Powertools until used.
        "AWS_LAMBDA_FUNCTION_NAME": "mockmind",
    }
    keys = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MOCKMIND_SECRET_ARN", "MOCKMIND_SECRET_ID")
    for name in keys:
        env.pop(name, None)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            str(EVENTS / "get.json"),
            json.dumps(NOT_IMPORTED_BY_A_MOCK_ONLY_START),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [[], [], 200]
