"""The behavior engine's flows, black-box over HTTP with the offline generator."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import _served
from tests.support.admin import admin_headers
from tests.support.fake_provider import FakeProvider
from tests.support.shop_flow import TIMESTAMP, shop_flow
from tests.support.shop_flow import list_products as _products

# Every flow runs twice: with the offline generator, and with an OpenAI-compatible model
# (a loopback fake that reads the schema from the prompt) writing the content.
MODES = ["offline", "llm"]


def _mode_url(example: str, request: pytest.FixtureRequest) -> Iterator[str]:
    llm: FakeProvider | None = None
    if request.param == "llm":
        llm = request.getfixturevalue("fake_llm")
    yield from _served(example, llm.url if llm else None)


@pytest.fixture(scope="module", params=MODES)
def base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _mode_url("shop", request)


@pytest.fixture(scope="module", params=MODES)
def social_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _mode_url("social", request)


@pytest.fixture(scope="module", params=MODES)
def onboarding_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _mode_url("onboarding", request)


def test_ecommerce_flow(client: httpx.Client) -> None:
    order = shop_flow(client)
    assert client.get("/orders").json()[-1]["id"] == order["id"]


def test_list_filters_on_the_specs_plain_parameters(client: httpx.Client) -> None:
    order = shop_flow(client)
    assert [o["id"] for o in client.get("/orders", params={"status": "shipped"}).json()] == [
        order["id"]
    ]
    assert client.get("/orders", params={"status": "placed"}).json() == []


def test_social_feed_holds_followed_users_posts_only(social_url: str) -> None:
    with httpx.Client(base_url=social_url) as client:
        users = client.get("/users").json()
        alice, bob = users[0], users[1]
        for user, text in ((alice, "hello from alice"), (bob, "hello from bob")):
            posted = client.post(f"/users/{user['id']}/posts", json={"text": text})
            assert posted.status_code == 201, posted.text
            assert posted.json()["user_id"] == user["id"]
        following_alice = client.post("/follows", json={"user_id": alice["id"]})
        following_bob = client.post("/follows", json={"user_id": bob["id"]})
        assert following_alice.status_code == following_bob.status_code == 201
        unfollow = client.delete(f"/follows/{following_bob.json()['id']}")
        assert unfollow.status_code == 204

        feed = client.get("/feed").json()["items"]
        assert [p["text"] for p in feed] == ["hello from alice"]
        assert all(p["user_id"] == alice["id"] for p in feed)


def test_social_child_of_a_missing_parent_is_404(social_url: str) -> None:
    with httpx.Client(base_url=social_url) as client:
        response = client.post("/users/nobody-here/posts", json={"text": "hi"})
        assert response.status_code == 404
        assert client.get("/users/nobody-here/posts").status_code == 404


def test_multi_step_process_refuses_steps_out_of_order(onboarding_url: str) -> None:
    with httpx.Client(base_url=onboarding_url) as client:
        applied = client.post(
            "/applications", json={"applicant_name": "Grace Hopper", "email": "grace@navy.mil"}
        )
        assert applied.status_code == 201
        application = applied.json()
        assert application["status"] == "applied"
        app_path = f"/applications/{application['id']}"

        early_review = client.post(f"{app_path}/review")
        assert early_review.status_code == 409
        assert early_review.json()["current_state"] == "applied"

        upload = client.post(f"{app_path}/documents", json={"filename": "passport.pdf"})
        assert upload.status_code == 201
        assert upload.json()["application_id"] == application["id"]
        assert client.get(app_path).json()["status"] == "documents_uploaded"

        review = client.post(f"{app_path}/review")
        assert review.status_code == 200
        assert review.json()["status"] == "reviewed"
        assert TIMESTAMP.fullmatch(review.json()["reviewed_at"]), review.json()

        late_upload = client.post(f"{app_path}/documents", json={"filename": "late.pdf"})
        assert late_upload.status_code == 409
        assert late_upload.json()["current_state"] == "reviewed"
        assert len(client.get(f"{app_path}/documents").json()) == 1


def test_two_sessions_in_parallel_never_see_each_other(base_url: str) -> None:
    results: dict[int, dict[str, Any]] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with httpx.Client(base_url=base_url, timeout=30) as client:
                results[index] = shop_flow(client)
                ids = {o["id"] for o in client.get("/orders").json()}
                results[index]["_seen"] = sorted(ids)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert results[0]["_seen"] == [results[0]["id"]]
    assert results[1]["_seen"] == [results[1]["id"]]


def test_protected_path_is_401_even_with_an_answer_cached_for_another_session(
    base_url: str,
) -> None:
    with httpx.Client(base_url=base_url) as authed, httpx.Client(base_url=base_url) as anon:
        assert authed.post("/login", json={"username": "a", "password": "b"}).status_code == 200
        first = authed.get("/admin/stats")
        second = authed.get("/admin/stats")
        assert first.status_code == second.status_code == 200
        assert second.headers["x-mockmind-source"] == "cache"
        denied = anon.get("/admin/stats")
        assert denied.status_code == 401
        assert denied.headers["www-authenticate"].startswith("Bearer")
        assert denied.json()["detail"] == "Log in first: POST /login"


def test_a_cached_answer_is_never_served_to_another_session(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as a, httpx.Client(base_url=base_url) as b:
        # Logged in alike, so the two sessions' states are the same: only their ids differ.
        for client in (a, b):
            login = client.post("/login", json={"username": "twin", "password": "x"})
            assert login.status_code == 200
        first, again = a.get("/admin/stats"), a.get("/admin/stats")
        other = b.get("/admin/stats")
        in_use = a.get("/__mockmind/health").json()["provider"]["in_use"]
    generated = "offline" if in_use == "offline" else "llm"
    assert [r.status_code for r in (first, again, other)] == [200, 200, 200]
    sources = [r.headers["x-mockmind-source"] for r in (first, again, other)]
    # The other session's answer is written for it, not taken from the first one's entry.
    assert sources == [generated, "cache", generated]
    assert again.json() == first.json()


def test_bearer_token_authenticates_without_the_cookie(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        token = client.post("/login", json={"username": "a", "password": "b"}).json()["token"]
    with httpx.Client(base_url=base_url) as fresh:
        ok = fresh.get("/admin/stats", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        forged = fresh.get("/admin/stats", headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 401


def test_logout_ends_the_login(client: httpx.Client) -> None:
    token = client.post("/login", json={"username": "a", "password": "b"}).json()["token"]
    assert client.get("/admin/stats").status_code == 200
    assert client.post("/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert client.get("/admin/stats").status_code == 401
    assert (
        client.get("/admin/stats", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )


def test_logout_by_cookie_alone_revokes_every_token_of_the_session(
    client: httpx.Client, base_url: str
) -> None:
    first = client.post("/login", json={"username": "a", "password": "b"}).json()["token"]
    second = client.post("/login", json={"username": "a", "password": "b"}).json()["token"]
    assert client.post("/logout").status_code == 204  # the cookie only, no token sent
    with httpx.Client(base_url=base_url) as elsewhere:
        for token in (first, second):
            answer = elsewhere.get("/admin/stats", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401


def test_deleting_a_session_revokes_its_tokens(client: httpx.Client, base_url: str) -> None:
    token = client.post("/login", json={"username": "a", "password": "b"}).json()["token"]
    session_id = client.cookies["mockforge_session"]
    deleted = client.delete(f"/__mockmind/sessions/{session_id}", headers=admin_headers())
    assert deleted.status_code == 204
    with httpx.Client(base_url=base_url) as elsewhere:
        answer = elsewhere.get("/admin/stats", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401


def test_login_without_credentials_is_rejected(client: httpx.Client) -> None:
    response = client.post("/login", json={"username": "", "password": ""})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"location": "body.username", "message": "'' should be non-empty", "keyword": "minLength"},
        {"location": "body.password", "message": "'' should be non-empty", "keyword": "minLength"},
    ]


def test_rest_semantics_crud(client: httpx.Client) -> None:
    created = client.post("/products", json={"name": "Teapot", "price": 20.0})
    assert created.status_code == 201
    product = created.json()
    assert product["name"] == "Teapot"
    path = f"/products/{product['id']}"
    assert client.get(path).json() == product


def test_patch_merges_and_delete_removes_and_the_total_follows(client: httpx.Client) -> None:
    (product,) = _products(client, 1)
    item = client.post("/cart/items", json={"product_id": product["id"], "quantity": 1}).json()
    patched = client.patch(f"/cart/items/{item['id']}", json={"quantity": 3})
    assert patched.status_code == 200
    assert patched.json() == {**item, "quantity": 3}
    assert client.get("/cart").json()["total"] == pytest.approx(round(product["price"] * 3, 2))
    assert client.delete(f"/cart/items/{item['id']}").status_code == 204
    assert client.get("/cart").json()["items"] == []
    assert client.delete(f"/cart/items/{item['id']}").status_code == 404


def test_delete_then_get_is_404(social_url: str) -> None:
    with httpx.Client(base_url=social_url) as client:
        user = client.get("/users").json()[0]
        post = client.post(f"/users/{user['id']}/posts", json={"text": "bye"}).json()
        path = f"/users/{user['id']}/posts/{post['id']}"
        assert client.get(path).json() == post
        assert client.delete(path).status_code == 204
        assert client.get(path).status_code == 404


def test_an_unknown_id_is_404_where_documented_and_one_sessions_entity_is_its_own(
    base_url: str,
) -> None:
    missing = httpx.get(f"{base_url}/products/never-created-1", timeout=10)
    assert (missing.status_code, missing.headers["content-type"]) == (404, "application/json")
    assert missing.json() == {
        "status": 404,
        "title": "Not Found",
        "detail": "product never-created-1 does not exist",
    }
    with httpx.Client(base_url=base_url) as a, httpx.Client(base_url=base_url) as b:
        item = a.post("/cart/items", json={"product_id": "p-1", "quantity": 1}).json()
        # Another session never saw the item: it is 404 there, and a's stays as it was.
        assert b.patch(f"/cart/items/{item['id']}", json={"quantity": 2}).status_code == 404
        patched = a.patch(f"/cart/items/{item['id']}", json={"quantity": 3})
        assert (patched.status_code, patched.json()) == (200, {**item, "quantity": 3})


def test_shared_catalogue_is_the_same_for_every_session(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as a, httpx.Client(base_url=base_url) as b:
        assert a.get("/products").json() == b.get("/products").json()


def test_list_paging_and_total(client: httpx.Client) -> None:
    page = client.get("/products", params={"limit": 5, "offset": 5})
    everything = client.get("/products", params={"limit": 100})
    assert page.json() == everything.json()[5:10]
    assert page.headers["x-total-count"] == str(len(everything.json()))


def test_respond_rule_answers_with_its_fixed_response(client: httpx.Client) -> None:
    response = client.get("/products", params={"category": "teapots"})
    assert response.status_code == 418
    assert response.headers["x-reason"] == "short and stout"
    assert response.headers["x-mockmind-source"] == "rule"


def test_generated_content_comes_from_the_configured_generator(client: httpx.Client) -> None:
    in_use = client.get("/__mockmind/health").json()["provider"]["in_use"]
    assert client.post("/login", json={"username": "a", "password": "b"}).status_code == 200
    stats = client.get("/admin/stats")
    assert stats.status_code == 200
    expected = "offline" if in_use == "offline" else "llm"
    assert stats.headers["x-mockmind-source"] == expected
    # Entities the model wrote are kept by the store like any other.
    (product,) = _products(client, 1)
    assert client.get(f"/products/{product['id']}").json() == product
