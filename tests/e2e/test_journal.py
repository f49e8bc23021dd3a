"""The session journal over HTTP: what the admin routes say the world was after step N is
what the session's own API answered after step N; a deleted session leaves nothing."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.admin import admin_headers

ADMIN = "/__mockmind/sessions"


def admin(client: httpx.Client, path: str, **params: Any) -> httpx.Response:
    return client.get(f"{ADMIN}/{path}", params=params, headers=admin_headers())


def test_time_travel_shows_what_the_api_answered_after_each_step(client: httpx.Client) -> None:
    (product,) = client.get("/products", params={"limit": 1}).json()  # step 1
    item = client.post("/cart/items", json={"product_id": product["id"], "quantity": 2}).json()
    cart = client.get("/cart").json()  # step 3
    order = client.post("/orders", json={}).json()  # step 4
    placed = client.get(f"/orders/{order['id']}").json()  # step 5
    paid = client.post(f"/orders/{order['id']}/pay").json()  # step 6
    fetched = client.get(f"/orders/{order['id']}").json()  # step 7
    session = client.cookies["mockforge_session"]

    def world(step: int) -> dict[str, Any]:
        answer = admin(client, f"{session}/at/{step}")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert body["step"] == step
        return body["entities"]

    before = world(0)
    assert "cart_items" not in before
    assert "orders" not in before
    assert product["id"] in before["products"]  # the shared catalogue, seen by every session
    assert world(2)["cart_items"] == {item["id"]: item}
    after_cart = world(3)
    assert list(after_cart["cart_items"].values()) == cart["items"]
    assert after_cart["cart"]["_"]["items"] == cart["items"]
    after_checkout = world(4)
    assert after_checkout["orders"] == {order["id"]: placed}
    assert "cart_items" not in after_checkout
    assert world(5) == after_checkout
    assert world(6)["orders"] == {order["id"]: fetched}
    assert paid == fetched

    journal = admin(client, f"{session}/journal")
    assert journal.status_code == 200, journal.text
    events = journal.json()["events"]
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5, 6, 7]
    assert journal.json()["dropped"] == 0
    assert [(e["request"]["method"], e["response"]["status"]) for e in events[:2]] == [
        ("GET", 200),
        ("POST", 201),
    ]
    assert events[5]["moves"] == [
        {
            "machine": "order_lifecycle",
            "entity_id": order["id"],
            "from": "placed",
            "to": "paid",
            "transition": "POST /orders/{orderId}/pay",
        }
    ]
    assert events[1]["request"]["headers"]["cookie"] == "***"
    page = admin(client, f"{session}/journal", after=2, limit=2).json()
    assert [e["seq"] for e in page["events"]] == [3, 4]
    assert page["next_after"] == 4

    diff = admin(client, f"{session}/diff", **{"from": 4, "to": 6})
    assert diff.status_code == 200, diff.text
    assert diff.json() == {
        "session_id": session,
        "from": 4,
        "to": 6,
        "entities": [{"collection": "orders", "id": order["id"], "before": placed, "after": paid}],
        "state": {},
    }

    beyond = admin(client, f"{session}/at/9")
    assert beyond.status_code == 404
    assert beyond.headers["content-type"].startswith("application/problem+json")
    # The admin routes' own reads are not steps: the session made 7 requests.
    assert beyond.json()["detail"] == "step 9 is out of reach: the journal holds steps 1 to 7"
    assert admin(client, f"{session}/at/nine").status_code == 400


def test_an_unknown_session_has_no_journal(client: httpx.Client) -> None:
    for path in ("no-such-session/journal", "no-such-session/at/1"):
        answer = admin(client, path)
        assert answer.status_code == 404
        assert answer.json()["detail"] == "no live session 'no-such-session'"


def test_a_deleted_session_leaves_nothing(client: httpx.Client) -> None:
    item = client.post("/cart/items", json={"product_id": "p-1", "quantity": 1})
    assert item.status_code == 201
    session = client.cookies["mockforge_session"]
    assert admin(client, session).status_code == 200

    deleted = client.delete(f"{ADMIN}/{session}", headers=admin_headers())
    assert deleted.status_code == 204
    assert deleted.content == b""
    for path in (session, f"{session}/journal", f"{session}/at/0"):
        assert admin(client, path).status_code == 404, path
    # The same id names a new, empty session: its cart holds nothing of the old one.
    assert client.get("/cart").json()["items"] == []
    world = admin(client, f"{session}/at/1").json()
    assert "cart_items" not in world["entities"]
    assert [e["seq"] for e in admin(client, f"{session}/journal").json()["events"]] == [1]
