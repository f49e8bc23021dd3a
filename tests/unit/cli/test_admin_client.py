"""The admin client on its own: progress reports of a long call, and the bar that draws them."""

from __future__ import annotations

import gzip
import io
import json

import httpx
import pytest
from rich.console import Console

from mockmind.cli.admin_client import CHUNK_BYTES, AdminClient
from mockmind.cli.progress import TransferBar
from tests.unit.cli import fake_admin
from tests.unit.cli.fake_admin import IMPORTED, SESSION, FakeAdmin


class Recorded:
    """A TransferProgress that keeps what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int | None, int | None]] = []

    def sending(self, done: int, total: int) -> None:
        self.events.append(("sending", done, total))

    def waiting(self) -> None:
        self.events.append(("waiting", None, None))

    def receiving(self, done: int, total: int | None) -> None:
        self.events.append(("receiving", done, total))


def _big_fixture() -> bytes:
    body = fake_admin.fixture()
    body["journal"] = [{"seq": n, "note": "x" * 100} for n in range(1, 1501)]
    return json.dumps(body).encode()


def test_an_import_reports_each_chunk_sent_then_the_wait_then_the_answer() -> None:
    fake = FakeAdmin()
    fixture = _big_fixture()
    assert 2 * CHUNK_BYTES < len(fixture) < 3 * CHUNK_BYTES
    progress = Recorded()
    with AdminClient("http://mock.test", transport=fake.transport()) as client:
        imported = client.import_fixture(fixture, progress)
    assert imported.id == IMPORTED
    # The bytes of the answer as the fake sends it (httpx's compact JSON).
    answer = httpx.Response(
        201, json={"id": IMPORTED, "digest": imported.digest, "imported": True}
    ).content
    assert progress.events == [
        ("sending", CHUNK_BYTES, len(fixture)),
        ("sending", 2 * CHUNK_BYTES, len(fixture)),
        ("sending", len(fixture), len(fixture)),
        ("waiting", None, None),
        ("receiving", len(answer), len(answer)),
    ]
    assert fake.requests[0].content == fixture


def test_a_replay_waits_from_the_start_and_reads_an_answer_of_unknown_length() -> None:
    report = json.dumps(fake_admin.replay_report(differ=False)).encode()

    def streamed(request: httpx.Request) -> httpx.Response:
        # No Content-Length: the answer comes in two chunks of a stream.
        return httpx.Response(200, stream=httpx.ByteStream(report))

    progress = Recorded()
    with AdminClient("http://mock.test", transport=httpx.MockTransport(streamed)) as client:
        replayed = client.replay(SESSION, (), progress)
    assert replayed.summary.steps == 3
    body = b"{}"
    assert progress.events == [
        ("sending", len(body), len(body)),
        ("waiting", None, None),
        ("receiving", len(report), None),
    ]


def test_a_compressed_answer_is_counted_without_a_total() -> None:
    report = json.dumps(fake_admin.replay_report(differ=False)).encode()
    packed = gzip.compress(report)

    def compressed(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Encoding": "gzip", "Content-Length": str(len(packed))}
        return httpx.Response(200, headers=headers, content=packed)

    progress = Recorded()
    with AdminClient("http://mock.test", transport=httpx.MockTransport(compressed)) as client:
        assert client.replay(SESSION, ("$.id",), progress).summary.same == 3
    # The Content-Length counts compressed bytes: no total to set the decoded ones against.
    assert progress.events[-1] == ("receiving", len(report), None)


def test_a_call_without_progress_reports_nothing_and_sends_no_length_of_its_own() -> None:
    fake = FakeAdmin()
    with AdminClient("http://mock.test", transport=fake.transport()) as client:
        client.reset(SESSION, 1)
    assert fake.requests[0].headers["content-length"] == str(len(b'{"to": 1}'))


def test_no_token_sends_no_token_header() -> None:
    fake = FakeAdmin()
    with AdminClient("http://mock.test", "", transport=fake.transport()) as client:
        client.stats()
    assert "x-mockmind-admin-token" not in fake.requests[0].headers


@pytest.mark.parametrize("terminal", [True, False])
def test_the_bar_draws_on_a_terminal_only_and_leaves_no_trace(terminal: bool) -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=terminal, width=100)
    with TransferBar(console, "importing") as bar:
        bar.sending(50_000, 100_000)
        bar.waiting()
        bar.receiving(10, 10)
    drawn = screen.getvalue()
    if not terminal:
        assert drawn == ""
        return
    assert "importing " in drawn  # the first frame, before anything was sent
    assert "importing: receiving" in drawn
    assert "10/10 bytes" in drawn
    # Transient: the last frame is erased, so only what the command prints stays.
    assert drawn.endswith("\x1b[1A\x1b[2K")
