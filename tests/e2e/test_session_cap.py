"""``storage.max_sessions`` over HTTP: past the cap the least recently used session ends with
its cart, and its cookie then opens a new, empty session (as an expired one does)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.admin import admin_headers
from tests.support.mockmind_server import start_server, stop_server
from tests.support.paths import EXAMPLES

SHOP = EXAMPLES / "shop"
CAP = 2


@pytest.fixture(scope="module")
def capped_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("MOCKMIND_URL"):
        pytest.skip("the session cap is the memory backend's; this runs a local server")
    text = (SHOP / "mockmind.yaml").read_text()
    text = text.replace("openapi: openapi.yaml", f"openapi: {SHOP / 'openapi.yaml'}")
    assert text.rstrip().endswith("backend: memory"), "the shop's config ends with its storage"
    config: Path = tmp_path_factory.mktemp("capped") / "mockmind.yaml"
    config.write_text(text.rstrip() + f"\n  max_sessions: {CAP}\n")
    process, url = start_server(config, {"MOCKMIND_LLM_PROVIDER": "offline"})
    try:
        yield url
    finally:
        stop_server(process)


def _fill_cart(client: httpx.Client) -> str:
    product = client.get("/products", params={"limit": 1}).json()[0]
    added = client.post("/cart/items", json={"product_id": product["id"], "quantity": 1})
    assert added.status_code == 201
    assert [i["id"] for i in client.get("/cart").json()["items"]] == [added.json()["id"]]
    return str(client.cookies["mockforge_session"])


def test_the_least_recently_used_session_ends_and_its_cookie_starts_an_empty_one(
    capped_url: str,
) -> None:
    with (
        httpx.Client(base_url=capped_url) as first,
        httpx.Client(base_url=capped_url) as second,
        httpx.Client(base_url=capped_url) as third,
    ):
        first_id = _fill_cart(first)
        _fill_cart(second)
        # A third live session: the first, least recently used, ends with its cart.
        assert third.get("/products", params={"limit": 1}).status_code == 200
        back = first.get("/cart")
        assert back.status_code == 200
        assert back.json()["items"] == []
        assert "set-cookie" not in back.headers  # the cookie it carries names the new one
        seen = first.get(f"/__mockmind/sessions/{first_id}", headers=admin_headers()).json()
        assert [(i["method"], i["path"]) for i in seen["history"]] == [("GET", "/cart")]
        # The first came back, so now the second was the least recent: its cart is gone too.
        assert second.get("/cart").json()["items"] == []


def test_a_session_in_use_is_never_the_one_that_ends(capped_url: str) -> None:
    with httpx.Client(base_url=capped_url) as regular:
        _fill_cart(regular)
        for _ in range(3 * CAP):
            # One-off visitors, each a new session; the regular comes back after each.
            with httpx.Client(base_url=capped_url) as visitor:
                assert visitor.get("/products", params={"limit": 1}).status_code == 200
            assert len(regular.get("/cart").json()["items"]) == 1
