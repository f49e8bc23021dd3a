"""The chain end to end: the example shop, served by mockmind; ``mockmind proxy --record``
in front of it (a process, as a user starts it) while the e2e shop flows run through it;
``mockmind learn`` from what the proxy wrote (journal lines, or a HAR file); what it
learned, served, answers the recorded requests replayed.

``test_learn`` learns from the journal's own recordings; here the recording is the proxy's,
made from outside the server: one file for every client the flows open, each exchange
numbered with its client (``proxy/clients``), which ``learn`` and the replay read as sessions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.support.learned_mock import (
    CART_ITEMS,
    OFFLINE,
    ORDER_MACHINE,
    ORDERS,
    Learned,
    learn,
    load_yaml,
    replay_against_learned,
)
from tests.support.mockmind_server import start_server, stop_server
from tests.support.paths import EXAMPLES
from tests.support.proxy_server import start_proxy
from tests.support.shop_recording import ROUNDS, run_shop_flows

pytestmark = pytest.mark.slow

# run_shop_flows opens six clients a round; one of them sends only another's token.
SESSIONS = 5 * ROUNDS


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
    return learn(recording, directory / "learned")


def test_the_learned_mock_answers_the_proxied_requests_alike(learned: Learned) -> None:
    replayed = replay_against_learned(learned, learned.exchanges)
    assert len(replayed) >= 100
    # As the shop's journals group them: each client's requests, and the token-only
    # client's with the login that issued its token.
    assert len({e.session for e in learned.exchanges}) == SESSIONS
    assert f"{len(replayed)} exchanges in {SESSIONS} session(s)" in learned.stderr


def test_the_document_is_openapi_3_1_with_the_shops_paths(learned: Learned) -> None:
    document = learned.document()
    validate(document)
    original = load_yaml(EXAMPLES / "shop" / "openapi.yaml")
    assert sorted(document["paths"]) == sorted(original["paths"])
    assert document["components"]["schemas"]["Order"]["properties"]["status"] == {
        "type": "string",
        "enum": ["placed", "paid", "shipped", "cancelled"],
    }


def test_the_order_machine_and_the_cart_items_are_recovered(learned: Learned) -> None:
    rules = learned.rules()
    assert rules["state_machines"] == ORDER_MACHINE
    assert rules["resources"]["cart_items"] == CART_ITEMS
    assert rules["resources"]["orders"] == ORDERS
    assert rules["auth"] == {
        "login": "POST /login",
        "logout": "POST /logout",
        "token_field": "token",
        "username_field": "username",
        "password_field": "password",
    }
