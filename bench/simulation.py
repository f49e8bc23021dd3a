"""18. Simulation: `mockmind simulate`'s buyer flow at 10, 100 and 500 users against a local
server (`mockmind serve`, the shop, one uvicorn worker).

`python -m bench.simulation` writes the section into RESULTS.md on its own (`write_section`);
`bench/run.py --only simulation` runs it with the others."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from tests.support.mockmind_server import start_server, stop_server

from bench.report import ROOT, Section
from mockmind.simulation import Settings, Simulation, load_flow

SHOP = ROOT / "examples" / "shop" / "mockmind.yaml"
BUYER = ROOT / "examples" / "shop" / "flows" / "buyer.yaml"
# Users, and flows each runs: about the same number of requests per row.
ROWS = ((10, 20), (100, 2), (500, 1))


def _simulate(base_url: str, users: int, iterations: int) -> dict[str, object]:
    flow = load_flow(Path(BUYER))
    settings = Settings(users=users, iterations=iterations, think_scale=0, seed="bench")
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
with both, not the server alone (row 4 measures that).
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
    finally:
        stop_server(process)
    section.notes.append(
        "Each user has its own connection. With one pool of N connections shared by all users "
        "(before this run), httpcore walked every connection and waiting request on each "
        "request: at 500 users the client spent 6 ms of CPU per request (2.5 ms now), its "
        "event loop stalled for up to 7 s, the server's keep-alive (uvicorn, 5 s) closed the "
        "idle connections meanwhile, and users failed on reconnecting (ConnectTimeout) or on a "
        "connection being closed (ReadError, RemoteProtocolError): the failed checks of the "
        "earlier 500-user run were those, none a check of the flow."
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
