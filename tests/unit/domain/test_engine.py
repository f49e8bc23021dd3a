"""The engine's request flow with in-memory adapters, config schemas and a hand-moved clock."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mockmind.app.bootstrap import Container, build
from mockmind.config import parse_config
from mockmind.domain.engine import route_plan
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.domain.sessions import Session

ROOT = Path(__file__).resolve().parents[3]

CONFIG = """
intelligent_behavior:
  session_tracking: {method: header}
  behavior_model:
    rules:
      schemas:
        Order:
          type: object
          required: [id, status, total]
          properties:
            id: {type: string}
            status: {type: string, enum: [new, paid, shipped]}
            total: {type: number, minimum: 0}
            paid_at: {type: string}
            items:
              type: array
              items:
                type: object
                properties: {price: {type: number}, qty: {type: integer}}
      resources:
        orders:
          computed: {total: "sum(items[].price * items[].qty)"}
      state_machines:
        lifecycle:
          resource: orders
          initial: new
          transitions:
            - {from: new, to: paid, on: "POST /orders/{id}/pay", set: {paid_at: "now()"}}
            - {from: paid, to: shipped, on: "POST /orders/{id}/ship", guard: "state.vip == true"}
      consistency_rules:
        - name: vip
          condition: "header.X-Vip exists"
          action: {type: set_state, key: vip, value: true}
        - name: slow
          condition: "path starts_with '/slow'"
          action: {type: delay, ms: 1500}
        - name: broken
          condition: "path starts_with '/broken'"
          action: {type: fault, kind: truncate}
        - name: move
          condition: "path matches '/orders/*' and method == 'PUT' and body.force == true"
          action: {type: transition, machine: lifecycle, to: shipped}
"""


class FakeClock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(clock: FakeClock) -> Container:
    return build(parse_config(CONFIG, env={}), env={}, clock=clock)


def call(app: Container, method: str, path: str, body: Any = None, **headers: str) -> MockResponse:
    request = MockRequest(
        method=method,
        path=path,
        headers={"x-session-id": "s-1", "content-type": "application/json", **headers},
        body=json.dumps(body).encode() if body is not None else b"",
    )
    return asyncio.run(app.engine.handle(request)).response


def test_create_get_and_computed_total(app: Container) -> None:
    created = call(
        app, "POST", "/orders", {"items": [{"price": 2.5, "qty": 2}, {"price": 1, "qty": 1}]}
    )
    assert created.status == 201
    assert created.source == "offline"  # its content is the offline generator's
    order = created.body
    assert order["status"] == "new"
    assert order["total"] == 6.0
    assert "paid_at" not in order
    assert call(app, "GET", f"/orders/{order['id']}").body == order


def test_transition_sets_fields_and_refuses_out_of_order(app: Container, clock: FakeClock) -> None:
    order = call(app, "POST", "/orders", {"items": []}).body
    # As a vip the ship transition's guard holds: only its from-state (paid) refuses a new order.
    early = call(app, "POST", f"/orders/{order['id']}/ship", **{"x-vip": "1"})
    assert early.status == 409
    assert early.body == {
        "status": 409,
        "title": "Conflict",
        "detail": f"orders {order['id']} is 'new'; it cannot become 'shipped'",
        "current_state": "new",
        "requested_state": "shipped",
        "allowed_transitions": [{"to": "paid", "on": "POST /orders/{id}/pay"}],
    }
    assert call(app, "GET", f"/orders/{order['id']}").body["status"] == "new"
    paid = call(app, "POST", f"/orders/{order['id']}/pay")
    assert paid.status == 200, paid.body
    assert paid.body["status"] == "paid"
    assert paid.body["paid_at"] == "2023-11-14T22:13:20Z"


def test_a_transition_without_a_guard_is_refused_from_another_state(
    app: Container, clock: FakeClock
) -> None:
    order = call(app, "POST", "/orders", {"items": []}).body
    assert call(app, "POST", f"/orders/{order['id']}/pay").status == 200
    clock.t += 60
    again = call(app, "POST", f"/orders/{order['id']}/pay")
    assert again.status == 409
    assert (again.body["current_state"], again.body["requested_state"]) == ("paid", "paid")
    assert again.body["allowed_transitions"] == [{"to": "shipped", "on": "POST /orders/{id}/ship"}]
    # The refused move set nothing: the order was paid once, at the first time.
    stored = call(app, "GET", f"/orders/{order['id']}").body
    assert (stored["status"], stored["paid_at"]) == ("paid", "2023-11-14T22:13:20Z")


def test_guard_reads_session_state_set_by_a_rule(app: Container) -> None:
    order = call(app, "POST", "/orders", {"items": []}).body
    call(app, "POST", f"/orders/{order['id']}/pay")
    refused = call(app, "POST", f"/orders/{order['id']}/ship")
    assert refused.status == 409  # guard: not a vip yet
    shipped = call(app, "POST", f"/orders/{order['id']}/ship", **{"x-vip": "1"})
    assert shipped.status == 200
    assert shipped.body["status"] == "shipped"


def test_patch_of_the_state_field_must_follow_the_machine(app: Container) -> None:
    order = call(app, "POST", "/orders", {"items": []}).body
    jump = call(app, "PATCH", f"/orders/{order['id']}", {"status": "shipped"})
    assert jump.status == 409
    ok = call(app, "PATCH", f"/orders/{order['id']}", {"status": "paid"})
    assert ok.status == 200
    assert ok.body["status"] == "paid"


def test_rule_transition_action(app: Container) -> None:
    order = call(app, "POST", "/orders", {"items": []}).body
    refused = call(app, "PUT", f"/orders/{order['id']}", {"force": True, "status": "new"})
    assert refused.status == 409
    assert refused.body["current_state"] == "new"


def test_delay_waits_on_the_clock(app: Container, clock: FakeClock) -> None:
    response = call(app, "GET", "/slow/thing")
    assert response.status == 200
    assert clock.slept == [1.5]


def test_fault_marks_the_response(app: Container) -> None:
    assert call(app, "GET", "/broken/thing").fault == "truncate"


def test_delete_then_get_is_404_and_list_forgets(app: Container) -> None:
    order = call(app, "POST", "/orders", {"items": []}).body
    assert call(app, "DELETE", f"/orders/{order['id']}").status == 204
    assert call(app, "GET", f"/orders/{order['id']}").status == 404
    assert call(app, "GET", "/orders").body == []


def test_a_listing_is_encoded_again_only_when_its_entities_change(app: Container) -> None:
    def listed(session: str = "s-1") -> tuple[Any, bytes]:
        response = call(app, "GET", "/orders", **{"x-session-id": session})
        encoded = response.encoded()
        assert json.loads(encoded) == response.body
        return response.body, encoded

    first = call(app, "POST", "/orders", {"items": [{"price": 1, "qty": 1}]}).body
    _, encoded = listed()
    # Nothing written since: the bytes sent last time for this page, the same object.
    assert listed()[1] is encoded
    second = call(app, "POST", "/orders", {"items": []}).body
    assert [o["id"] for o in listed()[0]] == [first["id"], second["id"]]
    call(app, "PATCH", f"/orders/{first['id']}", {"items": [{"price": 3, "qty": 2}]})
    assert listed()[0][0]["total"] == 6
    call(app, "DELETE", f"/orders/{second['id']}")
    assert [o["id"] for o in listed()[0]] == [first["id"]]
    assert listed("s-2") == ([], b"[]")
    assert listed()[0][0]["total"] == 6


def test_a_listing_shares_its_last_body_only_while_its_entities_stay(app: Container) -> None:
    def listed() -> Any:
        return call(app, "GET", "/orders", **{"x-session-id": "s-1"}).body

    first = call(app, "POST", "/orders", {"items": [{"price": 1, "qty": 1}]}).body
    body = listed()
    # The same page: the body built for it last time (answer bodies are never edited).
    assert listed() is body
    call(app, "PATCH", f"/orders/{first['id']}", {"items": [{"price": 3, "qty": 2}]})
    changed = listed()
    assert changed is not body
    assert (body[0]["total"], changed[0]["total"]) == (1, 6)
    assert listed() is changed


def test_sessions_are_isolated(app: Container) -> None:
    call(app, "POST", "/orders", {"items": []})
    other = MockRequest("GET", "/orders", headers={"x-session-id": "s-2"})
    assert asyncio.run(app.engine.handle(other)).response.body == []


def test_prefer_dynamic_generates_what_the_example_would_answer(app: Container) -> None:
    example = call(app, "GET", "/reports/w1/summary", prefer="code=404")
    generated = call(app, "GET", "/reports/w1/summary", prefer="code=404, dynamic=true")
    assert (example.status, example.source, example.body) == (
        404,
        "example",
        {"status": 404, "title": "Not Found"},
    )
    assert (generated.status, generated.source) == (404, "offline")
    assert generated.body != example.body


def test_a_cached_answer_is_never_served_to_another_session(app: Container) -> None:
    # Both sessions are fresh, with the same (empty) state: only the session id tells the
    # response cache's keys apart.
    first = call(app, "GET", "/reports/w1/summary")
    other = call(app, "GET", "/reports/w1/summary", **{"x-session-id": "s-2"})
    again = call(app, "GET", "/reports/w1/summary")
    other_again = call(app, "GET", "/reports/w1/summary", **{"x-session-id": "s-2"})
    assert (first.source, other.source) == ("offline", "offline")
    assert (again.source, other_again.source) == ("cache", "cache")
    assert (again.body, other_again.body) == (first.body, other.body)


def test_generated_answers_are_cached_per_session_and_state(app: Container) -> None:
    first = call(app, "GET", "/reports/w1/summary")
    second = call(app, "GET", "/reports/w1/summary")
    assert (first.source, second.source) == ("offline", "cache")
    assert first.body == second.body
    # The hit reuses the entry's bytes, which are the body's own encoding.
    assert (
        second.encoded()
        == first.encoded()
        == json.dumps(first.body, ensure_ascii=False, separators=(",", ":")).encode()
    )
    vip = call(app, "GET", "/reports/w1/summary", **{"x-vip": "1"})
    after = call(app, "GET", "/reports/w1/summary")
    # set_state changed the session's state: the cached answer for the old state is not reused.
    assert vip.source == "cache"
    assert after.source == "offline"


def test_history_is_recorded_and_bounded(app: Container) -> None:
    for index in range(60):
        call(app, "GET", f"/things/{index}")
    session = app.sessions.get("s-1", now=1_700_000_001.0)
    assert session is not None
    assert len(session.history) == 50
    assert session.history[-1].path == "/things/59"


def test_history_keeps_the_query_string_with_secrets_masked(app: Container) -> None:
    request = MockRequest(
        method="GET",
        path="/orders",
        query={"limit": ["2"], "api_key": ["k-123"], "tag": ["a", "b c"]},
        headers={"x-session-id": "s-1"},
    )
    asyncio.run(app.engine.handle(request))
    session = app.sessions.get("s-1", now=1_700_000_001.0)
    assert session is not None
    (seen,) = session.history
    assert seen.query == "limit=2&api_key=%2A%2A%2A&tag=a&tag=b+c"
    assert seen.target == "/orders?limit=2&api_key=%2A%2A%2A&tag=a&tag=b+c"


def test_route_plans_stay_bounded_when_clients_invent_paths(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Schema routes make a template of any path a client sends.
    monkeypatch.setattr(route_plan, "_PLAN_MEMO_SIZE", 16)
    app = build(parse_config(CONFIG, env={}), env={}, clock=clock)
    for n in range(100):
        assert call(app, "GET", f"/probe-{n}").status == 200
    assert len(app.engine._routes._plans) == 16


def test_schema_routes_split_the_path_before_decoding(app: Container) -> None:
    one = call(app, "GET", "/orders/a%2Fb")
    assert (one.status, one.body["id"]) == (200, "a/b")
    assert isinstance(call(app, "GET", "/orders/%3Fabc").body, dict)
    assert call(app, "GET", "/orders/%3Fabc").body["id"] == "?abc"
    # Unknown to the session: paying it or changing it is 404, and nothing is made.
    other = MockRequest("POST", "/orders/%3Fnew/pay", headers={"x-session-id": "s-9"})
    paid = asyncio.run(app.engine.handle(other)).response
    assert (paid.status, paid.body["detail"]) == (404, "order ?new does not exist")
    listed = MockRequest("GET", "/orders", headers={"x-session-id": "s-9"})
    assert asyncio.run(app.engine.handle(listed)).response.body == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/orders/never", {"status": "paid"}),
        ("PUT", "/orders/never", {"status": "new"}),
        ("DELETE", "/orders/never", None),
        ("POST", "/orders/never/pay", None),
    ],
)
def test_schema_routes_change_only_what_exists(
    app: Container, method: str, path: str, body: Any
) -> None:
    assert call(app, method, path, body).status == 404
    assert call(app, "GET", "/orders").body == []


def test_schema_routes_answer_405_to_methods_rest_gives_no_meaning(app: Container) -> None:
    for method in ("TRACE", "CONNECT", "BREW"):
        response = call(app, method, "/orders/1")
        assert response.status == 405
        assert response.headers == {"Allow": "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"}


@pytest.mark.parametrize("path", ["//slow/thing", "/%73low/thing", "/slow//thing/"])
def test_rules_see_the_path_the_router_routes(app: Container, clock: FakeClock, path: str) -> None:
    # The rule says path starts_with '/slow': a doubled slash or an encoded letter routes
    # to /slow/thing, and so does not slip past it.
    call(app, "GET", path)
    assert clock.slept == [1.5]
    session = app.sessions.get("s-1", now=clock.now())
    assert session is not None
    assert session.history[-1].path == "/slow/thing"


DESIGN_CONFIG = (ROOT / "tests" / "fixtures" / "config-example.yaml").read_text()


def _design_app(clock: FakeClock) -> Container:
    return build(parse_config(DESIGN_CONFIG, env={}), env={}, clock=clock)


def _cookie_call(app: Container, method: str, path: str, body: Any = None) -> MockResponse:
    request = MockRequest(
        method=method,
        path=path,
        headers={"content-type": "application/json"},
        cookies={"mockforge_session": "design-1"},
        body=json.dumps(body).encode() if body is not None else b"",
    )
    return asyncio.run(app.engine.handle(request)).response


def test_a_path_no_schema_names_keeps_what_is_posted(clock: FakeClock) -> None:
    app = _design_app(clock)
    created = _cookie_call(app, "POST", "/widgets", {"name": "Sprocket"})
    assert (created.status, created.source) == (201, "offline")
    assert created.body["name"] == "Sprocket"
    widget_id = created.body["id"]
    assert widget_id == "widget_" + widget_id.removeprefix("widget_")
    fetched = _cookie_call(app, "GET", f"/widgets/{widget_id}")
    assert (fetched.status, fetched.body) == (200, created.body)
    assert _cookie_call(app, "GET", "/widgets").body == [created.body]
    changed = _cookie_call(app, "PATCH", f"/widgets/{widget_id}", {"name": "Cog"})
    assert changed.body == {**created.body, "name": "Cog"}
    assert _cookie_call(app, "DELETE", f"/widgets/{widget_id}").status == 204
    assert _cookie_call(app, "GET", f"/widgets/{widget_id}").status == 404


def test_a_path_id_is_honoured_and_kept(clock: FakeClock) -> None:
    app = _design_app(clock)
    seven = _cookie_call(app, "GET", "/widgets/7")
    assert (seven.status, seven.body["id"]) == (200, "7")
    assert _cookie_call(app, "GET", "/widgets/7").body == seven.body
    user = _cookie_call(app, "GET", "/users/7")
    assert (user.status, user.body["id"]) == (200, "7")


def test_a_segment_after_an_id_that_names_no_schema_is_an_action_not_a_collection(
    clock: FakeClock,
) -> None:
    app = _design_app(clock)
    widget = _cookie_call(app, "POST", "/widgets", {"name": "Sprocket"}).body
    action = _cookie_call(app, "POST", f"/widgets/{widget['id']}/polish")
    assert (action.status, action.source) == (200, "offline")
    # The widget it is about is the one stored; no "polish" collection was made.
    assert _cookie_call(app, "GET", f"/widgets/{widget['id']}").body == widget
    assert "/widgets/{id}/polish" not in app.engine.world.resources.specs


INTEGER_IDS = """
intelligent_behavior:
  session_tracking: {method: header}
  behavior_model:
    rules:
      schemas:
        Ticket:
          type: object
          properties:
            id: {type: integer}
            title: {type: string}
"""


def test_a_path_id_is_read_as_the_schema_id_type(clock: FakeClock) -> None:
    app = build(parse_config(INTEGER_IDS, env={}), env={}, clock=clock)
    seven = call(app, "GET", "/tickets/7")
    assert (seven.status, seven.body["id"]) == (200, 7)
    created = call(app, "POST", "/tickets", {"title": "t"}).body
    assert isinstance(created["id"], int)
    assert call(app, "GET", f"/tickets/{created['id']}").body == created
    wrong = call(app, "GET", "/tickets/t-1")
    assert wrong.status == 400
    assert wrong.body["errors"] == [
        {"location": "path.id", "message": "'t-1' is not of type 'integer'", "keyword": "type"}
    ]


def test_a_session_asking_again_finds_the_answer_cached_for_exactly_what_it_asks(
    app: Container,
) -> None:
    # The seed and cache key of a session's last answer are reused only when every part of
    # them is the same: a query or the state changed is another answer.
    def get(page: str, **headers: str) -> MockResponse:
        request = MockRequest(
            method="GET",
            path="/reports/w1/summary",
            query={"page": [page]},
            headers={"x-session-id": "s-1", **headers},
        )
        return asyncio.run(app.engine.handle(request)).response

    one, two, one_again, two_again = get("1"), get("2"), get("1"), get("2")
    assert [r.source for r in (one, two, one_again, two_again)] == [
        "offline",
        "offline",
        "cache",
        "cache",
    ]
    assert (one_again.body, two_again.body) == (one.body, two.body)
    get("1", **{"x-vip": "1"})
    # The state the rule set is part of the key: the same request is answered anew.
    assert get("1").source == "offline"
    assert get("1").source == "cache"


# What ``ContentSource._seed_and_key`` reads of an exchange and a plan.
_PLAN = SimpleNamespace(status=200, media_type="application/json")
_T0 = 1_700_000_000.0


def _exchange(
    session: Session, body: bytes = b'{"a": 1}', content_type: str = "application/json"
) -> Any:
    request = MockRequest(
        method="POST",
        path="/reports/w1/summary",
        headers={"content-type": content_type},
        body=body,
    )
    return SimpleNamespace(session=session, request=request)


def _fresh(source: Any, ex: Any) -> tuple[str, str]:
    seed = source._seed(ex, _PLAN)
    return seed, source._cache_key(ex, _PLAN, seed)


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(lambda s: _exchange(replace(s, created_at=_T0 + 5)), id="session reset"),
        pytest.param(lambda s: _exchange(replace(s, authenticated=True)), id="login"),
        pytest.param(lambda s: _exchange(s, content_type="text/plain"), id="content type"),
        pytest.param(lambda s: _exchange(s, body=b'{"a": 2}'), id="body"),
    ],
)
def test_a_session_whose_answer_changed_in_any_part_gets_a_fresh_seed_and_key(
    app: Container, changed: Any
) -> None:
    source: Any = app.engine._content
    session = Session(id="s-1", created_at=_T0, last_seen=_T0, expires_at=_T0 + 600)
    first = source._seed_and_key(_exchange(session), _PLAN)
    assert first == _fresh(source, _exchange(session))
    assert source._seed_and_key(_exchange(session), _PLAN) == first
    other = changed(session)
    again = source._seed_and_key(other, _PLAN)
    # As if no answer had been kept: the key made anew, and not the last one's.
    assert again == _fresh(source, other)
    assert again[1] != first[1]


def test_a_big_body_is_kept_by_its_digest_and_a_changed_one_gets_a_new_key(
    app: Container,
) -> None:
    source: Any = app.engine._content
    session = Session(id="s-big", created_at=_T0, last_seen=_T0, expires_at=_T0 + 600)
    big = b'{"a": "' + b"x" * (1 << 20) + b'"}'
    first = source._seed_and_key(_exchange(session, big), _PLAN)
    kept = source._last_keys["s-big"]
    # The memo holds a few hundred bytes for it, not the MiB body.
    assert all(part is not big for part in kept[1])
    assert sum(sys.getsizeof(part) for part in kept[1]) < 4096
    assert source._seed_and_key(_exchange(session, bytes(big)), _PLAN) == first
    changed = big[:-3] + b'y"}'
    again = source._seed_and_key(_exchange(session, changed), _PLAN)
    assert again == _fresh(source, _exchange(session, changed))
    assert again[1] != first[1]
    # A small body is kept as it is: its own bytes tell it from any other.
    small = source._seed_and_key(_exchange(session), _PLAN)
    assert source._last_keys["s-big"][1][5] == b'{"a": 1}'
    assert small == _fresh(source, _exchange(session))


def _keep(source: Any, clock: FakeClock, session_id: str) -> None:
    now = clock.t
    session = Session(id=session_id, created_at=now, last_seen=now, expires_at=now + 600)
    source._seed_and_key(_exchange(session), _PLAN)


def test_kept_keys_of_sessions_past_their_timeout_go_as_other_sessions_keep_theirs(
    app: Container, clock: FakeClock
) -> None:
    """A session that ended never asks again: under churn (a new session each request) its
    entry would otherwise stay until 4,096 newer ones pushed it out."""
    source: Any = app.engine._content
    timeout = app.engine.settings.session_timeout_seconds
    _keep(source, clock, "s-old-1")
    _keep(source, clock, "s-old-2")
    clock.t += timeout - 1
    _keep(source, clock, "s-live")
    assert set(source._last_keys) == {"s-old-1", "s-old-2", "s-live"}
    clock.t += 2  # the first two are past their timeout, s-live is not
    _keep(source, clock, "s-new")
    assert set(source._last_keys) == {"s-live", "s-new"}


def test_a_session_keeping_keys_again_moves_last_and_renews_its_time(
    app: Container, clock: FakeClock
) -> None:
    source: Any = app.engine._content
    timeout = app.engine.settings.session_timeout_seconds
    _keep(source, clock, "s-a")
    _keep(source, clock, "s-b")
    clock.t += timeout - 1
    _keep(source, clock, "s-a")  # a new session (new start): its key is made anew
    assert list(source._last_keys) == ["s-b", "s-a"]
    clock.t += 2
    _keep(source, clock, "s-c")
    assert list(source._last_keys) == ["s-a", "s-c"]


def test_kept_keys_stay_within_their_bound_while_every_session_is_live(
    app: Container, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mockmind.domain.engine.content_source._KEPT_KEYS", 3)
    source: Any = app.engine._content
    for n in range(5):
        _keep(source, clock, f"s-{n}")
    assert list(source._last_keys) == ["s-2", "s-3", "s-4"]
