"""``mockmind proxy`` and ``serve`` with ``upstream:`` in front of a real API over sockets.

The real API is ``proxy_upstream.RealApi`` in a uvicorn thread; the proxy runs in another
thread (``ProxyApp`` as the command builds it) or, for the command itself, as a process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockmind.app.api import create_app
from mockmind.app.bootstrap import build
from mockmind.config import load_config, parse_config
from mockmind.domain.journal import JournalEvent
from mockmind.openapi.document import OpenAPIDocument
from mockmind.proxy.app import ProxyApp
from mockmind.proxy.drift import DriftCheck
from mockmind.proxy.forwarding import Upstream
from mockmind.proxy.masking import Masking
from mockmind.proxy.recording import open_recorder
from mockmind.proxy.state import ProxySettings
from tests.integration.proxy_upstream import RealApi
from tests.support.mockmind_server import start_server, stop_server
from tests.support.network import free_port
from tests.support.paths import EXAMPLES, FIXTURES
from tests.support.shop_flow import shop_flow
from tests.support.threaded_server import serving

PETS = FIXTURES / "proxy" / "pets.yaml"


@pytest.fixture(scope="module")
def real_api() -> Iterator[tuple[RealApi, str]]:
    api = RealApi()
    with serving(api) as url:
        yield api, url


@contextmanager
def proxy(upstream: str, *, timeout: float = 10, record: Path | None = None) -> Iterator[str]:
    recorder = open_recorder(record, Masking(["pin"])) if record is not None else None
    settings = ProxySettings(upstream=Upstream(upstream, timeout=timeout), recorder=recorder)
    with serving(ProxyApp(settings)) as url:
        yield url


def test_answers_stream_through_as_they_come(real_api: tuple[RealApi, str]) -> None:
    api, upstream = real_api
    api.release.clear()
    with (
        proxy(upstream) as url,
        httpx.Client(timeout=20) as client,
        client.stream("GET", f"{url}/stream-down") as answer,
    ):
        parts = answer.iter_raw()
        # The upstream holds its second part until the first has reached the client.
        assert next(parts) == b"first,"
        api.release.set()
        assert b"".join(parts) == b"second"


def test_request_bodies_stream_up_as_they_are_sent(real_api: tuple[RealApi, str]) -> None:
    api, upstream = real_api
    api.first_part_in.clear()

    def body() -> Iterator[bytes]:
        yield b"part one,"
        # Sent only once the upstream has the first part: a proxy reading the whole body
        # before sending any of it would never pass it on.
        yield b"part two" if api.first_part_in.wait(10) else b"first part held back"

    with proxy(upstream) as url, httpx.Client(timeout=20) as client:
        answer = client.post(f"{url}/stream-up", content=body())
    assert answer.json() == {"received": "part one,part two"}


def test_hop_by_hop_headers_are_dropped_and_host_is_the_upstreams(
    real_api: tuple[RealApi, str],
) -> None:
    _, upstream = real_api
    with proxy(upstream) as url, httpx.Client(timeout=20) as client:
        answer = client.get(
            f"{url}/echo",
            params={"q": "a b"},
            headers={
                "Connection": "keep-alive, X-Private",
                "X-Private": "for the proxy only",
                "Keep-Alive": "timeout=30",
                "TE": "trailers",
                "Proxy-Authorization": "Basic cHJveHk6cHc=",
                "X-End-To-End": "kept",
            },
        )
    assert answer.status_code == 200
    seen = answer.json()
    assert (seen["method"], seen["path"], seen["query"]) == ("GET", "/echo", "q=a+b")
    sent = dict(seen["headers"])
    proxy_host = url.removeprefix("http://")
    assert sent == {
        "host": upstream.removeprefix("http://"),
        "accept": "*/*",
        "accept-encoding": "gzip, deflate",
        "user-agent": f"python-httpx/{httpx.__version__}",
        "x-end-to-end": "kept",
        "x-forwarded-for": "127.0.0.1",
        "x-forwarded-host": proxy_host,
        "x-forwarded-proto": "http",
    }
    assert len(seen["headers"]) == len(sent)
    # The upstream's own hop-by-hop headers stop at the proxy too.
    assert answer.headers["x-kept"] == "yes"
    for name in ("x-hop", "keep-alive"):
        assert name not in answer.headers
    assert answer.headers.get("connection") != "x-hop"


def test_an_upstream_that_cannot_be_reached_is_a_502() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with proxy(dead) as url:
        answer = httpx.get(f"{url}/anything", timeout=20)
    assert answer.status_code == 502
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert (problem["status"], problem["title"]) == (502, "Bad Gateway")
    assert problem["detail"].startswith(f"the upstream {dead} could not be reached: ")


def test_an_upstream_that_never_answers_is_a_504(real_api: tuple[RealApi, str]) -> None:
    _, upstream = real_api
    with proxy(upstream, timeout=0.5) as url:
        answer = httpx.get(f"{url}/slow", timeout=20)
    assert answer.status_code == 504
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json() == {
        "status": 504,
        "title": "Gateway Timeout",
        "detail": f"the upstream {upstream} did not answer within 0.5 s",
    }


def test_a_held_answer_whose_body_never_comes_is_a_504_and_not_recorded(
    real_api: tuple[RealApi, str], tmp_path: Path
) -> None:
    _, upstream = real_api
    record = tmp_path / "held.jsonl"
    settings = ProxySettings(
        upstream=Upstream(upstream, timeout=0.5),
        drift=DriftCheck(OpenAPIDocument.load(PETS)),
        recorder=open_recorder(record, Masking(())),
    )
    with serving(ProxyApp(settings)) as url:
        answer = httpx.get(f"{url}/pets/4", timeout=20)
        fine = httpx.get(f"{url}/pets/3", timeout=20)
    assert answer.status_code == 504
    assert answer.json()["detail"] == f"the upstream {upstream} did not answer within 0.5 s"
    assert fine.headers["x-mockmind-validation"] == "ok"
    (line,) = record.read_text().splitlines()
    assert json.loads(line)["request"]["path"] == "/pets/3"


def _log_in(url: str) -> httpx.Response:
    return httpx.post(
        f"{url}/login",
        params={"api_key": "k-123", "next": "/home"},
        headers={"Authorization": "Bearer t0k3n", "Cookie": "sid=abc; theme=dark"},
        json={"username": "ann", "password": "hunter2", "pin": "pin-to-hide"},
        timeout=20,
    )


def test_the_recording_masks_every_secret(real_api: tuple[RealApi, str], tmp_path: Path) -> None:
    _, upstream = real_api
    record = tmp_path / "traffic.jsonl"
    with proxy(upstream, record=record) as url:
        assert _log_in(url).json()["token"] == "s3cr3t"  # the client gets it, the file not
    (line,) = record.read_text().splitlines()
    event = json.loads(line)
    assert (event["seq"], event["source"]) == (1, "upstream")
    request, response = event["request"], event["response"]
    assert (request["method"], request["path"]) == ("POST", "/login")
    assert request["query"] == {"api_key": ["***"], "next": ["/home"]}
    assert request["body"] == {"username": "ann", "password": "***", "pin": "***"}
    headers = request["headers"]
    assert (headers["authorization"], headers["cookie"]) == ("***", "***")
    assert headers["host"] == url.removeprefix("http://")
    assert "connection" not in headers
    assert response["status"] == 200
    assert response["body"] == {"token": "***", "token_type": "Bearer", "user": {"name": "ann"}}
    assert response["headers"]["set-cookie"] == "***"
    assert _secrets_in(line) == []


def test_a_har_recording_is_har_1_2_and_masked(
    real_api: tuple[RealApi, str], tmp_path: Path
) -> None:
    _, upstream = real_api
    record = tmp_path / "session.har"
    with proxy(upstream, record=record) as url:
        _log_in(url)
        httpx.get(f"{url}/pets/3", timeout=20)
    text = record.read_text()
    log = json.loads(text)["log"]
    assert log["version"] == "1.2"
    assert log["creator"]["name"] == "mockmind"
    login, pet = log["entries"]
    for entry in (login, pet):
        _har_entry_fields(entry)
    assert login["request"]["url"] == f"{url}/login?api_key=%2A%2A%2A&next=%2Fhome"
    assert login["request"]["postData"] == {
        "mimeType": "application/json",
        "text": '{"username": "ann", "password": "***", "pin": "***"}',
    }
    assert login["request"]["cookies"] == [
        {"name": "sid", "value": "***"},
        {"name": "theme", "value": "***"},
    ]
    assert login["response"]["cookies"] == [{"name": "sid", "value": "***"}]
    assert login["response"]["content"]["text"] == (
        '{"token": "***", "token_type": "Bearer", "user": {"name": "ann"}}'
    )
    assert (pet["request"]["method"], pet["request"]["url"]) == ("GET", f"{url}/pets/3")
    assert pet["response"]["status"] == 200
    assert json.loads(pet["response"]["content"]["text"]) == {"id": 3, "name": "Rex"}
    assert _secrets_in(text) == []


_NUMBER = (int, float)
# The members HAR 1.2 requires, with their JSON types.
_ENTRY = {"startedDateTime": str, "time": _NUMBER, "cache": dict, "timings": dict}
_REQUEST = {
    "method": str,
    "url": str,
    "httpVersion": str,
    "cookies": list,
    "headers": list,
    "queryString": list,
    "headersSize": int,
    "bodySize": int,
}
_RESPONSE = {
    "status": int,
    "statusText": str,
    "httpVersion": str,
    "cookies": list,
    "headers": list,
    "content": dict,
    "redirectURL": str,
    "headersSize": int,
    "bodySize": int,
}
_TIMINGS = {"send": _NUMBER, "wait": _NUMBER, "receive": _NUMBER}
_CONTENT = {"size": int, "mimeType": str}


def _typed(node: dict[str, Any], members: dict[str, Any]) -> list[str]:
    return [name for name, kind in members.items() if not isinstance(node.get(name), kind)]


def _har_entry_fields(entry: dict[str, Any]) -> None:
    """The members HAR 1.2 requires of an entry, with their types."""
    assert _typed(entry, _ENTRY) == []
    assert _typed(entry["request"], _REQUEST) == []
    assert _typed(entry["response"], _RESPONSE) == []
    assert _typed(entry["timings"], _TIMINGS) == []
    assert _typed(entry["response"]["content"], _CONTENT) == []
    assert entry["startedDateTime"].endswith("Z")
    headers = entry["request"]["headers"] + entry["response"]["headers"]
    assert [h for h in headers if set(h) != {"name", "value"}] == []


def _secrets_in(text: str) -> list[str]:
    sent = ("s3cr3t", "hunter2", "t0k3n", "k-123", "pin-to-hide", "sid=abc", "cHJveHk6cHc")
    return [secret for secret in sent if secret in text]


@contextmanager
def proxy_command(*args: str, stderr: Path) -> Iterator[str]:
    """``mockmind proxy`` as a user starts it; its log goes to ``stderr``."""
    port = free_port()
    with stderr.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockmind.cli", "proxy", "--port", str(port), *args],
            env={**os.environ, "MOCKMIND_ADMIN_TOKEN": "admin-t"},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mockmind proxy exited:\n{stderr.read_text()}")
            try:
                if httpx.get(f"{url}/__mockmind/proxy/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        stop_server(process)


@pytest.mark.slow
def test_the_validation_proxy_reports_the_upstreams_drift(
    real_api: tuple[RealApi, str], tmp_path: Path
) -> None:
    _, upstream = real_api
    log = tmp_path / "proxy.log"
    record = tmp_path / "drift.har"
    args = ("--upstream", upstream, "--openapi", str(PETS), "--record", str(record))
    with proxy_command(*args, stderr=log) as url, httpx.Client(base_url=url, timeout=20) as client:
        health = client.get("/__mockmind/proxy/health").json()
        assert health == {
            "status": "ok",
            "version": health["version"],
            "upstream": upstream,
            "openapi": str(PETS),
            "record": str(record),
            "exchanges": 0,
        }
        answers = {
            path: client.get(path) for path in ("/pets/3", "/pets/1", "/pets/2", "/pets/rex")
        }
        refused = client.get("/__mockmind/proxy/mismatches")
        listed = client.get(
            "/__mockmind/proxy/mismatches", headers={"Authorization": "Bearer admin-t"}
        )
    # The answers are the upstream's, whatever the document says.
    assert [a.status_code for a in answers.values()] == [200, 200, 418, 404]
    assert answers["/pets/1"].json() == {"id": 1, "name": 7}
    assert {path: a.headers["x-mockmind-validation"] for path, a in answers.items()} == {
        "/pets/3": "ok",
        "/pets/1": "1 mismatch; response body.name: 7 is not of type 'string'",
        "/pets/2": "1 mismatch; response status: 418 is not documented for GET /pets/{petId} "
        "(it has 200, 404)",
        "/pets/rex": "2 mismatches; request path.petId: 'rex' is not of type 'integer'; "
        "response header.content-type: application/json is not documented; the document "
        "gives application/problem+json",
    }
    assert refused.status_code == 401
    assert listed.status_code == 200
    mismatches = listed.json()
    assert (mismatches["total"], mismatches["kept"]) == (4, 4)
    assert [{k: v for k, v in m.items() if k != "at"} for m in mismatches["mismatches"]] == [
        {
            "exchange": 2,
            "method": "GET",
            "path": "/pets/1",
            "operation": "GET /pets/{petId}",
            "status": 200,
            "side": "response",
            "location": "body.name",
            "message": "7 is not of type 'string'",
        },
        {
            "exchange": 3,
            "method": "GET",
            "path": "/pets/2",
            "operation": "GET /pets/{petId}",
            "status": 418,
            "side": "response",
            "location": "status",
            "message": "418 is not documented for GET /pets/{petId} (it has 200, 404)",
        },
        {
            "exchange": 4,
            "method": "GET",
            "path": "/pets/rex",
            "operation": "GET /pets/{petId}",
            "status": 404,
            "side": "request",
            "location": "path.petId",
            "message": "'rex' is not of type 'integer'",
        },
        {
            "exchange": 4,
            "method": "GET",
            "path": "/pets/rex",
            "operation": "GET /pets/{petId}",
            "status": 404,
            "side": "response",
            "location": "header.content-type",
            "message": "application/json is not documented; the document gives "
            "application/problem+json",
        },
    ]
    drift_lines = [line for line in log.read_text().splitlines() if "drift:" in line]
    assert [line.split("drift: ", 1)[1] for line in drift_lines] == [
        "GET /pets/1 -> 200: response body.name: 7 is not of type 'string'",
        "GET /pets/2 -> 418: response status: 418 is not documented for GET /pets/{petId} "
        "(it has 200, 404)",
        "GET /pets/rex -> 404: request path.petId: 'rex' is not of type 'integer'",
        "GET /pets/rex -> 404: response header.content-type: application/json is not "
        "documented; the document gives application/problem+json",
    ]
    entries = json.loads(record.read_text())["log"]["entries"]
    assert [e["request"]["url"].removeprefix(url) for e in entries] == list(answers)


@pytest.mark.slow
def test_serve_forwards_what_the_mock_cannot_answer_and_records_it(
    real_api: tuple[RealApi, str], tmp_path: Path
) -> None:
    _, upstream = real_api
    config = tmp_path / "mockmind.yaml"
    config.write_text(
        f"openapi: {EXAMPLES / 'shop' / 'openapi.yaml'}\n"
        "storage: {backend: memory}\n"
        "upstream:\n"
        f"  url: {upstream}\n"
        "  timeout_seconds: 5\n"
        "  record: recorded/forwarded.jsonl\n"
    )
    process, url = start_server(config)
    try:
        with httpx.Client(base_url=url, timeout=20) as client:
            unknown = client.post("/echo", params={"password": "p"}, json={"secret": "s"})
            mocked = client.get("/products", params={"limit": 1})
            asked = client.get("/products", headers={"Prefer": "proxy=true"})
    finally:
        stop_server(process)
    assert unknown.status_code == 200
    assert unknown.json()["path"] == "/echo"
    assert unknown.headers["x-kept"] == "yes"
    assert "x-mockmind-source" not in unknown.headers
    assert unknown.headers.get_list("date") == [unknown.headers["date"]]  # not twice
    assert mocked.status_code == 200
    assert mocked.headers["x-mockmind-source"] in ("store", "offline", "example")
    assert asked.status_code == 404
    assert asked.json() == {"title": "nothing here"}
    lines = (tmp_path / "recorded" / "forwarded.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert [
        (
            e["seq"],
            e["source"],
            e["request"]["method"],
            e["request"]["path"],
            e["response"]["status"],
        )
        for e in events
    ] == [(1, "upstream", "POST", "/echo", 200), (2, "upstream", "GET", "/products", 404)]
    assert events[0]["request"]["query"] == {"password": ["***"]}
    assert events[0]["request"]["body"] == {"secret": "***"}


def _served(config: str) -> AbstractContextManager[str]:
    return serving(create_app(build(parse_config(config, env={}), env={})))


def test_serve_keeps_what_its_document_has_and_forwards_only_unknown_paths(
    real_api: tuple[RealApi, str], tmp_path: Path
) -> None:
    _, upstream = real_api
    shop = EXAMPLES / "shop" / "openapi.yaml"
    record = tmp_path / "forwarded.har"
    config = f"openapi: {shop}\nupstream: {{url: '{upstream}', record: '{record}'}}\n"
    with _served(config) as url, httpx.Client(base_url=url, timeout=20) as client:
        wrong_method = client.put("/products")
        unknown = client.get("/pets/3")
    # A path the document has, with another method, is the mock's 405 (it says which).
    assert wrong_method.status_code == 405
    assert unknown.json() == {"id": 3, "name": "Rex"}
    (entry,) = json.loads(record.read_text())["log"]["entries"]
    assert entry["request"]["url"] == f"{url}/pets/3"


def test_serve_without_a_document_forwards_only_when_asked(
    real_api: tuple[RealApi, str],
) -> None:
    _, upstream = real_api
    with (
        _served(f"upstream: {{url: '{upstream}'}}\n") as url,
        httpx.Client(base_url=url, timeout=20) as client,
    ):
        mocked = client.get("/pets/3")
        asked = client.get("/pets/3", headers={"Prefer": "proxy=true"})
    # The config's schemas answer every path: none is unknown.
    assert "x-mockmind-source" in mocked.headers
    assert asked.json() == {"id": 3, "name": "Rex"}
    assert "x-mockmind-source" not in asked.headers


def test_the_shop_flow_through_the_checking_proxy_is_recorded_as_journal_events(
    tmp_path: Path,
) -> None:
    shop = EXAMPLES / "shop"
    record = tmp_path / "shop.jsonl"
    seen: list[httpx.Response] = []
    with serving(create_app(build(load_config(shop / "mockmind.yaml", env={}), env={}))) as real:
        recorder = open_recorder(record, Masking(()))
        drift = DriftCheck(OpenAPIDocument.load(shop / "openapi.yaml"))
        settings = ProxySettings(
            upstream=Upstream(real, timeout=10), drift=drift, recorder=recorder
        )
        with (
            serving(ProxyApp(settings)) as url,
            httpx.Client(
                base_url=url, timeout=20, event_hooks={"response": [seen.append]}
            ) as client,
        ):
            order = shop_flow(client)
    assert order["status"] == "shipped"
    # The mock keeps its own document: nothing drifts (no false alarm either way).
    assert {r.headers["x-mockmind-validation"] for r in seen} == {"ok"}
    events = [JournalEvent.from_dict(json.loads(line)) for line in record.read_text().splitlines()]
    assert [e.seq for e in events] == list(range(1, len(seen) + 1))
    assert [(e.exchange.method, e.exchange.status) for e in events] == [
        (r.request.method, r.status_code) for r in seen
    ]
    login = events[0].exchange
    assert (login.path, login.request_body) == ("/login", {"username": "ada", "password": "***"})
    assert login.response_body["token"] == "***"
    later = events[1].exchange
    assert later.request_headers["cookie"] == "***"
    assert {e.source for e in events} == {"upstream"}


@pytest.mark.slow
def test_schemathesis_finds_no_failure_in_the_proxy_routes(tmp_path: Path) -> None:
    # The proxy's own routes keep the promises of their document (an upstream is not needed:
    # nothing under /__mockmind/proxy/ is forwarded).
    settings = ProxySettings(upstream=Upstream(f"http://127.0.0.1:{free_port()}", timeout=1))
    executable = Path(sys.executable).with_name("schemathesis")
    with serving(ProxyApp(settings)) as url:
        result = subprocess.run(
            [
                str(executable) if executable.exists() else "schemathesis",
                "run",
                f"{url}/__mockmind/proxy/openapi.json",
                "--url",
                url,
                "--mode",
                "all",
                "--checks",
                "all",
                "--max-examples",
                "30",
                "--seed",
                "20261203",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            check=False,
        )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
