from __future__ import annotations

import dataclasses
import re
from dataclasses import fields, replace

import pytest

from mockmind.domain.http import MockRequest
from mockmind.domain.sessions import (
    SESSION_ID_PATTERN,
    Interaction,
    Session,
    SessionIdPlaces,
    SessionLookup,
    SessionSummary,
    SessionTracking,
    StateValue,
    is_valid_session_id,
    new_session_id,
    session_delta,
    session_from_dict,
    session_id_from,
    session_to_dict,
)


def test_new_ids_carry_at_least_128_random_bits() -> None:
    ids = {new_session_id() for _ in range(1000)}
    assert len(ids) == 1000
    # token_urlsafe(32): 32 random bytes, 43 base64url characters.
    assert [i for i in ids if not re.fullmatch(r"[A-Za-z0-9_-]{43}", i)] == []
    assert all(is_valid_session_id(i) for i in ids)


def test_a_new_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # A leading "-" reads as an option where the id is a CLI argument: such a draw is redrawn.
    draws = iter(["-first", "-second", "third-"])
    sizes: list[int] = []

    def drawn(size: int) -> str:
        sizes.append(size)
        return next(draws)

    monkeypatch.setattr("mockmind.domain.sessions.secrets.token_urlsafe", drawn)
    assert new_session_id() == "third-"
    assert sizes == [32, 32, 32]


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        "a b",
        "../etc",
        "x" * 129,
        "id;drop",
        "ü",
        "a/b",
        "sess\n1",
        # `$` matches before a final newline: the whole string must match.
        "abc\n",
        # The engine's own scopes: the shared seed set, and requests without a session.
        "__shared__",
        "__anonymous__",
    ],
)
def test_malformed_ids_are_rejected(candidate: str) -> None:
    assert not is_valid_session_id(candidate)


@pytest.mark.parametrize("candidate", ["checkout-test-1", "A.b_c-9", "x" * 128])
def test_well_formed_client_ids_are_accepted(candidate: str) -> None:
    assert is_valid_session_id(candidate)


def _request(**kwargs: object) -> MockRequest:
    return MockRequest(method="GET", path="/", **kwargs)  # type: ignore[arg-type]


def test_id_from_cookie_header_and_query() -> None:
    tracking = SessionTracking()
    assert (
        session_id_from(_request(cookies={"mockforge_session": "c1"}), tracking).session_id == "c1"
    )
    assert session_id_from(_request(headers={"x-session-id": "h1"}), tracking).session_id == "h1"
    assert session_id_from(_request(query={"session_id": ["q1"]}), tracking) == SessionLookup(
        "q1", carried=True, malformed=False
    )


def test_configured_place_wins() -> None:
    request = _request(cookies={"mockforge_session": "c1"}, headers={"x-session-id": "h1"})
    assert session_id_from(request, SessionTracking(method="cookie")).session_id == "c1"
    assert session_id_from(request, SessionTracking(method="header")).session_id == "h1"


@pytest.mark.parametrize(
    ("method", "order"),
    [
        ("cookie", ("c", "h", "q")),
        ("header", ("h", "c", "q")),
        ("query_param", ("q", "c", "h")),
    ],
)
def test_places_are_read_configured_first_then_cookie_header_query(
    method: str, order: tuple[str, ...]
) -> None:
    # Every subset of places carrying an id, or an empty value (which counts as none): the
    # first place in order with a value wins, and the engine's reader agrees with
    # session_id_from, malformed ids included.
    tracking = SessionTracking(method=method, header_name="X-Session-ID")  # type: ignore[arg-type]
    places = SessionIdPlaces(tracking)
    for mask in range(27):
        values = {k: ("", f"{k}1", "../x")[mask // 3**i % 3] for i, k in enumerate("chq")}
        request = _request(
            cookies={"mockforge_session": values["c"]},
            headers={"x-session-id": values["h"]},
            query={"session_id": [values["q"]]},
        )
        carried = next((values[k] for k in order if values[k]), None)
        lookup = session_id_from(request, tracking)
        expected = carried if carried is not None and carried != "../x" else None
        assert places.raw(request) == carried
        assert places.carried(request) == lookup.session_id == expected
        assert lookup.malformed == (carried == "../x")


def test_malformed_id_is_not_carried() -> None:
    lookup = session_id_from(_request(cookies={"mockforge_session": "../x"}), SessionTracking())
    assert (lookup.session_id, lookup.carried, lookup.malformed) == (None, False, True)


def test_history_is_bounded_oldest_first_out() -> None:
    session = Session("s", 0, 0, 10)
    for i in range(5):
        session = session.with_interaction(Interaction(i, "GET", f"/{i}", 200), 3)
    assert [i.path for i in session.history] == ["/2", "/3", "/4"]


def test_touch_slides_expiry() -> None:
    session = Session("s", 0, 0, 10).touched(50, 100)
    assert (session.last_seen, session.expires_at) == (50, 150)


def test_dict_round_trip() -> None:
    session = (
        Session("s", 1, 2, 3, version=4, authenticated=True)
        .with_state("k", [1, 2], 2.5)
        .with_interaction(Interaction(2, "POST", "/x", 201, "{}", {"a": 1}, "offline"), 5)
    )
    assert session_from_dict(session_to_dict(session)) == session


def test_after_request_is_the_changes_one_by_one_in_one_copy() -> None:
    start = Session("s", 0, 0, 10, version=3, state={"a": StateValue(1, 0)})
    start = start.with_interaction(Interaction(1, "GET", "/old", 200), 5)
    seen = Interaction(7, "POST", "/x", 201, "{}", {"a": 1}, "offline")
    one_by_one = (
        start.touched(7, 100).with_interaction(seen, 2).with_state("b", 2, 7).with_state("a", 5, 7)
    )
    # A request's save, and only that, counts a request (the journal's step).
    one_by_one = replace(one_by_one, authenticated=True, requests=1)
    at_once = start.after_request(
        seen, timeout_seconds=100, max_history=2, state={"b": 2, "a": 5}, authenticated=True
    )
    assert at_once == one_by_one
    unchanged = start.after_request(
        seen, timeout_seconds=100, max_history=1, state={}, authenticated=None
    )
    assert (unchanged.state, unchanged.authenticated, unchanged.history) == (
        start.state,
        False,
        (seen,),
    )
    assert (start.with_interaction(seen, 5).requests, unchanged.requests) == (0, 1)


def test_with_version_keeps_every_other_field() -> None:
    session = Session(
        id="s1",
        created_at=1.0,
        last_seen=2.0,
        expires_at=3.0,
        version=4,
        authenticated=True,
        state={"k": StateValue("v", 1.5)},
        history=(Interaction(at=2.0, method="GET", path="/a", status=200),),
        requests=7,
    )
    assert session.with_version(5) == replace(session, version=5)


def test_a_request_s_copies_hold_the_fields_the_constructor_sets_and_stay_frozen() -> None:
    """after_request and with_version copy the session's fields instead of calling the frozen
    __init__: the copies hold exactly its fields, and the session they came from is kept."""
    start = Session("s", 0, 0, 10, version=3, state={"a": StateValue(1, 0)}, requests=2)
    before = dict(vars(start))
    seen = Interaction(7, "GET", "/x", 200)
    after = start.after_request(
        seen, timeout_seconds=100, max_history=5, state={"b": 2}, authenticated=True
    )
    stored = after.with_version(4)
    expected = replace(
        start,
        last_seen=7,
        expires_at=107,
        authenticated=True,
        state={"a": StateValue(1, 0), "b": StateValue(2, 7)},
        history=(seen,),
        requests=3,
    )
    assert vars(after) == vars(expected)
    assert vars(stored) == vars(replace(expected, version=4))
    assert type(after) is Session
    assert type(stored) is Session
    assert vars(start) == before
    with pytest.raises(dataclasses.FrozenInstanceError):
        stored.version = 5  # type: ignore[misc]


def test_the_internal_scopes_are_the_ones_the_engine_uses() -> None:
    from mockmind.domain.resources import SHARED_SCOPE
    from mockmind.domain.sessions import ANONYMOUS_SCOPE, INTERNAL_SCOPES

    assert {SHARED_SCOPE, ANONYMOUS_SCOPE} == INTERNAL_SCOPES
    for scope in INTERNAL_SCOPES:
        found = session_id_from(_request(headers={"x-session-id": scope}), SessionTracking())
        assert (found.session_id, found.carried, found.malformed) == (None, False, True)


def test_a_document_without_the_optional_fields_reads_as_a_fresh_session() -> None:
    """Stores keep sessions written before login, state and sources were recorded."""
    document = {"id": "s", "created_at": 1, "last_seen": 2, "expires_at": 3, "version": 4}
    assert session_from_dict(document) == Session("s", 1.0, 2.0, 3.0, version=4)
    old_interaction = {"at": 2, "method": "GET", "path": "/x", "status": 200}
    session = session_from_dict({**document, "history": [old_interaction]})
    assert session.history == (Interaction(2.0, "GET", "/x", 200, None, None, ""),)
    assert session.authenticated is False


@pytest.mark.parametrize(
    "candidate",
    [
        "",
        "abc",
        "A-b_c.9",
        "__shared__",
        "__anonymous__",
        "__shared__x",
        "a" * 128,
        "a" * 129,
        "a b",
        "ü",
        "a/b",
    ],
)
def test_the_documented_session_id_pattern_says_what_the_check_says(candidate: str) -> None:
    # ECMA-262 reads `$` as the end of the text; Python's \Z is that end.
    ecma = re.compile(SESSION_ID_PATTERN.removesuffix("$") + r"\Z")
    assert bool(ecma.match(candidate)) is is_valid_session_id(candidate)


def test_the_stored_document_is_every_field_by_name() -> None:
    """The document a store keeps, written out by hand: each field, its key and its value."""
    delivery = {"name": "onPaid", "target": "http://hook/x", "attempts": 2, "status": 204}
    session = Session(
        "s",
        1.0,
        2.0,
        3.0,
        version=4,
        requests=6,
        authenticated=True,
        state={"cart": StateValue([1, 2], 2.5)},
        history=(
            Interaction(2.0, "GET", "/items", 200, None, {"a": 1}, "offline", "limit=2&offset=0"),
            Interaction(2.5, "POST", "/hook/x", 204, {"p": 1}, None, "callback", "", delivery),
        ),
    )
    document = {
        "id": "s",
        "created_at": 1.0,
        "last_seen": 2.0,
        "expires_at": 3.0,
        "version": 4,
        "requests": 6,
        "authenticated": True,
        "state": {"cart": {"value": [1, 2], "updated_at": 2.5}},
        "history": [
            {
                "at": 2.0,
                "method": "GET",
                "path": "/items",
                "query": "limit=2&offset=0",
                "status": 200,
                "request_body": None,
                "response_body": {"a": 1},
                "source": "offline",
            },
            {
                "at": 2.5,
                "method": "POST",
                "path": "/hook/x",
                "query": "",
                "status": 204,
                "request_body": {"p": 1},
                "response_body": None,
                "source": "callback",
                "delivery": {
                    "name": "onPaid",
                    "target": "http://hook/x",
                    "attempts": 2,
                    "status": 204,
                },
            },
        ],
    }
    assert session_to_dict(session) == document
    assert session_from_dict(document) == session
    # A request the mock answered has no delivery key at all, not a null one.
    assert "delivery" not in session_to_dict(session)["history"][0]
    # The delivery read back is a copy: changing the document leaves the session alone.
    read = session_from_dict(document)
    document["history"][1]["delivery"]["attempts"] = 9
    assert read.history[1].delivery == {
        "name": "onPaid",
        "target": "http://hook/x",
        "attempts": 2,
        "status": 204,
    }


def test_a_summary_is_the_listing_fields_by_name() -> None:
    session = Session("s", 1.0, 2.0, 3.0, version=4, requests=6, authenticated=True)
    summary = SessionSummary.of(session)
    assert summary == SessionSummary("s", 1.0, 2.0, 3.0, 6, True)
    assert summary.to_dict() == {
        "id": "s",
        "created_at": 1.0,
        "last_seen": 2.0,
        "expires_at": 3.0,
        "requests": 6,
        "authenticated": True,
    }


# -- session_delta: what a save changes, for stores that write only that


def _after(session: Session, n: int, bound: int, **state: object) -> Session:
    interaction = Interaction(float(n), "GET", f"/r/{n}", 200)
    return session.after_request(
        interaction, timeout_seconds=60, max_history=bound, state=state, authenticated=None
    )


def test_a_request_appends_one_interaction_and_sets_its_state_keys() -> None:
    base = _after(Session("s", 0.0, 0.0, 60.0), 0, 5, a=1)
    after = _after(base, 1, 5, b=2)
    delta = session_delta(base, after)
    assert delta is not None
    assert delta.appended == ((1, after.history[-1]),)
    assert delta.dropped == range(0, 0)
    assert delta.state_set == {"b": after.state["b"]}
    assert delta.state_removed == ()


def test_past_the_bound_the_oldest_interactions_are_dropped_by_number() -> None:
    session = Session("s", 0.0, 0.0, 60.0)
    for n in range(3):
        session = _after(session, n, 3)
    after = _after(session, 3, 3)
    assert (after.history_start, [i.path for i in after.history]) == (1, ["/r/1", "/r/2", "/r/3"])
    delta = session_delta(session, after)
    assert delta is not None
    assert delta.dropped == range(0, 1)
    assert delta.appended == ((3, after.history[-1]),)


def test_more_interactions_than_the_bound_at_once_drop_all_the_base_had() -> None:
    base = _after(Session("s", 0.0, 0.0, 60.0), 0, 2)
    after = base
    for n in range(1, 5):
        after = after.with_interaction(Interaction(float(n), "GET", f"/r/{n}", 200), 2)
    delta = session_delta(base, after)
    assert delta is not None
    assert delta.dropped == range(0, 1)
    assert [n for n, _ in delta.appended] == [3, 4]


def test_a_rewritten_history_or_a_removed_key_is_said() -> None:
    base = _after(_after(Session("s", 0.0, 0.0, 60.0), 0, 5, a=1), 1, 5)
    assert session_delta(base, replace(base, history=base.history[::-1])) is None
    assert session_delta(base, replace(base, history_start=base.history_start - 1)) is None
    cleared = session_delta(base, replace(base, state={}))
    assert cleared is not None
    assert cleared.state_removed == ("a",)
    assert cleared.appended == ()


def test_a_history_cut_at_the_end_or_changed_at_the_front_is_rewritten() -> None:
    base = Session("s", 0.0, 0.0, 60.0)
    for n in range(3):
        base = _after(base, n, 5)
    assert session_delta(base, replace(base, history=base.history[:-1])) is None
    first_replaced = (Interaction(9.0, "GET", "/r/9", 200), *base.history[1:])
    assert session_delta(base, replace(base, history=first_replaced)) is None


def test_what_a_later_drop_removes_is_numbered_from_where_the_base_starts() -> None:
    session = Session("s", 0.0, 0.0, 60.0)
    for n in range(3):
        session = _after(session, n, 2)
    assert session.history_start == 1
    after = _after(session, 3, 2)
    delta = session_delta(session, after)
    assert delta is not None
    assert delta.dropped == range(1, 2)
    assert delta.appended == ((3, after.history[-1]),)


def test_an_answered_interaction_is_the_one_the_constructor_makes() -> None:
    made = Interaction.answered(7.5, "POST", "/x", 201, {"a": 1}, {"b": 2}, "offline", "q=1")
    assert made == Interaction(7.5, "POST", "/x", 201, {"a": 1}, {"b": 2}, "offline", "q=1")
    assert vars(made).keys() == {f.name for f in fields(Interaction)}


@pytest.mark.parametrize("max_history", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("held", [0, 1, 2, 3, 4])
def test_history_bound_is_kept_alike_by_every_change(max_history: int, held: int) -> None:
    """A request's save and ``with_interaction`` drop the same oldest interactions, also with
    no history kept at all and with a history longer than the bound (the bound lowered)."""
    history = tuple(Interaction(float(n), "GET", f"/{n}", 200) for n in range(held))
    session = Session("s", 0, 0, 10, history=history, history_start=7)
    seen = Interaction(9.0, "GET", "/new", 200)
    kept = (*history, seen)[max(0, held + 1 - max_history) :] if max_history else ()
    expected = (kept, 7 + held + 1 - len(kept))
    one = session.with_interaction(seen, max_history)
    saved = session.after_request(
        seen, timeout_seconds=100, max_history=max_history, state={}, authenticated=None
    )
    assert (one.history, one.history_start) == expected
    assert (saved.history, saved.history_start) == expected
