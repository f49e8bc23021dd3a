"""Replay and stats over HTTP: a session's requests replayed against the server's config, and
the hourly counters the server keeps of the requests it answers."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.support.admin import admin_headers

ADMIN = "/__mockmind"


def stats(client: httpx.Client) -> dict[str, Any]:
    answer = client.get(f"{ADMIN}/stats", params={"hours": 2}, headers=admin_headers())
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_stats_count_each_request_and_cache_hit(client: httpx.Client) -> None:
    before = stats(client)
    login = client.post("/login", json={"username": "stats", "password": "pw"})
    assert login.status_code == 200
    first = client.get("/admin/stats")
    second = client.get("/admin/stats")
    assert first.headers["x-mockmind-source"] == "offline"
    assert second.headers["x-mockmind-source"] == "cache"
    refused = client.get("/products/no-such-product")
    assert refused.status_code == 404
    after = stats(client)

    def grew(name: str) -> int:
        return int(after["totals"][name]) - int(before["totals"][name])

    assert grew("requests") == 4
    assert grew("cache_hits") == 1
    assert grew("errors") == 1
    assert grew("llm_calls") == 0
    source = refused.headers["x-mockmind-source"]
    errors_then = before["totals"]["errors_by_source"].get(source, 0)
    assert after["totals"]["errors_by_source"][source] == errors_then + 1
    hours = after["hours"]
    assert len(hours) == 2
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:00:00Z", h["hour"]) for h in hours)
    assert hours[0]["hour"] < hours[1]["hour"]
    assert sum(h["requests"] for h in hours) == after["totals"]["requests"]


def test_stats_refuse_hours_out_of_range_as_a_problem(client: httpx.Client) -> None:
    for hours in ("0", "745", "many"):
        answer = client.get(f"{ADMIN}/stats", params={"hours": hours}, headers=admin_headers())
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"] == "application/problem+json"


def test_a_replay_of_an_unchanged_config_finds_every_step_the_same(client: httpx.Client) -> None:
    (product,) = client.get("/products", params={"limit": 1}).json()
    item = client.post("/cart/items", json={"product_id": product["id"], "quantity": 2}).json()
    client.patch(f"/cart/items/{item['id']}", json={"quantity": 3})
    client.get("/cart")
    order = client.post("/orders", json={}).json()
    client.post(f"/orders/{order['id']}/pay")
    client.get(f"/orders/{order['id']}")
    session = client.cookies["mockforge_session"]

    answer = client.post(f"{ADMIN}/sessions/{session}/replay", json={}, headers=admin_headers())

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["session_id"] == session
    assert report["scratch_session_id"] != session
    assert report["kept"] is False
    assert report["ignored"] == ["$..paid_at"]
    assert [(s["step"], s["method"], s["status"], s["same"]) for s in report["steps"]] == [
        (1, "GET", 200, True),
        (2, "POST", 201, True),
        (3, "PATCH", 200, True),
        (4, "GET", 200, True),
        (5, "POST", 201, True),
        (6, "POST", 200, True),
        (7, "GET", 200, True),
    ]
    assert report["summary"] == {"steps": 7, "same": 7, "differ": 0}
    gone = client.get(f"{ADMIN}/sessions/{report['scratch_session_id']}", headers=admin_headers())
    assert gone.status_code == 404


def test_a_replay_can_keep_its_scratch_session_and_ignore_what_it_is_told(
    client: httpx.Client,
) -> None:
    (product,) = client.get("/products", params={"limit": 1}).json()
    client.post("/cart/items", json={"product_id": product["id"], "quantity": 1})
    order = client.post("/orders", json={}).json()
    client.post(f"/orders/{order['id']}/pay")
    session = client.cookies["mockforge_session"]

    answer = client.post(
        f"{ADMIN}/sessions/{session}/replay",
        # A list of its own replaces the default one: the clock's paid_at is named again.
        json={"ignore": ["$.items[*].price", "$['total']", "$..paid_at"], "keep": True},
        headers=admin_headers(),
    )

    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["ignored"] == ["$.items[*].price", "$['total']", "$..paid_at"]
    assert report["kept"] is True
    assert report["summary"] == {"steps": 4, "same": 4, "differ": 0}
    scratch = report["scratch_session_id"]
    kept = client.get(f"{ADMIN}/sessions/{scratch}", headers=admin_headers())
    assert kept.status_code == 200
    assert kept.json()["version"] == 4
    # The scratch session made the recorded session's order, under the same id.
    world = client.get(f"{ADMIN}/sessions/{scratch}/at/4", headers=admin_headers()).json()
    assert list(world["entities"]["orders"]) == [order["id"]]
    deleted = client.delete(f"{ADMIN}/sessions/{scratch}", headers=admin_headers())
    assert deleted.status_code == 204


def test_a_replay_refuses_what_it_cannot_do_as_problems(client: httpx.Client) -> None:
    client.get("/products", params={"limit": 1})
    session = client.cookies["mockforge_session"]
    replay = f"{ADMIN}/sessions/{session}/replay"
    cases = [
        (f"{ADMIN}/sessions/no-such-session/replay", {}, 404),
        (replay, {"ignore": ["items"]}, 400),
        (replay, {"ignore": "$.id"}, 400),
        (replay, {"keep": "yes"}, 400),
        (replay, {"unknown": 1}, 400),
    ]
    for path, body, status in cases:
        answer = client.post(path, json=body, headers=admin_headers())
        assert answer.status_code == status, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
