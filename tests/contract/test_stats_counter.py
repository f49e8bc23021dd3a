"""The stats counter port: every backend adds, reads by hour range and expires the same way."""

from __future__ import annotations

import threading

from mockmind.ports import StatsCounter

HOUR = 3600
# Hours since the epoch: 2026-12-03 07:00 UTC and the hours around it.
H = 492_463
UNTIL = (H + 100) * HOUR


def test_counts_add_up_per_hour_and_name(stats_counter: StatsCounter) -> None:
    stats_counter.add(H, {"requests": 1, "source:store": 1}, expires_at=UNTIL)
    stats_counter.add(H, {"requests": 1, "source:cache": 1, "cache_hits": 1}, expires_at=UNTIL)
    stats_counter.add(
        H + 1, {"requests": 1, "tokens": 321, "cost_nano_usd": 125_000}, expires_at=UNTIL
    )
    assert stats_counter.read(H, H + 1, now=H * HOUR) == {
        H: {"requests": 2, "source:store": 1, "source:cache": 1, "cache_hits": 1},
        H + 1: {"requests": 1, "tokens": 321, "cost_nano_usd": 125_000},
    }


def test_a_read_takes_the_hours_asked_for_and_leaves_out_hours_without_counts(
    stats_counter: StatsCounter,
) -> None:
    for hour in (H - 2, H, H + 3):
        stats_counter.add(hour, {"requests": hour - H + 10}, expires_at=UNTIL)
    assert stats_counter.read(H - 1, H + 2, now=H * HOUR) == {H: {"requests": 10}}
    assert stats_counter.read(H - 2, H + 3, now=H * HOUR) == {
        H - 2: {"requests": 8},
        H: {"requests": 10},
        H + 3: {"requests": 13},
    }
    assert stats_counter.read(H + 4, H + 10, now=H * HOUR) == {}


def test_an_expired_hour_is_not_read(stats_counter: StatsCounter) -> None:
    stats_counter.add(H, {"requests": 1}, expires_at=(H + 2) * HOUR)
    stats_counter.add(H + 1, {"requests": 2}, expires_at=(H + 5) * HOUR)
    assert stats_counter.read(H, H + 1, now=(H + 3) * HOUR) == {H + 1: {"requests": 2}}


def test_large_counts_stay_exact(stats_counter: StatsCounter) -> None:
    # Cost is counted in nano-dollars: a day of a busy model is billions of them.
    big = 9_007_199_254_740_993  # 2**53 + 1: a float would round it
    stats_counter.add(H, {"cost_nano_usd": big}, expires_at=UNTIL)
    stats_counter.add(H, {"cost_nano_usd": 2}, expires_at=UNTIL)
    assert stats_counter.read(H, H, now=H * HOUR) == {H: {"cost_nano_usd": big + 2}}


def test_writers_at_once_lose_no_count(stats_counter: StatsCounter) -> None:
    def count() -> None:
        for _ in range(25):
            stats_counter.add(H, {"requests": 1, "errors:rule": 1}, expires_at=UNTIL)

    writers = [threading.Thread(target=count) for _ in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert stats_counter.read(H, H, now=H * HOUR) == {H: {"requests": 100, "errors:rule": 100}}


DAY = 86_400
# Days since the epoch: 2026-12-03 UTC.
D = 20_790
DAY_UNTIL = (D + 2) * DAY


def test_a_days_add_returns_every_counter_of_the_day_as_it_left_them(
    stats_counter: StatsCounter,
) -> None:
    assert stats_counter.add_to_day(D, {"requests": 1}, expires_at=DAY_UNTIL) == {"requests": 1}
    assert stats_counter.add_to_day(D, {"cost_nano_usd": 36_000}, expires_at=DAY_UNTIL) == {
        "requests": 1,
        "cost_nano_usd": 36_000,
    }
    assert stats_counter.add_to_day(D, {"requests": 1}, expires_at=DAY_UNTIL) == {
        "requests": 2,
        "cost_nano_usd": 36_000,
    }
    assert stats_counter.read_day(D, now=D * DAY) == {"requests": 2, "cost_nano_usd": 36_000}


def test_days_and_hours_are_counted_apart(stats_counter: StatsCounter) -> None:
    # Day D and hour D share a number: neither bucket may see the other's counts.
    stats_counter.add(D, {"requests": 5}, expires_at=UNTIL)
    assert stats_counter.add_to_day(D, {"requests": 1}, expires_at=DAY_UNTIL) == {"requests": 1}
    assert stats_counter.add_to_day(D + 1, {"requests": 7}, expires_at=DAY_UNTIL) == {"requests": 7}
    assert stats_counter.read_day(D, now=D * DAY) == {"requests": 1}
    assert stats_counter.read_day(D - 1, now=D * DAY) == {}
    assert stats_counter.read(D, D, now=D * HOUR) == {D: {"requests": 5}}


def test_an_expired_day_is_not_read(stats_counter: StatsCounter) -> None:
    stats_counter.add_to_day(D, {"requests": 3}, expires_at=(D + 1) * DAY)
    assert stats_counter.read_day(D, now=(D + 1) * DAY - 1) == {"requests": 3}
    assert stats_counter.read_day(D, now=(D + 1) * DAY) == {}


def test_writers_adding_to_a_day_at_once_each_see_their_own_total(
    stats_counter: StatsCounter,
) -> None:
    # What a quota's check rests on: of 100 adds of 1, each returns a different total.
    seen: list[int] = []
    lock = threading.Lock()

    def count() -> None:
        for _ in range(25):
            total = stats_counter.add_to_day(D, {"requests": 1}, expires_at=DAY_UNTIL)
            with lock:
                seen.append(total["requests"])

    writers = [threading.Thread(target=count) for _ in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert sorted(seen) == list(range(1, 101))
    assert stats_counter.read_day(D, now=D * DAY) == {"requests": 100}
