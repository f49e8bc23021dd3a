"""bench/throughput.py: interleaved rounds, their order, and how they make one figure (row 4)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from bench import throughput
from bench.throughput import (
    RUN_STRIDE,
    WrkResult,
    cases,
    combined,
    list_case,
    load_note,
    lua,
    median_round,
    round_orders,
    round_ratios,
    spread_note,
)


def _round(rps: float, *, requests: int = 1000, cpu_us: float | None = 100.0) -> WrkResult:
    # Latencies derived from rps, so a test can tell which round they came from.
    return WrkResult(
        rps=rps, p50_ms=rps / 1000, p99_ms=rps / 100, requests=requests, errors=0, cpu_us=cpu_us
    )


def test_each_server_takes_each_place_once_over_as_many_rounds() -> None:
    orders = round_orders(["uvicorn", "granian", "prism"], 3)
    assert orders == [
        ["uvicorn", "granian", "prism"],
        ["granian", "prism", "uvicorn"],
        ["prism", "uvicorn", "granian"],
    ]
    for place in range(3):
        assert sorted(order[place] for order in orders) == ["granian", "prism", "uvicorn"]


def test_more_rounds_than_servers_keep_rotating() -> None:
    assert round_orders(["a", "b"], 3) == [["a", "b"], ["b", "a"], ["a", "b"]]
    assert round_orders([], 2) == [[], []]


def test_the_median_round_is_a_real_round_with_its_own_latencies() -> None:
    rounds = [_round(3000.0), _round(1000.0), _round(2000.0)]
    assert median_round(rounds) is rounds[2]
    # An even count takes the lower middle: still one round's figures, not an average.
    assert median_round([_round(4000.0), _round(1000.0)]).rps == 1000.0
    with pytest.raises(ValueError, match="no rounds"):
        median_round([])


def test_combined_takes_the_median_rps_and_sums_requests_errors_and_cpu() -> None:
    rounds = [
        _round(3000.0, requests=6000, cpu_us=100.0),
        replace(_round(1000.0, requests=2000, cpu_us=400.0), errors=5),
        _round(2000.0, requests=4000, cpu_us=200.0),
    ]
    got = combined(rounds)
    assert (got.rps, got.p50_ms, got.p99_ms) == (2000.0, 2.0, 20.0)
    assert got.requests == 12000
    assert got.errors == 5
    # CPU over all rounds' requests: (0.6 + 0.8 + 0.8) s / 12,000 requests, not a mean of means.
    assert got.cpu_us == pytest.approx((6000 * 100 + 2000 * 400 + 4000 * 200) / 12000)


def test_combined_cpu_is_unknown_when_a_round_did_not_measure_it() -> None:
    assert combined([_round(1.0), _round(2.0, cpu_us=None), _round(3.0)]).cpu_us is None


def test_round_ratios_pair_the_same_rounds() -> None:
    mine = [_round(3000.0), _round(2000.0), _round(4500.0)]
    theirs = [_round(1000.0), _round(1000.0), _round(1500.0)]
    assert round_ratios(mine, theirs) == [3.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="3 rounds against 2"):
        round_ratios(mine, theirs[:2])


def test_the_spread_note_gives_each_rounds_figures_in_order_and_ratio() -> None:
    case = list_case()
    other = next(server for server in throughput.SERVERS if server != throughput.DEFAULT_SERVER)
    orders = round_orders([throughput.DEFAULT_SERVER, other, "prism"], 3)
    mine, theirs = throughput.DEFAULT_SERVER, "prism"
    rounds = {
        mine: [_round(3100.0), _round(2500.0), _round(3400.0)],
        other: [_round(2000.0), _round(2100.0), _round(2200.0)],
        theirs: [_round(1000.0), _round(1000.0), _round(1000.0)],
    }
    assert spread_note(case, rounds, orders) == (
        f"{case.name}: req/s by round, in the order run, and {mine} vs Prism: "
        f"{mine} 3,100 > {other} 2,000 > Prism 1,000: 3.10x; "
        f"{other} 2,100 > Prism 1,000 > {mine} 2,500: 2.50x; "
        f"Prism 1,000 > {mine} 3,400 > {other} 2,200: 3.40x; "
        "spread 2.50x-3.40x."
    )


def _numbers(script: str) -> int:
    found = re.search(r"^counter = (\d+)$", script, re.M)
    assert found is not None
    return int(found.group(1))


def test_numbered_requests_of_successive_runs_never_repeat() -> None:
    # A repeated `n` would be a cache hit in mockmind: every wrk run starts past the last.
    (numbered,) = [case for case in cases("t") if case.numbered]
    starts = [_numbers(lua(numbered, run)) for run in range(4)]
    assert starts == [0, RUN_STRIDE, 2 * RUN_STRIDE, 3 * RUN_STRIDE]
    # A run of ROUND_S at far more than any server's rate stays below the next run's start.
    assert 1_000_000 * max(throughput.ROUND_S, throughput.WARMUP_S) < RUN_STRIDE


def test_unnumbered_scripts_are_the_same_in_every_run() -> None:
    (cached, *_) = cases("t")
    assert lua(cached, 0) == lua(cached, 3)
    assert 'wrk.path = "/admin/stats"' in lua(cached, 1)


def test_a_load_past_the_cores_is_flagged_and_a_quiet_one_is_not() -> None:
    quiet = load_note(0.4, 1.2, 2)
    assert quiet.startswith("Load average (1 min) when the rows started and ended: 0.4, 1.2 on 2")
    assert "overstate" not in quiet
    assert "overstate mockmind's lead" in load_note(1.0, 2.5, 2)
    assert "overstate mockmind's lead" in load_note(12.6, 1.0, 2)
