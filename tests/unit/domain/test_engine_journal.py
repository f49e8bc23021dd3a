"""The engine's journal hook: each request of a session recorded once it is saved, with what
it changed (entities before and after, state-machine moves, state keys) and secrets masked."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from mockmind.app.bootstrap import Container, build
from mockmind.config import load_config, parse_config
from mockmind.domain.engine.journaling import recorded_body
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.domain.journal import EntityChange, JournalEvent, StateChange, StateMove
from tests.support.clock import ManualClock
from tests.support.paths import EXAMPLES


class Client:
    """One session's requests through the engine, as a cookie-keeping client sends them."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.session_id: str | None = None

    def send(self, method: str, path: str, body: Any = None, **headers: str) -> MockResponse:
        cookies = {"mockforge_session": self.session_id} if self.session_id else {}
        request = MockRequest(
            method=method,
            path=path,
            headers={"content-type": "application/json", **headers},
            cookies=cookies,
            body=b"" if body is None else json.dumps(body).encode(),
        )
        result = asyncio.run(self.container.engine.handle(request))
        self.session_id = result.session_id
        return result.response

    def events(self) -> tuple[JournalEvent, ...]:
        assert self.container.journal is not None
        assert self.session_id is not None
        now = self.container.engine._clock.now()
        return self.container.journal.read(self.session_id, now=now).events


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_000.0)


@pytest.fixture
def shop(clock: ManualClock) -> Client:
    return Client(
        build(load_config(EXAMPLES / "shop" / "mockmind.yaml", env={}), env={}, clock=clock)
    )


def test_a_shop_purchase_is_recorded_step_by_step_with_every_change(
    shop: Client, clock: ManualClock
) -> None:
    products = shop.send("GET", "/products", authorization="Bearer secret-token").body
    item = shop.send("POST", "/cart/items", {"product_id": products[0]["id"], "quantity": 2}).body
    order = shop.send("POST", "/orders", {}).body
    paid = shop.send("POST", f"/orders/{order['id']}/pay").body

    listed, added, checkout, pay = shop.events()
    assert [e.seq for e in (listed, added, checkout, pay)] == [1, 2, 3, 4]
    assert listed.at == 1_000.0
    # Reads change nothing; credentials never reach the journal.
    assert listed.changes == ()
    assert listed.source == "store"
    assert listed.exchange.request_headers["authorization"] == "***"
    assert listed.exchange.response_body == products
    assert (listed.exchange.method, listed.exchange.path, listed.exchange.status) == (
        "GET",
        "/products",
        200,
    )

    assert added.changes == (EntityChange("cart_items", item["id"], None, item),)
    assert added.exchange.request_body == {"product_id": products[0]["id"], "quantity": 2}
    assert (added.exchange.status, added.exchange.response_body) == (201, item)

    # Checkout: the cart made (its items computed), the order created, then its fields a
    # later transition sets taken out, and the cart's item cleared, as it was read.
    cart, created, cleared, placed = checkout.changes
    assert (cart.collection, cart.id, cart.before) == ("cart", "_", None)
    assert cart.after is not None
    assert cart.after["items"] == [item]
    assert (created.collection, created.id, created.before) == ("orders", order["id"], None)
    assert created.after is not None
    assert set(created.after) - set(order) == {"paid_at"}
    assert cleared == EntityChange("cart_items", item["id"], item, None)
    assert placed == EntityChange("orders", order["id"], created.after, order)
    assert checkout.moves == ()

    # Pay: the order moved by its machine, with the transition's field set.
    assert pay.changes == (EntityChange("orders", order["id"], order, paid),)
    assert paid == {**order, "status": "paid", "paid_at": paid["paid_at"]}
    assert pay.moves == (
        StateMove("order_lifecycle", order["id"], "placed", "paid", "POST /orders/{orderId}/pay"),
    )
    assert pay.rules == ("big_orders_are_slow",)
    # The rule's delay is the request's whole latency on this clock (which only sleeps move).
    assert pay.latency_ms > 0
    assert listed.latency_ms == added.latency_ms == 0.0
    assert pay.llm_calls == 0
    assert pay.cost_usd == 0.0


STATEFUL = """
intelligent_behavior:
  session_tracking: {method: cookie, cookie_name: mockforge_session}
  behavior_model:
    rules:
      schemas:
        Note:
          type: object
          properties: {id: {type: string}, text: {type: string}, api_key: {type: string}}
      consistency_rules:
        - name: remember_mode
          condition: "method == 'POST' and path == '/notes'"
          action: {type: set_state, key: mode, value: "writing"}
journal:
  max_events: 2
"""


def test_state_keys_are_recorded_against_the_session_before_and_secrets_masked(
    clock: ManualClock,
) -> None:
    client = Client(build(parse_config(STATEFUL, env={}), env={}, clock=clock))
    client.send("POST", "/notes", {"text": "a", "api_key": "sk-live-1"}, cookie="a=b")
    client.send("POST", "/notes", {"text": "b"})
    client.send("GET", "/notes", None)

    # Bounded to the last two: step 1 dropped.
    assert client.container.journal is not None
    assert client.session_id is not None
    page = client.container.journal.read(client.session_id, now=clock.now())
    assert [e.seq for e in page.events] == [2, 3]
    assert page.dropped == 1
    second, third = page.events
    # The key set by step 1 is set again to the same value: no change.
    assert second.state_changes == ()
    assert second.rules == ("remember_mode",)
    assert third.state_changes == ()
    assert third.rules == ()

    fresh = Client(build(parse_config(STATEFUL, env={}), env={}, clock=clock))
    fresh.send("POST", "/notes", {"text": "a", "api_key": "sk-live-1"}, cookie="a=b")
    (first,) = fresh.events()
    assert first.state_changes == (StateChange("mode", None, "writing", before_set=False),)
    assert first.exchange.request_body == {"text": "a", "api_key": "***"}
    assert first.exchange.request_headers["cookie"] == "***"
    assert first.exchange.response_body["api_key"] == "***"


def test_no_journal_when_it_is_off(clock: ManualClock) -> None:
    text = STATEFUL.replace("journal:\n  max_events: 2", "journal: {enabled: false}")
    container = build(parse_config(text, env={}), env={}, clock=clock)
    assert container.journal is None
    client = Client(container)
    assert client.send("POST", "/notes", {"text": "a"}).status == 201


def test_a_json_answer_is_masked_once_for_the_session_and_the_journal_alike(
    clock: ManualClock,
) -> None:
    client = Client(build(parse_config(STATEFUL, env={}), env={}, clock=clock))
    sent = client.send("POST", "/notes", {"text": "a", "api_key": "sk-live-1"})
    assert sent.body["api_key"] == "sk-live-1"
    (event,) = client.events()
    # What the journal masked on its own before: the answer with its secret masked.
    masked = {**sent.body, "api_key": "***"}
    assert event.exchange.response_body == recorded_body(sent) == masked
    assert client.session_id is not None
    session = client.container.sessions.get(client.session_id, now=clock.now())
    assert session is not None
    assert session.history[-1].response_body == masked


def test_headers_are_masked_by_name_and_value_whatever_names_came_before() -> None:
    """masked_headers remembers what each set of names needs: the same names with other
    values are judged by those values, and a set that holds no secret is copied as it is."""
    from mockmind.domain.engine.journaling import MASK, masked_headers

    names = {"Accept": "x", "Cookie": "s=1", "X-Api-Token": "abc", "token_type": "t"}
    first = masked_headers(names)
    assert first == {"Accept": "x", "Cookie": MASK, "X-Api-Token": MASK, "token_type": "t"}
    scheme = masked_headers({**names, "X-Api-Token": "Bearer"})
    assert scheme == {**first, "X-Api-Token": "Bearer"}
    plain = {"accept": "x", "x-session-id": "s"}
    copied = masked_headers(plain)
    assert copied == plain
    assert copied is not plain
    assert list(masked_headers({"b": "1", "authorization": "z", "a": "2"})) == [
        "b",
        "authorization",
        "a",
    ]


def test_query_values_are_masked_by_name_and_value_in_the_journal_and_the_history(
    shop: Client, clock: ManualClock
) -> None:
    query = {"limit": ["2"], "api_key": ["k1", "k2"], "token_type": ["x"], "token": ["Bearer"]}
    request = MockRequest(method="GET", path="/products", query=query)
    result = asyncio.run(shop.container.engine.handle(request))
    shop.session_id = result.session_id
    (event,) = shop.events()
    assert event.exchange.query == {
        "limit": ("2",),
        "api_key": ("***", "***"),
        "token_type": ("x",),
        "token": ("Bearer",),
    }
    assert shop.session_id is not None
    session = shop.container.sessions.get(shop.session_id, now=clock.now())
    assert session is not None
    assert session.history[-1].query == (
        "limit=2&api_key=%2A%2A%2A&api_key=%2A%2A%2A&token_type=x&token=Bearer"
    )
