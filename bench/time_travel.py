"""19. Time travel: the world after step 500 of a 1,000-event session, rebuilt from its journal.

The shop (examples/shop, offline generator, memory stores) behind Mangum in this process,
with ``journal.max_events`` raised to 2,000 so that every step is kept. One session makes
1,000 requests that each write an entity (cart items added, then changed in turn); then
``GET /__mockmind/sessions/{id}/at/500`` undoes the changes of the 500 later steps.
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
EVENTS = 1000
STEP = 500
NUMBER = 20
REPEAT = 9
TARGET_SECONDS = 0.050
SESSION = "bench-time-travel"
TOKEN = "bench-admin-token"
ITEMS = 20


def _handler() -> Callable[[dict[str, Any]], dict[str, Any]]:
    text = SHOP.read_text() + f"\njournal: {{enabled: true, max_events: {2 * EVENTS}}}\n"
    env = {"MOCKMIND_LLM_PROVIDER": "offline", "MOCKMIND_ADMIN_TOKEN": TOKEN}
    container = build(parse_config(text, source=SHOP, env=env), env=env)
    mangum = Mangum(create_app(container), lifespan="off")
    context = FakeContext()
    return lambda ev: mangum(ev, context)


def _session(handler: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """1,000 requests, each an entity write: 20 items added, then their quantities changed."""
    headers = {"cookie": f"mockforge_session={SESSION}"}
    products = json.loads(handler(event("GET", "/products", headers))["body"])
    items = []
    for n in range(ITEMS):
        body = {"product_id": products[n % len(products)]["id"], "quantity": 1}
        added = handler(event("POST", "/cart/items", headers, body))
        assert added["statusCode"] == 201, added
        items.append(json.loads(added["body"])["id"])
    for n in range(EVENTS - ITEMS - 1):
        body = {"quantity": 2 + n % 7}
        changed = handler(event("PATCH", f"/cart/items/{items[n % ITEMS]}", headers, body))
        assert changed["statusCode"] == 200, changed


def run() -> Section:
    section = Section(
        "19. Time travel (the world at a step, rebuilt from the journal)",
        f"""
The shop (examples/shop, offline generator, memory stores) behind Mangum in this process,
`journal.max_events` at {2 * EVENTS:,}. One session makes {EVENTS:,} requests, each an entity
write ({ITEMS} cart items added, then their quantities changed in turn). Then the admin route
`GET /__mockmind/sessions/{{id}}/at/{{step}}` through the same handler: at step {STEP} it undoes
the changes of the {EVENTS - STEP} steps after it; at step {EVENTS:,} (the baseline) it undoes
none, so the ratio is what the undoing costs over reading the world and the journal. Median of
{REPEAT} rounds of {NUMBER} calls each, the two taking turns.
""",
        ["request", "at step 1,000 (no undo)", f"at step {STEP}", "ratio", "target"],
    )
    logging.getLogger("mockmind").setLevel(logging.ERROR)
    logging.getLogger("mangum").setLevel(logging.WARNING)
    handler = _handler()
    _session(handler)
    admin = {"x-mockmind-admin-token": TOKEN}
    latest = event("GET", f"/__mockmind/sessions/{SESSION}/at/{EVENTS}", admin)
    middle = event("GET", f"/__mockmind/sessions/{SESSION}/at/{STEP}", admin)
    for ev, step in ((latest, EVENTS), (middle, STEP)):
        answer = handler(ev)
        assert answer["statusCode"] == 200, answer
        assert json.loads(answer["body"])["step"] == step
    journal = handler(event("GET", f"/__mockmind/sessions/{SESSION}/journal", admin))
    events = json.loads(journal["body"])["events"]
    assert [e["seq"] for e in events] == list(range(1, EVENTS + 1)), "the journal is not whole"
    baseline, travel = per_call(
        lambda: handler(latest), lambda: handler(middle), number=NUMBER, repeat=REPEAT
    )
    section.row(
        f"GET …/at/{STEP} of a {EVENTS:,}-event session",
        fmt_us(baseline),
        fmt_us(travel),
        fmt_ratio(travel / baseline),
        verdict(travel <= TARGET_SECONDS, f"≤ {TARGET_SECONDS * 1000:.0f} ms"),
    )
    load = os.getloadavg()
    section.notes.append(
        f"Load average (1, 5, 15 min) at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} on "
        f"{os.cpu_count()} CPUs."
    )
    section.notes.append(
        f"Both calls read the session, the world it sees now ({ITEMS} cart items, the cart and "
        f"the shared catalogue) and its {EVENTS:,} kept events; the difference is undoing "
        f"{EVENTS - STEP} steps' changes."
    )
    return section
