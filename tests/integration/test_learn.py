"""``mockmind learn`` end to end: the example shop, served, records its e2e flows (the
journal of each session, and a HAR file per client); the command learns from one recording
or the other; what it learned, served, answers the same requests replayed.

The HAR files are not converted from the journal: they are what the test's clients saw of
the same run, unmasked (tokens, cookies and Authorization in the clear), as a browser's dev
tools save a session; the learner masks them as it reads them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from mockmind.learning.recordings import read_recording
from tests.support.learned_mock import (
    CART_ITEMS,
    OFFLINE,
    ORDER_MACHINE,
    ORDERS,
    Learned,
    load_yaml,
    replay_against_learned,
)
from tests.support.mockmind_server import start_server, stop_server
from tests.support.paths import EXAMPLES, ROOT
from tests.support.shop_recording import record_shop

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    directory = tmp_path_factory.mktemp("recordings")
    process, url = start_server(EXAMPLES / "shop" / "mockmind.yaml", OFFLINE)
    try:
        journal, hars = record_shop(url, directory)
    finally:
        stop_server(process)
    return {"journal": [journal], "har": hars}


@pytest.fixture(scope="module", params=["journal", "har"])
def learned(
    request: pytest.FixtureRequest,
    recordings: dict[str, list[Path]],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, list[Path], Path, subprocess.CompletedProcess[str]]:
    kind: str = request.param
    out = tmp_path_factory.mktemp(f"learned-{kind}")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mockmind.cli",
            "learn",
            *map(str, recordings[kind]),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return kind, recordings[kind], out, done


def test_the_learned_mock_answers_the_recorded_requests_alike(
    learned: tuple[str, list[Path], Path, subprocess.CompletedProcess[str]],
) -> None:
    _, inputs, out, done = learned
    exchanges = []
    for path in inputs:
        exchanges += read_recording(path.name, path.read_text(), first_order=len(exchanges))
    replayed = replay_against_learned(Learned(inputs[0], exchanges, out, done.stderr), exchanges)
    assert len(replayed) >= 100


def test_the_document_is_openapi_3_1_with_the_shops_paths(
    learned: tuple[str, list[Path], Path, subprocess.CompletedProcess[str]],
) -> None:
    _, _, out, _ = learned
    document = load_yaml(out / "openapi.yaml")
    validate(document)
    assert document["openapi"] == "3.1.0"
    original = load_yaml(EXAMPLES / "shop" / "openapi.yaml")
    assert sorted(document["paths"]) == sorted(original["paths"])
    order = document["components"]["schemas"]["Order"]
    assert order["properties"]["status"] == {
        "type": "string",
        "enum": ["placed", "paid", "shipped", "cancelled"],
    }
    assert order["properties"]["created_at"]["format"] == "date-time"
    assert set(order["required"]) == {
        "id",
        "status",
        "items",
        "total",
        "currency",
        "created_at",
        "shipping_address",
    }
    assert "paid_at" in order["properties"]
    cancel = document["paths"]["/orders/{orderId}/cancel"]["post"]
    assert sorted(cancel["responses"]) == ["200", "409"]
    assert cancel["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Order"
    }
    products = document["paths"]["/products"]["get"]
    assert products["parameters"] == [
        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
        {"name": "offset", "in": "query", "schema": {"type": "integer"}},
    ]
    login = document["paths"]["/login"]["post"]
    assert sorted(login["responses"]) == ["200", "422"]
    token = login["responses"]["200"]["content"]["application/json"]
    assert token["examples"]["recorded"]["value"]["token"] == "***"
    assert token["schema"]["properties"]["token_type"] == {"type": "string", "enum": ["Bearer"]}


def test_the_config_holds_the_order_machine_the_cart_items_and_the_login(
    learned: tuple[str, list[Path], Path, subprocess.CompletedProcess[str]],
) -> None:
    kind, _, out, done = learned
    rules = load_yaml(out / "mockmind.yaml")["intelligent_behavior"]["behavior_model"]["rules"]
    assert rules["state_machines"] == ORDER_MACHINE
    resources = rules["resources"]
    assert sorted(resources) == ["cart_items", "orders", "products"]
    assert resources["cart_items"] == CART_ITEMS
    assert resources["orders"] == ORDERS
    # Only listed, never created: the catalogue the flows listed, as a seed.
    assert [p["id"].startswith("product_") for p in resources["products"]["seed"]] == [True] * 5
    assert rules["auth"] == {
        "login": "POST /login",
        "logout": "POST /logout",
        "token_field": "token",
        "username_field": "username",
        "password_field": "password",
    }
    assert rules["consistency_rules"] == [
        {
            "name": "admin_stats_needs_login",
            "condition": "path matches '/admin/stats'",
            "action": {"type": "require_auth", "message": "Log in first: POST /login"},
        }
    ]
    # The journal masked the token before it was recorded; the HAR files held it in the clear.
    evidence = (
        "its token was sent back in Authorization"
        if kind == "har"
        else "its answer's token was masked"
    )
    assert f"login POST /login (token in 'token'): {evidence}" in done.stderr
