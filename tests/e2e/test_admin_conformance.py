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
RESET = "schemathesis-reset"


def _schemathesis() -> str:
    executable = Path(sys.executable).with_name("schemathesis")
    if executable.exists():
        return str(executable)
    return shutil.which("schemathesis") or "schemathesis"


def _run(
    url: str, workdir: Path, *extra: str, session_id: str = SESSION
) -> subprocess.CompletedProcess[str]:
    command = [
        _schemathesis(),
        "run",
        f"{url}/__mockmind/openapi.json",
        "--url",
        url,
        "--header",
        # schemathesis's own probes of the server are requests of this session too.
        f"Cookie: mockforge_session={session_id}",
        *(
            arg
            for name, value in admin_headers().items()
            for arg in ("--header", f"{name}: {value}")
        ),
        "--mode",
        "all",
        "--checks",
        "all",
        # 30 examples an operation and mode (fixed seed): the suite's longest test, trimmed
        # from 50 to keep `make test` under its 10 minutes on 2 cores.
        "--max-examples",
        "30",
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


# What no schema can say, so a schema-valid request may be refused with a 400 naming the
# problem: for these operations only, 400 joins the answers schemathesis's defaults take for a
# valid request.
# - import: a fixture's digest must match its content, its steps must follow each other and
#   its collections must be this server's;
# - the rules playground: which texts parse as a condition or expression (the 400 says the
#   line and column where one does not).
_OPERATION_CHECKS = """
[[operations]]
include-name = "POST /__mockmind/sessions/import"
checks.positive_data_acceptance.expected-statuses = [
    "2XX", "3XX", "400", "401", "403", "404", "409", "429", "5XX"
]

[[operations]]
include-name = "POST /__mockmind/rules/evaluate"
checks.positive_data_acceptance.expected-statuses = [
    "2XX", "3XX", "400", "401", "403", "404", "409", "429", "5XX"
]
"""


def _configure(workdir: Path, session_id: str | None = None) -> None:
    """The run's schemathesis.toml: the session named for the path parameter, if any."""
    parameters = f'[parameters]\n"path.session_id" = "{session_id}"\n' if session_id else ""
    (workdir / "schemathesis.toml").write_text(parameters + _OPERATION_CHECKS)


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
        "/__mockmind/sessions": ["get"],
        "/__mockmind/sessions/import": ["post"],
        "/__mockmind/sessions/{session_id}": ["delete", "get"],
        "/__mockmind/sessions/{session_id}/reset": ["post"],
        "/__mockmind/sessions/{session_id}/fork": ["post"],
        "/__mockmind/sessions/{session_id}/export": ["get"],
        "/__mockmind/sessions/{session_id}/journal": ["get"],
        "/__mockmind/sessions/{session_id}/at/{step}": ["get"],
        "/__mockmind/sessions/{session_id}/diff": ["get"],
        "/__mockmind/prompts": ["get"],
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
    # First with generated session ids, in a session of its own: its stateful phase takes the
    # ids the listing shows and resets, forks and deletes those sessions.
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    _configure(unknown)
    result = _run(base_url, unknown, session_id="schemathesis-unknown")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert _statuses(unknown) >= {200, 404}

    # Then a session with history, so that a live session's view is checked as well as the
    # 404, named for the path parameter (not deleted: the run goes on reading it;
    # tests/e2e/test_journal.py deletes one).
    with httpx.Client(
        base_url=base_url, headers={"Cookie": f"mockforge_session={SESSION}"}
    ) as shop:
        assert shop.get("/products", params={"limit": 1}).status_code == 200
        added = shop.post("/cart/items", json={"product_id": "p-1", "quantity": 2})
        assert added.status_code == 201

    live = tmp_path / "live"
    live.mkdir()
    _configure(live, SESSION)
    # Not reset either: the view of the session's history is checked below.
    result = _run(base_url, live, "--exclude-method", "DELETE", "--exclude-path-regex", "/reset$")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert 200 in _statuses(live)

    # Reset on a live session of its own (each valid reset empties it or takes it back).
    resets = tmp_path / "resets"
    resets.mkdir()
    with httpx.Client(base_url=base_url, headers={"Cookie": f"mockforge_session={RESET}"}) as shop:
        for _ in range(3):
            assert shop.get("/cart").status_code == 200
    _configure(resets, RESET)
    result = _run(base_url, resets, "--include-path-regex", "/reset$", session_id=RESET)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert {200, 400} <= _statuses(resets)
    with httpx.Client(base_url=base_url) as http:
        view = http.get(f"/__mockmind/sessions/{SESSION}", headers=admin_headers()).json()
    assert [(i["method"], i["path"], i["status"]) for i in view["history"]][:2] == [
        ("GET", "/products", 200),
        ("POST", "/cart/items", 201),
    ]
