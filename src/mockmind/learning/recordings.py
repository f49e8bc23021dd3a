"""Recordings read into exchanges: journal events as JSON lines, and HAR 1.2 files.

A ``.jsonl`` file holds one ``JournalEvent.to_dict()`` per line (what
``GET /__mockmind/sessions/{id}/journal`` answers, and what ``mockmind proxy --record``
writes); a new session starts where the step count starts again. A ``.har`` file (a
browser's dev tools export) is one session. The proxy records every client it serves into
one file, numbering each exchange's client (a ``client`` key beside the event, a ``_client``
field in a HAR entry): there each client is a session. Each is given as its text, so the
reading is testable without files.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from mockmind.domain.errors import RecordingError
from mockmind.domain.journal import JournalEvent
from mockmind.learning.exchanges import Exchange, masked_exchange

# Where ``mockmind proxy --record`` numbers each exchange's client (``proxy/recording``).
JOURNAL_CLIENT = "client"
HAR_CLIENT = "_client"


def read_recording(name: str, text: str, *, first_order: int = 0) -> list[Exchange]:
    """The exchanges of one file, by its name's extension (``.har``; anything else is
    journal events), numbered on from ``first_order``."""
    if name.lower().endswith(".har"):
        return read_har(name, text, first_order=first_order)
    return read_journal_lines(name, text, first_order=first_order)


def read_journal_lines(name: str, text: str, *, first_order: int = 0) -> list[Exchange]:
    exchanges: list[Exchange] = []
    session = 0
    last_seq = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise TypeError(f"a {type(data).__name__}, not a journal event object")
            event = JournalEvent.from_dict(data)
        except (ValueError, TypeError, KeyError) as exc:
            detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            raise RecordingError(f"{name}:{number}: not a journal event: {detail}") from None
        if event.seq <= last_seq:
            session += 1
        last_seq = event.seq
        recorded = event.exchange
        exchanges.append(
            masked_exchange(
                session=_session(name, data.get(JOURNAL_CLIENT), f"{name}#{session}"),
                order=first_order + len(exchanges),
                method=recorded.method,
                path=recorded.path,
                query=recorded.query,
                request_headers=recorded.request_headers,
                request_body=recorded.request_body,
                status=recorded.status,
                response_headers=recorded.response_headers,
                response_body=recorded.response_body,
            )
        )
    return exchanges


def read_har(name: str, text: str, *, first_order: int = 0) -> list[Exchange]:
    try:
        har = json.loads(text)
        entries = har["log"]["entries"]
        if not isinstance(entries, list):
            raise TypeError("log.entries is not a list")
    except (ValueError, TypeError, KeyError) as exc:
        raise RecordingError(f"{name}: not a HAR 1.2 file (log.entries): {exc}") from None
    exchanges: list[Exchange] = []
    for index, entry in enumerate(entries):
        try:
            exchanges.append(_har_entry(name, entry, first_order + len(exchanges)))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise RecordingError(f"{name}: log.entries[{index}]: {exc!r}") from None
    return exchanges


def _har_entry(name: str, entry: Mapping[str, Any], order: int) -> Exchange:
    request, response = entry["request"], entry["response"]
    url = urlsplit(str(request["url"]))
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(url.query, keep_blank_values=True):
        query.setdefault(key, []).append(value)
    request_headers = _headers(request.get("headers", []))
    response_headers = _headers(response.get("headers", []))
    post = request.get("postData") or {}
    content = response.get("content") or {}
    text = content.get("text")
    if text is not None and content.get("encoding") == "base64":
        try:
            text = base64.b64decode(text).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            text = None  # a binary answer: its shape cannot be learned
    return masked_exchange(
        session=_session(name, entry.get(HAR_CLIENT), name),
        order=order,
        host=url.netloc.lower() or None,
        method=str(request["method"]),
        path=unquote(url.path),
        query=query,
        request_headers=request_headers,
        request_body=_body(post.get("text"), post.get("mimeType")),
        status=int(response["status"]),
        response_headers=response_headers,
        response_body=_body(text, content.get("mimeType")),
    )


def _session(name: str, client: Any, otherwise: str) -> str:
    """The proxy's client number as the session, when the recording has one."""
    if isinstance(client, int) and not isinstance(client, bool):
        return f"{name}#client-{client}"
    return otherwise


def _headers(items: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in items:
        key = str(item["name"]).lower()
        if key.startswith(":"):  # HTTP/2 pseudo-headers: the URL and status say them
            continue
        value = str(item["value"])
        headers[key] = f"{headers[key]}; {value}" if key == "cookie" and key in headers else value
    return headers


def _body(text: Any, media: Any) -> Any:
    if not isinstance(text, str) or text == "":
        return None
    media = str(media or "").lower()
    if "json" in media or text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text
