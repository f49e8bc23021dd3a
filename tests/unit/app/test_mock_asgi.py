"""Reading an ASGI scope into the domain's request."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl

import pytest

from mockmind.app.mock_asgi import parse_cookies, path_as_sent, read_query, read_request


def _read(headers: list[tuple[bytes, bytes]], query: bytes = b"", body: bytes = b"") -> Any:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"method": "POST", "path": "/pets", "headers": headers, "query_string": query}
    return asyncio.run(read_request(scope, receive))


def test_header_names_are_lower_case_and_repeats_fold_into_one() -> None:
    request = _read([(b"Accept", b"text/plain"), (b"X-Tag", b"a"), (b"x-tag", b"b")])
    assert request.headers == {"accept": "text/plain", "x-tag": "a, b"}


def test_query_keeps_every_value_and_blank_ones() -> None:
    request = _read([], query=b"tag=a&tag=b&empty=&limit=2")
    assert request.query == {"tag": ["a", "b"], "empty": [""], "limit": ["2"]}


@pytest.mark.parametrize(
    "text",
    [
        "limit=10",
        "n=12345",
        "a=1&a=2&b=&c",
        "&&a=1&&",
        "=x&=&x=",
        "a=b=c&d==",
        "key;x=1&y=2;z",
        "sp ace=v al&é=ü",
        "a%20b=c%2Bd&e+f=g+h",
        "%zz=%&+=+",
        "q=caf%C3%A9&r=%E9",
        "",
        "&",
    ],
)
def test_a_query_reads_as_parse_qsl_reads_it(text: str) -> None:
    expected: dict[str, list[str]] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        expected.setdefault(key, []).append(value)
    read: dict[str, list[str]] = {}
    read_query(text, read)
    assert read == expected


def test_a_body_sent_in_parts_is_read_whole_and_a_disconnect_ends_it() -> None:
    async def read(messages: list[dict[str, Any]]) -> bytes:
        async def receive() -> dict[str, Any]:
            return messages.pop(0)

        scope = {"method": "POST", "path": "/pets", "headers": [], "query_string": b""}
        return (await read_request(scope, receive)).body

    parts = [
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"cd", "more_body": True},
        {"type": "http.request", "body": b"e", "more_body": False},
    ]
    assert asyncio.run(read(parts)) == b"abcde"
    cut = [{"type": "http.request", "body": b"ab", "more_body": True}, {"type": "http.disconnect"}]
    assert asyncio.run(read(cut)) == b"ab"
    assert asyncio.run(read([{"type": "http.disconnect"}])) == b""


def test_cookies_are_parsed_and_absent_ones_are_empty() -> None:
    with_cookie = _read([(b"cookie", b"mockforge_session=abc; theme=dark")], body=b"{}")
    assert with_cookie.cookies == {"mockforge_session": "abc", "theme": "dark"}
    assert with_cookie.body == b"{}"
    assert _read([(b"accept", b"*/*")]).cookies == {}


@pytest.mark.parametrize(
    "header",
    [
        "mockforge_session=abc; theme=dark",
        "a=1;b=2;;c",
        ' q="quoted \\"value\\" \\012 here" ; empty= ; =novalue',
        'plain="unterminated; x="',
        "dup=1; dup=2",
        "",
        " ; ",
    ],
)
def test_cookies_parse_as_starlette_parses_them(header: str) -> None:
    from starlette.requests import cookie_parser

    assert parse_cookies(header) == cookie_parser(header)


# -- the path as sent


def _scope(path: str, **extra: Any) -> dict[str, Any]:
    return {"method": "GET", "path": path, "headers": [], "query_string": b"", **extra}


@pytest.mark.parametrize(
    ("scope", "sent"),
    [
        # uvicorn: raw_path is the path's bytes as received.
        (_scope("/orders/?abc", raw_path=b"/orders/%3Fabc"), "/orders/%3Fabc"),
        (_scope("/orders/a/b", raw_path=b"/orders/a%2Fb"), "/orders/a%2Fb"),
        # httpx's ASGI transport puts the query in raw_path too.
        (_scope("/orders/?abc", raw_path=b"/orders/%3Fabc?limit=2"), "/orders/%3Fabc"),
        # Bytes beyond ASCII (not valid on the wire, but possible) are encoded, not guessed.
        (_scope("/caf\u00e9", raw_path="/café".encode()), "/caf%C3%A9"),
        # Mangum: raw_path None, the path decoded; the event keeps it encoded.
        (
            _scope(
                "/orders/?abc/pay",
                raw_path=None,
                **{"aws.event": {"rawPath": "/orders/%3Fabc/pay"}},
            ),
            "/orders/%3Fabc/pay",
        ),
        (
            _scope("/orders/a/b", raw_path=None, **{"aws.event": {"path": "/orders/a%2Fb"}}),
            "/orders/a%2Fb",
        ),
        # A rawPath that names another path (or none) leaves the event's other paths to try.
        (
            _scope(
                "/orders/a/b",
                raw_path=None,
                **{"aws.event": {"rawPath": "/prod/orders/a%2Fb", "path": "/orders/a%2Fb"}},
            ),
            "/orders/a%2Fb",
        ),
        (
            _scope(
                "/orders/a/b",
                raw_path=None,
                **{"aws.event": {"rawPath": "", "path": "/orders/a%2Fb"}},
            ),
            "/orders/a%2Fb",
        ),
        (
            _scope(
                "/orders/a%2Fb",
                raw_path=None,
                **{"aws.event": {"Records": [{"cf": {"request": {"uri": "/orders/a%2Fb"}}}]}},
            ),
            "/orders/a%2Fb",
        ),
        # A wrapper rewrote the path (a stripped stage): the scope's path is followed.
        (_scope("/orders/1", raw_path=b"/prod/orders/1"), "/orders/1"),
        (
            _scope("/orders/?x", raw_path=None, **{"aws.event": {"rawPath": "/prod/orders/%3Fx"}}),
            "/orders/%3Fx",
        ),
        # Nothing better than the decoded path: each % in it is a literal one.
        (_scope("/orders/100%"), "/orders/100%25"),
        (_scope("/orders/?abc/pay"), "/orders/%3Fabc/pay"),
        (_scope("/orders/#1 é"), "/orders/%231 %C3%A9"),
        (_scope("/orders/%41", raw_path=None, **{"aws.event": "not an event"}), "/orders/%2541"),
    ],
)
def test_the_path_as_sent(scope: dict[str, Any], sent: str) -> None:
    assert path_as_sent(scope) == sent


def test_the_request_holds_the_canonical_path_of_what_was_sent() -> None:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = _scope("//orders/?abc/pay/", raw_path=b"//orders/%3fabc/pay/")
    request = asyncio.run(read_request(scope, receive))
    assert request.path == "/orders/%3Fabc/pay"
    assert request.segments == ("orders", "?abc", "pay")


MEMORY_CONFIG = """
intelligent_behavior:
  session_tracking: {method: header}
  vector_store: {enabled: true}
  behavior_model:
    rules:
      schemas:
        Note:
          type: object
          properties: {id: {type: string}, text: {type: string}}
"""


def test_the_interaction_is_written_after_the_response_is_sent() -> None:
    import httpx

    from mockmind.app.api import create_app
    from mockmind.app.bootstrap import build
    from mockmind.config import parse_config

    container = build(parse_config(MEMORY_CONFIG, env={}), env={})
    memory = container.memory
    assert memory is not None
    # The writer lingers for longer than the test: it is started, and waits for a burst.
    memory.linger_seconds = 3600
    written_when_answered: list[int] = []

    async def run() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            for n in range(3):
                response = await client.get(f"/notes/{n}", headers={"x-session-id": "s-1"})
                assert response.status_code == 200
                written_when_answered.append(memory.counters.written)
            queued = memory.pending
            await memory.flush()  # what the lingering writer does when it wakes
            health: dict[str, Any] = (await client.get("/__mockmind/health")).json()
            return health | {"queued": queued}

    health = asyncio.run(run())
    assert written_when_answered == [0, 0, 0], "no answer waited for its embedding"
    assert health["queued"] == 3
    assert health["embeddings"]["memory"] == {
        "pending": 0,
        "written": 3,
        "batches": 1,
        "not_embedded": 0,
        "not_stored": 0,
        "dropped": 0,
        "similarity_threshold": 0.4,
        "threshold_from": "the local embedder's default",
    }
    assert health["costs"]["since_start"]["embedding_calls"] == 1
