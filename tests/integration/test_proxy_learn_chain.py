"""The chain end to end: the example shop, served by mockmind; ``mockmind proxy --record``
in front of it (a process, as a user starts it) while the e2e shop flows run through it;
``mockmind learn`` from what the proxy wrote (journal lines, or a HAR file); what it
learned, served, answers the recorded requests replayed.

``test_learn`` learns from the journal's own recordings; here the recording is the proxy's,
made from outside the server: one file for every client the flows open, each exchange
numbered with its client (``proxy/clients``), which ``learn`` and the replay read as sessions.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_spec_validator import validate

from mockmind.learning.exchanges import Exchange
from mockmind.learning.recordings import read_recording
from tests.support.mockmind_server import start_server, stop_server
from tests.support.paths import EXAMPLES, ROOT
from tests.support.proxy_server import start_proxy
from tests.support.replay import Replay, body_problems
from tests.support.shop_recording import ROUNDS, run_shop_flows

pytestmark = pytest.mark.slow

OFFLINE = {"MOCKMIND_LLM_PROVIDER": "offline"}
# run_shop_flows opens six clients a round; one of them sends only another's token.
SESSIONS = 5 * ROUNDS


@dataclass
class Learned:
    recording: Path
    exchanges: list[Exchange]
    out: Path
    stderr: str


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    process, url = start_server(EXAMPLES / "shop" / "mockmind.yaml", OFFLINE)
    try:
        yield url
    finally:
        stop_server(process)


def record_through_proxy(shop: str, record: Path) -> None:
    """The shop flows, each client through one proxy process recording to ``record``."""
    process, url = start_proxy(shop, "--record", str(record))
    clients: list[httpx.Client] = []

    def client(**kwargs: Any) -> httpx.Client:
        clients.append(httpx.Client(base_url=url, timeout=30, **kwargs))
        return clients[-1]

    try:
        run_shop_flows(client)
    finally:
        for opened in clients:
            opened.close()
        stop_server(process)


@pytest.fixture(scope="module", params=["jsonl", "har"])
def learned(
    request: pytest.FixtureRequest, shop: str, tmp_path_factory: pytest.TempPathFactory
) -> Learned:
    directory = tmp_path_factory.mktemp(f"chain-{request.param}")
    recording = directory / f"shop.{request.param}"
    record_through_proxy(shop, recording)
    out = directory / "learned"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-m", "mockmind.cli", "learn", str(recording), "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    exchanges = read_recording(recording.name, recording.read_text())
    return Learned(recording, exchanges, out, done.stderr)


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def test_the_learned_mock_answers_the_proxied_requests_alike(learned: Learned) -> None:
    document = _load(learned.out / "openapi.yaml")
    process, url = start_server(learned.out / "mockmind.yaml", OFFLINE)
    try:
        replayed = Replay(url).run(learned.exchanges)
    finally:
        stop_server(process)
    assert len(replayed) == len(learned.exchanges) >= 100
    # As the shop's journals group them: each client's requests, and the token-only
    # client's with the login that issued its token.
    assert len({e.session for e in learned.exchanges}) == SESSIONS
    assert f"{len(replayed)} exchanges in {SESSIONS} session(s)" in learned.stderr
    different = [
        f"{r.recorded.method} {r.recorded.path}: {r.recorded.status} then {r.response.status_code}"
        for r in replayed
        if r.recorded.status != r.response.status_code
    ]
    assert len(different) <= 0.05 * len(replayed), different
    problems = [
        problem
        for r in replayed
        for problem in body_problems(
            document, r.recorded.method, r.response.request.url.path, r.response
        )
    ]
    assert problems == []


def test_the_document_is_openapi_3_1_with_the_shops_paths(learned: Learned) -> None:
    document = _load(learned.out / "openapi.yaml")
    validate(document)
    original = _load(EXAMPLES / "shop" / "openapi.yaml")
    assert sorted(document["paths"]) == sorted(original["paths"])
    assert document["components"]["schemas"]["Order"]["properties"]["status"] == {
        "type": "string",
        "enum": ["placed", "paid", "shipped", "cancelled"],
    }


def test_the_order_machine_and_the_cart_items_are_recovered(learned: Learned) -> None:
    rules = _load(learned.out / "mockmind.yaml")["intelligent_behavior"]["behavior_model"]["rules"]
    assert rules["state_machines"] == {
        "order_lifecycle": {
            "resource": "orders",
            "field": "status",
            "initial": "placed",
            "states": ["placed", "paid", "shipped", "cancelled"],
            "transitions": [
                {
                    "from": ["placed"],
                    "to": "paid",
                    "on": "POST /orders/{orderId}/pay",
                    "set": {"paid_at": "now()"},
                },
                {"from": ["paid"], "to": "shipped", "on": "POST /orders/{orderId}/ship"},
                {
                    "from": ["placed", "paid"],
                    "to": "cancelled",
                    "on": "POST /orders/{orderId}/cancel",
                },
            ],
        }
    }
    resources = rules["resources"]
    assert resources["cart_items"] == {
        "path": "/cart/items",
        "item_path": "/cart/items/{itemId}",
        "id_field": "id",
    }
    assert resources["orders"] == {
        "path": "/orders",
        "item_path": "/orders/{orderId}",
        "id_field": "id",
    }
    assert rules["auth"] == {
        "login": "POST /login",
        "logout": "POST /logout",
        "token_field": "token",
        "username_field": "username",
        "password_field": "password",
    }
