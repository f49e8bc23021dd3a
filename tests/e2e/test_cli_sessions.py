"""The admin commands against a real server (the shop, local or MOCKMIND_URL): what they print
is what the admin routes answer, and their exit codes are what a script sees.

They run in-process through click's CliRunner with httpx's real transport (the server is over
the network all the same), and once as a user runs them: ``python -m mockmind.cli``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.support.admin import admin_headers
from tests.support.admin_cli import admin, mockmind
from tests.support.mockmind_server import start_server, stop_server
from tests.support.network import free_port
from tests.support.paths import EXAMPLES

ADMIN = "/__mockmind/sessions"


@pytest.fixture
def session(client: httpx.Client) -> str:
    """A session of three requests: a product listed, added to the cart, the cart read."""
    (product,) = client.get("/products", params={"limit": 1}).json()
    added = client.post("/cart/items", json={"product_id": product["id"], "quantity": 2})
    assert added.status_code == 201, added.text
    assert client.get("/cart").status_code == 200
    return str(client.cookies["mockforge_session"])


def test_inspect_session_prints_what_the_session_route_answers(
    base_url: str, client: httpx.Client, session: str
) -> None:
    as_json = mockmind(base_url, "inspect-session", session, "--json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == admin(client, session)

    table = mockmind(base_url, "inspect-session", session)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0] == f"Session {session}"
    assert "History (3 requests kept)" in lines
    requests = [line.split()[3:6] for line in lines if line[:1].isdigit()]
    assert requests == [
        ["GET", "/products?limit=1", "200"],
        ["POST", "/cart/items", "201"],
        ["GET", "/cart", "200"],
    ]


def test_inspect_session_at_a_step_prints_the_world_then(
    base_url: str, client: httpx.Client, session: str
) -> None:
    for step in (0, 1, 2, 3):
        result = mockmind(base_url, "inspect-session", session, "--at", str(step), "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == admin(client, f"{session}/at/{step}")
    after_the_cart_item = json.loads(
        mockmind(base_url, "inspect-session", session, "--at", "2", "--json").stdout
    )
    (item,) = after_the_cart_item["entities"]["cart_items"].values()
    assert item["quantity"] == 2
    table = mockmind(base_url, "inspect-session", session, "--at", "2")
    assert table.stdout.splitlines()[0] == f"Session {session} after step 2"
    assert any(line.startswith(f"cart_items   {item['id']}") for line in table.stdout.splitlines())


def test_a_step_the_session_never_had_exits_3(base_url: str, session: str) -> None:
    result = mockmind(base_url, "inspect-session", session, "--at", "9")
    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr == (
        "error: 404 Not Found: step 9 is out of reach: the journal holds steps 1 to 3\n"
    )


def test_an_unknown_session_exits_3(base_url: str) -> None:
    result = mockmind(base_url, "inspect-session", "no-such-session")
    assert result.exit_code == 3
    assert result.stderr == "error: 404 Not Found: no live session 'no-such-session'\n"


def test_delete_session_leaves_nothing_to_inspect(
    base_url: str, client: httpx.Client, session: str
) -> None:
    deleted = mockmind(base_url, "delete-session", session, "--json")
    assert deleted.exit_code == 0, deleted.output
    assert json.loads(deleted.stdout) == {"id": session, "deleted": True}
    gone = client.get(f"{ADMIN}/{session}", headers=admin_headers())
    assert gone.status_code == 404
    assert mockmind(base_url, "inspect-session", session).exit_code == 3


def test_no_server_on_the_port_exits_5() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = mockmind(url, "inspect-session", "any")
    assert (result.exit_code, result.stdout) == (5, "")
    assert result.stderr.startswith(f"error: no answer from {url} (ConnectError: ")


def test_the_command_as_a_user_runs_it(base_url: str, client: httpx.Client, session: str) -> None:
    env = {**os.environ, "MOCKMIND_URL": base_url}
    run = subprocess.run(
        [sys.executable, "-m", "mockmind.cli", "inspect-session", session, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == admin(client, session)
    missing = subprocess.run(
        [sys.executable, "-m", "mockmind.cli", "inspect-session", session, "--at", "99"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert (missing.returncode, missing.stdout) == (3, "")


@pytest.fixture(scope="module")
def guarded_url() -> Iterator[str]:
    """A local shop whose admin routes want a token."""
    if os.environ.get("MOCKMIND_URL"):
        pytest.skip("a local server with its own admin token; MOCKMIND_URL is set")
    process, url = start_server(
        EXAMPLES / "shop" / "mockmind.yaml", {"MOCKMIND_ADMIN_TOKEN": "e2e-admin-token"}
    )
    try:
        yield url
    finally:
        stop_server(process)


def test_the_admin_token_comes_from_the_environment(guarded_url: str) -> None:
    with httpx.Client(base_url=guarded_url) as shopper:
        assert shopper.get("/cart").status_code == 200
        session = shopper.cookies["mockforge_session"]
    refused = mockmind(guarded_url, "inspect-session", session, env={"MOCKMIND_ADMIN_TOKEN": ""})
    assert (refused.exit_code, refused.stdout) == (4, "")
    assert refused.stderr.startswith(
        "error: 401 Unauthorized: the admin routes need the admin token"
    )
    wrong = mockmind(guarded_url, "inspect-session", session, env={"MOCKMIND_ADMIN_TOKEN": "no"})
    assert wrong.exit_code == 4
    assert wrong.stderr == "error: 401 Unauthorized: the admin token sent is not this server's\n"
    allowed = mockmind(
        guarded_url,
        "inspect-session",
        session,
        "--json",
        env={"MOCKMIND_ADMIN_TOKEN": "e2e-admin-token"},
    )
    assert allowed.exit_code == 0, allowed.output
    assert json.loads(allowed.stdout)["id"] == session
