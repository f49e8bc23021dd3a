"""Deleting a session leaves nothing of it, on each backend: no session, no entity (nor
tombstone, nor counter), no journal event; another session keeps all of its own."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mockmind.adapters.memory import MemoryEntityStore, MemoryJournal
from mockmind.app.bootstrap import Container, build
from mockmind.config import parse_config
from mockmind.domain.http import MockRequest
from mockmind.domain.session_travel import SessionTravel
from tests.support.aws import AWS_REGION, aws_client, unique_name
from tests.support.paths import EXAMPLES

SHOP = EXAMPLES / "shop" / "mockmind.yaml"


@pytest.fixture(params=["memory", "sqlite", "aws"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def shop(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Container:
    text = SHOP.read_text()
    env: dict[str, str] = {}
    if backend == "sqlite":
        text = text.replace("backend: memory", f"backend: sqlite\n  sqlite_path: {tmp_path}/m.db")
    elif backend == "aws":
        endpoint = request.getfixturevalue("moto_endpoint")
        name = unique_name("delete")
        from mockmind.adapters.aws.provisioning import create_table

        create_table(aws_client("dynamodb", endpoint), name)
        text = text.replace("backend: memory", "backend: aws")
        env = {"MOCKMIND_TABLE": name, "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": AWS_REGION}
    return build(parse_config(text, source=SHOP, env=env), env=env)


def _purchase(container: Container) -> str:
    session: str | None = None

    def send(method: str, path: str, body: Any = None) -> Any:
        nonlocal session
        request = MockRequest(
            method=method,
            path=path,
            headers={"content-type": "application/json"},
            cookies={"mockforge_session": session} if session else {},
            body=b"" if body is None else json.dumps(body).encode(),
        )
        result = asyncio.run(container.engine.handle(request))
        session = result.session_id
        return result.response.body

    products = send("GET", "/products")
    send("POST", "/cart/items", {"product_id": products[0]["id"], "quantity": 1})
    send("POST", "/cart/items", {"product_id": products[1]["id"], "quantity": 2})
    order = send("POST", "/orders", {})
    send("POST", f"/orders/{order['id']}/pay")
    send("DELETE", "/cart")
    assert session is not None
    return session


def _left(container: Container, backend: str, session: str) -> list[str]:
    """What any store still holds of the session, found by looking at every row or item."""
    if backend == "memory":
        entities = container.entities
        assert isinstance(entities, MemoryEntityStore)
        journal = container.journal
        assert isinstance(journal, MemoryJournal)
        return [
            name
            for name, held in (
                ("entities", entities.holds(session)),
                ("journal", journal.holds(session)),
            )
            if held
        ]
    if backend == "sqlite":
        path = container.config.storage.sqlite_path
        with sqlite3.connect(path) as db:
            return [
                f"{table}: {count}"
                for table, column in (
                    ("sessions", "id"),
                    ("entities", "scope"),
                    ("counters", "scope"),
                    ("journal", "session_id"),
                )
                for (count,) in db.execute(
                    f"SELECT count(*) FROM {table} WHERE {column} = ?",
                    (session,),
                )
                if count
            ]
    table = container.entities._table
    items = table._client.scan(TableName=table.name)["Items"]
    return [item["pk"]["S"] for item in items if session in item["pk"]["S"]]


def test_a_deleted_session_leaves_nothing(shop: Container, backend: str) -> None:
    kept = _purchase(shop)
    gone = _purchase(shop)
    assert _left(shop, backend, gone) != []
    travel = SessionTravel(shop.sessions, shop.journal, shop.engine.world.resources)

    travel.delete(gone)

    assert _left(shop, backend, gone) == []
    assert shop.sessions.get(gone, now=shop.engine._clock.now()) is None
    # The other session is whole: its journal still rebuilds every step.
    assert _left(shop, backend, kept) != []
    now = shop.engine._clock.now()
    assert travel.at(kept, 0, now).entities.get("orders") is None
    assert len(travel.at(kept, 6, now).entities["orders"]) == 1
