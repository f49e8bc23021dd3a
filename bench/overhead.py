"""1. Request overhead: one cached mock request through the Lambda handler vs a bare Mangum app.

Both run in this process with the same API Gateway (HTTP API v2) event shape and a Lambda
context, so the difference is FastAPI, the engine and the stores, not the event loop or Mangum.
"""

from __future__ import annotations

import copy
import json
import os
import time
from typing import Any

from mangum import Mangum
from starlette.types import Receive, Scope, Send

from bench.report import ROOT, Section, fmt_ratio, fmt_us, per_call, verdict

SESSION = "bench-overhead"
NUMBER = 2000
REPEAT = 9
TARGET_RATIO = 2.0  # issue 20: at most twice the bare Mangum floor
TARGET_SECONDS = 1e-3


class FakeContext:
    """What Mangum and the app read of a Lambda context."""

    function_name = "mockmind-bench"
    aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:mockmind-bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def event(method: str, path: str, headers: dict[str, str], body: Any = None) -> dict[str, Any]:
    template: dict[str, Any] = json.loads((ROOT / "events" / "get.json").read_text())
    ev = copy.deepcopy(template)
    ev["rawPath"] = path
    ev["rawQueryString"] = ""
    ev.pop("queryStringParameters", None)
    ev["requestContext"]["http"]["method"] = method
    ev["requestContext"]["http"]["path"] = path
    ev["headers"] = {**ev["headers"], **headers}
    if body is not None:
        ev["body"] = json.dumps(body)
        ev["headers"]["content-type"] = "application/json"
    return ev


async def _constant(scope: Scope, receive: Receive, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


def mockmind_handler() -> Any:
    os.environ["MOCKMIND_CONFIG"] = str(ROOT / "examples" / "shop" / "mockmind.yaml")
    os.environ["MOCKMIND_LLM_PROVIDER"] = "offline"
    os.environ["MOCKMIND_STORAGE"] = "memory"
    import logging  # noqa: PLC0415

    from mockmind import handler  # noqa: PLC0415 (the env above configures it)

    # configure_logging leaves Mangum's one INFO line per request on; both handlers share that
    # logger, and the row compares code paths, not stderr writes.
    logging.getLogger("mockmind").setLevel(logging.ERROR)
    logging.getLogger("mangum").setLevel(logging.WARNING)
    return handler.handler


def cached_event(handler: Any) -> dict[str, Any]:
    """A logged-in session's GET /admin/stats, generated once so the next ones hit the cache."""
    context = FakeContext()
    headers = {"x-session-id": SESSION}
    login = handler(
        event("POST", "/login", headers, {"username": "ada", "password": "lovelace"}), context
    )
    assert login["statusCode"] == 200, login
    ev = event("GET", "/admin/stats", headers)
    first = handler(ev, context)
    second = handler(ev, context)
    source = second["headers"].get("x-mockmind-source")
    if second["statusCode"] != 200 or source != "cache":
        raise RuntimeError(f"expected a cache hit, got {second['statusCode']} from {source}")
    assert first["body"] == second["body"]
    return ev


def run() -> Section:
    section = Section(
        "1. Request overhead (Lambda handler, cache hit)",
        """
One `GET /admin/stats` of a logged-in session, answered from the response cache, through
`mockmind.handler.handler` (Mangum, the app's ASGI entry, session lookup, routing and
validation, rules, cache, memory stores; examples/shop, offline generator; FastAPI serves only
the admin routes and is not on this path), against the floor: Mangum around an ASGI app that
returns a constant body. Same HTTP API v2 event and Lambda context, in process;
median of 9 rounds of 2,000 calls each, the two taking turns.
""",
        ["case", "per request", "vs floor", "target"],
    )
    context = FakeContext()
    floor_handler = Mangum(_constant, lifespan="off")
    start = time.perf_counter()
    handler = mockmind_handler()
    import_seconds = time.perf_counter() - start
    ev = cached_event(handler)
    floor_ev = event("GET", "/admin/stats", {"x-session-id": SESSION})

    for _ in range(200):  # warm both
        floor_handler(floor_ev, context)
        handler(ev, context)
    floor, mock = per_call(
        lambda: floor_handler(floor_ev, context),
        lambda: handler(ev, context),
        number=NUMBER,
        repeat=REPEAT,
    )
    ratio = mock / floor
    section.row("bare Mangum, constant body (floor)", fmt_us(floor), "1.00x", "")
    section.row(
        "mockmind handler, cached GET",
        fmt_us(mock),
        fmt_ratio(ratio),
        verdict(ratio <= TARGET_RATIO, f"≤ {TARGET_RATIO:.0f}x")
        + "; "
        + verdict(mock < TARGET_SECONDS, "< 1 ms"),
    )
    section.notes.append(
        f"Importing `mockmind.handler` (building the app from examples/shop) took "
        f"{import_seconds * 1e3:,.0f} ms in this process; the cold-start row measures it alone."
    )
    return section
