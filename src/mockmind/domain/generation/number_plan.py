"""A number schema's plan: its bounds with format limits, and each step's window of multiples.

Its own module because flattened schemas (``flattening.Flat``) remember their plans, and
planning reads flattened schemas.
"""

from __future__ import annotations

from fractions import Fraction

from mockmind.lean_dataclass import dataclass


@dataclass(frozen=True, slots=True)
class NumberPlan:
    """What ``pick_number`` draws from: the bounds with format limits, and each step's window."""

    low: Fraction | None
    low_ex: bool
    high: Fraction | None
    high_ex: bool
    # (step's numerator, step's denominator, first k, last k) per step in the order tried;
    # steps with no window are left out. The step's parts as ints: a Fraction's are
    # properties, and a value is k * numerator / denominator.
    windows: tuple[tuple[int, int, int, int], ...]
    # The bounds as an int or float of the very same value, when one is (0, 500, 0.5): an int
    # or a float compares with those exactly, without making a Fraction of each value tried.
    # None when a bound has no such twin (1/3), or there is no bound at all.
    plain: tuple[int | float | None, int | float | None] | None = None
    # Every multiple of a window's step fits: an integer (on a whole step), every
    # ``multipleOf`` a whole number (so a multiple of the step, their lcm, is one of each).
    # The windows lie within the bounds, so a value drawn from one is taken as it is.
    whole: bool = False
