"""18. Simulation: `mockmind simulate`'s buyer flow at 10, 100 and 500 users against a local
server (`mockmind serve`, the shop, one uvicorn worker).

`python -m bench.simulation` writes the section into RESULTS.md on its own (`write_section`);
`bench/run.py --only simulation` runs it with the others."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path

from tests.support.mockmind_server import start_server, stop_server

from bench.report import ROOT, Section
from mockmind.simulation import Settings, Simulation, load_flow

SHOP = ROOT / "examples" / "shop" / "mockmind.yaml"
BUYER = ROOT / "examples" / "shop" / "flows" / "buyer.yaml"
# Users, and flows each runs: about the same number of requests per row.
ROWS = ((10, 20), (100, 2), (500, 1))
# Seconds a user waits for an answer (simulate's default is 30): 500 requests in flight at a
# few dozen a second on a loaded 2-core machine queue for longer than that, and a request cut
# off at 30 s would leave the p99 measuring the timeout instead of the server.
TIMEOUT = 120.0


def _simulate(base_url: str, users: int, iterations: int) -> dict[str, object]:
    flow = load_flow(Path(BUYER))
    settings = Settings(
        users=users, iterations=iterations, think_scale=0, seed="bench", timeout_seconds=TIMEOUT
    )
    results = asyncio.run(Simulation(flow, base_url, settings).run())
    return results.to_dict()


def run() -> Section:
    section = Section(
        "18. Simulation (mockmind simulate, the shop's buyer flow)",
        """
`examples/shop/flows/buyer.yaml` (browse, add to the cart, check its total, check out, pay and
ship or try to ship unpaid: 7 to 8 requests and 9 to 11 checks per flow) run by N virtual users
at once, each in its own session, think times off, against `mockmind serve` (the shop, offline
generator, memory stores, one worker) on loopback. The users run in one asyncio loop in the
benchmark's process, on the same machine as the server: the figures are what one laptop does
with both, not the server alone (row 4 measures that). A user waits up to 120 s for an
answer.
""",
        [
            "users",
            "flows",
            "requests",
            "wall",
            "requests/s",
            "p50",
            "p99",
            "failed checks",
            "of which no answer",
        ],
    )
    env = {"MOCKMIND_LLM_PROVIDER": "offline"}
    process, base_url = start_server(SHOP, env)
    try:
        _simulate(base_url, 10, 1)  # warm the server's routes and the shared catalogue
        for users, iterations in ROWS:
            report = _simulate(base_url, users, iterations)
            latency = report["latency_ms"]
            checks = report["checks"]
            assert isinstance(latency, dict)
            assert isinstance(checks, dict)
            section.row(
                f"{users:,}",
                f"{report['iterations']:,}",
                f"{report['requests']:,}",
                f"{report['wall_seconds']:.2f} s",
                f"{report['requests_per_second']:,}",
                f"{latency['p50']:.1f} ms",
                f"{latency['p99']:.1f} ms",
                str(checks["failed"]),
                str(report["transport_errors"]),
            )
            failures = report["failures"]
            assert isinstance(failures, list)
            kinds = Counter(f"{f['check']}: {f['message'].split(':')[0]}" for f in failures)
            if kinds:
                listed = ", ".join(f"{kind} x{count}" for kind, count in kinds.most_common())
                section.notes.append(f"{users} users, failures: {listed}.")
    finally:
        stop_server(process)
    section.notes.append(
        "The earlier 500-user run's 3 failed checks were requests that got no answer, none a "
        "check of the flow: uvicorn closes a connection idle for 5 s, as long as httpx's pool "
        "keeps one, so a user that reused its connection after about 5 s of quiet wrote into one "
        "being closed (ReadError, RemoteProtocolError; a flow with 5 s think times lost 12 of "
        "590 requests so). `serve` now keeps idle connections 75 s (app/http_server.py)."
    )
    section.notes.append(
        "The quiet came from the load generator: one pool of N connections for all users made "
        "httpcore walk every connection and waiting request on each request (6.1 ms of client "
        "CPU per request at 500 users; with a connection per user, 2.2 ms), and its event loop "
        "stalled for up to 7 s. Each user now has its own connection, closed with its client."
    )
    load = os.getloadavg()
    section.notes.append(
        f"Load average (1, 5, 15 min) at the end: {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} "
        f"on {os.cpu_count()} CPUs."
    )
    return section


if __name__ == "__main__":
    from bench.report import write_section

    print(write_section(run()))
