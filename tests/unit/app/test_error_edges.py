"""The HTTP layer (mock path, admin app) and the CLI answer errors as the error table says."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from mockmind.app.api import create_app
from mockmind.app.bootstrap import Container, build
from mockmind.cli import main
from mockmind.config import parse_config
from mockmind.domain.error_answers import ERROR_ANSWERS, ErrorAnswer, exit_code
from mockmind.domain.errors import ConfigError, ConfigIssue, StoreError
from mockmind.domain.http import MockRequest
from tests.support.paths import FIXTURES

CONFIG = "storage: {backend: memory}\n"


@pytest.fixture
def container() -> Container:
    return build(parse_config(CONFIG, env={}), env={})


def _request(container: Container, method: str, path: str) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(container))
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            return await client.request(method, path)

    return asyncio.run(run())


def _failing_store(*args: Any, **kwargs: Any) -> Any:
    raise StoreError("sessions get failed on dynamodb: ThrottlingException")


def _answer_store_errors_with(monkeypatch: pytest.MonkeyPatch, answer: ErrorAnswer) -> None:
    table = {**ERROR_ANSWERS, StoreError: answer}
    monkeypatch.setattr("mockmind.domain.error_answers.ERROR_ANSWERS", table)


# -- the mock path


def test_a_failing_mock_request_is_a_plain_500_as_the_servers_answered_it(
    container: Container, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def handle(request: MockRequest) -> Any:
        _failing_store()

    monkeypatch.setattr(container.engine, "handle", handle)
    response = _request(container, "GET", "/pets")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "ThrottlingException" not in response.text
    assert "ThrottlingException" in caplog.text  # logged, with its traceback
    assert _request(container, "HEAD", "/pets").content == b""


def test_the_mock_path_looks_the_answer_up(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def handle(request: MockRequest) -> Any:
        _failing_store()

    monkeypatch.setattr(container.engine, "handle", handle)
    _answer_store_errors_with(monkeypatch, ErrorAnswer(503, "problem", 1))
    response = _request(container, "GET", "/pets")
    assert response.status_code == 503
    assert response.json() == {"status": 503, "title": "Service Unavailable"}


def test_a_request_error_keeps_its_problem_document() -> None:
    petstore = FIXTURES / "openapi" / "petstore-3.0.yaml"
    loaded = parse_config(f"openapi: {petstore}\n{CONFIG}", env={})
    response = _request(build(loaded, env={}), "GET", "/nowhere")
    assert response.status_code == 404
    # The petstore gives all its documented errors as application/json: so is this one.
    assert response.headers["content-type"] == "application/json"
    assert response.content == (
        b'{"status":404,"title":"Not Found","detail":"no operation matches GET /nowhere"}'
    )


# -- the admin app


def test_admin_404s_keep_their_bodies(container: Container) -> None:
    unknown = _request(container, "GET", "/__mockmind/nope")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.content == (
        b'{"status":404,"title":"Not Found","detail":"no admin route /__mockmind/nope"}'
    )
    gone = _request(container, "GET", "/__mockmind/sessions/nobody")
    assert gone.status_code == 404
    assert gone.json() == {
        "status": 404,
        "title": "Not Found",
        "detail": "no live session 'nobody'",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("TRACE", "/__mockmind/health"),
        ("POST", "/__mockmind/health"),
        ("HEAD", "/__mockmind/health"),
        ("PATCH", "/__mockmind/sessions/abc"),
        ("PUT", "/__mockmind/sessions/abc"),
        ("POST", "/__mockmind/sessions/abc/journal"),
    ],
)
def test_an_admin_route_answers_405_with_allow_for_a_method_it_does_not_serve(
    container: Container, method: str, path: str
) -> None:
    response = _request(container, method, path)
    assert response.status_code == 405
    # A session is read and deleted; the rest is read only.
    assert response.headers["allow"] == (
        "DELETE, GET" if path == "/__mockmind/sessions/abc" else "GET"
    )
    assert response.headers["content-type"] == "application/problem+json"
    if method != "HEAD":
        assert response.json() == {
            "status": 405,
            "title": "Method Not Allowed",
            "detail": f"{method} is not defined for {path}",
        }


def test_an_unknown_admin_path_is_404_whatever_the_method(container: Container) -> None:
    for method in ("GET", "TRACE", "DELETE"):
        response = _request(container, method, "/__mockmind/nope")
        assert response.status_code == 404
        assert "allow" not in response.headers


def test_an_encoded_slash_after_the_admin_prefix_is_a_mock_path(container: Container) -> None:
    # One segment, "__mockmind/health", as routing splits it: the mock answers it (here,
    # without a document, as a collection of generic resources), not the admin app.
    response = _request(container, "GET", "/__mockmind%2Fhealth")
    assert response.headers["x-mockmind-source"] == "store"
    assert response.json() == []
    health = _request(container, "GET", "/%5F_mockmind/health")
    assert "x-mockmind-source" not in health.headers
    assert health.json()["status"] == "ok"


def test_a_failing_admin_request_is_answered_from_the_table(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(container.sessions, "get", _failing_store)
    path = "/__mockmind/sessions/" + "a" * 32
    failed = _request(container, "GET", path)
    assert (failed.status_code, failed.text) == (500, "Internal Server Error")
    assert failed.headers["content-type"] == "text/plain; charset=utf-8"
    _answer_store_errors_with(monkeypatch, ErrorAnswer(503, "reason", 1))
    assert _request(container, "GET", path).status_code == 503


# -- the CLI


def _broken_config(tmp_path: Path) -> str:
    path = tmp_path / "broken.yaml"
    path.write_text("storage: {backend: floppy}\n")
    return str(path)


def test_the_cli_exits_with_the_tables_code_for_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = _broken_config(tmp_path)
    result = CliRunner().invoke(main, ["validate-config", broken])
    assert result.exit_code == exit_code(ConfigError([ConfigIssue("", "")])) == 1
    assert "problem in the configuration" in result.stderr
    assert "storage.backend" in result.stderr

    table = {**ERROR_ANSWERS, ConfigError: ErrorAnswer(500, "reason", 78)}
    monkeypatch.setattr("mockmind.domain.error_answers.ERROR_ANSWERS", table)
    assert CliRunner().invoke(main, ["validate-config", broken]).exit_code == 78
    assert CliRunner().invoke(main, ["serve", "--config", broken]).exit_code == 78


def test_the_cli_exits_with_the_tables_code_for_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "mockmind.yaml"
    config.write_text(CONFIG)
    monkeypatch.setattr("mockmind.app.aws.init_aws", _failing_store)
    result = CliRunner().invoke(main, ["init-aws", "--config", str(config)])
    assert result.exit_code == exit_code(StoreError("x")) == 1
    assert "error: sessions get failed on dynamodb: ThrottlingException" in result.stderr
    _answer_store_errors_with(monkeypatch, ErrorAnswer(500, "reason", 75))
    assert CliRunner().invoke(main, ["init-aws", "--config", str(config)]).exit_code == 75
