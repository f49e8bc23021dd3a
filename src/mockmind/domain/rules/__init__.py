"""Consistency rules: a condition language (parsed once, at config load) and its evaluation."""

from mockmind.domain.rules.conditions import (
    Condition,
    ConditionContext,
    ConditionSyntaxError,
    parse_condition,
)

__all__ = ["Condition", "ConditionContext", "ConditionSyntaxError", "parse_condition"]
