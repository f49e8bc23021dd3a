"""What ``mockmind learn`` made of a recording, run and checked: the command as a process,
and the learned mock served and replayed the recorded requests (``replay``)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mockmind.learning.exchanges import Exchange
from mockmind.learning.recordings import read_recording
from tests.support.mockmind_server import start_server, stop_server
from tests.support.paths import ROOT
from tests.support.replay import Replay, Replayed, body_problems

OFFLINE = {"MOCKMIND_LLM_PROVIDER": "offline"}

# The shop's order machine, as learn writes it from traffic that paid, shipped and cancelled
# both a placed and a paid order.
ORDER_MACHINE = {
    "order_lifecycle": {
        "resource": "orders",
        "field": "status",
        "initial": "placed",
        "states": ["placed", "paid", "shipped", "cancelled"],
        "transitions": [
            {
                "from": ["placed"],
                "to": "paid",
                "on": "POST /orders/{orderId}/pay",
                "set": {"paid_at": "now()"},
            },
            {"from": ["paid"], "to": "shipped", "on": "POST /orders/{orderId}/ship"},
            {
                "from": ["placed", "paid"],
                "to": "cancelled",
                "on": "POST /orders/{orderId}/cancel",
            },
        ],
    }
}
CART_ITEMS = {"path": "/cart/items", "item_path": "/cart/items/{itemId}", "id_field": "id"}
ORDERS = {"path": "/orders", "item_path": "/orders/{orderId}", "id_field": "id"}


@dataclass
class Learned:
    recording: Path
    exchanges: list[Exchange]
    out: Path
    stderr: str

    def document(self) -> dict[str, Any]:
        return load_yaml(self.out / "openapi.yaml")

    def rules(self) -> dict[str, Any]:
        config = load_yaml(self.out / "mockmind.yaml")
        rules: dict[str, Any] = config["intelligent_behavior"]["behavior_model"]["rules"]
        return rules


def load_yaml(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def learn(recording: Path, out: Path) -> Learned:
    """``mockmind learn RECORDING -o OUT`` as a process; it must succeed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-m", "mockmind.cli", "learn", str(recording), "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    exchanges = read_recording(recording.name, recording.read_text())
    return Learned(recording, exchanges, out, done.stderr)


def replay_against_learned(learned: Learned, exchanges: list[Exchange]) -> list[Replayed]:
    """The exchanges replayed against the learned mock, served; asserts at least 95% of the
    statuses are the recorded ones and every answer is valid for the learned document."""
    document = learned.document()
    process, url = start_server(learned.out / "mockmind.yaml", OFFLINE)
    try:
        replayed = Replay(url).run(exchanges)
    finally:
        stop_server(process)
    assert len(replayed) == len(exchanges)
    different = [
        f"{r.recorded.method} {r.recorded.path}: {r.recorded.status} then {r.response.status_code}"
        for r in replayed
        if r.recorded.status != r.response.status_code
    ]
    assert len(different) <= 0.05 * len(replayed), different
    problems = [
        problem
        for r in replayed
        for problem in body_problems(
            document, r.recorded.method, r.response.request.url.path, r.response
        )
    ]
    assert problems == []
    return replayed
