from __future__ import annotations

import base64
import json

import pytest

from mockmind.domain.errors import RecordingError
from mockmind.domain.journal import JournalEvent, RecordedExchange
from mockmind.learning.exchanges import digest
from mockmind.learning.recordings import read_recording


def _event(seq: int, path: str, status: int = 200) -> str:
    exchange = RecordedExchange(
        method="GET",
        path=path,
        query={"limit": ("2",)},
        request_headers={"cookie": "***"},
        request_body=None,
        status=status,
        response_headers={"content-type": "application/json"},
        response_body={"ok": True},
    )
    event = JournalEvent(seq=seq, at=1.0, exchange=exchange, source="store", latency_ms=1.0)
    return json.dumps(event.to_dict())


def test_journal_lines_start_a_session_where_the_steps_start_again() -> None:
    text = "\n".join([_event(1, "/a"), _event(2, "/b"), "", _event(1, "/c")])
    read = read_recording("rec.jsonl", text, first_order=10)
    assert [(e.session, e.order, e.path) for e in read] == [
        ("rec.jsonl#0", 10, "/a"),
        ("rec.jsonl#0", 11, "/b"),
        ("rec.jsonl#1", 12, "/c"),
    ]
    assert read[0].query == {"limit": ("2",)}
    assert read[0].response_body == {"ok": True}
    assert read[0].response_media == "application/json"


def test_the_proxys_client_numbers_are_the_sessions() -> None:
    # One proxy recording of two clients whose requests came in turn.
    lines = [json.loads(_event(seq, f"/{seq}")) for seq in (1, 2, 3)]
    for line, client in zip(lines, (1, 2, 1), strict=True):
        line["client"] = client
    read = read_recording("proxy.jsonl", "\n".join(map(json.dumps, lines)))
    assert [(e.session, e.path) for e in read] == [
        ("proxy.jsonl#client-1", "/1"),
        ("proxy.jsonl#client-2", "/2"),
        ("proxy.jsonl#client-1", "/3"),
    ]
    entries = [
        {
            "_client": client,
            "request": {"method": "GET", "url": f"http://shop.test/{n}", "headers": []},
            "response": {"status": 200, "headers": [], "content": {}},
        }
        for n, client in ((1, 2), (2, 1), (3, 2))
    ]
    assert [e.session for e in read_recording("proxy.har", _har(*entries))] == [
        "proxy.har#client-2",
        "proxy.har#client-1",
        "proxy.har#client-2",
    ]
    del entries[0]["_client"]
    assert read_recording("proxy.har", _har(entries[0]))[0].session == "proxy.har"


def test_a_broken_line_is_named_with_its_file_and_line() -> None:
    with pytest.raises(RecordingError, match=r"^rec\.jsonl:2: not a journal event: "):
        read_recording("rec.jsonl", _event(1, "/a") + "\n{not json\n")
    with pytest.raises(
        RecordingError, match=r"rec\.jsonl:1: not a journal event: missing key 'seq'"
    ):
        read_recording("rec.jsonl", '{"at": 1}\n')
    with pytest.raises(RecordingError, match=r"^x\.har: not a HAR 1\.2 file"):
        read_recording("x.har", '{"log": {}}')


def _har(*entries: dict[str, object]) -> str:
    return json.dumps({"log": {"version": "1.2", "entries": list(entries)}})


def test_a_har_file_is_read_and_its_secrets_masked_with_their_digests_kept() -> None:
    token = "s3cr3t-t0ken-value"
    login = {
        "request": {
            "method": "post",
            "url": "https://api.example.com/login?lang=en&api_key=k1",
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "postData": {
                "mimeType": "application/json",
                "text": json.dumps({"username": "ada", "password": "pw"}),
            },
        },
        "response": {
            "status": 200,
            "headers": [{"name": "Content-Type", "value": "application/json; charset=utf-8"}],
            "content": {
                "mimeType": "application/json",
                "encoding": "base64",
                "text": base64.b64encode(json.dumps({"token": token}).encode()).decode(),
            },
        },
    }
    use = {
        "request": {
            "method": "GET",
            "url": "https://api.example.com/a%20b",
            "headers": [
                {"name": ":authority", "value": "api.example.com"},
                {"name": "Authorization", "value": f"Bearer {token}"},
            ],
        },
        "response": {"status": 204, "headers": [], "content": {"size": 0, "text": ""}},
    }
    first, second = read_recording("tab.har", _har(login, use))
    assert (first.session, first.method, first.path) == ("tab.har", "POST", "/login")
    assert first.query == {"lang": ("en",), "api_key": ("***",)}
    assert first.request_body == {"username": "ada", "password": "***"}
    assert first.response_body == {"token": "***"}
    assert first.response_media == "application/json"
    assert first.issued_secrets == {digest(token)}
    assert second.path == "/a b"
    assert second.request_headers == {"authorization": "***"}
    assert second.presented_secret == digest(token)
    assert second.response_body is None
