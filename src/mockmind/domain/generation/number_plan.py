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
    # (step, first k, last k) per step in the order tried; steps with no window are left out.
    windows: tuple[tuple[Fraction, int, int], ...]
