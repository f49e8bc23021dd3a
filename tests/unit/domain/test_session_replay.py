"""Replaying a session: its journal run again in a scratch session against the config in use,
step by step compared with what was recorded (domain/session_replay.py).

The recording and the replay share one SQLite file, so a replay can run under a config built
differently from the one that recorded the session, as after a restart with an edited config.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from mockmind.app.bootstrap import Container, build
from mockmind.config import parse_config
from mockmind.domain.answer_diff import Difference
from mockmind.domain.errors import RequestError
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.domain.session_replay import ReplayReport, SessionReplay
from mockmind.domain.session_travel import SessionTravel
from tests.support.clock import ManualClock
from tests.support.paths import EXAMPLES

SHOP = EXAMPLES / "shop" / "mockmind.yaml"
SESSION = "recorded-session"
CLOSED_CART = """
        - name: carts_closed
          condition: "method == 'GET' and path == '/cart'"
          action:
            type: respond
            status: 403
            body: {status: 403, title: "Carts are closed"}
"""
USERS = """
      auth:
        login: "POST /login"
        logout: "POST /logout"
        users: {alice: s3cret}
"""


def shop(
    db: Path, clock: ManualClock, *, rule: str = "", users: bool = False, **extra: str
) -> Container:
    text = SHOP.read_text().replace(
        "storage:\n  backend: memory", f"storage:\n  backend: sqlite\n  sqlite_path: {db}"
    )
    if rule:
        text = text.replace("      consistency_rules:\n", "      consistency_rules:" + rule, 1)
    if users:
        start = text.index("      auth:\n")
        end = text.index("      consistency_rules:")
        text = text[:start] + USERS.lstrip("\n") + "\n" + text[end:]
    for key, value in extra.items():
        text += f"\n{key}: {value}\n"
    env = {"MOCKMIND_LLM_PROVIDER": "offline"}
    return build(parse_config(text, source=SHOP, env=env), env=env, clock=clock)


def send(
    app: Container,
    method: str,
    path: str,
    body: Any = None,
    *,
    cookie: bool = True,
    **headers: str,
) -> MockResponse:
    request = MockRequest(
        method=method,
        path=path,
        headers={"content-type": "application/json", **headers},
        cookies={"mockforge_session": SESSION} if cookie else {},
        body=b"" if body is None else json.dumps(body).encode(),
    )
    return asyncio.run(app.engine.handle(request)).response


def replay(app: Container, clock: ManualClock, **options: Any) -> ReplayReport:
    travel = SessionTravel(app.sessions, app.journal, app.engine.world.resources)
    return asyncio.run(SessionReplay(app.engine, travel).replay(SESSION, clock.now(), **options))


def purchase(app: Container, clock: ManualClock) -> dict[str, Any]:
    """Six steps: list, add to the cart, see the cart, check out, pay, read the order."""
    answers: dict[str, Any] = {}
    products = send(app, "GET", "/products").body
    clock.t += 1
    item = send(app, "POST", "/cart/items", {"product_id": products[0]["id"], "quantity": 2})
    answers["item"] = item.body
    clock.t += 1
    answers["cart"] = send(app, "GET", "/cart").body
    order = send(app, "POST", "/orders", {}).body
    clock.t += 1
    before = clock.t
    answers["paid"] = send(app, "POST", f"/orders/{order['id']}/pay").body
    assert clock.t > before  # the shop's delay rule on paying waits on the clock
    answers["order"] = send(app, "GET", f"/orders/{order['id']}").body
    return answers


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


def test_an_unchanged_config_replays_every_step_the_same(
    tmp_path: Path, clock: ManualClock
) -> None:
    app = shop(tmp_path / "shop.db", clock)
    purchase(app, clock)
    clock.t += 600  # a replay runs later: paid_at, set by now(), is ignored by default
    started = clock.t

    report = replay(app, clock)

    # The pay step's delay rule (5-20 ms on the clock) was waited when recorded, not replayed.
    assert clock.t == started

    assert report.ignored == ("$..paid_at",)
    assert [(s.step, s.method, s.recorded_status, s.status, s.same) for s in report.steps] == [
        (1, "GET", 200, 200, True),
        (2, "POST", 201, 201, True),
        (3, "GET", 200, 200, True),
        (4, "POST", 201, 201, True),
        (5, "POST", 200, 200, True),
        (6, "GET", 200, 200, True),
    ]
    assert (len(report.steps), report.same, report.differ) == (6, 6, 0)
    # The scratch session is gone, with its journal and entities.
    assert app.sessions.get(report.scratch_session_id, now=clock.now()) is None
    assert app.journal is not None
    assert app.journal.read(report.scratch_session_id, now=clock.now()).events == ()
    assert app.engine.world.resources.entities_now(
        app.engine.world.resources.context(report.scratch_session_id, clock.now(), {})
    ) == app.engine.world.resources.entities_now(
        app.engine.world.resources.context("never-used", clock.now(), {})
    )


def test_the_clock_field_differs_when_it_is_not_ignored(tmp_path: Path, clock: ManualClock) -> None:
    app = shop(tmp_path / "shop.db", clock)
    answers = purchase(app, clock)
    clock.t += 600

    report = replay(app, clock, ignore=[])

    assert [s.step for s in report.steps if not s.same] == [5, 6]
    pay, read = report.steps[4], report.steps[5]
    (moved,) = pay.differences
    assert moved.path == "$.paid_at"
    assert moved.recorded == answers["paid"]["paid_at"]
    assert moved.now != moved.recorded
    assert read.differences == (moved,)
    assert report.ignored == ()


def test_a_config_change_reports_exactly_the_steps_it_changes(
    tmp_path: Path, clock: ManualClock
) -> None:
    db = tmp_path / "shop.db"
    answers = purchase(shop(db, clock), clock)
    changed = shop(db, clock, rule=CLOSED_CART)

    report = replay(changed, clock)

    assert [(s.step, s.same) for s in report.steps] == [
        (1, True),
        (2, True),
        (3, False),
        (4, True),
        (5, True),
        (6, True),
    ]
    assert (report.same, report.differ) == (5, 1)
    cart = report.steps[2]
    assert (cart.method, cart.path, cart.recorded_status, cart.status) == ("GET", "/cart", 200, 403)
    recorded = answers["cart"]
    assert cart.differences == (
        *(Difference(f"$.{key}", value, None, "removed") for key, value in recorded.items()),
        Difference("$.status", None, 403, "added"),
        Difference("$.title", None, "Carts are closed", "added"),
    )

    # Ignoring the whole body leaves the status to tell the step apart.
    whole = replay(changed, clock, ignore=["$"])
    assert [(s.step, s.same, s.differences) for s in whole.steps if not s.same] == [(3, False, ())]


def test_a_login_protected_flow_replays_with_the_tokens_and_password_of_the_replay(
    tmp_path: Path, clock: ManualClock
) -> None:
    app = shop(tmp_path / "shop.db", clock, users=True)
    refused = send(app, "POST", "/login", {"username": "alice", "password": "wrong"})
    assert refused.status == 401
    assert send(app, "GET", "/admin/stats").status == 401
    token = send(app, "POST", "/login", {"username": "alice", "password": "s3cret"}).body["token"]
    # A client that carries only the token: the token names the session.
    stats = send(app, "GET", "/admin/stats", cookie=False, authorization=f"Bearer {token}")
    assert stats.status == 200
    assert send(app, "POST", "/logout", authorization=f"Bearer {token}").status == 204

    report = replay(app, clock)

    assert [(s.step, s.path, s.recorded_status, s.status, s.same) for s in report.steps] == [
        (1, "/login", 401, 401, True),
        (2, "/admin/stats", 401, 401, True),
        (3, "/login", 200, 200, True),
        (4, "/admin/stats", 200, 200, True),
        (5, "/logout", 204, 204, True),
    ]
    assert [s.notes for s in report.steps] == [
        (),
        (),
        ("password: the config's password for 'alice'",),
        ("authorization: the token the scratch session's login issued",),
        ("authorization: the token the scratch session's login issued",),
    ]


def test_a_password_the_config_no_longer_accepts_is_a_difference(
    tmp_path: Path, clock: ManualClock
) -> None:
    db = tmp_path / "shop.db"
    recorder = shop(db, clock)  # no user list: any password logs in
    send(recorder, "POST", "/login", {"username": "bob", "password": "hunter2"})

    report = replay(shop(db, clock, users=True), clock)

    (login,) = report.steps
    assert (login.recorded_status, login.status, login.same) == (200, 401, False)
    assert login.notes == ()


def test_keep_leaves_the_scratch_session_with_the_recorded_world(
    tmp_path: Path, clock: ManualClock
) -> None:
    app = shop(tmp_path / "shop.db", clock)
    answers = purchase(app, clock)

    report = replay(app, clock, keep=True)

    assert report.kept
    scratch = app.sessions.get(report.scratch_session_id, now=clock.now())
    assert scratch is not None
    assert scratch.version == 6
    resources = app.engine.world.resources
    world = resources.entities_now(resources.context(report.scratch_session_id, clock.now(), {}))
    # The same ids as the recorded session's: the scratch session follows its seeds.
    assert set(world["orders"]) == {answers["order"]["id"]}


def test_a_journal_that_lost_its_first_steps_cannot_be_replayed(
    tmp_path: Path, clock: ManualClock
) -> None:
    app = shop(tmp_path / "shop.db", clock, journal="{max_events: 2}")
    for _ in range(3):
        send(app, "GET", "/products")
    with pytest.raises(RequestError) as refused:
        replay(app, clock)
    assert refused.value.status == 409
    assert "first 1 steps" in refused.value.detail


def test_an_unknown_session_or_a_bad_path_to_ignore_is_refused(
    tmp_path: Path, clock: ManualClock
) -> None:
    app = shop(tmp_path / "shop.db", clock)
    with pytest.raises(RequestError) as unknown:
        replay(app, clock)
    assert unknown.value.status == 404
    send(app, "GET", "/products")
    with pytest.raises(RequestError) as bad:
        replay(app, clock, ignore=["items[0]"])
    assert bad.value.status == 400
    assert bad.value.detail.startswith("'items[0]' is not a path to ignore: it must start with $")
