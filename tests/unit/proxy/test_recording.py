"""Exchanges as recordings: journal events and HAR entries, every secret masked."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from mockmind.domain.journal import JournalEvent, RecordedExchange
from mockmind.proxy.exchange import Body, Exchange
from mockmind.proxy.masking import Masking
from mockmind.proxy.recording import journal_event, open_recorder

MASKING = Masking(["pin", "X-Tenant-Secret-Ish"])


def _body(data: bytes, limit: int = 1024) -> Body:
    body = Body(limit)
    body.add(data)
    return body


def _login() -> Exchange:
    return Exchange(
        started_at=1764745200.5,
        method="POST",
        url="http://proxy.test/login?api_key=k1&q=shoes",
        path="/login",
        query_string="api_key=k1&q=shoes",
        request_headers=[
            ("host", "proxy.test"),
            ("authorization", "Bearer t0k"),
            ("cookie", "sid=abc; theme=dark"),
            ("x-tenant-secret-ish", "acme"),
            ("content-type", "application/json"),
        ],
        request_body=_body(b'{"username": "ann", "password": "hunter2", "pin": "1234"}'),
        status=200,
        response_headers=[
            ("content-type", "application/json"),
            ("set-cookie", "sid=new; HttpOnly"),
            ("content-encoding", "gzip"),
        ],
        response_body=_body(gzip.compress(b'{"token": "s3cr3t", "token_type": "Bearer"}')),
        wait_ms=10.0,
        elapsed_ms=12.25,
    )


def test_masking_by_name_and_value() -> None:
    assert MASKING.headers({"Authorization": "Basic x", "X-Api-Key": "k", "Accept": "*/*"}) == {
        "Authorization": "***",
        "X-Api-Key": "***",
        "Accept": "*/*",
    }
    assert MASKING.query({"api_key": ["k"], "pin": ["1", "2"], "q": ["x"]}) == {
        "api_key": ("***",),
        "pin": ("***", "***"),
        "q": ("x",),
    }
    assert MASKING.json({"user": {"PIN": 1, "password": "p", "token_type": "Bearer"}}) == {
        "user": {"PIN": "***", "password": "***", "token_type": "Bearer"}
    }
    assert MASKING.form("user=ann&password=p&pin=9") == "user=ann&password=%2A%2A%2A&pin=%2A%2A%2A"


def test_a_journal_event_of_an_exchange() -> None:
    event = journal_event(4, _login(), MASKING)
    assert event == JournalEvent(
        seq=4,
        at=1764745200.5,
        exchange=RecordedExchange(
            method="POST",
            path="/login",
            query={"api_key": ("***",), "q": ("shoes",)},
            request_headers={
                "host": "proxy.test",
                "authorization": "***",
                "cookie": "***",
                "x-tenant-secret-ish": "***",
                "content-type": "application/json",
            },
            request_body={"username": "ann", "password": "***", "pin": "***"},
            status=200,
            response_headers={
                "content-type": "application/json",
                "set-cookie": "***",
                "content-encoding": "gzip",
            },
            response_body={"token": "***", "token_type": "Bearer"},
        ),
        source="upstream",
        latency_ms=12.25,
    )


@pytest.mark.parametrize(
    ("data", "content_type", "kept"),
    [
        (b"", "application/json", None),
        (b"hello", "text/plain; charset=utf-8", "hello"),
        (b"\xff\xd8\xff", "image/jpeg", {"left_out": "a binary body of 3 bytes (image/jpeg)"}),
        (
            b"{oops",
            "application/json",
            {"left_out": "a body of 5 characters that is not readable JSON"},
        ),
        (
            b"x" * 40,
            "text/plain",
            {"left_out": "a body of 40 bytes, over the 32 a recording keeps"},
        ),
    ],
)
def test_bodies_as_kept(data: bytes, content_type: str, kept: object) -> None:
    exchange = _login()
    exchange.response_headers = [("content-type", content_type)]
    exchange.response_body = _body(data, limit=32)
    assert journal_event(1, exchange, MASKING).exchange.response_body == kept


def test_journal_lines_count_on_from_an_existing_recording(tmp_path: Path) -> None:
    path = tmp_path / "rec" / "traffic.jsonl"
    recorder = open_recorder(path, MASKING)
    recorder.record(_login())
    recorder.close()
    recorder = open_recorder(path, MASKING)
    recorder.record(_login())
    recorder.close()
    events = [JournalEvent.from_dict(json.loads(line)) for line in path.read_text().splitlines()]
    assert [event.seq for event in events] == [1, 2]
    assert events[1] == journal_event(2, _login(), MASKING)


def _required_har_fields(har: dict[str, object]) -> None:
    log = har["log"]
    assert isinstance(log, dict)
    assert log["version"] == "1.2"
    assert set(log["creator"]) >= {"name", "version"}
    for entry in log["entries"]:
        assert set(entry) >= {"startedDateTime", "time", "request", "response", "cache", "timings"}
        assert set(entry["request"]) >= {
            "method",
            "url",
            "httpVersion",
            "cookies",
            "headers",
            "queryString",
            "headersSize",
            "bodySize",
        }
        assert set(entry["response"]) >= {
            "status",
            "statusText",
            "httpVersion",
            "cookies",
            "headers",
            "content",
            "redirectURL",
            "headersSize",
            "bodySize",
        }
        assert set(entry["response"]["content"]) >= {"size", "mimeType"}
        assert set(entry["timings"]) >= {"send", "wait", "receive"}


def test_a_har_file_is_valid_after_each_entry_and_masked(tmp_path: Path) -> None:
    path = tmp_path / "session.har"
    recorder = open_recorder(path, MASKING)
    assert json.loads(path.read_text())["log"]["entries"] == []
    recorder.record(_login())
    first = json.loads(path.read_text())
    _required_har_fields(first)
    recorder.record(_login())
    recorder.close()
    har = json.loads(path.read_text())
    _required_har_fields(har)
    assert len(har["log"]["entries"]) == 2
    entry = har["log"]["entries"][0]
    assert entry["startedDateTime"] == "2025-12-03T07:00:00.500Z"
    assert entry["time"] == 12.25
    assert entry["timings"] == {"send": 0, "wait": 10.0, "receive": 2.25}
    request = entry["request"]
    assert request["url"] == "http://proxy.test/login?api_key=%2A%2A%2A&q=shoes"
    assert request["queryString"] == [
        {"name": "api_key", "value": "***"},
        {"name": "q", "value": "shoes"},
    ]
    assert request["cookies"] == [
        {"name": "sid", "value": "***"},
        {"name": "theme", "value": "***"},
    ]
    assert request["headers"] == [
        {"name": "host", "value": "proxy.test"},
        {"name": "authorization", "value": "***"},
        {"name": "cookie", "value": "***"},
        {"name": "x-tenant-secret-ish", "value": "***"},
        {"name": "content-type", "value": "application/json"},
    ]
    assert request["postData"] == {
        "mimeType": "application/json",
        "text": '{"username": "ann", "password": "***", "pin": "***"}',
    }
    response = entry["response"]
    assert response["status"] == 200
    assert response["statusText"] == "OK"
    assert response["cookies"] == [{"name": "sid", "value": "***"}]
    assert response["content"] == {
        "size": 43,
        "mimeType": "application/json",
        "text": '{"token": "***", "token_type": "Bearer"}',
    }
    # Opened again, the file keeps its entries and takes more.
    again = open_recorder(path, MASKING)
    again.record(_login())
    again.close()
    assert len(json.loads(path.read_text())["log"]["entries"]) == 3


def test_a_file_that_is_not_har_is_not_written_over(tmp_path: Path) -> None:
    path = tmp_path / "notes.har"
    path.write_text("my notes")
    with pytest.raises(ValueError, match="is not a HAR file to add to"):
        open_recorder(path, MASKING)
    assert path.read_text() == "my notes"
