"""Each exchange recorded: a journal event per JSON line, or an entry of a HAR 1.2 file.

A path ending in ``.har`` is written as HAR (``har``), anything else as journal events exactly
as ``JournalEvent.to_dict`` writes them (``domain/journal``), one per line, so that
``mockmind learn`` (and ``JournalEvent.from_dict``) reads either. Every value is masked first
(``masking``). An event's ``source`` is ``upstream``; its ``seq`` counts the recording's
exchanges from 1 and ``at`` is when the request arrived (epoch seconds).

Beside each event (a ``client`` key) or entry (HAR's custom ``_client`` field), the number
of the client it came from (``clients``): the masked cookies and tokens can no longer tell
the clients apart, and ``mockmind learn`` reads each client's exchanges as one session. The
numbers count on from the last one in a file recorded to again.

Bodies as ``bodies`` keeps them: JSON as its value, form and text bodies as text, none as
null, and a body the recording cannot keep as ``{"left_out": "..."}`` saying why.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl

from mockmind.domain.journal import JournalEvent, RecordedExchange
from mockmind.proxy.bodies import body_value
from mockmind.proxy.clients import ClientSessions
from mockmind.proxy.exchange import Exchange
from mockmind.proxy.har import CLIENT_FIELD, HarFile, har_entry
from mockmind.proxy.masking import Masking

SOURCE = "upstream"
# The key beside a journal event holding its client's number.
CLIENT_KEY = "client"


class Recorder(Protocol):
    path: Path

    def record(self, exchange: Exchange) -> None: ...

    def close(self) -> None: ...


def open_recorder(path: Path, masking: Masking) -> Recorder:
    """A HAR file for a name ending in ``.har``, else journal events as JSON lines; a file
    already there is appended to (a recording of several runs)."""
    if path.suffix.lower() == ".har":
        return HarRecorder(path, masking)
    return JournalRecorder(path, masking)


class JournalRecorder:
    def __init__(self, path: Path, masking: Masking) -> None:
        self.path = path
        self._masking = masking
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._seq, last_client = _journal_counts(path)
        self._clients = ClientSessions(first=last_client + 1)
        self._file = path.open("a", encoding="utf-8")

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self._seq += 1
            event = journal_event(self._seq, exchange, self._masking)
            line = {**event.to_dict(), CLIENT_KEY: self._clients.client_of(exchange)}
            self._file.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


class HarRecorder:
    def __init__(self, path: Path, masking: Masking) -> None:
        self.path = path
        self._masking = masking
        self._lock = threading.Lock()
        self._file = HarFile(path)
        self._clients = ClientSessions(first=self._file.last_client + 1)

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            entry = har_entry(exchange, self._masking)
            entry[CLIENT_FIELD] = self._clients.client_of(exchange)
            self._file.append(entry)

    def close(self) -> None:
        with self._lock:
            self._file.close()


def _journal_counts(path: Path) -> tuple[int, int]:
    """The events in a file recorded to before, and the highest client number among them."""
    if not path.exists():
        return 0, 0
    events = last_client = 0
    with path.open("rb") as existing:
        for line in existing:
            if not line.strip():
                continue
            events += 1
            client = _client_number(line)
            last_client = max(last_client, client)
    return events, last_client


def _client_number(line: bytes) -> int:
    try:
        number = json.loads(line).get(CLIENT_KEY)
    except (ValueError, AttributeError):
        return 0
    return number if isinstance(number, int) else 0


def journal_event(seq: int, exchange: Exchange, masking: Masking) -> JournalEvent:
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(exchange.query_string, keep_blank_values=True):
        query.setdefault(key, []).append(value)
    recorded = RecordedExchange(
        method=exchange.method,
        path=exchange.path,
        query=masking.query(query),
        request_headers=masking.headers(_folded(exchange.request_headers)),
        request_body=body_value(
            exchange.request_body,
            exchange.request_header("content-type"),
            exchange.request_header("content-encoding"),
            masking,
        ),
        status=exchange.status,
        response_headers=masking.headers(_folded(exchange.response_headers)),
        response_body=body_value(
            exchange.response_body,
            exchange.response_header("content-type"),
            exchange.response_header("content-encoding"),
            masking,
        ),
    )
    return JournalEvent(
        seq=seq,
        at=exchange.started_at,
        exchange=recorded,
        source=SOURCE,
        latency_ms=round(exchange.elapsed_ms, 3),
    )


def _folded(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Repeated headers as one, as HTTP allows (Set-Cookie is masked whole anyway)."""
    folded: dict[str, str] = {}
    for name, value in headers:
        folded[name] = f"{folded[name]}, {value}" if name in folded else value
    return folded
