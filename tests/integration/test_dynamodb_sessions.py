"""The DynamoDB session layout: a head item and an item per interaction (adapters/aws/
session_store.py). What every session store does is in tests/contract; these are the cases
only this layout has: what a save writes, the bound on what a read reads, two writers and a
writer that dies between its two writes, items of the layout before it and of the previous
release (long names, ``data``/``data_z`` payloads), renewal, size."""

from __future__ import annotations

import json
import random
import string
import zlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from mockmind.adapters.aws import DynamoSessionStore, DynamoTable
from mockmind.adapters.aws.provisioning import create_table
from mockmind.adapters.aws.session_store import LINGER
from mockmind.adapters.aws.table import ITEM_BUDGET, decode_payload, expiry_attributes, number
from mockmind.domain.errors import StoreError, VersionConflict
from mockmind.domain.session_listing import SessionQuery
from mockmind.domain.sessions import Interaction, Session, SessionSummary, session_to_dict
from tests.support.aws import aws_client, unique_name

PK = "SESSION#s-1"


@pytest.fixture
def client(moto_endpoint: str) -> Any:
    return aws_client("dynamodb", moto_endpoint)


@pytest.fixture
def table(client: Any) -> Iterator[DynamoTable]:
    name = unique_name("sessions")
    create_table(client, name)
    yield DynamoTable(client, name)
    client.delete_table(TableName=name)


def _requested(
    session: Session,
    n: int,
    body: Any = None,
    bound: int = 50,
    state: dict[str, Any] | None = None,
) -> Session:
    interaction = Interaction(1000.0 + n, "GET", f"/r/{n}", 200, None, body, "offline")
    return session.after_request(
        interaction,
        timeout_seconds=1000,
        max_history=bound,
        state={"n": n} if state is None else state,
        authenticated=None,
    )


def _after_requests(
    store: DynamoSessionStore,
    requests: int,
    body: Any = None,
    bound: int = 50,
    state: dict[str, Any] | None = None,
) -> Session:
    """Session s-1 saved new, then after ``requests`` requests (``_requested``), each saved."""
    saved = store.put(Session("s-1", 1000.0, 1000.0, 2000.0), expected_version=None)
    for n in range(requests):
        saved = store.update(_requested(saved, n, body, bound, state), base=saved)
    return saved


def _items(client: Any, table: DynamoTable) -> dict[str, dict[str, Any]]:
    """Every item of session s-1, by sort key."""
    items = client.query(
        TableName=table.name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": PK}},
    )["Items"]
    return {item["sk"]["S"]: item for item in items}


def _interactions(items: dict[str, dict[str, Any]], gen: str) -> list[str]:
    """The numbers of generation ``gen``'s interaction items, in key order."""
    return [
        sk.split("#")[2].lstrip("0") or "0" for sk in sorted(items) if sk.startswith(f"I#{gen}#")
    ]


def _calls(client: Any) -> list[tuple[str, dict[str, Any]]]:
    calls: list[tuple[str, dict[str, Any]]] = []
    client.meta.events.register(
        "before-parameter-build.dynamodb.*",
        lambda model, params, **_: calls.append((model.name, params)),
    )
    return calls


def _noise(size: int, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choices(string.ascii_letters + string.digits, k=size))


def test_a_request_save_writes_its_interaction_and_the_head(
    table: DynamoTable, client: Any
) -> None:
    store = DynamoSessionStore(table)
    saved = _after_requests(store, 5, {"text": "lorem ipsum " * 40})
    calls = _calls(client)
    saved = store.update(_requested(saved, 5, {"text": "lorem ipsum " * 40}), base=saved)
    # One item for the interaction, then the head conditional on the version: no read (the
    # store knows the head it wrote), nothing else.
    assert [name for name, _ in calls] == ["PutItem", "PutItem"]
    interaction, head = (params["Item"] for _, params in calls)
    assert "ConditionExpression" not in calls[0][1]
    assert calls[1][1]["ConditionExpression"] == (
        "(v = :expected AND g = :gen) OR (version = :expected AND gen = :gen)"
    )
    gen = head["g"]["S"]
    assert interaction["sk"]["S"].startswith(f"I#{gen}#000000000005#")
    # Short names for the head's own attributes; no id (the key and ``activity`` hold it),
    # no ``authenticated`` while it is false.
    assert set(head) == {
        "pk",
        "sk",
        "v",
        "listing",
        "activity",
        "created_at",
        "last_seen",
        "requests",
        "expires_at",
        "expiry",
        "g",
        "s",
        "n",
        "r",
        "l",
        "z1",
    }
    assert (head["v"], head["s"], head["n"]) == ({"N": "7"}, {"N": "0"}, {"N": "6"})
    assert head["l"]["S"] == interaction["sk"]["S"].rsplit("#", 1)[1]
    # The interaction's item has its TTL only: reads take it whatever its expiry.
    assert set(interaction) == {"pk", "sk", "expires_at", "prev", "z1"}
    # The head is small, however long the history; the interaction is compressed.
    assert len(str(head)) < 700
    assert "z1" in interaction
    assert store.get("s-1", now=1001.0) == saved


def test_the_chain_of_tokens_links_each_interaction_to_the_one_before(
    table: DynamoTable, client: Any
) -> None:
    store = DynamoSessionStore(table)
    _after_requests(store, 3)
    items = _items(client, table)
    gen = items["SESSION"]["g"]["S"]
    keys = sorted(sk for sk in items if sk.startswith("I#"))
    tokens = [sk.rsplit("#", 1)[1] for sk in keys]
    assert [sk.split("#")[1] for sk in keys] == [gen] * 3
    assert "prev" not in items[keys[0]]
    assert [items[sk]["prev"]["S"] for sk in keys[1:]] == tokens[:2]
    assert items["SESSION"]["l"]["S"] == tokens[2]


def test_a_read_queries_only_the_interactions_within_the_bound(
    table: DynamoTable, client: Any
) -> None:
    store = DynamoSessionStore(table)
    saved = _after_requests(store, 7, bound=3)
    assert [i.path for i in saved.history] == ["/r/4", "/r/5", "/r/6"]
    items = _items(client, table)
    gen = items["SESSION"]["g"]["S"]
    # Interactions the bound dropped are not deleted (a delete is billed as a write): they
    # stay until their TTL, and are never read.
    assert _interactions(items, gen) == ["0", "1", "2", "3", "4", "5", "6"]
    counts: list[int] = []
    client.meta.events.register(
        "after-call.dynamodb.Query", lambda parsed, **_: counts.append(parsed["Count"])
    )
    calls = _calls(client)
    # A store that did not write them (another process, or after a restart) queries them.
    assert DynamoSessionStore(table).get("s-1", now=1001.0) == saved
    assert [name for name, _ in calls] == ["GetItem", "Query"]
    assert counts == [3]
    # The store that wrote them remembers them: the head is all it reads.
    calls.clear()
    assert store.get("s-1", now=1001.0) == saved
    assert [name for name, _ in calls] == ["GetItem"]


def test_a_read_queries_only_what_another_writer_added_since(
    table: DynamoTable, client: Any
) -> None:
    mine, other = DynamoSessionStore(table), DynamoSessionStore(table)
    saved = mine.put(Session("s-1", 1000.0, 1000.0, 2000.0), expected_version=None)
    for n in range(4):
        saved = mine.update(_requested(saved, n, bound=3), base=saved)
    theirs = other.get("s-1", now=1001.0)
    assert theirs == saved
    assert theirs is not None
    for n in range(4, 6):
        theirs = other.update(_requested(theirs, n, bound=3), base=theirs)
    counts: list[int] = []
    client.meta.events.register(
        "after-call.dynamodb.Query", lambda parsed, **_: counts.append(parsed["Count"])
    )
    read = mine.get("s-1", now=1001.0)
    assert read == theirs
    assert read is not None
    assert [i.path for i in read.history] == ["/r/3", "/r/4", "/r/5"]
    # Interactions 4 and 5 only: 3 was remembered.
    assert counts == [2]
    assert mine.update(_requested(read, 6, bound=3), base=read) == mine.get("s-1", now=1001.0)


def test_two_writers_from_one_base_keep_both_interactions_and_the_loser_retries(
    table: DynamoTable, client: Any
) -> None:
    first, second = DynamoSessionStore(table), DynamoSessionStore(table)
    saved = first.put(Session("s-1", 1000.0, 1000.0, 2000.0), expected_version=None)
    saved = first.update(_requested(saved, 0), base=saved)
    base = second.get("s-1", now=1001.0)
    assert base == saved
    won = first.update(_requested(saved, 1), base=saved)
    with pytest.raises(VersionConflict):
        second.update(_requested(base, 2), base=base)
    # The loser's interaction was written under its own token, and no head names it.
    items = _items(client, table)
    assert len([sk for sk in items if sk.startswith("I#")]) == 3
    assert first.get("s-1", now=1001.0) == won
    fresh = second.get("s-1", now=1001.0)
    assert fresh is not None
    final = second.update(_requested(fresh, 2), base=fresh)
    assert [i.path for i in final.history] == ["/r/0", "/r/1", "/r/2"]
    assert first.get("s-1", now=1001.0) == final


class _Crash(Exception):
    pass


class _DyingTable(DynamoTable):
    """A table whose writer dies when it comes to write a session's head."""

    def put(self, item: Any, **kwargs: Any) -> bool:
        if item["sk"]["S"] == "SESSION":
            raise _Crash
        return super().put(item, **kwargs)


def test_a_writer_that_dies_between_its_two_writes_blocks_no_one(
    table: DynamoTable, client: Any
) -> None:
    store = DynamoSessionStore(table)
    saved = _after_requests(store, 1)
    dying = DynamoSessionStore(_DyingTable(client, table.name))
    base = dying.get("s-1", now=1001.0)
    assert base is not None
    with pytest.raises(_Crash):
        dying.update(_requested(base, 1), base=base)
    # Its interaction item is written, for the number the next writer takes too.
    items = _items(client, table)
    assert len([sk for sk in items if "#000000000001#" in sk]) == 1
    assert store.get("s-1", now=1001.0) == saved
    after = store.update(_requested(saved, 2), base=saved)
    assert [i.path for i in after.history] == ["/r/0", "/r/2"]
    assert DynamoSessionStore(table).get("s-1", now=1001.0) == after


def test_a_store_that_did_not_read_the_base_reads_its_head_once(
    table: DynamoTable, client: Any
) -> None:
    saved = DynamoSessionStore(table).put(
        Session("s-1", 1000.0, 1000.0, 2000.0), expected_version=None
    )
    fresh = DynamoSessionStore(table)
    calls = _calls(client)
    stored = fresh.update(_requested(saved, 0), base=saved)
    assert [name for name, _ in calls] == ["GetItem", "PutItem", "PutItem"]
    assert fresh.get("s-1", now=1001.0) == stored
    with pytest.raises(VersionConflict):
        DynamoSessionStore(table).update(_requested(saved, 1), base=saved)


def test_a_head_remembered_from_a_session_deleted_and_made_again_is_not_built_on(
    table: DynamoTable,
) -> None:
    old = DynamoSessionStore(table)
    saved = old.put(Session("s-1", 1000.0, 1000.0, 2000.0), expected_version=None)
    saved = old.update(_requested(saved, 0), base=saved)
    other = DynamoSessionStore(table)
    other.delete("s-1")
    again = other.put(Session("s-1", 1500.0, 1500.0, 2500.0), expected_version=None)
    again = other.update(_requested(again, 7), base=again)
    # Same id, same version as the one ``old`` remembers, another generation.
    assert again.version == saved.version
    with pytest.raises(VersionConflict):
        old.update(_requested(again, 8), base=again)
    fresh = old.get("s-1", now=1501.0)
    assert fresh == again
    assert fresh is not None
    final = old.update(_requested(fresh, 8), base=fresh)
    assert [i.path for i in final.history] == ["/r/7", "/r/8"]
    assert other.get("s-1", now=1501.0) == final


def _old_layout_item(session: Session) -> dict[str, Any]:
    """A session item as saves wrote it before interactions had items of their own."""
    summary = SessionSummary.of(session)
    return {
        "pk": {"S": f"SESSION#{session.id}"},
        "sk": {"S": "SESSION"},
        "version": {"N": str(session.version)},
        "listing": {"S": "SESSION"},
        "activity": {"S": summary.activity_key},
        "session_id": {"S": session.id},
        "created_at": number(session.created_at),
        "last_seen": number(session.last_seen),
        "requests": {"N": str(session.requests)},
        "authenticated": {"BOOL": session.authenticated},
        **expiry_attributes(session.expires_at),
        # zlib-compressed, as saves wrote it before the preset dictionary.
        "data_z": {
            "B": zlib.compress(
                json.dumps(
                    {**session_to_dict(session), "history_start": session.history_start},
                    separators=(",", ":"),
                ).encode(),
                6,
            )
        },
    }


def test_an_item_of_the_layout_before_is_read_and_rewritten_on_the_next_save(
    table: DynamoTable, client: Any
) -> None:
    session = Session("s-1", 1000.0, 1000.0, 2000.0, version=4)
    for n in range(4):
        session = _requested(session, n, {"n": n}, bound=3)
    session = session.with_version(4)
    client.put_item(TableName=table.name, Item=_old_layout_item(session))
    store = DynamoSessionStore(table)
    read = store.get("s-1", now=1001.0)
    assert read == session
    assert read is not None
    assert (read.history_start, [i.path for i in read.history]) == (1, ["/r/1", "/r/2", "/r/3"])
    assert [s.id for s in store.list(SessionQuery(), now=1001.0).sessions] == ["s-1"]
    saved = store.update(_requested(read, 4, bound=3), base=read)
    head = _items(client, table)["SESSION"]
    assert "data_z" not in head
    assert head["g"]["S"]
    assert store.get("s-1", now=1001.0) == saved
    assert [i.path for i in saved.history] == ["/r/2", "/r/3", "/r/4"]
    # A writer still holding the old session conflicts, as with any stale base.
    with pytest.raises(VersionConflict):
        DynamoSessionStore(table).update(_requested(read, 5), base=read)


def test_interaction_items_outlive_their_head_and_a_session_kept_past_them_is_renewed(
    table: DynamoTable, client: Any
) -> None:
    store = DynamoSessionStore(table)
    saved = _after_requests(store, 3)
    items = _items(client, table)
    gen, renew = items["SESSION"]["g"]["S"], float(items["SESSION"]["r"]["N"])
    assert renew == 2000.0 + LINGER
    head_expiry = float(items["SESSION"]["expiry"]["N"])
    assert all(
        float(i["expires_at"]["N"]) >= renew > head_expiry
        for sk, i in items.items()
        if sk != "SESSION"
    )
    # A request a day later: the session would outlive the items its head names.
    later = saved.after_request(
        Interaction(1001.0 + LINGER, "GET", "/late", 200),
        timeout_seconds=1000,
        max_history=50,
        state={},
        authenticated=None,
    )
    stored = store.update(later, base=saved)
    items = _items(client, table)
    head = items["SESSION"]
    assert head["g"]["S"] != gen
    assert float(head["r"]["N"]) == stored.expires_at + LINGER
    assert _interactions(items, head["g"]["S"]) == ["0", "1", "2", "3"]
    assert store.get("s-1", now=1001.0 + LINGER) == stored


def test_an_interaction_too_large_for_an_item_keeps_all_but_its_bodies(
    table: DynamoTable,
) -> None:
    store = DynamoSessionStore(table)
    saved = store.put(Session("s-1", 1000.0, 1000.0, 5000.0), expected_version=None)
    saved = store.update(_requested(saved, 0, {"text": _noise(20_000, 0)}), base=saved)
    # Random letters compress to about three quarters: this one cannot fit.
    saved = store.update(_requested(saved, 1, {"text": _noise(2 * ITEM_BUDGET, 1)}), base=saved)
    saved = store.update(_requested(saved, 2, {"small": True}), base=saved)
    assert [i.path for i in saved.history] == ["/r/0", "/r/1", "/r/2"]
    assert [i.response_body is not None for i in saved.history] == [True, False, True]
    assert saved.history[1].status == 200
    assert store.get("s-1", now=1001.0) == saved


def test_a_read_that_finds_an_interaction_gone_reports_it(table: DynamoTable, client: Any) -> None:
    store = DynamoSessionStore(table)
    saved = _after_requests(store, 1)
    (key,) = [sk for sk in _items(client, table) if sk.startswith("I#")]
    client.delete_item(TableName=table.name, Key={"pk": {"S": PK}, "sk": {"S": key}})
    # The store that wrote it remembers it; one that reads the table finds it gone.
    assert store.get("s-1", now=1001.0) == saved
    with pytest.raises(StoreError, match="history changed under 3 reads"):
        DynamoSessionStore(table).get("s-1", now=1001.0)


def test_delete_leaves_no_item_of_any_generation(table: DynamoTable, client: Any) -> None:
    store = DynamoSessionStore(table)
    saved = _after_requests(store, 1)
    # A whole write: a new generation, the old one left to TTL.
    store.put(replace(saved, history=saved.history[::-1]), expected_version=saved.version)
    assert len({sk.split("#")[1] for sk in _items(client, table) if sk.startswith("I#")}) == 2
    store.delete("s-1")
    assert _items(client, table) == {}
    assert store.get("s-1", now=1001.0) is None


def test_a_state_too_large_for_the_head_is_refused_before_any_write(
    table: DynamoTable, client: Any
) -> None:
    store = DynamoSessionStore(table)
    saved = store.put(Session("s-1", 1000.0, 1000.0, 5000.0), expected_version=None)
    before = _items(client, table)
    interaction = Interaction(1001.0, "GET", "/r/0", 200, None, {"ok": True}, "offline")
    huge = saved.after_request(
        interaction,
        timeout_seconds=1000,
        max_history=50,
        state={"blob": _noise(2 * ITEM_BUDGET, 3)},
        authenticated=None,
    )
    with pytest.raises(StoreError, match=r"^session s-1 needs \d+ bytes without any history; "):
        store.update(huge, base=saved)
    with pytest.raises(StoreError, match="its state is too large"):
        store.put(huge, expected_version=saved.version)
    # Neither the interaction nor the head was written.
    assert _items(client, table) == before
    assert store.get("s-1", now=1001.0) == saved


def _with_long_names(head: dict[str, Any], session: Session) -> dict[str, Any]:
    """A head with the attribute names from before the short ones, the id and
    ``authenticated`` (false) spelled out, its state left in ``z1`` (as a save between the
    preset dictionary and the short names wrote it; the previous release's whole is
    ``_as_the_previous_release_wrote_it``)."""
    names = {"v": "version", "g": "gen", "s": "start", "n": "count", "r": "renew", "l": "last"}
    old = {names.get(name, name): value for name, value in head.items()}
    return {**old, "session_id": {"S": session.id}, "authenticated": {"BOOL": False}}


def test_a_head_with_the_names_before_is_read_listed_and_appended_to(
    table: DynamoTable, client: Any
) -> None:
    store = DynamoSessionStore(table)
    saved = _after_requests(store, 3)
    items = _items(client, table)
    gen = items["SESSION"]["g"]["S"]
    client.put_item(TableName=table.name, Item=_with_long_names(items["SESSION"], saved))
    fresh = DynamoSessionStore(table)
    read = fresh.get("s-1", now=1001.0)
    assert read == saved
    assert read is not None
    assert fresh.list(SessionQuery(prefix="s-"), now=1001.0).sessions == (SessionSummary.of(saved),)
    assert fresh.list(SessionQuery(prefix="t"), now=1001.0).sessions == ()
    # Appended to in its generation, conditional on the old names; written with the new.
    after = fresh.update(_requested(read, 3), base=read)
    head = _items(client, table)["SESSION"]
    assert (head["g"]["S"], head["v"]) == (gen, {"N": str(after.version)})
    assert "version" not in head
    assert "session_id" not in head
    assert DynamoSessionStore(table).get("s-1", now=1001.0) == after
    assert store.get("s-1", now=1001.0) == after


def _payload_before(value: Any) -> dict[str, Any]:
    """``value`` as the previous release stored a head's state or an interaction: JSON,
    deflated by plain zlib in ``data_z`` when that is smaller, else as text in ``data``."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    packed = zlib.compress(text.encode(), 6)
    return {"data_z": {"B": packed}} if len(packed) < len(text.encode()) else {"data": {"S": text}}


def _as_the_previous_release_wrote_it(item: dict[str, Any], session: Session) -> dict[str, Any]:
    """An item of session s-1 whole as the release before the short names and the preset
    dictionary wrote it: the head with the long names, its payload (if any) in ``data`` or
    ``data_z``; an interaction's payload likewise, with its exact ``expiry`` beside its TTL."""
    old = (
        _with_long_names(item, session)
        if item["sk"]["S"] == "SESSION"
        else {**item, "expiry": number(float(item["expires_at"]["N"]))}
    )
    if "z1" in old:
        value = decode_payload(old)
        del old["z1"]
        old.update(_payload_before(value))
    return old


@pytest.mark.parametrize(
    ("state", "held_in"),
    [({"n": 7}, "data"), ({"note": "the same words again " * 20}, "data_z")],
    ids=["state-as-text", "state-deflated"],
)
def test_a_session_as_the_previous_release_wrote_it_is_read_listed_and_appended_to(
    table: DynamoTable, client: Any, state: dict[str, Any], held_in: str
) -> None:
    store = DynamoSessionStore(table)
    saved = store.put(Session("s-1", 1000.0, 1000.0, 2000.0), expected_version=None)
    for n in range(3):
        saved = store.update(_requested(saved, n, {"n": n}, state=state), base=saved)
    items = _items(client, table)
    gen = items["SESSION"]["g"]["S"]
    for item in items.values():
        client.put_item(TableName=table.name, Item=_as_the_previous_release_wrote_it(item, saved))
    before = _items(client, table)
    assert not [sk for sk, item in before.items() if "z1" in item]
    assert held_in in before["SESSION"]
    assert before["SESSION"]["session_id"] == {"S": "s-1"}
    assert (
        sorted(
            next(name for name in ("data", "data_z") if name in item)
            for sk, item in before.items()
            if sk.startswith("I#")
        )
        == ["data_z"] * 3
    )
    fresh = DynamoSessionStore(table)
    read = fresh.get("s-1", now=1001.0)
    assert read == saved
    assert read is not None
    assert read.state == saved.state
    assert fresh.list(SessionQuery(prefix="s-"), now=1001.0).sessions == (SessionSummary.of(saved),)
    # Appended to in its generation: the new interaction and the head in this layout, the
    # interactions before left as they were and read beside it.
    after = fresh.update(_requested(read, 3, {"n": 3}, state=state), base=read)
    items = _items(client, table)
    head = items["SESSION"]
    assert (head["g"]["S"], head["v"]) == (gen, {"N": str(after.version)})
    assert {"version", "session_id", "data", "data_z"}.isdisjoint(head)
    assert "z1" in head
    interactions = {sk: item for sk, item in items.items() if sk.startswith("I#")}
    assert sorted("z1" in item for item in interactions.values()) == [False, False, False, True]
    assert [i.path for i in after.history] == ["/r/0", "/r/1", "/r/2", "/r/3"]
    assert DynamoSessionStore(table).get("s-1", now=1001.0) == after
    assert fresh.list(SessionQuery(prefix="s-"), now=1001.0).sessions == (SessionSummary.of(after),)


def test_an_authenticated_session_and_an_id_with_the_key_separator_list_as_they_are(
    table: DynamoTable,
) -> None:
    store = DynamoSessionStore(table)
    session = Session("a#b%c", 1000.0, 1000.0, 2000.0, authenticated=True)
    saved = store.put(session, expected_version=None)
    assert store.get("a#b%c", now=1001.0) == saved
    assert store.list(SessionQuery(prefix="a#b"), now=1001.0).sessions == (
        SessionSummary.of(saved),
    )


def test_a_listing_past_many_expired_heads_reads_them_in_few_queries(
    table: DynamoTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Heads stay a day past their session's expiry (adapters/aws/session_head.py, LINGER),
    # in the index, where the listing's filter drops them: a day of short sessions between
    # the live ones and the end of a listing.
    store = DynamoSessionStore(table)
    for i in range(300):
        store.put(Session(f"old-{i}", 1000.0 + i, 1000.0 + i, 2000.0 + i), expected_version=None)
    for i in range(2):
        store.put(Session(f"new-{i}", 5000.0, 5000.0 + i, 9000.0), expected_version=None)
    queries: list[int] = []
    query = table._client.query

    def counted(**request: Any) -> Any:
        queries.append(request["Limit"])
        return query(**request)

    monkeypatch.setattr(table._client, "query", counted)
    page = store.list(SessionQuery(limit=10), now=6000.0)
    assert [s.id for s in page.sessions] == ["new-1", "new-0"]
    # A page a filter emptied asks for more the next time (30 Queries of 11 items before).
    assert len(queries) <= 8, queries
