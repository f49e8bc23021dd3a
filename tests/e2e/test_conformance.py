"""Spec conformance, checked by tools that share no code with mockmind.

schemathesis drives every operation of every example with generated requests (valid and
invalid, plus stateful sequences) and checks each answer against the spec; a second test asks
every declared response of every operation and validates it with openapi-schema-validator.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mockmind.domain.generation import OfflineGenerator
from tests.support.admin import admin_headers
from tests.support.paths import EXAMPLES
from tests.support.spec_check import assert_conforms, load_spec

EXAMPLE_NAMES = ["shop", "social", "onboarding"]
# Where an example's operations that declare `security` get their bearer token.
LOGIN = {"shop": "/login"}
# How many responses each example's operations declare, `default` left out.
DECLARED_RESPONSES = {"shop": 36, "social": 18, "onboarding": 14}


def _url_for(name: str, request: pytest.FixtureRequest) -> str:
    fixture = {"shop": "base_url", "social": "social_url", "onboarding": "onboarding_url"}[name]
    return str(request.getfixturevalue(fixture))


def _session_cookie(name: str) -> str:
    """The cookie the example tracks sessions by (the README's default when it names none)."""
    with (EXAMPLES / name / "mockmind.yaml").open() as handle:
        config = yaml.safe_load(handle)
    tracking = config["intelligent_behavior"].get("session_tracking") or {}
    assert tracking.get("method", "cookie") == "cookie", f"{name} does not track by cookie"
    return str(tracking.get("cookie_name", "mockforge_session"))


def _cases(node: Any) -> Iterator[dict[str, Any]]:
    """Every test case recorded in a schemathesis ndjson event."""
    if isinstance(node, dict):
        value = node.get("value")
        if isinstance(value, dict) and isinstance(value.get("meta"), dict):
            yield value
        for child in node.values():
            yield from _cases(child)
    elif isinstance(node, list):
        for child in node:
            yield from _cases(child)


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_schemathesis_finds_no_failure(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = _url_for(name, request)
    executable = Path(sys.executable).with_name("schemathesis")
    # One session for the whole run, so what a step creates the next step can read; named by
    # the cookie the example tracks sessions by, as a browser would send it.
    session = f"schemathesis-{name}"
    cookie = f"{_session_cookie(name)}={session}"
    command = [
        str(executable) if executable.exists() else shutil.which("schemathesis") or "schemathesis",
        "run",
        str(EXAMPLES / name / "openapi.yaml"),
        "--url",
        url,
        "--header",
        f"Cookie: {cookie}",
        # Valid requests (answers must conform) and invalid ones (they must be refused).
        "--mode",
        "all",
        # The report below lists every case; unsanitized, so it shows the cookie each one sent.
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(tmp_path / "events.ndjson"),
        "--output-sanitize",
        "false",
        "--max-examples",
        os.environ.get("MOCKMIND_SCHEMATHESIS_EXAMPLES", "25"),
        "--seed",
        "20261125",
        "--checks",
        "all",
        "--exclude-checks",
        ",".join(
            # Login rejects bad credentials with 401, which schemathesis reads as an auth problem.
            ["ignored_auth"]
            # In the shop, checkout and DELETE /cart empty the cart on purpose, so a cart item
            # created a few steps earlier may rightly be gone (the flows test that behaviour).
            + (["ensure_resource_availability"] if name == "shop" else [])
        ),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]

    cases = [
        case
        for line in (tmp_path / "events.ndjson").read_text().splitlines()
        for case in _cases(json.loads(line))
    ]
    modes = {(case["meta"]["phase"]["name"], case["meta"]["generation"]["mode"]) for case in cases}
    assert {("fuzzing", "positive"), ("fuzzing", "negative")} <= modes, modes
    assert {(case.get("headers") or {}).get("Cookie") for case in cases} == {cookie}
    with httpx.Client(base_url=url) as admin:
        remembered = admin.get(f"/__mockmind/sessions/{session}", headers=admin_headers())
    assert remembered.status_code == 200
    assert remembered.json()["id"] == session


def _operations(name: str) -> list[tuple[str, str, dict[str, Any]]]:
    spec = load_spec(name)
    return [
        (method.upper(), template, operation)
        for template, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _request_body(spec_name: str, operation: dict[str, Any]) -> Any:
    body = operation.get("requestBody")
    if body is None:
        return None
    schema = body["content"]["application/json"]["schema"]
    spec = load_spec(spec_name)

    def resolve(ref: str) -> dict[str, Any]:
        node: Any = spec
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return dict(node)

    return OfflineGenerator(resolve).generate(schema, seed="conformance", direction="request")


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_declared_response_of_every_operation_conforms(
    name: str, request: pytest.FixtureRequest
) -> None:
    url = _url_for(name, request)
    asked: list[tuple[str, str, int]] = []
    answered: list[tuple[str, str, int]] = []
    cookies = {_session_cookie(name): f"conformance-{name}"}
    with httpx.Client(base_url=url, cookies=cookies) as client:
        for method, template, operation in _operations(name):
            path = template.replace("{", "x-").replace("}", "")
            body = _request_body(name, operation)
            headers = {}
            if operation.get("security"):
                # Logged in just before, as the operation asks (a step may have logged out).
                login = client.post(LOGIN[name], json={"username": "ada", "password": "x"})
                headers["Authorization"] = f"Bearer {login.json()['token']}"
            for status in operation["responses"]:
                if status == "default":
                    continue
                response = client.request(
                    method,
                    path,
                    json=body,
                    headers={**headers, "Prefer": f"code={status}, dynamic=true"},
                )
                assert_conforms(name, method, path, response)
                asked.append((method, template, int(status)))
                answered.append((method, template, response.status_code))
    assert len(asked) == DECLARED_RESPONSES[name]
    # `Prefer: code=` got each of them.
    assert answered == asked
