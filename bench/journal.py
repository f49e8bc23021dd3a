"""14. Journal: what recording each request in its session's journal costs per request.

Two apps built from examples/shop in this process, the same but for ``journal.enabled``, each
behind Mangum with the same API Gateway (HTTP API v2) events: a read that changes nothing and
a PATCH that writes an entity (recorded with its value before and after).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from typing import Any

from mangum import Mangum

from bench.overhead import FakeContext, event
from bench.report import ROOT, Section, fmt_ratio, fmt_us, per_call, verdict
from mockmind.app.api import create_app
from mockmind.app.bootstrap import build
from mockmind.config import parse_config

SHOP = ROOT / "examples" / "shop" / "mockmind.yaml"
NUMBER = 1000
REPEAT = 9
TARGET_RATIO = 1.15
COOKIE = "mockforge_session=bench-journal"


def _handler(journal: bool) -> Callable[[dict[str, Any]], dict[str, Any]]:
    text = SHOP.read_text() + f"\njournal: {{enabled: {str(journal).lower()}}}\n"
    env = {"MOCKMIND_LLM_PROVIDER": "offline"}
    container = build(parse_config(text, source=SHOP, env=env), env=env)
    mangum = Mangum(create_app(container), lifespan="off")
    context = FakeContext()
    return lambda ev: mangum(ev, context)


def _cases(handler: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Callable[[], Any]]:
    """The session's requests, after it has added an item to its cart."""
    headers = {"cookie": COOKIE}
    products = handler(event("GET", "/products", headers))
    assert products["statusCode"] == 200, products
    product = json.loads(products["body"])[0]["id"]
    added = handler(event("POST", "/cart/items", headers, {"product_id": product, "quantity": 1}))
    assert added["statusCode"] == 201, added
    item = json.loads(added["body"])["id"]
    read = event("GET", f"/products/{product}", headers)
    patches = [event("PATCH", f"/cart/items/{item}", headers, {"quantity": q}) for q in (2, 3)]
    turn = [0]

    def patch() -> Any:
        turn[0] ^= 1
        return handler(patches[turn[0]])

    for ev in (read, patches[0]):
        answer = handler(ev)
        assert answer["statusCode"] == 200, answer
    return {
        "GET /products/{id} (a read, no change)": lambda: handler(read),
        "PATCH /cart/items/{id} (one entity write)": patch,
    }


def run() -> Section:
    section = Section(
        "14. Journal (cost per request of recording it)",
        """
The shop (examples/shop, offline generator, memory stores) behind Mangum in this process,
built twice: with the session journal on (the default: each request appends one event with
its masked request and answer, and every entity write with its value before and after) and
off (`journal: {enabled: false}`). Same session, same HTTP API v2 events; median of 9 rounds of
1,000 calls each, the two apps taking turns.
""",
        ["request", "journal off", "journal on", "on vs off", "target"],
    )
    logging.getLogger("mockmind").setLevel(logging.ERROR)
    logging.getLogger("mangum").setLevel(logging.WARNING)
    off = _cases(_handler(journal=False))
    on = _cases(_handler(journal=True))
    for name in off:
        for _ in range(200):  # warm both
            off[name]()
            on[name]()
        without, with_journal = per_call(off[name], on[name], number=NUMBER, repeat=REPEAT)
        ratio = with_journal / without
        section.row(
            name,
            fmt_us(without),
            fmt_us(with_journal),
            fmt_ratio(ratio),
            verdict(ratio <= TARGET_RATIO, f"≤ {TARGET_RATIO:.2f}x"),
        )
    load = os.getloadavg()
    section.notes.append(
        f"Load average (1, 5, 15 min) at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} on "
        f"{os.cpu_count()} CPUs: on a busy machine the absolute times grow; the two apps take "
        "turns, so the ratio holds better than the times."
    )
    section.notes.append(
        "The journal keeps each session's last `journal.max_events` (200) events, so the "
        "memory backend's journal does not grow over the run."
    )
    return section
