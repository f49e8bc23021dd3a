"""Reading an ASGI scope into the domain's request."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mockmind.app.mock_asgi import parse_cookies, read_request


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
