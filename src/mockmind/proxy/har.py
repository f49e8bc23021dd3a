"""HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): each exchange an entry, masked.

The file is valid JSON after every entry: it is written whole once, then each entry is
written over the closing brackets, which are written again after it. A proxy stopped at any
moment leaves a HAR that browsers' dev tools and ``mockmind learn`` open. An existing file's
entries are kept (a recording of several runs).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mockmind import __version__
from mockmind.domain.engine.journaling import MASK
from mockmind.proxy.bodies import FORM, LeftOut, masked_text
from mockmind.proxy.exchange import Body, Exchange
from mockmind.proxy.masking import Masking

_SUFFIX = b"\n]}}\n"
# The custom field (HAR's own have no "_") holding an entry's client number (``clients``).
CLIENT_FIELD = "_client"


def _prefix() -> bytes:
    log = {"version": "1.2", "creator": {"name": "mockmind", "version": __version__}}
    head = json.dumps({"log": log}, ensure_ascii=False)
    # Everything but the two closing braces, then the entries' list.
    return head[:-2].encode() + b', "entries": ['


class HarFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        entries = _existing_entries(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fresh:
            fresh.write(_prefix())
            for index, entry in enumerate(entries):
                fresh.write((",\n" if index else "\n").encode() + _encoded(entry))
            fresh.write(_SUFFIX)
        self._count = len(entries)
        # The highest client number in the entries the file held before (0 for none).
        numbers = (e.get(CLIENT_FIELD) for e in entries if isinstance(e, dict))
        self.last_client = max((n for n in numbers if isinstance(n, int)), default=0)
        self._file = path.open("r+b")

    def append(self, entry: dict[str, Any]) -> None:
        self._file.seek(-len(_SUFFIX), 2)
        separator = b",\n" if self._count else b"\n"
        self._file.write(separator + _encoded(entry) + _SUFFIX)
        self._file.flush()
        self._count += 1

    def close(self) -> None:
        self._file.close()


def _encoded(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, ensure_ascii=False).encode()


def _existing_entries(path: Path) -> list[Any]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["log"]["entries"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not a HAR file to add to: {exc}") from None
    if not isinstance(entries, list):
        raise ValueError(f"{path} is not a HAR file to add to: its entries are not a list")
    return entries


def har_entry(exchange: Exchange, masking: Masking) -> dict[str, Any]:
    query = masking.pairs(parse_qsl(exchange.query_string, keep_blank_values=True))
    scheme, netloc, path, _, _ = urlsplit(exchange.url)
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": urlunsplit((scheme, netloc, path, urlencode(query), "")),
        "httpVersion": exchange.http_version,
        "cookies": _cookies(exchange.request_header("cookie")),
        "headers": _headers(exchange.request_headers, masking),
        "queryString": [{"name": k, "value": v} for k, v in query],
        "headersSize": -1,
        "bodySize": exchange.request_body.size,
    }
    if exchange.request_body.size:
        content_type = exchange.request_header("content-type") or "application/octet-stream"
        encoding = exchange.request_header("content-encoding")
        post = _content(exchange.request_body, content_type, encoding, masking)
        post.pop("size")
        post.pop("encoding", None)
        if content_type.split(";")[0].strip().lower() == FORM and "text" in post:
            post["params"] = [
                {"name": k, "value": v} for k, v in parse_qsl(post["text"], keep_blank_values=True)
            ]
        request["postData"] = post
    content_type = exchange.response_header("content-type") or ""
    response = {
        "status": exchange.status,
        "statusText": _reason(exchange.status),
        "httpVersion": exchange.http_version,
        "cookies": _set_cookies(exchange.response_headers),
        "headers": _headers(exchange.response_headers, masking),
        "content": _content(
            exchange.response_body,
            content_type,
            exchange.response_header("content-encoding"),
            masking,
        ),
        "redirectURL": exchange.response_header("location") or "",
        "headersSize": -1,
        "bodySize": exchange.response_body.size,
    }
    wait = round(exchange.wait_ms, 3)
    return {
        "startedDateTime": datetime.fromtimestamp(exchange.started_at, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "time": round(exchange.elapsed_ms, 3),
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": wait, "receive": round(exchange.elapsed_ms - wait, 3)},
    }


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _headers(headers: list[tuple[str, str]], masking: Masking) -> list[dict[str, str]]:
    return [
        {"name": name, "value": masking.headers({name: value})[name]} for name, value in headers
    ]


def _cookies(header: str | None) -> list[dict[str, str]]:
    """Each cookie by name; values are credentials, never kept."""
    if not header:
        return []
    names = (chunk.split("=", 1)[0].strip() for chunk in header.split(";"))
    return [{"name": name, "value": MASK} for name in names if name]


def _set_cookies(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    found = []
    for name, value in headers:
        if name == "set-cookie":
            cookie = value.split(";", 1)[0].split("=", 1)[0].strip()
            if cookie:
                found.append({"name": cookie, "value": MASK})
    return found


def _content(
    body: Body, content_type: str, encoding: str | None, masking: Masking
) -> dict[str, Any]:
    """HAR's ``content`` (or ``postData``): the masked text, binary as base64, or a comment
    saying why the body is not kept."""
    kept: dict[str, Any] = {"size": body.size, "mimeType": content_type}
    if body.size == 0:
        return kept
    if body.truncated:
        kept["comment"] = f"a body of {body.size} bytes, over the {body.limit} a recording keeps"
        return kept
    raw = body.decoded(encoding)
    if raw is None:
        kept["comment"] = f"a body of {body.size} bytes in the {encoding} coding"
        return kept
    kept["size"] = len(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        kept["text"] = base64.b64encode(raw).decode("ascii")
        kept["encoding"] = "base64"
        return kept
    value = masked_text(text, content_type or None, masking)
    if isinstance(value, str):
        kept["text"] = value
    elif isinstance(value, LeftOut):
        kept["comment"] = value.why
    else:
        kept["text"] = json.dumps(value, ensure_ascii=False)
    return kept
