"""A browser's session recorded by the proxy as HAR, and learned from.

Headless Chromium opens a page of the proxy's own (``/__mockmind/proxy/health``, neither
forwarded nor recorded), and a script in it buys, pays, ships and cancels with ``fetch``,
same-origin: the browser's own cookie jar, headers and `Authorization` carry the session.
``mockmind proxy --record shop.har`` writes what went through to the served example shop;
``mockmind learn`` learns from that HAR; the learned mock, served, answers the recorded
requests replayed alike, and its config holds the shop's order machine and cart items.
"""

from __future__ import annotations

import pytest
from selenium import webdriver

from mockmind.learning.learner import api_exchanges
from mockmind.proxy.state import PROXY_PREFIX
from tests.support.learned_mock import (
    CART_ITEMS,
    OFFLINE,
    ORDER_MACHINE,
    ORDERS,
    Learned,
    learn,
    replay_against_learned,
)
from tests.support.mockmind_server import start_server, stop_server
from tests.support.paths import EXAMPLES
from tests.support.proxy_server import start_proxy

pytestmark = pytest.mark.slow

# Each round: the requests, in order, and the status each must get from the shop.
SHOP_SCRIPT = """
const done = arguments[arguments.length - 1];
const statuses = [];
async function call(method, path, body, headers) {
  const init = {method, headers: Object.assign({}, headers || {})};
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const answer = await fetch(path, init);
  const text = await answer.text();
  statuses.push(method + " " + answer.status);
  return text ? JSON.parse(text) : null;
}
async function round() {
  await call("POST", "/login", {});
  const token = (await call("POST", "/login", {username: "ada", password: "lovelace"})).token;
  const [first, second] = await call("GET", "/products?limit=2");
  const kept = await call("POST", "/cart/items", {product_id: first.id, quantity: 2});
  const dropped = await call("POST", "/cart/items", {product_id: second.id, quantity: 1});
  await call("PATCH", "/cart/items/" + dropped.id, {quantity: 3});
  await call("GET", "/cart");
  await call("DELETE", "/cart/items/" + dropped.id);
  await call("DELETE", "/cart/items/" + dropped.id);
  await call("PATCH", "/cart/items/" + kept.id, {quantity: 1});
  const shipped = await call("POST", "/orders", {});
  await call("POST", "/orders/" + shipped.id + "/ship");
  await call("POST", "/orders/" + shipped.id + "/pay");
  await call("GET", "/orders/" + shipped.id);
  await call("POST", "/orders/" + shipped.id + "/ship");
  for (const payFirst of [false, true]) {
    await call("POST", "/cart/items", {product_id: second.id, quantity: 1});
    const order = await call("POST", "/orders", {});
    if (payFirst) await call("POST", "/orders/" + order.id + "/pay");
    await call("POST", "/orders/" + order.id + "/cancel");
    await call("POST", "/orders/" + order.id + "/cancel");
    await call("GET", "/orders/" + order.id);
  }
  await call("GET", "/orders");
  await call("GET", "/products/" + first.id);
  await call("GET", "/admin/stats", undefined, {Authorization: "Bearer " + token});
  await call("POST", "/logout");
  await call("GET", "/admin/stats");
}
(async () => { for (let i = 0; i < 3; i++) await round(); return statuses; })()
  .then(done, (error) => done("failed: " + error));
"""
ROUND = [
    "POST 422",
    "POST 200",
    "GET 200",
    "POST 201",
    "POST 201",
    "PATCH 200",
    "GET 200",
    "DELETE 204",
    "DELETE 404",
    "PATCH 200",
    "POST 201",
    "POST 409",
    "POST 200",
    "GET 200",
    "POST 200",
    *["POST 201", "POST 201", "POST 200", "POST 409", "GET 200"],
    *["POST 201", "POST 201", "POST 200", "POST 200", "POST 409", "GET 200"],
    "GET 200",
    "GET 200",
    "GET 200",
    "POST 204",
    "GET 401",
]


@pytest.fixture(scope="module")
def learned(browser: webdriver.Chrome, tmp_path_factory: pytest.TempPathFactory) -> Learned:
    directory = tmp_path_factory.mktemp("browser-har")
    recording = directory / "shop.har"
    shop, shop_url = start_server(EXAMPLES / "shop" / "mockmind.yaml", OFFLINE)
    try:
        proxy, proxy_url = start_proxy(shop_url, "--record", str(recording))
        try:
            browser.get(f"{proxy_url}{PROXY_PREFIX}/health")
            browser.set_script_timeout(60)
            statuses = browser.execute_async_script(SHOP_SCRIPT)
        finally:
            stop_server(proxy)
    finally:
        stop_server(shop)
    assert statuses == ROUND * 3
    return learn(recording, directory / "learned")


def test_the_har_holds_the_browsers_session_masked(learned: Learned) -> None:
    api, _ = api_exchanges(learned.exchanges)
    assert len(api) == len(ROUND) * 3
    # One browser, one cookie jar: one client, one session.
    assert len({e.session for e in api}) == 1
    assert {e.request_headers["user-agent"].split("/")[0] for e in api} == {"Mozilla"}
    text = learned.recording.read_text()
    assert "lovelace" not in text
    assert all(e.request_headers.get("cookie") in (None, "***") for e in api)


def test_the_mock_learned_from_the_browser_answers_its_requests_alike(learned: Learned) -> None:
    api, _ = api_exchanges(learned.exchanges)
    replay_against_learned(learned, api)


def test_the_order_machine_and_the_cart_items_are_recovered(learned: Learned) -> None:
    rules = learned.rules()
    assert rules["state_machines"] == ORDER_MACHINE
    assert rules["resources"]["cart_items"] == CART_ITEMS
    assert rules["resources"]["orders"] == ORDERS
