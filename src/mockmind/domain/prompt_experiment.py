"""Prompts under experiment: named system prompts with weights, one per session, and what each
variant's answers were worth (valid at first try, repaired, fallen back, latency, tokens, cost)
with a confidence interval and a plain verdict.

A session's variant is a pure function of its id (a digest mapped onto the weights), so every
instance of a deployment puts a session in the same variant without storing anything; changing
the weights moves some sessions to another variant.
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import field
from typing import TYPE_CHECKING, Any

from mockmind.domain.percentiles import nearest_rank
from mockmind.lean_dataclass import dataclass

if TYPE_CHECKING:
    # A mock-only start imports this module (engine settings name PromptVariant) and no LLM code.
    from mockmind.domain.content import ContentResult

# A two-sided 95% interval, and the level at which one variant is called better.
_Z95 = 1.959963984540054
SIGNIFICANCE = 0.05
# Latencies kept per variant for its percentiles: the most recent ones, so memory is bounded.
LATENCIES_KEPT = 2000


@dataclass(frozen=True)
class PromptVariant:
    name: str
    system_prompt: str
    weight: float = 1.0


def variant_for(session_id: str, variants: Sequence[PromptVariant]) -> PromptVariant:
    """The session's variant, the same on every instance and every request."""
    if not variants:
        raise ValueError("no prompt variants to choose from")
    digest = hashlib.blake2b(session_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    point = int.from_bytes(digest, "big") / 2**64 * sum(v.weight for v in variants)
    for variant in variants:
        point -= variant.weight
        if point < 0:
            return variant
    return variants[-1]


@dataclass
class _Tally:
    answers: int = 0
    valid_first_try: int = 0
    repaired: int = 0
    fallbacks: int = 0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latencies_ms: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCIES_KEPT))


class VariantStats:
    """A content observer (domain/content.py) that tallies each variant's answers.

    Only answers the model was asked for count: a request answered by the fallback without a
    call (the budget is spent, the breaker is open) says nothing about its prompt.
    """

    def __init__(self, variants: Sequence[PromptVariant]) -> None:
        self.variants = tuple(variants)
        self._tallies = {variant.name: _Tally() for variant in self.variants}

    def observe(self, result: ContentResult) -> None:
        tally = self._tallies.get(result.variant or "")
        if tally is None or result.usage.calls == 0:
            return
        tally.answers += 1
        if result.source == "llm":
            if result.repaired:
                tally.repaired += 1
            else:
                tally.valid_first_try += 1
        else:
            tally.fallbacks += 1
        tally.calls += result.usage.calls
        tally.prompt_tokens += result.usage.prompt_tokens
        tally.completion_tokens += result.usage.completion_tokens
        tally.cost_usd += result.usage.cost_usd
        tally.latencies_ms.append(result.latency_ms)

    def report(self) -> dict[str, Any]:
        rows = [self._row(variant) for variant in self.variants]
        return {"variants": rows, "verdict": verdict(rows)}

    def _row(self, variant: PromptVariant) -> dict[str, Any]:
        tally = self._tallies[variant.name]
        low, high = wilson_interval(tally.valid_first_try, tally.answers)
        ordered = sorted(tally.latencies_ms)
        return {
            "name": variant.name,
            "weight": variant.weight,
            "answers": tally.answers,
            "calls": tally.calls,
            "valid_first_try": tally.valid_first_try,
            "valid_first_try_rate": (
                round(tally.valid_first_try / tally.answers, 4) if tally.answers else None
            ),
            "valid_first_try_interval": [round(low, 4), round(high, 4)] if tally.answers else None,
            "repaired": tally.repaired,
            "fallbacks": tally.fallbacks,
            "latency_p50_ms": nearest_rank(ordered, 50),
            "latency_p95_ms": nearest_rank(ordered, 95),
            "prompt_tokens": tally.prompt_tokens,
            "completion_tokens": tally.completion_tokens,
            "cost_usd": round(tally.cost_usd, 6),
        }


def wilson_interval(successes: int, trials: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (sound at small counts and at 0% or 100%)."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportion_p_value(
    a_successes: int, a_trials: int, b_successes: int, b_trials: int
) -> float:
    """Two-sided p-value of the difference of two proportions (pooled z-test)."""
    if a_trials == 0 or b_trials == 0:
        return 1.0
    pooled = (a_successes + b_successes) / (a_trials + b_trials)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / a_trials + 1 / b_trials))
    if spread == 0:
        return 1.0
    z = abs(a_successes / a_trials - b_successes / b_trials) / spread
    return math.erfc(z / math.sqrt(2))


def verdict(rows: Sequence[dict[str, Any]]) -> str:
    """One sentence: which variant answers valid at first try more often, if the counts say so."""
    measured = [row for row in rows if row["answers"]]
    if len(rows) < 2:
        return "one variant: nothing to compare"
    if len(measured) < 2:
        return "not enough answers yet: each variant needs some"
    ranked = sorted(measured, key=lambda row: row["valid_first_try_rate"], reverse=True)
    best, runner_up = ranked[0], ranked[1]
    p_value = two_proportion_p_value(
        best["valid_first_try"], best["answers"], runner_up["valid_first_try"], runner_up["answers"]
    )
    rates = f"{_percent(best)} vs {_percent(runner_up)}"
    if p_value < SIGNIFICANCE:
        return (
            f"{best['name']} is better: valid at first try {rates} (p = {p_value:.3g}, "
            f"{best['answers']} and {runner_up['answers']} answers)"
        )
    return (
        f"no clear difference yet: valid at first try {rates} (p = {p_value:.2f}; "
        f"{best['answers']} and {runner_up['answers']} answers)"
    )


def _percent(row: dict[str, Any]) -> str:
    low, high = row["valid_first_try_interval"]
    return f"{row['name']} {row['valid_first_try_rate']:.0%} ({low:.0%}-{high:.0%})"
