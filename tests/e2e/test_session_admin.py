"""Whole sessions over HTTP: listing them, resetting one (empty, or back to a step), forking
one at a step, and exporting one as a fixture that imports as a new session with the same
world (idempotent by digest)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from tests.support.admin import admin_headers

ADMIN = "/__mockmind/sessions"


def _shop_steps(client: httpx.Client) -> dict[str, Any]:
    """Four requests: a product listed, an item added, the cart read, an order placed."""
    (product,) = client.get("/products", params={"limit": 1}).json()  # step 1
    item = client.post("/cart/items", json={"product_id": product["id"], "quantity": 2}).json()
    cart = client.get("/cart").json()  # step 3
    order = client.post("/orders", json={}).json()  # step 4
    return {"product": product, "item": item, "cart": cart, "order": order}


def _session(client: httpx.Client) -> str:
    return str(client.cookies["mockforge_session"])


def _get(client: httpx.Client, path: str, **params: Any) -> httpx.Response:
    return client.get(f"{ADMIN}{path}", params=params, headers=admin_headers())


def _post(client: httpx.Client, path: str, body: Any = None) -> httpx.Response:
    return client.post(f"{ADMIN}{path}", json=body, headers=admin_headers())


def _with_session(base_url: str, session_id: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=30, cookies={"mockforge_session": session_id})


def _steps(client: httpx.Client, session_id: str) -> list[int]:
    journal = _get(client, f"/{session_id}/journal")
    assert journal.status_code == 200, journal.text
    return [e["seq"] for e in journal.json()["events"]]


def test_sessions_are_listed_newest_first_with_their_counts(
    client: httpx.Client, base_url: str
) -> None:
    prefix = f"list-{time.time_ns()}-"
    made = []
    for n in range(3):
        session_id = f"{prefix}{n}"
        with httpx.Client(base_url=base_url, timeout=30) as own:
            for _ in range(n + 1):
                assert own.get("/cart", headers={"X-Session-ID": session_id}).status_code == 200
        made.append(session_id)

    first = _get(client, "", prefix=prefix, limit=2)
    assert first.status_code == 200, first.text
    page = first.json()
    assert [s["id"] for s in page["sessions"]] == [made[2], made[1]]
    assert [s["requests"] for s in page["sessions"]] == [3, 2]
    assert all(s["authenticated"] is False for s in page["sessions"])
    assert set(page["sessions"][0]) == {
        "id",
        "created_at",
        "last_seen",
        "expires_at",
        "requests",
        "authenticated",
    }
    newest = page["sessions"][0]
    assert newest["created_at"] <= newest["last_seen"] < newest["expires_at"]
    assert page["next_cursor"] is not None

    rest = _get(client, "", prefix=prefix, limit=2, cursor=page["next_cursor"]).json()
    assert rest == {
        "sessions": [_get(client, "", prefix=made[0]).json()["sessions"][0]],
        "next_cursor": None,
    }
    assert [s["id"] for s in rest["sessions"]] == [made[0]]

    since = _get(client, "", prefix=prefix, since=newest["last_seen"]).json()
    assert [s["id"] for s in since["sessions"]] == [made[2]]
    until = _get(client, "", prefix=prefix, until=page["sessions"][1]["last_seen"]).json()
    assert [s["id"] for s in until["sessions"]] == [made[1], made[0]]


def test_a_listing_refuses_a_cursor_it_did_not_give(client: httpx.Client) -> None:
    answer = _get(client, "", cursor="not-a-cursor")
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["errors"][0]["location"] == "query.cursor"
    # Of the cursor's form, but of no session: a position all the same (nothing is below it).
    assert _get(client, "", cursor="00000000000000000000~x").json() == {
        "sessions": [],
        "next_cursor": None,
    }
    assert _get(client, "", limit=0).status_code == 400
    assert _get(client, "", since="nan").status_code == 400


def test_a_reset_empties_the_session_under_the_same_id(client: httpx.Client) -> None:
    _shop_steps(client)
    session_id = _session(client)

    reset = _post(client, f"/{session_id}/reset", {"to": None})
    assert reset.status_code == 200, reset.text
    summary = reset.json()
    assert summary["id"] == session_id
    assert summary["requests"] == 0
    assert summary["authenticated"] is False
    assert _get(client, f"/{session_id}/journal").json()["events"] == []
    assert client.get("/cart").json()["items"] == []
    assert client.get("/orders").json() == []
    # The requests after a reset are steps 1, 2... again.
    assert _steps(client, session_id) == [1, 2]


def test_a_reset_to_a_step_puts_the_world_back_and_goes_on_from_there(
    client: httpx.Client,
) -> None:
    made = _shop_steps(client)
    session_id = _session(client)
    at_two = _get(client, f"/{session_id}/at/2").json()

    reset = _post(client, f"/{session_id}/reset", {"to": 2})
    assert reset.status_code == 200, reset.text
    assert reset.json()["requests"] == 2
    assert _steps(client, session_id) == [1, 2]
    assert _get(client, f"/{session_id}/at/2").json() == at_two
    # The world after step 2: the item in the cart, no order yet.
    assert client.get("/orders").json() == []  # step 3 now
    cart = client.get("/cart").json()  # step 4
    assert cart["items"] == [made["item"]]
    assert _steps(client, session_id) == [1, 2, 3, 4]


def test_a_reset_refuses_a_step_the_session_never_took(client: httpx.Client) -> None:
    _shop_steps(client)
    session_id = _session(client)
    beyond = _post(client, f"/{session_id}/reset", {"to": 9})
    assert beyond.status_code == 404
    assert beyond.json()["detail"] == "step 9 is out of reach: the journal holds steps 1 to 4"
    assert _post(client, f"/{session_id}/reset", {"to": -1}).status_code == 400
    assert _post(client, f"/{session_id}/reset", {"back": 1}).status_code == 400
    missing = _post(client, "/no-such-session/reset", {"to": None})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no live session 'no-such-session'"


def test_a_fork_has_the_world_of_its_step_and_its_journal(
    client: httpx.Client, base_url: str
) -> None:
    made = _shop_steps(client)
    session_id = _session(client)
    fork_id = f"fork-{time.time_ns()}"

    forked = _post(client, f"/{session_id}/fork", {"at": 3, "id": fork_id})
    assert forked.status_code == 201, forked.text
    assert forked.json()["id"] == fork_id
    assert forked.json()["requests"] == 3
    assert _steps(client, fork_id) == [1, 2, 3]
    for step in (0, 1, 2, 3):
        original = _get(client, f"/{session_id}/at/{step}").json()
        copy = _get(client, f"/{fork_id}/at/{step}").json()
        assert copy == {**original, "session_id": fork_id}, step

    with _with_session(base_url, fork_id) as fork_client:
        assert fork_client.get("/cart").json() == made["cart"]  # step 4 of the fork
        assert fork_client.get("/orders").json() == []  # the order came at step 4
    assert _steps(client, fork_id) == [1, 2, 3, 4, 5]
    # The original is as it was.
    assert client.get(f"/orders/{made['order']['id']}").json()["id"] == made["order"]["id"]
    taken = _post(client, f"/{session_id}/fork", {"id": fork_id})
    assert taken.status_code == 409
    assert taken.json()["detail"] == f"a live session already has the id {fork_id!r}"


def test_a_fork_without_a_step_copies_the_latest(client: httpx.Client) -> None:
    _shop_steps(client)
    session_id = _session(client)
    forked = _post(client, f"/{session_id}/fork")
    assert forked.status_code == 201, forked.text
    fork_id = forked.json()["id"]
    assert fork_id != session_id
    assert forked.json()["requests"] == 4
    original = _get(client, f"/{session_id}/at/4").json()
    assert _get(client, f"/{fork_id}/at/4").json() == {**original, "session_id": fork_id}


def test_an_imported_fixture_answers_as_the_exported_session(
    client: httpx.Client, base_url: str
) -> None:
    made = _shop_steps(client)
    session_id = _session(client)
    exported = _get(client, f"/{session_id}/export")
    assert exported.status_code == 200, exported.text
    fixture = exported.json()
    assert fixture["format"] == "mockmind-session/1"
    assert fixture["digest"].startswith("sha256:")
    assert fixture["session"]["requests"] == 4
    assert [e["seq"] for e in fixture["journal"]] == [1, 2, 3, 4]
    assert fixture["entities"]["orders"] == {made["order"]["id"]: made["order"]}

    first = _post(client, "/import", fixture)
    assert first.status_code == 201, first.text
    imported = first.json()
    assert imported["imported"] is True
    assert imported["digest"] == fixture["digest"]
    again = _post(client, "/import", fixture)
    assert again.status_code == 200
    assert again.json() == {**imported, "imported": False}

    order_path = f"/orders/{made['order']['id']}"
    with _with_session(base_url, imported["id"]) as copy:
        assert copy.get(order_path).json() == client.get(order_path).json()
        assert copy.get("/cart").json() == client.get("/cart").json()
    assert _steps(client, imported["id"]) == [1, 2, 3, 4, 5, 6]


def test_an_import_names_what_is_wrong_with_a_fixture(client: httpx.Client) -> None:
    _shop_steps(client)
    fixture = _get(client, f"/{_session(client)}/export").json()

    def refusal(body: Any) -> str:
        answer = client.post(
            f"{ADMIN}/import",
            content=body if isinstance(body, bytes) else json.dumps(body).encode(),
            headers={**admin_headers(), "content-type": "application/json"},
        )
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        return str(answer.json()["detail"])

    assert refusal(b"{") == "the fixture is not one import can read: the body is not JSON"
    assert refusal({**fixture, "format": "other/1"}).startswith("body.format: Input should be")
    changed = {**fixture, "entities": {**fixture["entities"], "orders": {}}}
    assert "does not match the fixture's content" in refusal(changed)
    unknown = {**fixture, "entities": {"nothing_here": {}}, "digest": None}
    assert refusal(unknown).startswith(
        "the fixture is not one import can read: entities: 'nothing_here' is no collection"
    )
    gap = {**fixture, "journal": fixture["journal"][:1] + fixture["journal"][2:], "digest": None}
    assert refusal(gap) == (
        "the fixture is not one import can read: journal[1]: step 3 follows step 1; the steps "
        "of a journal are consecutive"
    )

    big = client.post(
        f"{ADMIN}/import",
        content=b" " * (8 * 1024 * 1024 + 1),
        headers={**admin_headers(), "content-type": "application/json"},
    )
    assert big.status_code == 413
    assert big.json()["detail"] == "request body is 8388609 bytes; the limit is 8388608 bytes"
