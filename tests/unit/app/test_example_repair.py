"""Examples that break their own schema (issue 15, class 6): listed once at load with their
JSON pointer and first error; served repaired with a header saying so, or, with
``examples: as_is``, untouched."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from mockmind.app.api import MockmindApp
from mockmind.app.bootstrap import log_example_problems
from mockmind.cli import main
from mockmind.config import parse_config
from mockmind.openapi import OpenAPIDescription
from tests.support.in_process import app_for_document, send

PET = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
}
SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Examples", "version": "1"},
    "paths": {
        "/pet": {
            "get": {
                "responses": {
                    "200": {
                        "description": "a pet",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Pet"},
                                # `id` a string, `name` missing, one field kept.
                                "examples": {
                                    "broken": {"value": {"id": "7", "tag": "kept"}},
                                },
                            }
                        },
                    }
                }
            }
        },
        "/names": {
            "get": {
                "responses": {
                    "200": {
                        "description": "names",
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": {"type": "string"}},
                                # An array written as a JSON string.
                                "example": '["Rex"]',
                            }
                        },
                    }
                }
            }
        },
        "/good": {
            "get": {
                "responses": {
                    "200": {
                        "description": "fine",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Pet"},
                                "example": {"id": 1, "name": "Rex"},
                            }
                        },
                    }
                }
            }
        },
    },
    "components": {"schemas": {"Pet": {**PET, "example": {"id": 2}}}},
}
BROKEN = "#/paths/~1pet/get/responses/200/content/application~1json/examples/broken/value"
AS_STRING = "#/paths/~1names/get/responses/200/content/application~1json/example"


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("spec") / "examples.json"
    path.write_text(json.dumps(SPEC))
    return path


def _app(spec: Path, extra: str = "") -> MockmindApp:
    return app_for_document(spec, extra)


def _get(app: MockmindApp, path: str) -> httpx.Response:
    return send(app, "GET", path)


def test_broken_examples_are_listed_with_pointer_and_first_error(spec: Path) -> None:
    problems = OpenAPIDescription.load(spec).example_problems()
    assert problems == [
        f"{BROKEN}: (root): 'name' is a required property",
        f"{AS_STRING}: (root): '[\"Rex\"]' is not of type 'array'",
    ]


def test_each_broken_example_is_logged_once(spec: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mockmind"):
        log_example_problems(OpenAPIDescription.load(spec))
    lines = [r.getMessage() for r in caplog.records if "example breaks" in r.getMessage()]
    assert len(lines) == 2
    assert lines[0].startswith(f"example breaks its schema: {BROKEN}")


def test_broken_examples_are_served_repaired_with_a_header(spec: Path) -> None:
    app = _app(spec)
    response = _get(app, "/pet")
    body = response.json()
    assert Draft202012Validator(PET).is_valid(body)
    assert body["tag"] == "kept"
    assert isinstance(body["id"], int)
    assert response.headers["x-mockmind-source"] == "example"
    assert response.headers["x-mockmind-example-repaired"] == (
        f"{BROKEN}: (root): 'name' is a required property"
    )
    listed = _get(app, "/names")
    assert isinstance(listed.json(), list)
    assert all(isinstance(item, str) for item in listed.json())
    assert listed.headers["x-mockmind-example-repaired"].startswith(AS_STRING)
    good = _get(app, "/good")
    assert good.json() == {"id": 1, "name": "Rex"}
    assert "x-mockmind-example-repaired" not in good.headers


def test_as_is_serves_them_untouched(spec: Path) -> None:
    app = _app(spec, "examples: as_is\n")
    response = _get(app, "/pet")
    assert response.json() == {"id": "7", "tag": "kept"}
    assert "x-mockmind-example-repaired" not in response.headers


def test_an_unknown_examples_mode_is_refused(spec: Path) -> None:
    with pytest.raises(Exception, match="examples"):
        parse_config(f"openapi: {spec}\nexamples: fix\n", env={})


def _listed(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "example breaks" in r.getMessage()]


def test_the_app_lists_them_once_it_has_answered_not_while_it_builds(
    spec: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mockmind"):
        app = _app(spec)
        # Building checks nothing: a big document's first answer would wait for it.
        assert app.example_check is None
        assert _get(app, "/good").status_code == 200
        assert app.example_check is not None
        app.example_check.join(timeout=30)
        first = app.example_check
        _get(app, "/pet")
        assert app.example_check is first
    assert _listed(caplog) == [
        f"example breaks its schema: {BROKEN}: (root): 'name' is a required property",
        f"example breaks its schema: {AS_STRING}: (root): '[\"Rex\"]' is not of type 'array'",
    ]


def test_an_example_served_before_the_listing_is_still_listed_once(
    spec: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mockmind"):
        app = _app(spec)
        for path in ("/pet", "/pet", "/names"):
            assert "x-mockmind-example-repaired" in _get(app, path).headers
        assert app.example_check is not None
        app.example_check.join(timeout=30)
        _get(app, "/names")
    assert sorted(_listed(caplog)) == [
        f"example breaks its schema: {AS_STRING}: (root): '[\"Rex\"]' is not of type 'array'",
        f"example breaks its schema: {BROKEN}: (root): 'name' is a required property",
    ]


def test_a_started_server_lists_them_without_a_request(
    spec: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mockmind.app.api.EXAMPLE_CHECK_DELAY_SECONDS", 0.0)
    app = _app(spec)

    async def start_and_stop() -> None:
        events = asyncio.Queue[dict[str, str]]()
        for event in ("lifespan.startup", "lifespan.shutdown"):
            events.put_nowait({"type": event})
        sent: list[str] = []

        async def receive() -> dict[str, str]:
            if sent:  # started: the loop runs what is due before the server stops
                await asyncio.sleep(0.05)
            return await events.get()

        async def send(message: Any) -> None:
            sent.append(message["type"])

        await app({"type": "lifespan"}, receive, send)
        assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]

    with caplog.at_level(logging.WARNING, logger="mockmind"):
        asyncio.run(start_and_stop())
        assert app.example_check is not None
        app.example_check.join(timeout=30)
    assert len(_listed(caplog)) == 2


@pytest.mark.parametrize(
    ("extra", "mode"), [("", "repaired"), ("examples: as_is\n", "as they are")]
)
def test_validate_config_lists_them_and_succeeds(
    spec: Path, tmp_path: Path, extra: str, mode: str
) -> None:
    config = tmp_path / "mockmind.yaml"
    config.write_text(f"openapi: {spec}\n{extra}")
    result = CliRunner().invoke(main, ["validate-config", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"ok: {config}: ")
    assert lines[1:] == [
        f"2 example(s) break their schema (served {mode}):",
        f"  {BROKEN}: (root): 'name' is a required property",
        f"  {AS_STRING}: (root): '[\"Rex\"]' is not of type 'array'",
    ]
