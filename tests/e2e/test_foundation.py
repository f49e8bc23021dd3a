"""Issue 2's promises, black-box over HTTP against the example shop."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from mockmind.domain.sessions import is_valid_session_id
from tests.support.admin import admin_headers
from tests.support.spec_check import assert_conforms


def test_first_request_gets_a_session_cookie(client: httpx.Client) -> None:
    response = client.get("/products", params={"limit": 2})
    assert response.status_code == 200
    cookie = response.headers.get("set-cookie", "")
    assert cookie.startswith("mockforge_session=")
    lowered = cookie.lower()
    assert "httponly" in lowered
    assert "samesite=lax" in lowered
    assert "path=/" in lowered
    session_id = cookie.split(";", 1)[0].split("=", 1)[1]
    # 256 random bits, URL-safe base64 without padding (README, Sessions).
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", session_id), session_id


def test_known_session_gets_no_new_cookie_and_the_same_data(client: httpx.Client) -> None:
    first = client.get("/products", params={"limit": 3})
    assert "set-cookie" in first.headers
    second = client.get("/products", params={"limit": 3})
    assert "set-cookie" not in second.headers
    assert second.json() == first.json()


def test_responses_conform_to_the_spec(client: httpx.Client) -> None:
    for path in ("/products", "/cart", "/orders"):
        response = client.get(path)
        assert response.status_code == 200, response.text
        assert_conforms("shop", "GET", path, response)


def test_source_header_is_always_set(client: httpx.Client) -> None:
    assert client.get("/products").headers["x-mockmind-source"] == "store"
    assert client.get("/nope").headers["x-mockmind-source"] == "rule"


def test_unknown_path_is_404(client: httpx.Client) -> None:
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_wrong_method_is_405_with_allow(client: httpx.Client) -> None:
    response = client.delete("/products")
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}


def test_bad_query_parameter_is_400_with_every_error(client: httpx.Client) -> None:
    response = client.get("/products", params={"limit": "0", "offset": "-1"})
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "title": "Bad Request",
        "detail": "the request does not match the API description",
        "errors": [
            {
                "location": "query.limit",
                "message": "0 is less than the minimum of 1",
                "keyword": "minimum",
            },
            {
                "location": "query.offset",
                "message": "-1 is less than the minimum of 0",
                "keyword": "minimum",
            },
        ],
    }


def test_bad_body_is_422_with_locations(client: httpx.Client) -> None:
    response = client.post("/cart/items", json={"product_id": "", "quantity": 0})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "location": "body.product_id",
            "message": "'' should be non-empty",
            "keyword": "minLength",
        },
        {
            "location": "body.quantity",
            "message": "0 is less than the minimum of 1",
            "keyword": "minimum",
        },
    ]


def test_broken_json_is_422(client: httpx.Client) -> None:
    response = client.post(
        "/cart/items", content=b'{"product_id": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "location": "body",
            "message": "not valid JSON: Expecting value: line 1 column 16 (char 15)",
            "keyword": "parse",
        }
    ]


def test_oversized_body_is_413(client: httpx.Client) -> None:
    big = b'{"product_id": "' + b"x" * 2_000_000 + b'", "quantity": 1}'
    response = client.post("/cart/items", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"] == (
        f"request body is {len(big)} bytes; the limit is 1048576 bytes"
    )


def test_prefer_code(client: httpx.Client) -> None:
    response = client.get("/products/p-1", headers={"Prefer": "code=404"})
    assert response.status_code == 404
    assert response.json()["status"] == 404
    assert response.json()["title"] == "Not Found"
    assert_conforms("shop", "GET", "/products/p-1", response)


MUG = {
    "id": "p-1",
    "name": "Enamel mug",
    "price": 12.5,
    "currency": "EUR",
    "category": "kitchen",
    "in_stock": True,
}


def test_prefer_example(client: httpx.Client) -> None:
    response = client.get("/products/p-1", headers={"Prefer": "example=mug"})
    assert response.status_code == 200
    assert response.json() == MUG
    assert response.headers["x-mockmind-source"] == "example"


def test_prefer_dynamic_generates(client: httpx.Client) -> None:
    in_use = client.get("/__mockmind/health").json()["provider"]["in_use"]
    example = client.get("/products/p-1", headers={"Prefer": "code=200"})
    assert example.headers["x-mockmind-source"] == "example"
    assert example.json() == MUG
    # The same response of the spec, written by the generator instead of taken from the example.
    generated = client.get("/products/p-1", headers={"Prefer": "code=200, dynamic=true"})
    assert generated.status_code == 200
    assert generated.headers["x-mockmind-source"] == ("offline" if in_use == "offline" else "llm")
    assert generated.json() != MUG
    assert_conforms("shop", "GET", "/products/p-1", generated)


def test_prefer_does_not_get_past_a_rule(client: httpx.Client) -> None:
    response = client.get("/admin/stats", headers={"Prefer": "code=200, dynamic=true"})
    # admin is protected by a rule; the rule answers first, whatever Prefer says.
    assert response.status_code == 401
    assert response.headers["x-mockmind-source"] == "rule"
    assert response.json() == {
        "status": 401,
        "title": "Unauthorized",
        "detail": "Log in first: POST /login",
    }


def test_reserved_prefix_is_not_mocked(client: httpx.Client) -> None:
    assert client.get("/__mockmind/nope").status_code == 404
    health = client.get("/__mockmind/health").json()
    assert health["status"] == "ok"
    assert health["api"]["kind"] == "openapi"
    assert health["provider"]["in_use"] in {"offline", "openai"}


def _session_cookie(response: httpx.Response) -> str | None:
    """The session id a response's Set-Cookie hands out, if it sets one."""
    cookie = response.headers.get("set-cookie")
    if cookie is None:
        return None
    name, _, value = cookie.split(";", 1)[0].partition("=")
    assert name == "mockforge_session", cookie
    return value


def test_session_by_header_is_echoed_and_isolated(base_url: str) -> None:
    a_id, b_id = f"e2e-header-a-{uuid.uuid4().hex}", f"e2e-header-b-{uuid.uuid4().hex}"
    with httpx.Client(base_url=base_url) as a, httpx.Client(base_url=base_url) as b:
        a.headers["X-Session-ID"] = a_id
        b.headers["X-Session-ID"] = b_id
        item = a.post("/cart/items", json={"product_id": "p-1", "quantity": 1})
        assert item.status_code == 201
        # The shop tracks sessions by cookie: the id the header named is echoed as its cookie.
        assert _session_cookie(item) == a_id
        # From here on the header alone names the session.
        a.cookies.clear()
        cart = a.get("/cart")
        assert [i["id"] for i in cart.json()["items"]] == [item.json()["id"]]
        assert _session_cookie(cart) is None  # a known session gets no new cookie
        other = b.get("/cart")
        assert other.json()["items"] == []
        assert _session_cookie(other) == b_id


def test_session_by_query_parameter_is_tracked_and_isolated(base_url: str) -> None:
    a_id, b_id = f"e2e-query-a-{uuid.uuid4().hex}", f"e2e-query-b-{uuid.uuid4().hex}"
    # No client keeps cookies here: each request names its session by the query alone.
    item = httpx.post(
        f"{base_url}/cart/items",
        params={"session_id": a_id},
        json={"product_id": "p-1", "quantity": 2},
    )
    assert item.status_code == 201
    assert _session_cookie(item) == a_id
    cart = httpx.get(f"{base_url}/cart", params={"session_id": a_id})
    assert [(i["id"], i["quantity"]) for i in cart.json()["items"]] == [(item.json()["id"], 2)]
    assert _session_cookie(cart) is None
    other = httpx.get(f"{base_url}/cart", params={"session_id": b_id})
    assert other.json()["items"] == []
    assert _session_cookie(other) == b_id
    with httpx.Client(base_url=base_url) as admin:
        remembered = admin.get(f"/__mockmind/sessions/{a_id}", headers=admin_headers()).json()
    assert [(i["method"], i["path"]) for i in remembered["history"]] == [
        ("POST", "/cart/items"),
        ("GET", "/cart"),
    ]


def test_malformed_session_id_gets_a_fresh_session(client: httpx.Client) -> None:
    response = client.get("/cart", headers={"X-Session-ID": "../../etc/passwd"})
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_admin_shows_what_a_session_remembers(base_url: str) -> None:
    with httpx.Client(base_url=base_url, headers={"X-Session-ID": "e2e-inspect-1"}) as client:
        client.post("/login", json={"username": "ada", "password": "x"})
        client.get("/products", params={"limit": 1})
        seen = client.get("/__mockmind/sessions/e2e-inspect-1", headers=admin_headers()).json()
    assert seen["authenticated"] is True
    assert seen["state"]["username"]["value"] == "ada"
    assert [(i["method"], i["path"]) for i in seen["history"]][-2:] == [
        ("POST", "/login"),
        ("GET", "/products"),
    ]
    with httpx.Client(base_url=base_url) as client:
        assert (
            client.get("/__mockmind/sessions/nobody-at-all", headers=admin_headers()).status_code
            == 404
        )
        assert (
            client.get("/__mockmind/sessions/..%2F..", headers=admin_headers()).status_code == 404
        )


def test_history_never_keeps_a_password_or_a_token(base_url: str) -> None:
    with httpx.Client(base_url=base_url, headers={"X-Session-ID": "e2e-redact-1"}) as client:
        token = client.post("/login", json={"username": "ada", "password": "hunter2"}).json()
        seen = client.get("/__mockmind/sessions/e2e-redact-1", headers=admin_headers()).text
    assert "hunter2" not in seen
    assert token["token"] not in seen
    assert "ada" in seen


@pytest.mark.parametrize("place", ["header", "cookie", "query"])
def test_no_client_id_names_the_shared_seed_set(base_url: str, place: str) -> None:
    name = f"e2e-shared-by-{place}"
    sent: dict[str, Any] = {
        "header": {"headers": {"X-Session-ID": "__shared__"}},
        "cookie": {"headers": {"Cookie": "mockforge_session=__shared__"}},
        "query": {"params": {"session_id": "__shared__"}},
    }[place]
    with httpx.Client(base_url=base_url) as attacker:
        created = attacker.post("/products", json={"name": name, "price": 1.5}, **sent)
    assert created.status_code == 201
    # The write went to a fresh session of its own, handed out as a new cookie.
    assert "__shared__" not in created.headers.get("set-cookie", "")
    with httpx.Client(base_url=base_url, headers={"X-Session-ID": f"e2e-other-{place}"}) as other:
        listed = other.get("/products", params={"limit": 100})
    assert listed.status_code == 200
    assert name not in [product["name"] for product in listed.json()]


def test_a_session_id_with_a_final_newline_gets_a_fresh_session(client: httpx.Client) -> None:
    response = client.get("/cart", params={"session_id": "abc\n"})
    assert response.status_code == 200
    assert response.json()["items"] == []
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("mockforge_session=")
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    assert value != "abc\n"
    assert is_valid_session_id(value)
