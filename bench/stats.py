"""16. Stats: what counting each request in its hour's stats costs per request.

Two apps built from examples/shop in this process, the same but for ``stats.enabled``, each
behind Mangum with the same API Gateway (HTTP API v2) events, on the memory backend (a dict
update) and on SQLite (one upsert transaction per request), as bench/journal.py measures the
journal.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mangum import Mangum

from bench.journal import _cases
from bench.overhead import FakeContext
from bench.report import ROOT, Section, fmt_ratio, fmt_us, per_call, verdict
from mockmind.adapters.memory import MemoryStatsCounter
from mockmind.adapters.sqlite import SqliteDatabase, SqliteStatsCounter
from mockmind.app.api import create_app
from mockmind.app.bootstrap import build
from mockmind.config import parse_config
from mockmind.domain.stats import RequestStats
from mockmind.ports.stats import StatsCounter

SHOP = ROOT / "examples" / "shop" / "mockmind.yaml"
NUMBER = 300
REPEAT = 7
# Calls of the count alone, per round.
COUNTS = 5000
TARGET_RATIO = 1.05


def _handler(stats: bool, sqlite: Path | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    text = SHOP.read_text() + f"\nstats: {{enabled: {str(stats).lower()}}}\n"
    if sqlite is not None:
        text = text.replace(
            "storage:\n  backend: memory", f"storage:\n  backend: sqlite\n  sqlite_path: {sqlite}"
        )
    env = {"MOCKMIND_LLM_PROVIDER": "offline"}
    container = build(parse_config(text, source=SHOP, env=env), env=env)
    mangum = Mangum(create_app(container), lifespan="off")
    context = FakeContext()
    return lambda ev: mangum(ev, context)


def run() -> Section:
    section = Section(
        "16. Stats (cost per request of counting it)",
        """
The shop (examples/shop, offline generator) behind Mangum in this process, built twice: with
the hourly stats on (the default: each answered request adds its counts to its hour's
counters in one write) and off (`stats: {enabled: false}`), on the memory backend and on
SQLite (each app its own file). Same session, same HTTP API v2 events (a read, and a PATCH
that writes an entity); median of 7 rounds of 300 calls each, the two apps taking turns.
Then the count alone (`RequestStats.count` of a store answer: what each request adds), on
each backend's counter.
""",
        ["backend", "request", "stats off", "stats on", "on vs off", "target"],
    )
    logging.getLogger("mockmind").setLevel(logging.ERROR)
    logging.getLogger("mangum").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        for backend in ("memory", "sqlite"):
            files = [Path(folder) / f"{name}.db" for name in ("off", "on")]
            off = _cases(_handler(False, files[0] if backend == "sqlite" else None))
            on = _cases(_handler(True, files[1] if backend == "sqlite" else None))
            for name in off:
                for _ in range(200):  # warm both
                    off[name]()
                    on[name]()
                without, counted = per_call(off[name], on[name], number=NUMBER, repeat=REPEAT)
                ratio = counted / without
                section.row(
                    backend,
                    name,
                    fmt_us(without),
                    fmt_us(counted),
                    fmt_ratio(ratio),
                    verdict(ratio <= TARGET_RATIO, f"≤ {TARGET_RATIO:.2f}x"),
                )
        for backend in ("memory", "sqlite"):
            counter: StatsCounter = (
                MemoryStatsCounter()
                if backend == "memory"
                else SqliteStatsCounter(SqliteDatabase(Path(folder) / "count.db"))
            )
            stats = RequestStats(counter)
            now = time.time()
            (alone,) = per_call(
                functools.partial(stats.count, now, "store", 200), number=COUNTS, repeat=REPEAT
            )
            section.row(backend, "the count alone (one request's write)", "", fmt_us(alone), "", "")
    load = os.getloadavg()
    section.notes.append(
        f"Load average (1, 5, 15 min) at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} on "
        f"{os.cpu_count()} CPUs: the two apps take turns, so the ratio holds better than the times."
    )
    section.notes.append(
        "On DynamoDB the count is one UpdateItem (ADD on the hour's item) per request, a round "
        "trip of its own beside the session's write; not measured here (moto's latency is not "
        "DynamoDB's)."
    )
    return section
