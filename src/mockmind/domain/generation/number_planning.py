"""Number planning: a number inside a flat's bounds, on its ``multipleOf`` grid, in the range
its field name suggests (prices 1-500 by cents, ages 18-90), as validators will count it.

The plan (bounds with format limits, a window of multiples per step) depends on the flat alone,
so it is kept on the flat: a memoised flat plans once for every later call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from functools import lru_cache
from typing import Any

from mockmind.domain.generation.draws import Rng
from mockmind.domain.generation.flattening import Flat
from mockmind.domain.generation.formats import INT_FORMAT_BOUNDS
from mockmind.domain.generation.number_plan import NumberPlan
from mockmind.domain.generation.vocabulary import DEFAULT_RANGE, NUMERIC_HINTS


def pick_number(
    flat: Flat,
    rng: Rng,
    hint: str | None,
    *,
    integer: bool,
    excluded: Callable[[Any], bool],
) -> int | float | None:
    """A number drawn from ``flat``'s plan that satisfies it and that ``excluded`` does not
    rule out; None when none of those tried does (``fallback_number`` then answers)."""
    plans = flat.number_plans
    if plans is None:
        plans = flat.number_plans = {}
    plan = plans.get((hint, integer))
    if plan is None:
        plan = plans[(hint, integer)] = _number_plan(flat, hint, integer=integer)
    if plan.whole and plan.windows and not flat.nots:
        # randint(a, b) is randrange(a, b + 1): the same draw, one call fewer.
        numerator, _, first_k, last_k = plan.windows[0]
        return rng.randrange(first_k, last_k + 1) * numerator
    multiples = flat.multiples
    for numerator, denominator, first_k, last_k in plan.windows:
        k = rng.randrange(first_k, last_k + 1)
        if not integer:
            # The drawn k nearly always fits: tried before the neighbours' generator is made
            # (~4k instructions of the offline answer); _offsets tries it first again.
            drawn = k * numerator / denominator
            if _acceptable(drawn, multiples, plan, excluded):
                return drawn
        # Float division in validators may reject k*step (12.34 / 0.01 != 1234): try neighbours.
        for offset in _offsets(k, first_k, last_k, 64):
            value: int | float
            if not integer:
                # What float(offset * step) gives (the Fraction's numerator over its
                # denominator, correctly rounded), without making the Fraction.
                value = offset * numerator / denominator
            elif denominator == 1:
                value = offset * numerator
            else:
                value = _as_number(Fraction(offset * numerator, denominator), integer)
            if _acceptable(value, multiples, plan, excluded):
                return value
    return None


def fallback_number(
    flat: Flat,
    hint: str | None,
    *,
    integer: bool,
    excluded: Callable[[Any], bool],
) -> int | float:
    """The number given when ``pick_number`` finds none: the middle of the bounds when it
    fits, else a bound (which may not fit: the bounds leave no value, or `not` rules it out).
    A separate step so that the generator knows a value was not drawn from the plan."""
    plans = flat.number_plans
    assert plans is not None, "pick_number plans first"
    plan = plans[(hint, integer)]
    low, high = plan.low, plan.high
    if low is not None and high is not None:
        middle = _as_number((low + high) / 2, integer)
        if _acceptable(middle, flat.multiples, plan, excluded):
            return middle
    fallback = low if low is not None else high if high is not None else Fraction(0)
    return _as_number(fallback, integer)


def _acceptable(
    value: int | float,
    multiples: Sequence[int | float],
    plan: NumberPlan,
    excluded: Callable[[Any], bool],
) -> bool:
    # A function of the module, not a closure made per value drawn: a closure over the plan's
    # bounds cost a cell each on every call of pick_number, most of which try one value.
    plain = plan.plain
    fits = (
        None if plain is None else _plainly_fits(value, multiples, plain, plan.low_ex, plan.high_ex)
    )
    if fits is None:
        fits = number_fits(
            value,
            multiples,
            low=plan.low,
            low_ex=plan.low_ex,
            high=plan.high,
            high_ex=plan.high_ex,
        )
    return fits and not excluded(value)


def _number_plan(flat: Flat, hint: str | None, *, integer: bool) -> NumberPlan:
    low, low_ex, high, high_ex = flat.low, flat.low_exclusive, flat.high, flat.high_exclusive
    for fmt in flat.formats:
        if fmt in INT_FORMAT_BOUNDS:
            format_low, format_high = INT_FORMAT_BOUNDS[fmt]
            if low is None or low < format_low:
                low, low_ex = Fraction(format_low), False
            if high is None or high > format_high:
                high, high_ex = Fraction(format_high), False
    spec = NUMERIC_HINTS.get(hint or "")
    preferred = (spec[0], spec[1]) if spec else DEFAULT_RANGE
    if flat.multiples:
        step = Fraction(str(flat.multiples[0]))
        for multiple in flat.multiples[1:]:
            step = _fraction_lcm(step, Fraction(str(multiple)))
        steps = [step]
    elif integer:
        steps = [Fraction(1)]
    else:
        first = spec[2] if spec else Fraction(1, 100)
        # A narrow range may hold no two-decimal number; finer steps still look tidy.
        steps = [first, Fraction(1, 10**4), Fraction(1, 10**8)]
    if integer:
        steps = [_fraction_lcm(s, Fraction(1)) for s in steps]
    windows = []
    for step in steps:
        window = _step_window(step, preferred, low=low, low_ex=low_ex, high=high, high_ex=high_ex)
        if window is not None:
            windows.append((step.numerator, step.denominator, *window))
    whole = integer and all(type(m) is int for m in flat.multiples)
    return NumberPlan(
        low, low_ex, high, high_ex, tuple(windows), _plain_bounds(low, high), whole=whole
    )


def _plain_bounds(
    low: Fraction | None, high: Fraction | None
) -> tuple[int | float | None, int | float | None] | None:
    plain = (_plain(low), _plain(high))
    if (low is not None and plain[0] is None) or (high is not None and plain[1] is None):
        return None
    return plain


def _plain(bound: Fraction | None) -> int | float | None:
    """``bound`` as an int or a float of exactly its value, or None when neither is."""
    if bound is None:
        return None
    if bound.denominator == 1:
        return bound.numerator
    as_float = float(bound)
    return as_float if math.isfinite(as_float) and Fraction(as_float) == bound else None


def _plainly_fits(
    value: int | float,
    multiples: Sequence[int | float],
    plain: tuple[int | float | None, int | float | None],
    low_ex: bool,
    high_ex: bool,
) -> bool | None:
    """``number_fits`` for an int or finite float and bounds ``_plain`` could write: Python
    compares ints and floats with each other exactly, as Fractions would, and the multiples
    are checked as ``number_fits`` checks them. None when unsure (``number_fits`` decides)."""
    kind = type(value)
    if kind is not int and not (kind is float and math.isfinite(value)):
        return None
    low, high = plain
    if low is not None and (value < low or (low_ex and value == low)):
        return False
    if high is not None and (value > high or (high_ex and value == high)):
        return False
    for multiple in multiples:  # noqa: SIM110 - a loop: all() would cost a generator a value
        if not _is_multiple(value, multiple):
            return False
    return True


@lru_cache(maxsize=4096)
def _step_window(
    step: Fraction,
    preferred: tuple[int, int],
    *,
    low: Fraction | None,
    low_ex: bool,
    high: Fraction | None,
    high_ex: bool,
) -> tuple[int, int] | None:
    first: int | None = None
    last: int | None = None
    if low is not None:
        first = math.ceil(low / step)
        if low_ex and first * step == low:
            first += 1
    if high is not None:
        last = math.floor(high / step)
        if high_ex and last * step == high:
            last -= 1
    if first is not None and last is not None and first > last:
        return None
    pref_first = math.ceil(preferred[0] / step)
    # A coarse step (multipleOf 10 for a 1-5 rating) may skip the whole preferred range.
    pref_last = max(math.floor(preferred[1] / step), pref_first)
    span = max(pref_last - pref_first, 10)
    lo_k = pref_first if first is None else max(first, pref_first)
    hi_k = pref_last if last is None else min(last, pref_last)
    if lo_k <= hi_k:
        return lo_k, hi_k
    if first is None:
        assert last is not None
        return last - span, last
    if last is None:
        return first, first + span
    return first, min(last, first + span)


def _offsets(k: int, first: int, last: int, limit: int) -> Iterable[int]:
    yield k
    for distance in range(1, limit):
        for candidate in (k + distance, k - distance):
            if first <= candidate <= last:
                yield candidate


def _as_number(value: Fraction, integer: bool) -> int | float:
    if integer:
        return math.floor(value) if value.denominator != 1 else value.numerator
    return float(value)


def number_fits(
    value: int | float,
    multiples: Sequence[int | float],
    *,
    low: Fraction | None,
    low_ex: bool,
    high: Fraction | None,
    high_ex: bool,
) -> bool:
    """Whether ``value`` is within the bounds and a multiple of every one of ``multiples``."""
    if isinstance(value, float) and not math.isfinite(value):
        return False
    exact = Fraction(value)
    if low is not None and (exact < low or (low_ex and exact == low)):
        return False
    if high is not None and (exact > high or (high_ex and exact == high)):
        return False
    return all(_is_multiple(value, m) for m in multiples)


def _is_multiple(value: int | float, multiple: int | float) -> bool:
    """The check jsonschema makes, float division included, so its verdict matches ours."""
    if isinstance(multiple, float):
        try:
            quotient = value / multiple
            return int(quotient) == quotient
        except OverflowError:
            return Fraction(value) % Fraction(multiple) == 0
    return value % multiple == 0


def _fraction_lcm(a: Fraction, b: Fraction) -> Fraction:
    return Fraction(math.lcm(a.numerator, b.numerator), math.gcd(a.denominator, b.denominator))
