from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from mockmind.domain.errors import VersionConflict
from mockmind.domain.session_listing import SessionQuery, decode_cursor
from mockmind.domain.sessions import Interaction, Session, SessionSummary
from mockmind.ports import SessionStore


def _session(session_id: str = "s-1", now: float = 1000.0, timeout: float = 60.0) -> Session:
    return Session(id=session_id, created_at=now, last_seen=now, expires_at=now + timeout)


def test_new_session_round_trips(session_store: SessionStore) -> None:
    stored = session_store.put(
        _session().with_state("cart", {"n": 1}, 1000.0), expected_version=None
    )
    assert stored.version == 1
    loaded = session_store.get("s-1", now=1001.0)
    assert loaded == stored
    assert loaded is not None  # for the type checker; the line above says more
    assert loaded.state["cart"].value == {"n": 1}


def test_history_and_state_survive_a_round_trip(session_store: SessionStore) -> None:
    session = _session().with_interaction(
        Interaction(1000.0, "POST", "/orders", 201, '{"a":1}', {"id": "o-1"}, "offline"), 10
    )
    session_store.put(session, expected_version=None)
    loaded = session_store.get("s-1", now=1000.5)
    assert loaded is not None
    assert loaded.history == session.history


def test_unknown_session_is_none(session_store: SessionStore) -> None:
    assert session_store.get("nobody", now=0.0) is None


def test_expired_session_is_not_read(session_store: SessionStore) -> None:
    stored = session_store.put(_session(timeout=10), expected_version=None)
    assert session_store.get("s-1", now=1009.0) == stored
    assert session_store.get("s-1", now=1010.0) is None


def test_creating_an_existing_session_conflicts(session_store: SessionStore) -> None:
    session_store.put(_session(), expected_version=None)
    with pytest.raises(VersionConflict):
        session_store.put(_session(), expected_version=None)


def test_an_expired_session_can_be_created_again(session_store: SessionStore) -> None:
    session_store.put(_session(timeout=10), expected_version=None)
    again = session_store.put(_session(now=2000.0), expected_version=None)
    assert again.version == 1
    assert session_store.get("s-1", now=2001.0) == again


def test_a_session_read_after_its_expiry_starts_again_at_version_one(
    session_store: SessionStore,
) -> None:
    old = session_store.put(
        _session(timeout=10).with_state("cart", 1, 1000.0), expected_version=None
    )
    session_store.put(old, expected_version=old.version)
    assert session_store.get("s-1", now=1010.0) is None
    again = session_store.put(_session(now=1011.0), expected_version=None)
    assert again.version == 1
    assert again.state == {}
    assert session_store.get("s-1", now=1012.0) == again


def test_stale_version_conflicts(session_store: SessionStore) -> None:
    first = session_store.put(_session(), expected_version=None)
    second = session_store.put(replace(first, authenticated=True), expected_version=first.version)
    assert second.version == 2
    with pytest.raises(VersionConflict):
        session_store.put(first, expected_version=first.version)
    loaded = session_store.get("s-1", now=1001.0)
    assert loaded is not None
    assert loaded.authenticated is True


def test_update_of_a_missing_session_conflicts(session_store: SessionStore) -> None:
    with pytest.raises(VersionConflict):
        session_store.put(_session(), expected_version=3)


def test_delete(session_store: SessionStore) -> None:
    session_store.put(_session(), expected_version=None)
    session_store.delete("s-1")
    assert session_store.get("s-1", now=1000.0) is None
    session_store.delete("s-1")  # deleting twice is fine


@pytest.mark.slow
def test_parallel_writers_lose_no_update(session_store: SessionStore) -> None:
    """Each writer retries on conflict, as the engine does; every increment must land."""
    session_store.put(_session(timeout=10_000).with_state("n", 0, 1000.0), expected_version=None)
    writers, increments = 4, 25

    def work() -> None:
        for _ in range(increments):
            while True:
                current = session_store.get("s-1", now=1000.0)
                assert current is not None
                updated = current.with_state("n", current.state["n"].value + 1, 1000.0)
                try:
                    session_store.put(updated, expected_version=current.version)
                    break
                except VersionConflict:
                    continue

    threads = [threading.Thread(target=work) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = session_store.get("s-1", now=1000.0)
    assert final is not None
    assert final.state["n"].value == writers * increments
    assert final.version == 1 + writers * increments


# -- listing (newest first by last activity, paged by an opaque cursor)


def _listed(store: SessionStore, query: SessionQuery, now: float) -> tuple[list[str], str | None]:
    page = store.list(query, now=now)
    return [s.id for s in page.sessions], page.next_cursor


def _put_active(store: SessionStore, session_id: str, last_seen: float, **fields: object) -> None:
    session = replace(
        Session(id=session_id, created_at=900.0, last_seen=last_seen, expires_at=last_seen + 600),
        **fields,
    )
    store.put(session, expected_version=None)


def test_listing_is_newest_first_and_pages_by_cursor(session_store: SessionStore) -> None:
    for n in range(7):
        _put_active(session_store, f"s-{n}", 1000.0 + n)
    # Two sessions active at the same instant: the id settles their order.
    _put_active(session_store, "t-a", 1003.0)
    ids, cursor = _listed(session_store, SessionQuery(limit=3), now=1010.0)
    assert ids == ["s-6", "s-5", "s-4"]
    assert cursor is not None
    seen = list(ids)
    while cursor is not None:
        ids, cursor = _listed(
            session_store, SessionQuery(limit=3, before=decode_cursor(cursor)), now=1010.0
        )
        seen += ids
    assert seen == ["s-6", "s-5", "s-4", "t-a", "s-3", "s-2", "s-1", "s-0"]


def test_a_page_that_ends_the_listing_has_no_cursor(session_store: SessionStore) -> None:
    for n in range(3):
        _put_active(session_store, f"s-{n}", 1000.0 + n)
    assert _listed(session_store, SessionQuery(limit=3), now=1005.0) == (
        ["s-2", "s-1", "s-0"],
        None,
    )


def test_listing_shows_counts_times_and_login(session_store: SessionStore) -> None:
    _put_active(session_store, "s-1", 1000.5, requests=4, authenticated=True)
    page = session_store.list(SessionQuery(), now=1001.0)
    assert page.sessions == (
        SessionSummary(
            id="s-1",
            created_at=900.0,
            last_seen=1000.5,
            expires_at=1600.5,
            requests=4,
            authenticated=True,
        ),
    )
    assert page.next_cursor is None


def test_listing_filters_by_id_prefix(session_store: SessionStore) -> None:
    for n, session_id in enumerate(["ci-1", "dev-1", "ci-2", "cix", "dev-2", "ci-3"]):
        _put_active(session_store, session_id, 1000.0 + n)
    ids, cursor = _listed(session_store, SessionQuery(limit=2, prefix="ci-"), now=1010.0)
    assert ids == ["ci-3", "ci-2"]
    assert cursor is not None
    rest = SessionQuery(limit=2, prefix="ci-", before=decode_cursor(cursor))
    assert _listed(session_store, rest, now=1010.0) == (["ci-1"], None)


def test_listing_filters_by_last_activity(session_store: SessionStore) -> None:
    for n in range(6):
        _put_active(session_store, f"s-{n}", 1000.0 + n)
    # since and until are both inclusive.
    between = SessionQuery(since=1001.0, until=1004.0)
    assert _listed(session_store, between, now=1010.0) == (["s-4", "s-3", "s-2", "s-1"], None)
    assert _listed(session_store, SessionQuery(since=1004.5), now=1010.0) == (["s-5"], None)
    assert _listed(session_store, SessionQuery(until=1000.9), now=1010.0) == (["s-0"], None)


def test_listing_leaves_out_expired_sessions(session_store: SessionStore) -> None:
    _put_active(session_store, "old", 1000.0)  # expires at 1600
    _put_active(session_store, "new", 1500.0)  # expires at 2100
    assert _listed(session_store, SessionQuery(), now=1599.0) == (["new", "old"], None)
    assert _listed(session_store, SessionQuery(), now=1600.0) == (["new"], None)


def test_listing_follows_each_save(session_store: SessionStore) -> None:
    _put_active(session_store, "a", 1000.0)
    _put_active(session_store, "b", 1001.0)
    a = session_store.get("a", now=1002.0)
    assert a is not None
    session_store.put(a.touched(1002.0, 600), expected_version=a.version)
    assert _listed(session_store, SessionQuery(), now=1003.0) == (["a", "b"], None)
    session_store.delete("a")
    assert _listed(session_store, SessionQuery(), now=1003.0) == (["b"], None)


# -- saves of what changed (update): the interactions added, the state set


def _request(current: Session, n: int, max_history: int, **state: object) -> Session:
    """What a request does to its session (``Session.after_request``)."""
    interaction = Interaction(1000.0 + n, "GET", f"/items/{n}", 200, None, {"n": n}, "offline")
    return current.after_request(
        interaction, timeout_seconds=600, max_history=max_history, state=state, authenticated=None
    )


def test_updates_keep_the_history_bound_and_read_back_as_saved(
    session_store: SessionStore,
) -> None:
    saved = session_store.put(_session(), expected_version=None)
    for n in range(7):
        saved = session_store.update(_request(saved, n, 3, step=n), base=saved)
    assert [i.path for i in saved.history] == ["/items/4", "/items/5", "/items/6"]
    assert (saved.history_start, saved.requests, saved.version) == (4, 7, 8)
    assert saved.state["step"].value == 6
    assert session_store.get("s-1", now=1010.0) == saved


def test_an_update_removes_state_keys_and_can_rewrite_the_history(
    session_store: SessionStore,
) -> None:
    saved = session_store.put(_session(), expected_version=None)
    saved = session_store.update(_request(saved, 0, 5, a=1, b=2), base=saved)
    saved = session_store.update(_request(saved, 1, 5), base=saved)
    # Not a change by a request: state key dropped and the history replaced (a reset).
    rewritten = replace(saved, state={"b": saved.state["b"]}, history=saved.history[1:][::-1])
    rewritten = replace(rewritten, history=(*rewritten.history, saved.history[0]))
    stored = session_store.update(rewritten, base=saved)
    loaded = session_store.get("s-1", now=1010.0)
    assert loaded == stored
    assert loaded is not None
    assert set(loaded.state) == {"b"}
    assert [i.path for i in loaded.history] == ["/items/1", "/items/0"]


def test_an_update_from_a_stale_session_conflicts_and_writes_nothing(
    session_store: SessionStore,
) -> None:
    first = session_store.put(_session(), expected_version=None)
    second = session_store.update(_request(first, 0, 5), base=first)
    with pytest.raises(VersionConflict):
        session_store.update(_request(first, 1, 5), base=first)
    assert session_store.get("s-1", now=1010.0) == second


def test_an_update_of_a_deleted_session_conflicts(session_store: SessionStore) -> None:
    first = session_store.put(_session(), expected_version=None)
    session_store.delete("s-1")
    with pytest.raises(VersionConflict):
        session_store.update(_request(first, 0, 5), base=first)
    assert session_store.get("s-1", now=1010.0) is None


@pytest.mark.slow
def test_parallel_appenders_lose_no_interaction(session_store: SessionStore) -> None:
    """Writers appending to one session at once, retrying as the engine does: every
    interaction lands once, in the order the saves were made, within the bound."""
    session_store.put(_session(timeout=10_000), expected_version=None)
    writers, appends, bound = 4, 15, 100

    def work(writer: int) -> None:
        for n in range(appends):
            while True:
                current = session_store.get("s-1", now=1000.0)
                assert current is not None
                try:
                    session_store.update(_request(current, writer * 1000 + n, bound), base=current)
                    break
                except VersionConflict:
                    continue

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = session_store.get("s-1", now=1000.0)
    assert final is not None
    paths = [i.path for i in final.history]
    assert sorted(paths) == sorted(
        f"/items/{w * 1000 + n}" for w in range(writers) for n in range(appends)
    )
    for w in range(writers):
        own = [p for p in paths if int(p.rsplit("/", 1)[1]) // 1000 == w]
        assert own == [f"/items/{w * 1000 + n}" for n in range(appends)]
    assert (final.requests, final.version, final.history_start) == (60, 61, 0)


@pytest.mark.slow
def test_parallel_appenders_past_the_bound_keep_the_newest(session_store: SessionStore) -> None:
    session_store.put(_session(timeout=10_000), expected_version=None)
    writers, appends, bound = 3, 10, 4
    order: list[str] = []
    lock = threading.Lock()

    def work(writer: int) -> None:
        for n in range(appends):
            while True:
                current = session_store.get("s-1", now=1000.0)
                assert current is not None
                try:
                    with lock:
                        # Recorded under the lock that also orders the winning saves.
                        session_store.update(
                            _request(current, writer * 1000 + n, bound), base=current
                        )
                        order.append(f"/items/{writer * 1000 + n}")
                    break
                except VersionConflict:
                    continue

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    final = session_store.get("s-1", now=1000.0)
    assert final is not None
    assert [i.path for i in final.history] == order[-bound:]
    assert (final.requests, final.history_start) == (30, 30 - bound)
