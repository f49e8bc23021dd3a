"""21. Tenants: many APIs in one warm instance.

Fifty copies of the shop (examples/shop, offline generator, memory stores) in a folder, served
by the tenant front (``app/tenant_front.py``) behind Mangum in this process, as the Lambda
handler serves them, with the same API Gateway (HTTP API v2) events as the other sections:

- the first request of a tenant not yet built, in an instance where others are: the catalog's
  read, the config's load, the world's build and the answer;
- memory per built tenant: the process's resident size grown over building fifty, divided by
  fifty (and the estimate the worlds' memory bound counts, for comparison);
- requests per second with the fifty tenants in rotation against one tenant, and against the
  single API with no front (a cached ``GET /products`` each, one session per tenant).
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mangum import Mangum

from bench.overhead import FakeContext, event
from bench.report import ROOT, Section, fmt_bytes, fmt_ratio, fmt_s, per_call, verdict
from mockmind.app.api import create_app
from mockmind.app.bootstrap import build
from mockmind.app.environment import Environment
from mockmind.app.tenant_front import TenantFront, tenant_front
from mockmind.config import load_config
from mockmind.config.models import TenantsConfig
from mockmind.tenants.worlds import resident_bytes

SHOP = ROOT / "examples" / "shop"
TENANTS = 50
FIRST_REQUESTS = 9
NUMBER = 500
REPEAT = 7
ENV = {"MOCKMIND_LLM_PROVIDER": "offline"}
COOKIE = "mockforge_session=bench-tenants"
# A request that rotates over fifty warm tenants should cost about what one tenant's does.
TARGET_ROTATION = 0.80
# The front's share of a cached answer's time.
TARGET_FRONT = 1.15
# A first request costs a build; the shop's takes tens of milliseconds.
TARGET_FIRST_SECONDS = 0.5


Handler = Callable[[dict[str, Any]], dict[str, Any]]


def _folder(root: Path, count: int) -> None:
    for n in range(count):
        target = root / f"shop-{n:02d}"
        target.mkdir(parents=True)
        for name in ("mockmind.yaml", "openapi.yaml"):
            shutil.copy(SHOP / name, target / name)


def _front(root: Path) -> TenantFront:
    config = TenantsConfig(catalog=str(root), max_built=TENANTS * 2, max_memory_mb=1 << 14)
    return tenant_front(config, Environment.from_mapping(ENV))


def _handler(app: Any) -> Handler:
    mangum = Mangum(app, lifespan="off")
    context = FakeContext()
    return lambda ev: mangum(ev, context)


def _get(handler: Handler, path: str) -> Callable[[], dict[str, Any]]:
    request = event("GET", path, {"cookie": COOKIE})

    def call() -> dict[str, Any]:
        answer = handler(request)
        assert answer["statusCode"] == 200, answer
        return answer

    return call


def run() -> Section:
    section = Section(
        "21. Tenants (many APIs in one warm instance)",
        f"""
{TENANTS} copies of the shop (examples/shop, offline generator, memory stores), each its own
tenant in a folder, served by the tenant front behind Mangum in this process (as the Lambda
handler serves them), with the HTTP API v2 events of the other sections. First request: a
tenant not built yet while {TENANTS} others are, median of {FIRST_REQUESTS} such tenants.
Requests per second: a cached `GET /products` (one session per tenant), median of {REPEAT}
rounds of {NUMBER} calls, the three cases taking turns.
""",
        ["measure", "value", "compared with", "ratio", "target"],
    )
    logging.getLogger("mockmind").setLevel(logging.ERROR)
    logging.getLogger("mockmind.tenants").setLevel(logging.ERROR)
    logging.getLogger("mangum").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-tenants-") as work:
        root = Path(work) / "tenants"
        _folder(root, TENANTS + FIRST_REQUESTS)
        front = _front(root)
        handler = _handler(front)
        names = [f"shop-{n:02d}" for n in range(TENANTS)]

        gc.collect()
        before = resident_bytes()
        builds: list[float] = []
        for name in names:
            start = time.perf_counter()
            _get(handler, f"/t/{name}/products")()
            builds.append(time.perf_counter() - start)
        gc.collect()
        after = resident_bytes()
        estimated = front.worlds.total_size() / TENANTS

        firsts = []
        for n in range(TENANTS, TENANTS + FIRST_REQUESTS):
            start = time.perf_counter()
            _get(handler, f"/t/shop-{n:02d}/products")()
            firsts.append(time.perf_counter() - start)
        first = statistics.median(firsts)

        single = build(load_config(SHOP / "mockmind.yaml", ENV), env=ENV)
        direct = _get(_handler(create_app(single)), "/products")
        one = _get(handler, f"/t/{names[0]}/products")
        rotation_calls = [_get(handler, f"/t/{name}/products") for name in names]
        turn = [0]

        def rotation() -> dict[str, Any]:
            turn[0] = (turn[0] + 1) % TENANTS
            return rotation_calls[turn[0]]()

        for _ in range(3 * TENANTS):  # every tenant's answer cached, every path warm
            rotation()
            one()
            direct()
        t_rotation, t_one, t_direct = per_call(rotation, one, direct, number=NUMBER, repeat=REPEAT)
        warm = t_one
        section.row(
            "first request of a tenant not yet built (warm instance)",
            fmt_s(first),
            f"a built tenant's request, {fmt_s(warm)}",
            fmt_ratio(first / warm),
            verdict(first <= TARGET_FIRST_SECONDS, f"≤ {fmt_s(TARGET_FIRST_SECONDS)}"),
        )
        if before is not None and after is not None:
            section.row(
                "memory per built tenant (resident size grown / tenants)",
                fmt_bytes((after - before) / TENANTS),
                f"the worlds' estimate, {fmt_bytes(estimated)}",
                fmt_ratio(estimated / max(1, (after - before) / TENANTS)),
                "measured (no target)",
            )
        section.row(
            f"requests per second, {TENANTS} tenants in rotation",
            f"{1 / t_rotation:,.0f}/s",
            f"one tenant, {1 / t_one:,.0f}/s",
            fmt_ratio(t_one / t_rotation),
            verdict(t_one / t_rotation >= TARGET_ROTATION, f"≥ {TARGET_ROTATION:.2f}x"),
        )
        section.row(
            "requests per second, one tenant through the front",
            f"{1 / t_one:,.0f}/s",
            f"the single API, no front, {1 / t_direct:,.0f}/s",
            fmt_ratio(t_one / t_direct),
            verdict(t_one / t_direct <= TARGET_FRONT, f"time ≤ {TARGET_FRONT:.2f}x"),
        )
        section.notes.append(
            f"Building the first {TENANTS} tenants, one after another: median "
            f"{fmt_s(statistics.median(builds))} per first request, the slowest "
            f"{fmt_s(max(builds))} (the process's first build imports what the others reuse)."
        )
        section.notes.append(
            "The worlds' estimate (what `tenants.max_memory_mb` bounds) is each build's growth "
            "of the resident size, at least 8 times the tenant's file bytes; a shop world's "
            "growth is measured here one build at a time, as the front builds them."
        )
    load = os.getloadavg()
    section.notes.append(
        f"Load average (1, 5, 15 min) at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} on "
        f"{os.cpu_count()} CPUs: on a busy machine the absolute times grow; the cases take "
        "turns, so the ratios hold better than the times."
    )
    return section


if __name__ == "__main__":
    from bench.report import RESULTS, replace_summary_line, write_section
    from bench.run import summary

    started = time.perf_counter()
    result = run()
    result.seconds = time.perf_counter() - started
    target = write_section(result)
    # The summary line as `make bench` words it: the targets met and missed.
    line = summary([result]).splitlines()[2]
    target.write_text(replace_summary_line(target.read_text(), result.title, line))
    print(target.relative_to(RESULTS.parent.parent))
