"""``mockmind replay`` and ``mockmind stats`` against a real server (the shop, local or
MOCKMIND_URL): the report and counters the routes give, printed, and the exit codes."""

from __future__ import annotations

import json
import re

import httpx

from tests.support.admin_cli import admin, mockmind


def _shopped(client: httpx.Client) -> str:
    """A session of four requests: a product listed, put in the cart, ordered, paid."""
    (product,) = client.get("/products", params={"limit": 1}).json()
    added = client.post("/cart/items", json={"product_id": product["id"], "quantity": 1})
    assert added.status_code == 201, added.text
    order = client.post("/orders", json={}).json()
    assert client.post(f"/orders/{order['id']}/pay").status_code == 200
    return str(client.cookies["mockforge_session"])


def test_replay_of_an_unchanged_config_prints_every_step_the_same(
    base_url: str, client: httpx.Client
) -> None:
    session = _shopped(client)
    result = mockmind(base_url, "replay", session)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.fullmatch(rf"Replay of session {session} \(scratch session \S+\)", lines[0])
    assert lines[1] == "ignored: $..paid_at"  # the config's clock-filled field
    rows = [line.split() for line in lines if re.match(r"\s+\d+\s", line)]
    assert [(row[0], row[1], row[-1]) for row in rows] == [
        ("1", "GET", "same"),
        ("2", "POST", "same"),
        ("3", "POST", "same"),
        ("4", "POST", "same"),
    ]
    assert lines[-1] == "4 steps: 4 same, 0 differ"
    assert result.stderr == ""


def test_replay_json_keeps_the_scratch_session_when_asked(
    base_url: str, client: httpx.Client
) -> None:
    session = _shopped(client)
    # A list of its own replaces the server's: the clock's paid_at is named again.
    ignoring = ["--ignore", "$..total", "--ignore", "$..paid_at"]
    result = mockmind(base_url, "replay", session, "--keep", *ignoring, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["session_id"] == session
    assert (report["kept"], report["ignored"]) == (True, ["$..total", "$..paid_at"])
    assert report["summary"] == {"steps": 4, "same": 4, "differ": 0}
    scratch = report["scratch_session_id"]
    assert admin(client, scratch)["id"] == scratch
    assert mockmind(base_url, "delete-session", scratch).exit_code == 0
    assert mockmind(base_url, "inspect-session", scratch).exit_code == 3


def test_replay_refusals_exit_with_their_codes(base_url: str, client: httpx.Client) -> None:
    client.get("/products", params={"limit": 1})
    session = str(client.cookies["mockforge_session"])
    missing = mockmind(base_url, "replay", "no-such-session")
    assert (missing.exit_code, missing.stdout) == (3, "")
    bad_path = mockmind(base_url, "replay", session, "--ignore", "items")
    assert (bad_path.exit_code, bad_path.stdout) == (1, "")
    assert bad_path.stderr.startswith("error: 400 Bad Request: ")


def test_stats_prints_the_hours_asked_for_and_their_totals(
    base_url: str, client: httpx.Client
) -> None:
    assert client.get("/products", params={"limit": 1}).status_code == 200
    answer = mockmind(base_url, "stats", "--hours", "3", "--json")
    assert answer.exit_code == 0, answer.output
    stats = json.loads(answer.stdout)
    assert len(stats["hours"]) == 3
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:00:00Z", h["hour"]) for h in stats["hours"])
    assert stats["totals"]["requests"] == sum(h["requests"] for h in stats["hours"]) >= 1

    table = mockmind(base_url, "stats", "--hours", "3")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == [
        "Hour", "(UTC)", "Requests", "Cache", "hits", "Hit", "rate", "LLM", "calls",
        "Tokens", "Cost", "(USD)", "Errors", "by", "source",
    ]  # fmt: skip
    hours = [line for line in lines if re.match(r"\d{4}-\d\d-\d\d \d\d:00 ", line)]
    assert [line[:16] for line in hours] == [
        h["hour"][:10] + " " + h["hour"][11:16] for h in stats["hours"]
    ]
    assert lines[-1].startswith("total ")


def test_stats_hours_the_server_refuses_exit_1(base_url: str) -> None:
    refused = mockmind(base_url, "stats", "--hours", "100000")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr.startswith("error: 400 Bad Request: ")
    assert mockmind(base_url, "stats", "--hours", "0").exit_code == 2
