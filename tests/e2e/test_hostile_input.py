"""Issue 13, item 4: hostile input gets a 400 naming the limit it breaks, and the shop stays up.

Black-box over HTTP against the example shop. Error answers are the project's problem
documents, sent as ``application/json`` (domain/error_answers.py).
"""

from __future__ import annotations

import httpx

PROBLEM_TYPE = "application/json"
JSON = {"content-type": "application/json"}
DEPTH_DETAIL = "request body nests deeper than 64 levels (server.max_json_depth)"


def nested(depth: int) -> bytes:
    """A cart item whose quantity nests lists so that the body is ``depth`` levels deep."""
    lists = depth - 1
    return b'{"product_id": "p-1", "quantity": ' + b"[" * lists + b"]" * lists + b"}"


def assert_problem(response: httpx.Response, detail: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM_TYPE
    problem = response.json()
    assert problem["status"] == 400
    assert problem["title"] == "Bad Request"
    assert problem["detail"] == detail


def test_a_body_nested_500_deep_is_400_naming_the_limit(client: httpx.Client) -> None:
    response = client.post("/cart/items", content=nested(500), headers=JSON)
    assert_problem(response, DEPTH_DETAIL)
    assert response.json()["errors"] == [
        {
            "location": "body",
            "message": "nests deeper than 64 levels (server.max_json_depth)",
            "keyword": "max_json_depth",
        }
    ]


def test_a_body_nested_100000_deep_is_400_naming_the_limit(client: httpx.Client) -> None:
    response = client.post("/cart/items", content=nested(100_000), headers=JSON)
    assert_problem(response, DEPTH_DETAIL)


def test_a_body_as_deep_as_the_limit_gets_past_the_limit(client: httpx.Client) -> None:
    # 64 levels: the body is read, and answered by the schema check (quantity is no list).
    response = client.post("/cart/items", content=nested(64), headers=JSON)
    assert response.status_code == 422
    assert [e["location"] for e in response.json()["errors"]] == ["body.quantity"]


def test_a_lone_surrogate_in_a_body_is_400_saying_where(client: httpx.Client) -> None:
    body = b'{"product_id": "\\ud800", "quantity": 2}'
    response = client.post("/cart/items", content=body, headers=JSON)
    assert_problem(
        response,
        "request body is not valid Unicode: body.product_id holds the lone surrogate \\ud800",
    )
    assert response.json()["errors"][0]["location"] == "body.product_id"


def test_a_limit_of_5000_digits_is_400_naming_the_parameter(client: httpx.Client) -> None:
    response = client.get("/products", params={"limit": "1" * 5000})
    assert_problem(
        response,
        "query parameter limit has 5000 digits; numbers of at most 4300 digits can be read",
    )
    assert response.json()["errors"][0]["location"] == "query.limit"


def test_a_number_too_large_for_a_double_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/cart/items", content=b'{"product_id": "p-1", "quantity": 1e400}', headers=JSON
    )
    assert_problem(response, "request body holds a number too large to represent (1e400)")


def test_the_shop_still_answers_after_hostile_requests(client: httpx.Client) -> None:
    hostile = [
        client.post("/cart/items", content=nested(100_000), headers=JSON),
        client.post("/login", content=nested(500), headers=JSON),
        client.post("/orders", content=b'{"note": "\\udc00"}', headers=JSON),
        client.get("/products", params={"limit": "9" * 5000}),
    ]
    assert [r.status_code for r in hostile] == [400, 400, 400, 400]
    # The same session carries on: its history and its cart work as before.
    products = client.get("/products", params={"limit": 1})
    assert products.status_code == 200
    product = products.json()[0]
    added = client.post("/cart/items", json={"product_id": product["id"], "quantity": 2})
    assert added.status_code == 201, added.text
    cart = client.get("/cart").json()
    assert cart["total"] == round(product["price"] * 2, 2)
    assert client.get("/__mockmind/health").json()["status"] == "ok"
