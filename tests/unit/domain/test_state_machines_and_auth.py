from __future__ import annotations

import dataclasses
import re

import pytest

from mockmind.adapters.memory import MemoryEntityStore
from mockmind.domain.auth import AuthSettings, TokenIssuer, bearer_token
from mockmind.domain.errors import RequestError
from mockmind.domain.resources.specs import ResourceSpec
from mockmind.domain.state_machines import (
    StateMachine,
    Transition,
    initial_states,
    split_trigger,
)
from tests.support.clock import still_lifetimes

MACHINE = StateMachine(
    "orders",
    "orders",
    "status",
    "placed",
    ("placed", "paid", "shipped", "cancelled"),
    (
        Transition(frozenset({"placed"}), "paid", "POST", "/orders/{id}/pay"),
        Transition(frozenset({"paid"}), "shipped", "POST", "/orders/{id}/ship"),
        Transition(frozenset({"placed", "paid"}), "cancelled", "POST", "/orders/{id}/cancel"),
    ),
)


def test_triggers_match_method_and_template() -> None:
    assert [t.to for t in MACHINE.triggered_by("post", "/orders/{id}/pay/")] == ["paid"]
    assert MACHINE.triggered_by("GET", "/orders/{id}/pay") == []


def test_allowed_moves() -> None:
    assert MACHINE.allows("placed", "paid")
    assert MACHINE.allows("paid", "paid")  # staying put is not a move
    assert not MACHINE.allows("placed", "shipped")
    assert [t.to for t in MACHINE.moves_from("paid")] == ["shipped", "cancelled"]


def test_refusal_is_409_with_the_allowed_transitions() -> None:
    error = MACHINE.refusal("o-1", "placed", "shipped")
    body = error.body()
    assert error.status == 409
    assert body["current_state"] == "placed"
    assert body["allowed_transitions"] == [
        {"to": "paid", "on": "POST /orders/{id}/pay"},
        {"to": "cancelled", "on": "POST /orders/{id}/cancel"},
    ]


def test_split_trigger() -> None:
    assert split_trigger("post /orders/{id}/pay/") == ("POST", "/orders/{id}/pay")


def test_bearer_token_parsing() -> None:
    assert bearer_token({"authorization": "Bearer abc"}) == "abc"
    assert bearer_token({"authorization": "bearer  abc "}) == "abc"
    assert bearer_token({"authorization": "Basic abc"}) is None
    assert bearer_token({}) is None


def test_tokens_are_issued_checked_and_revoked() -> None:
    issuer = TokenIssuer(MemoryEntityStore(still_lifetimes()), AuthSettings(token_ttl_seconds=60))
    token = issuer.issue("s-1", "ada", now=100.0)
    # secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token), token
    assert issuer.session_of(token, now=159.0) == "s-1"
    assert issuer.session_of(token, now=160.0) is None
    assert issuer.session_of("forged", now=100.0) is None
    issuer.revoke(token)
    assert issuer.session_of(token, now=101.0) is None


def test_a_session_s_tokens_are_revoked_together_and_no_other_s() -> None:
    issuer = TokenIssuer(MemoryEntityStore(still_lifetimes()), AuthSettings(token_ttl_seconds=60))
    first = issuer.issue("s-1", "ada", now=100.0)
    second = issuer.issue("s-1", "ada", now=101.0)
    other = issuer.issue("s-2", "bo", now=102.0)
    assert issuer.revoke_session("s-1", now=110.0) == 2
    assert (issuer.session_of(first, now=111.0), issuer.session_of(second, now=111.0)) == (
        None,
        None,
    )
    assert issuer.session_of(other, now=111.0) == "s-2"
    assert issuer.revoke_session("s-1", now=112.0) == 0


def test_login_and_logout_endpoints() -> None:
    issuer = TokenIssuer(
        MemoryEntityStore(still_lifetimes()), AuthSettings.from_triggers("POST /login", None)
    )
    assert issuer.is_login("post", "/login/")
    assert not issuer.is_logout("POST", "/logout")


def test_credentials() -> None:
    open_door = TokenIssuer(MemoryEntityStore(still_lifetimes()), AuthSettings())
    assert open_door.check_credentials({"username": "ada", "password": "x"}) == "ada"
    with pytest.raises(RequestError) as missing:
        open_door.check_credentials({"username": "ada"})
    assert missing.value.status == 401
    strict = TokenIssuer(
        MemoryEntityStore(still_lifetimes()), AuthSettings(users={"ada": "secret"})
    )
    assert strict.check_credentials({"username": "ada", "password": "secret"}) == "ada"
    with pytest.raises(RequestError, match="invalid"):
        strict.check_credentials({"username": "ada", "password": "nope"})


def test_a_trigger_of_the_root_path_keeps_its_slash() -> None:
    assert split_trigger("  delete /  ") == ("DELETE", "/")
    assert split_trigger("GET  /orders/ ") == ("GET", "/orders")
    # Only slashes go: a path may end in any letter.
    assert split_trigger("post /orders/X/") == ("POST", "/orders/X")


def test_a_template_with_a_trailing_slash_still_triggers() -> None:
    assert [t.to for t in MACHINE.triggered_by("POST", "/orders/{id}/ship/")] == ["shipped"]
    assert MACHINE.triggered_by("POST", "/orders/{id}") == []
    boxes = dataclasses.replace(
        MACHINE, transitions=(Transition(frozenset({"placed"}), "paid", "POST", "/boX"),)
    )
    assert [t.to for t in boxes.triggered_by("POST", "/boX/")] == ["paid"]


def test_the_initial_state_goes_where_the_state_field_holds_none_of_the_machine() -> None:
    orders = ResourceSpec("orders", "/orders")
    other = dataclasses.replace(MACHINE, name="other", field="stage", initial="paid")
    hook = initial_states({"orders": MACHINE, "later": other})
    for given, expected in [
        ({}, "placed"),
        ({"status": None}, "placed"),
        ({"status": "lost"}, "placed"),
        ({"status": "paid"}, "paid"),
        ({"status": "cancelled"}, "cancelled"),
    ]:
        entity = dict(given)
        hook(None, orders, entity)
        # The first machine that names a resource governs it: "stage" is never touched.
        assert entity == {**given, "status": expected}, given
    untouched = {"status": "lost"}
    hook(None, ResourceSpec("carts", "/carts"), untouched)
    assert untouched == {"status": "lost"}
