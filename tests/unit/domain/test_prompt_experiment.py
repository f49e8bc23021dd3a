"""Prompts under experiment: a session's variant, the tallies, the interval and the verdict."""

from __future__ import annotations

from collections import Counter

import pytest

from mockmind.domain.content import ContentResult, ContentUsage
from mockmind.domain.prompt_experiment import (
    PromptVariant,
    VariantStats,
    two_proportion_p_value,
    variant_for,
    verdict,
    wilson_interval,
)

A = PromptVariant("a", "prompt a", 3.0)
B = PromptVariant("b", "prompt b", 1.0)


def test_a_session_keeps_its_variant_and_weights_share_the_sessions() -> None:
    ids = [f"session-{n}" for n in range(4000)]
    first = [variant_for(i, (A, B)).name for i in ids]
    assert first == [variant_for(i, (A, B)).name for i in ids]
    shares = Counter(first)
    # 3:1 weights: 3,000 expected in a; a binomial spread of sqrt(4000*.75*.25) ~ 27.
    assert 2880 <= shares["a"] <= 3120
    assert shares["a"] + shares["b"] == 4000
    assert {variant_for(i, (B,)).name for i in ids[:50]} == {"b"}
    with pytest.raises(ValueError, match="no prompt variants"):
        variant_for("s", ())


def test_wilson_interval_matches_the_textbook() -> None:
    # 8 of 10: the usual worked example, (0.490, 0.943).
    low, high = wilson_interval(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    low, high = wilson_interval(0, 20)
    assert (low, round(high, 3)) == (0.0, 0.161)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_two_proportion_p_value_matches_a_hand_computation() -> None:
    # 45/100 vs 30/100: pooled 0.375, z = 0.15 / sqrt(0.375 * 0.625 * 0.02) = 2.1909.
    assert round(two_proportion_p_value(45, 100, 30, 100), 4) == 0.0285
    assert two_proportion_p_value(5, 10, 5, 10) == 1.0
    assert two_proportion_p_value(10, 10, 10, 10) == 1.0
    assert two_proportion_p_value(1, 0, 1, 1) == 1.0


def _result(
    variant: str | None, source: str = "llm", *, repaired: bool = False, calls: int = 1
) -> ContentResult:
    return ContentResult(
        body={} if source == "llm" else None,
        source=source,  # type: ignore[arg-type]
        reason=None,
        usage=ContentUsage(calls, 100 * calls, 20 * calls, 0.001 * calls),
        provider="openai",
        model="m",
        repaired=repaired,
        variant=variant,
        latency_ms=10.0 * calls,
    )


def test_each_variant_counts_its_own_answers() -> None:
    stats = VariantStats((A, B))
    for _ in range(3):
        stats.observe(_result("a"))
    stats.observe(_result("a", repaired=True, calls=2))
    stats.observe(_result("b", "fallback", calls=2))
    stats.observe(_result("b", "fallback", calls=0))  # no call made: says nothing of the prompt
    stats.observe(_result(None))  # shared content, in no variant
    stats.observe(_result("gone"))  # a variant no longer configured
    report = stats.report()
    a, b = report["variants"]
    assert a == {
        "name": "a",
        "weight": 3.0,
        "answers": 4,
        "calls": 5,
        "valid_first_try": 3,
        "valid_first_try_rate": 0.75,
        "valid_first_try_interval": [
            round(wilson_interval(3, 4)[0], 4),
            round(wilson_interval(3, 4)[1], 4),
        ],
        "repaired": 1,
        "fallbacks": 0,
        "latency_p50_ms": 10.0,
        "latency_p95_ms": 20.0,
        "prompt_tokens": 500,
        "completion_tokens": 100,
        "cost_usd": 0.005,
    }
    assert (b["answers"], b["calls"], b["fallbacks"], b["valid_first_try_rate"]) == (1, 2, 1, 0.0)
    assert report["verdict"] == (
        "no clear difference yet: valid at first try a 75% (30%-95%) vs b 0% (0%-79%) "
        "(p = 0.17; 4 and 1 answers)"
    )


def test_the_verdict_names_the_better_variant_only_when_the_counts_say_so() -> None:
    def row(name: str, valid: int, answers: int) -> dict[str, object]:
        low, high = wilson_interval(valid, answers)
        return {
            "name": name,
            "answers": answers,
            "valid_first_try": valid,
            "valid_first_try_rate": valid / answers if answers else None,
            "valid_first_try_interval": [low, high],
        }

    assert verdict([row("strict", 45, 100), row("loose", 30, 100)]) == (
        "strict is better: valid at first try strict 45% (36%-55%) vs loose 30% (22%-40%) "
        "(p = 0.0285, 100 and 100 answers)"
    )
    assert verdict([row("only", 3, 4)]) == "one variant: nothing to compare"
    assert verdict([row("a", 3, 4), row("b", 0, 0)]) == (
        "not enough answers yet: each variant needs some"
    )
