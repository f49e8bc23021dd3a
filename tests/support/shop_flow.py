"""The shop example's purchase, step by step: the e2e flows, the Lambda test and the cost bench."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.support.spec_check import assert_conforms

# secrets.token_urlsafe(32), as the mock issues tokens and session ids.
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
# now() in a transition's `set`: UTC, to the second.
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def list_products(client: httpx.Client, count: int) -> list[dict[str, Any]]:
    response = client.get("/products", params={"limit": count})
    assert response.status_code == 200
    products: list[dict[str, Any]] = response.json()
    assert len(products) == count
    return products


def shop_flow(client: httpx.Client) -> dict[str, Any]:
    """Login, cart, checkout, pay; returns the paid order. Asserts every step."""
    login = client.post("/login", json={"username": "ada", "password": "lovelace"})
    assert login.status_code == 200, login.text
    assert TOKEN.fullmatch(login.json()["token"]), login.json()

    first, second = list_products(client, 2)
    added = [
        client.post("/cart/items", json={"product_id": first["id"], "quantity": 2}),
        client.post("/cart/items", json={"product_id": second["id"], "quantity": 1}),
    ]
    assert [r.status_code for r in added] == [201, 201]
    assert added[0].json()["price"] == first["price"]
    assert added[0].json()["name"] == first["name"]

    cart = client.get("/cart").json()
    assert len(cart["items"]) == 2
    expected_total = round(first["price"] * 2 + second["price"], 2)
    assert cart["total"] == pytest.approx(expected_total)

    checkout = client.post("/orders", json={})
    assert checkout.status_code == 201, checkout.text
    order = checkout.json()
    assert order["status"] == "placed"
    assert "paid_at" not in order  # set by the pay transition, not invented up front
    assert order["total"] == pytest.approx(expected_total)
    assert [i["product_id"] for i in order["items"]] == [first["id"], second["id"]]
    assert client.get("/cart").json()["items"] == []

    fetched = client.get(f"/orders/{order['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == order
    assert_conforms("shop", "GET", f"/orders/{order['id']}", fetched)

    early = client.post(f"/orders/{order['id']}/ship")
    assert early.status_code == 409
    conflict = early.json()
    assert conflict["current_state"] == "placed"
    assert conflict["allowed_transitions"] == [
        {"to": "paid", "on": "POST /orders/{orderId}/pay"},
        {"to": "cancelled", "on": "POST /orders/{orderId}/cancel"},
    ]

    paid = client.post(f"/orders/{order['id']}/pay")
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    assert TIMESTAMP.fullmatch(paid.json()["paid_at"]), paid.json()
    assert client.get(f"/orders/{order['id']}").json()["status"] == "paid"

    shipped = client.post(f"/orders/{order['id']}/ship")
    assert shipped.status_code == 200
    assert shipped.json()["status"] == "shipped"
    result: dict[str, Any] = shipped.json()
    return result
