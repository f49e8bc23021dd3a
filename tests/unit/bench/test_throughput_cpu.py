"""bench/throughput.py: the server CPU per request beside requests a second (row 4's notes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench import throughput
from bench.report import cpu_seconds
from bench.throughput import WrkResult, cpu_note, list_case

BURN_SECONDS = 0.3
# A child that spends BURN_SECONDS of CPU, says so, then idles until killed.
BURNER = f"""
import time
end = time.process_time() + {BURN_SECONDS}
while time.process_time() < end:
    pass
print("burnt", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_cpu_seconds_counts_the_process_tree() -> None:
    # A server's workers are its children (granian's): their CPU is the server's.
    before = cpu_seconds(os.getpid())
    with subprocess.Popen(
        [sys.executable, "-c", BURNER], stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "burnt"
            spent_by_child = cpu_seconds(child.pid)
            spent_by_tree = cpu_seconds(os.getpid()) - before
        finally:
            child.kill()
    # Clock ticks are 10 ms: the burn is counted whole, less a tick.
    assert spent_by_child >= BURN_SECONDS - 0.011
    assert spent_by_tree >= BURN_SECONDS - 0.011


def _result(cpu_us: float | None) -> WrkResult:
    return WrkResult(rps=1000.0, p50_ms=1.0, p99_ms=2.0, requests=5000, errors=0, cpu_us=cpu_us)


def test_the_note_gives_each_servers_cpu_and_prism_over_the_default_server() -> None:
    case = list_case()
    results = {
        "uvicorn": {case.name: _result(150.0)},
        "granian": {case.name: _result(200.0)},
        "prism": {case.name: _result(500.0)},
    }
    ratio = {"granian": "2.50x", "uvicorn": "3.33x"}[throughput.DEFAULT_SERVER]
    assert cpu_note(case, results) == (
        f"{case.name}: server CPU per request uvicorn 150 µs, granian 200 µs, Prism 500 µs; "
        f"Prism/{throughput.DEFAULT_SERVER} {ratio}."
    )


def test_the_note_leaves_out_what_was_not_measured() -> None:
    case = list_case()
    # Prism skipped (not installed), uvicorn unmeasured: no ratio, one figure.
    results = {"uvicorn": {case.name: _result(None)}, "granian": {case.name: _result(200.0)}}
    assert cpu_note(case, results) == f"{case.name}: server CPU per request granian 200 µs."
    assert cpu_note(case, {"uvicorn": {}, "granian": {}}) is None
