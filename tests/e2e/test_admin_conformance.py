"""The admin routes keep the promises of their own document, `/__mockmind/openapi.json`.

schemathesis reads the document from the server and drives every admin operation with valid
and invalid requests, in one session (the cookie), checking every answer against it: no
server error, documented statuses, content types and bodies.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.admin import admin_headers

SESSION = "schemathesis-admin"
COOKIE = f"mockforge_session={SESSION}"


def _schemathesis() -> str:
    executable = Path(sys.executable).with_name("schemathesis")
    if executable.exists():
        return str(executable)
    return shutil.which("schemathesis") or "schemathesis"


# The rules playground takes a condition or expression as text: a JSON schema cannot say which
# texts parse, so a schema-valid one may be refused as its grammar does (400, with line and
# column). Every other status schemathesis expects of valid data stays expected.
OPERATIONS = """
[[operations]]
include-path = "/__mockmind/rules/evaluate"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]
"""


def _run(
    url: str, workdir: Path, *extra: str, config: str = ""
) -> subprocess.CompletedProcess[str]:
    (workdir / "schemathesis.toml").write_text(config + OPERATIONS)
    command = [
        _schemathesis(),
        "run",
        f"{url}/__mockmind/openapi.json",
        "--url",
        url,
        "--header",
        f"Cookie: {COOKIE}",
        *(
            arg
            for name, value in admin_headers().items()
            for arg in ("--header", f"{name}: {value}")
        ),
        "--mode",
        "all",
        "--checks",
        "all",
        "--max-examples",
        "50",
        "--seed",
        "20261203",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(workdir / "events.ndjson"),
        *extra,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd=workdir, check=False
    )


def _statuses(workdir: Path) -> set[int]:
    """Every status an admin route answered during the run."""
    found: set[int] = set()
    for line in (workdir / "events.ndjson").read_text().splitlines():
        for status in _find_statuses(json.loads(line)):
            found.add(status)
    return found


def _find_statuses(node: object) -> list[int]:
    if isinstance(node, dict):
        here = [node["status_code"]] if isinstance(node.get("status_code"), int) else []
        return here + [s for child in node.values() for s in _find_statuses(child)]
    if isinstance(node, list):
        return [s for child in node for s in _find_statuses(child)]
    return []


def test_the_admin_document_describes_every_admin_route(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as http:
        answer = http.get("/__mockmind/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"] == "3.1.0"
    assert {path: sorted(item) for path, item in document["paths"].items()} == {
        "/__mockmind/health": ["get"],
        "/__mockmind/sessions/{session_id}": ["delete", "get"],
        "/__mockmind/sessions/{session_id}/journal": ["get"],
        "/__mockmind/sessions/{session_id}/at/{step}": ["get"],
        "/__mockmind/sessions/{session_id}/diff": ["get"],
        "/__mockmind/sessions/{session_id}/replay": ["post"],
        "/__mockmind/stats": ["get"],
        "/__mockmind/webhooks": ["get"],
        "/__mockmind/webhooks/{name}": ["post"],
        "/__mockmind/behaviour": ["get"],
        "/__mockmind/rules/evaluate": ["post"],
    }
    sessions = document["paths"]["/__mockmind/sessions/{session_id}"]["get"]
    for status in ("401", "403", "404"):
        (media_type,) = sessions["responses"][status]["content"]
        assert media_type == "application/problem+json"
        schema = sessions["responses"][status]["content"][media_type]["schema"]
        assert schema["required"] == ["status", "title"]


@pytest.mark.slow
def test_schemathesis_finds_no_failure_in_the_admin_routes(base_url: str, tmp_path: Path) -> None:
    # A session with history, so that a live session's view is checked as well as the 404.
    with httpx.Client(base_url=base_url, headers={"Cookie": COOKIE}) as shop:
        assert shop.get("/products", params={"limit": 1}).status_code == 200
        added = shop.post("/cart/items", json={"product_id": "p-1", "quantity": 2})
        assert added.status_code == 201

    # First with generated session ids (none is live: every answer is the documented 404),
    # then with the live one named for the path parameter (not deleted: the run goes on
    # reading it; tests/e2e/test_journal.py deletes one).
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    result = _run(base_url, unknown)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert _statuses(unknown) >= {200, 404}

    live = tmp_path / "live"
    live.mkdir()
    parameters = f'[parameters]\n"path.session_id" = "{SESSION}"\n'
    result = _run(base_url, live, "--exclude-method", "DELETE", config=parameters)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert 200 in _statuses(live)
    with httpx.Client(base_url=base_url) as http:
        view = http.get(f"/__mockmind/sessions/{SESSION}", headers=admin_headers()).json()
    assert [(i["method"], i["path"], i["status"]) for i in view["history"]][:2] == [
        ("GET", "/products", 200),
        ("POST", "/cart/items", 201),
    ]
