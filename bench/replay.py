"""15. Replay: a 100-step session replayed against the config in use, in a scratch session.

The shop (examples/shop, offline generator, memory stores) in this process. A session of 100
requests is recorded once through the engine; then ``SessionReplay.replay`` (the admin route's
service, without HTTP) runs them again in a new scratch session, compares each answer with the
recorded one and deletes the scratch session. The baseline is sending the same 100 requests
as a new session does (the engine, no comparison): what the replay adds is the journal read,
the requests rebuilt from it, the answers compared and the scratch session deleted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import statistics
import time
from typing import Any

from bench.report import ROOT, Section, fmt_ratio, fmt_s, fmt_us
from mockmind.app.admin_replay_models import replay_view
from mockmind.app.bootstrap import Container, build
from mockmind.config import parse_config
from mockmind.domain.http import MockRequest
from mockmind.domain.session_replay import SessionReplay
from mockmind.domain.session_travel import SessionTravel

SHOP = ROOT / "examples" / "shop" / "mockmind.yaml"
STEPS = 100
ROUNDS = 7


class Session:
    """One session's requests through the engine, as a cookie-keeping client sends them."""

    def __init__(self, container: Container, session_id: str) -> None:
        self._engine = container.engine
        self.id = session_id

    async def send(self, method: str, path: str, body: Any = None) -> Any:
        request = MockRequest(
            method=method,
            path=path,
            headers={"content-type": "application/json"},
            cookies={"mockforge_session": self.id},
            body=b"" if body is None else json.dumps(body).encode(),
        )
        response = (await self._engine.handle(request)).response
        assert response.status < 400, (method, path, response.status, response.body)
        return response.body


async def shop_flow(session: Session) -> int:
    """100 requests: 14 rounds of list, add, change, see the cart, check out, cancel, read
    (the shop's delay rule is on paying, which a replay would not wait: cancelling is not
    delayed either way), then the cart and the orders."""
    sent = 0
    for _ in range(14):
        product = (await session.send("GET", "/products"))[0]
        item = await session.send(
            "POST", "/cart/items", {"product_id": product["id"], "quantity": 1}
        )
        await session.send("PATCH", f"/cart/items/{item['id']}", {"quantity": 2})
        await session.send("GET", "/cart")
        order = await session.send("POST", "/orders", {})
        await session.send("POST", f"/orders/{order['id']}/cancel")
        await session.send("GET", f"/orders/{order['id']}")
        sent += 7
    await session.send("GET", "/cart")
    await session.send("GET", "/orders")
    return sent + 2


def run() -> Section:
    section = Section(
        "15. Replay (a 100-step session)",
        """
The shop (examples/shop, offline generator, memory stores) in this process. One session of
100 requests (14 rounds of list products, add to the cart, change the quantity, read the
cart, check out, cancel, read the order; then the cart and the orders) is recorded through
the engine. The replay (`SessionReplay.replay`, what `POST
/__mockmind/sessions/{id}/replay` runs) sends them again in a new scratch session, compares
each answer with the recorded one and deletes the scratch session. The baseline sends the same
100 requests as a new session. Median of 7 rounds each, taking turns.
""",
        ["run", "100 steps", "per step", "vs sending them", "steps the same"],
    )
    logging.getLogger("mockmind").setLevel(logging.ERROR)
    env = {"MOCKMIND_LLM_PROVIDER": "offline"}
    container = build(parse_config(SHOP.read_text(), source=SHOP, env=env), env=env)
    recorded = Session(container, "bench-replay-recorded")
    assert asyncio.run(shop_flow(recorded)) == STEPS
    travel = SessionTravel(container.sessions, container.journal, container.engine.world.resources)
    replays = SessionReplay(container.engine, travel)
    sent_times: list[float] = []
    replay_times: list[float] = []
    same = size = 0
    for turn in range(ROUNDS):
        start = time.perf_counter()
        asyncio.run(shop_flow(Session(container, f"bench-replay-fresh-{turn}")))
        sent_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        report = asyncio.run(replays.replay(recorded.id, time.time()))
        replay_times.append(time.perf_counter() - start)
        assert len(report.steps) == STEPS
        same = report.same
        size = len(json.dumps(replay_view(report)))
    sending = statistics.median(sent_times)
    replaying = statistics.median(replay_times)
    section.row(
        "sending the 100 requests (baseline)", fmt_s(sending), fmt_us(sending / STEPS), "1.00x", ""
    )
    section.row(
        "replaying them (compare, delete the scratch session)",
        fmt_s(replaying),
        fmt_us(replaying / STEPS),
        fmt_ratio(replaying / sending),
        f"{same} of {STEPS}",
    )
    load = os.getloadavg()
    section.notes.append(
        f"Load average (1, 5, 15 min) at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} on "
        f"{os.cpu_count()} CPUs."
    )
    section.notes.append(
        f"Over HTTP the admin route adds one request and the report's JSON ({size:,} bytes "
        "here); on DynamoDB the journal is read with queries, up to 1 MB of events each."
    )
    return section
