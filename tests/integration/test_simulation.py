"""Virtual users against the example shop built in this process (ASGI, no port): each user is
its own session, checks judge what the shop answered, failures name their session."""

from __future__ import annotations

import asyncio
import gc
from collections import Counter
from pathlib import Path

import httpx
import pytest

from mockmind.app.api import MockmindApp, create_app
from mockmind.app.bootstrap import build
from mockmind.config import load_config
from mockmind.simulation import Settings, Simulation, load_flow
from mockmind.simulation.html_report import html_report
from tests.support.threaded_server import serving

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SHOP = EXAMPLES / "shop" / "mockmind.yaml"
BUYER = EXAMPLES / "shop" / "flows" / "buyer.yaml"
ENV = {"MOCKMIND_LLM_PROVIDER": "offline"}


@pytest.fixture
def shop() -> MockmindApp:
    return create_app(build(load_config(SHOP, ENV), env=ENV))


def _run(app: MockmindApp, flow: Path, settings: Settings) -> Simulation:
    simulation = Simulation(
        load_flow(flow), "http://shop", settings, transport=httpx.ASGITransport(app=app)
    )
    asyncio.run(simulation.run())
    return simulation


def _session(app: MockmindApp, session_id: str) -> httpx.Response:
    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            return await client.get(f"/__mockmind/sessions/{session_id}")

    return asyncio.run(get())


def test_every_buyer_keeps_a_consistent_cart_in_its_own_session(shop: MockmindApp) -> None:
    simulation = _run(shop, BUYER, Settings(users=6, think_scale=0, seed="s1", run_id="t1"))
    report = simulation.results.to_dict()
    assert report["failures"] == []
    assert report["iterations"] == 6
    statuses = {step["step"]: step["statuses"] for step in report["steps"]}
    assert statuses["GET /products?limit=5"] == {"200": 6}
    assert statuses["POST /orders"] == {"201": 6}
    assert sum(statuses["GET /cart"].values()) == 12
    # Each user is one session the server kept, with its own requests.
    for user in range(6):
        found = _session(shop, f"sim-t1-{user:04d}")
        assert found.status_code == 200, found.text
        assert found.json()["id"] == f"sim-t1-{user:04d}"


def test_weighted_choices_follow_the_seed(shop: MockmindApp) -> None:
    def branches(seed: str) -> Counter[str]:
        simulation = _run(shop, BUYER, Settings(users=12, think_scale=0, seed=seed))
        return Counter({s["step"]: s["requests"] for s in simulation.results.to_dict()["steps"]})

    first, again = branches("same"), branches("same")
    assert first == again
    # The last choice: pay-and-ship (weight 3) or ship an unpaid order (weight 1), one each.
    assert first["ship an unpaid order"] + first["POST /orders/{{order}}/pay"] == 12


def test_a_failed_check_names_its_session_and_the_run_goes_on(
    shop: MockmindApp, tmp_path: Path
) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text(
        "name: wrong\n"
        "steps:\n"
        "  - post: /cart/items\n"
        "    json: {product_id: p-1, quantity: 2}\n"
        "    checks:\n"
        "      - {name: two is three, that: body.quantity, equals: '3'}\n"
        "  - get: /cart\n"
        "    checks: [{that: 'count(body.items)', equals: '1'}]\n"
    )
    simulation = _run(shop, flow, Settings(users=2, run_id="t3"))
    report = simulation.results.to_dict()
    found = sorted(
        (f["session_id"], f["step"], f["check"], f["message"]) for f in report["failures"]
    )
    assert found == [
        ("sim-t3-0000", "POST /cart/items", "two is three", "body.quantity is 2, 3 is 3"),
        ("sim-t3-0001", "POST /cart/items", "two is three", "body.quantity is 2, 3 is 3"),
    ]
    assert report["checks"] == {"passed": 2 + 2 + 2, "failed": 2}
    assert not simulation.results.ok
    page = html_report(report)
    assert "<svg" in page
    assert "sim-t3-0000" in page
    assert "two is three" in page
    # No model chose these steps: the page says nothing of one.
    assert "LLM" not in page


def test_an_unexpected_status_ends_the_iteration(shop: MockmindApp, tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text("steps:\n  - get: /admin/stats\n  - get: /cart\n")
    report = _run(shop, flow, Settings(users=1, run_id="t4")).results.to_dict()
    assert [(f["check"], f["message"]) for f in report["failures"]] == [
        ("status", "status 401, expected 2xx or 3xx")
    ]
    assert [s["step"] for s in report["steps"]] == ["GET /admin/stats"]


def test_a_placeholder_without_a_value_is_a_failure(shop: MockmindApp, tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text("steps:\n  - get: /orders/{{order}}\n")
    report = _run(shop, flow, Settings(users=1, run_id="t5")).results.to_dict()
    assert [(f["check"], f["message"]) for f in report["failures"]] == [
        ("variables", "no value named 'order' yet")
    ]
    assert report["requests"] == 0


def test_a_server_that_is_not_there_is_a_transport_failure(tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text("steps:\n  - get: /cart\n")
    simulation = Simulation(load_flow(flow), "http://127.0.0.1:9", Settings(users=2))
    report = asyncio.run(simulation.run()).to_dict()
    assert [f["check"] for f in report["failures"]] == ["transport", "transport"]
    assert report["steps"][0]["statuses"] == {"error": 2}


def test_a_duration_repeats_the_flow(shop: MockmindApp, tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text("steps:\n  - get: /products?limit=1\n")
    report = _run(
        shop, flow, Settings(users=2, duration_seconds=30, iterations=3)
    ).results.to_dict()
    # --iterations bounds a --duration run: each user ran the flow three times.
    assert (report["iterations"], report["requests"]) == (6, 6)


@pytest.mark.filterwarnings("error::ResourceWarning")
def test_every_user_s_connection_is_closed(shop: MockmindApp, tmp_path: Path) -> None:
    # Real sockets (uvicorn in a thread): a client left open would warn of its socket when
    # collected, which this test turns into an error, here rather than in a later test.
    flow = tmp_path / "flow.yaml"
    flow.write_text("steps:\n  - get: /products?limit=1\n  - get: /cart\n")
    with serving(shop) as base_url:
        simulation = Simulation(load_flow(flow), base_url, Settings(users=20, iterations=2))
        report = asyncio.run(simulation.run()).to_dict()
        unreachable = Simulation(load_flow(flow), "http://127.0.0.1:9", Settings(users=3))
        refused = asyncio.run(unreachable.run()).to_dict()
    gc.collect()
    assert (report["requests"], report["failures"]) == (80, [])
    assert refused["transport_errors"] == 3
