"""The client of each recorded exchange, told by the cookies and tokens it was given."""

from __future__ import annotations

import json
from pathlib import Path

from mockmind.proxy.clients import ClientSessions
from mockmind.proxy.exchange import Body, Exchange
from mockmind.proxy.masking import Masking
from mockmind.proxy.recording import open_recorder


def _exchange(
    path: str,
    *,
    sent: tuple[tuple[str, str], ...] = (),
    given: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> Exchange:
    answer = Body()
    answer.add(body)
    return Exchange(
        started_at=1.0,
        method="GET",
        url=f"http://proxy.test{path}",
        path=path,
        query_string="",
        request_headers=[("host", "proxy.test"), *sent],
        request_body=Body(),
        status=200,
        response_headers=[("content-type", "application/json"), *given],
        response_body=answer,
    )


def test_cookies_set_and_tokens_issued_tell_the_clients_apart() -> None:
    clients = ClientSessions()
    first = _exchange("/a", given=(("set-cookie", "sid=one; Path=/; HttpOnly"),))
    second = _exchange("/a", given=(("set-cookie", "sid=two; Path=/"),))
    assert [clients.client_of(first), clients.client_of(second)] == [1, 2]
    # Each cookie brings its client back, whatever other cookies come with it.
    assert clients.client_of(_exchange("/b", sent=(("cookie", "theme=dark; sid=two"),))) == 2
    login = _exchange(
        "/login",
        sent=(("cookie", "sid=one"),),
        body=b'{"token": "t-issued", "token_type": "Bearer", "user": {"name": "ann"}}',
    )
    assert clients.client_of(login) == 1
    # The token alone, without the cookie: the client it was issued to.
    bearer = _exchange("/admin", sent=(("authorization", "Bearer t-issued"),))
    assert clients.client_of(bearer) == 1
    # Neither a known cookie nor a known token: a client of its own, and its cookie is its.
    stranger = _exchange(
        "/a",
        sent=(
            ("cookie", "sid=forged"),
            ("authorization", "Bearer t-x"),
        ),
    )
    assert clients.client_of(stranger) == 3
    assert clients.client_of(_exchange("/c", sent=(("authorization", "Bearer t-x"),))) == 3
    # A value not under a secret's name is no credential (every answer holds ids).
    listed = _exchange("/items", body=b'[{"id": "i-1", "name": "t-issued"}]')
    assert clients.client_of(listed) == 4
    assert clients.client_of(_exchange("/d", sent=(("authorization", "Bearer i-1"),))) == 5


def test_recordings_number_the_clients_and_keep_none_of_their_secrets(tmp_path: Path) -> None:
    def run(path: Path) -> None:
        recorder = open_recorder(path, Masking())
        recorder.record(_exchange("/a", given=(("set-cookie", "sid=one-secret"),)))
        recorder.record(_exchange("/a", given=(("set-cookie", "sid=two-secret"),)))
        recorder.record(_exchange("/b", sent=(("cookie", "sid=one-secret"),)))
        recorder.close()

    journal = tmp_path / "traffic.jsonl"
    run(journal)
    run(journal)  # recorded to again: the numbers count on
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [(e["seq"], e["client"]) for e in lines] == [
        (1, 1),
        (2, 2),
        (3, 1),
        (4, 3),
        (5, 4),
        (6, 3),
    ]
    har = tmp_path / "traffic.har"
    run(har)
    run(har)
    entries = json.loads(har.read_text())["log"]["entries"]
    assert [e["_client"] for e in entries] == [1, 2, 1, 3, 4, 3]
    for recorded in (journal, har):
        assert "secret" not in recorded.read_text()
