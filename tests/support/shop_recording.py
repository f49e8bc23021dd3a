"""The example shop's flows recorded twice over: the journal of each session the server
keeps (``GET /__mockmind/sessions/{id}/journal``, masked, one ``JournalEvent.to_dict()`` a
line), and a HAR 1.2 file per client of the same requests as the client saw them (unmasked,
as a browser's dev tools save one tab's session), for ``mockmind learn`` to learn from.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.admin import admin_headers
from tests.support.shop_flow import list_products, shop_flow

COOKIE = "mockforge_session"
ROUNDS = 3


@dataclass
class Recorder:
    """httpx clients whose exchanges are kept as HAR entries, a list per client."""

    base_url: str
    entries: list[list[dict[str, Any]]] = field(default_factory=list)
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, **kwargs: Any) -> httpx.Client:
        kept: list[dict[str, Any]] = []

        def keep(response: httpx.Response) -> None:
            response.read()
            kept.append(har_entry(response.request, response))

        client = httpx.Client(base_url=self.base_url, event_hooks={"response": [keep]}, **kwargs)
        self.entries.append(kept)
        self.clients.append(client)
        return client

    def hars(self) -> list[dict[str, Any]]:
        return [
            {
                "log": {
                    "version": "1.2",
                    "creator": {"name": "mockmind tests", "version": "1"},
                    "entries": entries,
                }
            }
            for entries in self.entries
        ]

    def close(self) -> None:
        for client in self.clients:
            client.close()


def har_entry(request: httpx.Request, response: httpx.Response) -> dict[str, Any]:
    """One HAR 1.2 entry, as a browser's dev tools write it."""
    body = request.content.decode()
    entry: dict[str, Any] = {
        "startedDateTime": datetime.datetime.now(datetime.UTC).isoformat(),
        "time": response.elapsed.total_seconds() * 1000,
        "request": {
            "method": request.method,
            "url": str(request.url),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in request.headers.items()],
            "queryString": [{"name": k, "value": v} for k, v in request.url.params.multi_items()],
            "headersSize": -1,
            "bodySize": len(request.content),
        },
        "response": {
            "status": response.status_code,
            "statusText": response.reason_phrase,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in response.headers.items()],
            "content": {
                "size": len(response.content),
                "mimeType": response.headers.get("content-type", ""),
                "text": response.text,
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(response.content),
        },
        "cache": {},
        "timings": {"send": 0, "wait": response.elapsed.total_seconds() * 1000, "receive": 0},
    }
    if body:
        entry["request"]["postData"] = {
            "mimeType": request.headers.get("content-type", ""),
            "text": body,
        }
    return entry


def run_shop_flows(client: Callable[..., httpx.Client]) -> list[httpx.Client]:
    """The e2e shop flows, ROUNDS times, each flow in sessions of its own; the clients in
    the order their sessions started."""
    sessions: list[httpx.Client] = []

    def session(**kwargs: Any) -> httpx.Client:
        opened = client(**kwargs)
        sessions.append(opened)
        return opened

    for _ in range(ROUNDS):
        buyer = session()
        order = shop_flow(buyer)
        assert buyer.get("/orders").json()[-1]["id"] == order["id"]
        assert buyer.get("/orders", params={"status": "shipped"}).status_code == 200
        assert buyer.get("/admin/stats").status_code == 200

        editor = session()
        assert editor.get("/admin/stats").status_code == 401
        (product,) = list_products(editor, 1)
        item = editor.post("/cart/items", json={"product_id": product["id"], "quantity": 1})
        assert item.status_code == 201
        item_id = item.json()["id"]
        assert editor.patch(f"/cart/items/{item_id}", json={"quantity": 3}).status_code == 200
        assert editor.get("/cart").status_code == 200
        assert editor.delete(f"/cart/items/{item_id}").status_code == 204
        assert editor.delete(f"/cart/items/{item_id}").status_code == 404
        assert editor.get(f"/products/{product['id']}").status_code == 200

        canceller = session()
        for pay_first in (False, True):
            (product,) = list_products(canceller, 1)
            added = canceller.post("/cart/items", json={"product_id": product["id"], "quantity": 1})
            assert added.status_code == 201
            placed = canceller.post("/orders", json={})
            assert placed.status_code == 201
            order_id = placed.json()["id"]
            if pay_first:
                assert canceller.post(f"/orders/{order_id}/pay").status_code == 200
            assert canceller.post(f"/orders/{order_id}/cancel").status_code == 200
            assert canceller.post(f"/orders/{order_id}/cancel").status_code == 409
            assert canceller.get(f"/orders/{order_id}").json()["status"] == "cancelled"

        visitor = session()
        assert visitor.post("/login", json={}).status_code == 422
        login = visitor.post("/login", json={"username": "grace", "password": "hopper"})
        assert login.status_code == 200
        assert visitor.get("/admin/stats").status_code == 200
        assert visitor.post("/logout").status_code == 204
        assert visitor.get("/admin/stats").status_code == 401
        # A token alone, without the session's cookie, in a session of its own.
        relogin = session()
        token = relogin.post("/login", json={"username": "ada", "password": "x"}).json()["token"]
        carrier = session(headers={"Authorization": f"Bearer {token}"})
        assert carrier.get("/admin/stats").status_code == 200
        assert carrier.get("/products", params={"limit": 3, "offset": 2}).status_code == 200
    return sessions


def journal_events(base_url: str, sessions: list[httpx.Client]) -> list[dict[str, Any]]:
    """Every session's journal, one after the other in the order the sessions started."""
    events: list[dict[str, Any]] = []
    for client in sessions:
        session_id = client.cookies.get(COOKIE)
        if session_id is None:
            # A client that sent a token only: its requests are in the login's session.
            continue
        answer = httpx.get(
            f"{base_url}/__mockmind/sessions/{session_id}/journal", headers=admin_headers()
        )
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert page["dropped"] == 0
        events += page["events"]
    return events


def record_shop(base_url: str, directory: Path) -> tuple[Path, list[Path]]:
    """Runs the flows against the shop at ``base_url``; writes ``shop.jsonl`` (the journals)
    and ``shop-NN.har``, one a client (the same exchanges as the clients saw them), into
    ``directory``."""
    recorder = Recorder(base_url)
    try:
        sessions = run_shop_flows(recorder.client)
        events = journal_events(base_url, sessions)
    finally:
        recorder.close()
    journal = directory / "shop.jsonl"
    journal.write_text("".join(json.dumps(e) + "\n" for e in events))
    hars = []
    for number, har in enumerate(recorder.hars(), start=1):
        hars.append(directory / f"shop-{number:02d}.har")
        hars[-1].write_text(json.dumps(har))
    return journal, hars
