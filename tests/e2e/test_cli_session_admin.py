"""``mockmind sessions``, ``reset-session``, ``fork-session``, ``export-session`` and
``import-session`` against a real server (the shop, local or MOCKMIND_URL): what they print is
what the routes answer, a fixture goes out and back in through files and pipes, and what
scripts read (ids alone, --json objects, exit codes) holds."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from tests.support.admin_cli import admin, mockmind


def _shopped(client: httpx.Client) -> str:
    """Three requests: a product listed, two put in the cart, the cart read."""
    (product,) = client.get("/products", params={"limit": 1}).json()
    added = client.post("/cart/items", json={"product_id": product["id"], "quantity": 2})
    assert added.status_code == 201, added.text
    assert client.get("/cart").status_code == 200
    return str(client.cookies["mockforge_session"])


def test_sessions_lists_them_newest_first_a_page_at_a_time(base_url: str) -> None:
    prefix = f"cli-list-{time.time_ns()}-"
    made = [f"{prefix}{n}" for n in range(3)]
    for n, session_id in enumerate(made):
        # A client each: a cookie the server set for one session would name it for the next.
        with httpx.Client(base_url=base_url, timeout=30) as shopper:
            for _ in range(n + 1):
                answer = shopper.get("/cart", headers={"X-Session-ID": session_id})
                assert answer.status_code == 200

    page = mockmind(base_url, "sessions", "--prefix", prefix, "--limit", "2")
    assert page.exit_code == 0, page.output
    lines = page.stdout.splitlines()
    assert [line.split()[:3] for line in lines[2:4]] == [[made[2], "3", "no"], [made[1], "2", "no"]]
    assert lines[4] == "2 sessions"
    cursor = lines[5].removeprefix("more: --cursor ")

    rest = mockmind(base_url, "sessions", "--prefix", prefix, "--limit", "2", "--cursor", cursor)
    assert rest.exit_code == 0, rest.output
    assert [line.split()[0] for line in rest.stdout.splitlines()[2:-1]] == [made[0]]

    every = mockmind(base_url, "sessions", "--prefix", prefix, "--limit", "2", "--all", "--json")
    listed = json.loads(every.stdout)
    assert [s["id"] for s in listed["sessions"]] == [made[2], made[1], made[0]]
    assert [s["requests"] for s in listed["sessions"]] == [3, 2, 1]
    assert listed["next_cursor"] is None

    newest = listed["sessions"][0]["last_seen"]
    since = mockmind(base_url, "sessions", "--prefix", prefix, "--since", str(newest), "--json")
    assert [s["id"] for s in json.loads(since.stdout)["sessions"]] == [made[2]]


def test_reset_session_to_a_step_and_to_nothing(base_url: str, client: httpx.Client) -> None:
    session = _shopped(client)
    back = mockmind(base_url, "reset-session", session, "--to", "2")
    assert (back.exit_code, back.stdout) == (0, f"session {session} reset to step 2 (2 requests)\n")
    world = admin(client, f"{session}/at/2")
    assert len(world["entities"]["cart_items"]) == 1
    emptied = mockmind(base_url, "reset-session", session, "--json")
    assert emptied.exit_code == 0, emptied.output
    summary = json.loads(emptied.stdout)
    assert (summary["id"], summary["requests"], summary["authenticated"]) == (session, 0, False)
    assert client.get("/cart").json()["items"] == []


def test_fork_session_prints_an_id_that_names_the_world_then(
    base_url: str, client: httpx.Client
) -> None:
    session = _shopped(client)
    forked = mockmind(base_url, "fork-session", session, "--at", "2")
    assert forked.exit_code == 0, forked.output
    new_id = forked.stdout.strip()
    assert forked.stdout == new_id + "\n"
    assert new_id != session
    assert (
        admin(client, f"{new_id}/at/2")["entities"] == admin(client, f"{session}/at/2")["entities"]
    )

    chosen = f"cli-fork-{time.time_ns()}"
    named = mockmind(base_url, "fork-session", session, "--new-id", chosen, "--json")
    assert named.exit_code == 0, named.output
    assert json.loads(named.stdout)["id"] == chosen
    assert json.loads(named.stdout)["requests"] == 3
    taken = mockmind(base_url, "fork-session", session, "--new-id", chosen)
    assert (taken.exit_code, taken.stdout) == (1, "")
    assert taken.stderr.startswith("error: 409 Conflict: ")
    assert mockmind(base_url, "fork-session", "no-such-session").exit_code == 3


def test_export_then_import_makes_a_session_with_the_same_world(
    base_url: str, client: httpx.Client, tmp_path: Path
) -> None:
    session = _shopped(client)
    target = tmp_path / "cart.json"
    exported = mockmind(base_url, "export-session", session, "-o", str(target), "--json")
    assert exported.exit_code == 0, exported.output
    written = json.loads(exported.stdout)
    fixture = json.loads(target.read_bytes())
    assert written == {
        "session_id": session,
        "file": str(target),
        "digest": fixture["digest"],
        "bytes": target.stat().st_size,
        "steps": 3,
    }
    to_stdout = json.loads(mockmind(base_url, "export-session", session).stdout_bytes)
    assert to_stdout["session"]["id"] == session
    assert (to_stdout["entities"], to_stdout["journal"]) == (
        fixture["entities"],
        fixture["journal"],
    )

    imported = mockmind(base_url, "import-session", str(target), "--json")
    assert imported.exit_code == 0, imported.output
    answer = json.loads(imported.stdout)
    assert (answer["digest"], answer["imported"]) == (fixture["digest"], True)
    new_id = answer["id"]
    assert new_id != session
    assert (
        admin(client, f"{new_id}/at/3")["entities"] == admin(client, f"{session}/at/3")["entities"]
    )

    again = mockmind(base_url, "import-session", str(target))
    assert (again.exit_code, again.stdout) == (0, new_id + "\n")
    assert again.stderr == f"already imported (same digest): session {new_id}\n"


def test_import_reads_a_pipe_and_a_changed_fixture_is_refused(
    base_url: str, client: httpx.Client
) -> None:
    session = _shopped(client)
    fixture = json.loads(mockmind(base_url, "export-session", session).stdout_bytes)
    (item,) = fixture["entities"]["cart_items"].values()
    item["quantity"] = 7
    changed = json.dumps(fixture).encode()
    refused = mockmind(base_url, "import-session", "-", stdin=changed)
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr.startswith("error: 400 Bad Request: ")
    assert "does not match the fixture's content" in refused.stderr

    del fixture["digest"]  # a fixture edited by hand leaves its digest out
    accepted = mockmind(base_url, "import-session", "-", stdin=json.dumps(fixture).encode())
    assert accepted.exit_code == 0, accepted.output
    assert admin(client, accepted.stdout.strip())["id"] == accepted.stdout.strip()
