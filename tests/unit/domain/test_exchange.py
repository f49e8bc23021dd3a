"""The engine's shortcut for the rules' view of a request: the object the constructor makes."""

from __future__ import annotations

from dataclasses import fields

from mockmind.domain.engine.exchange import rule_input
from mockmind.domain.rules.book import RuleInput


def test_rule_input_is_the_one_the_constructor_makes_with_every_field() -> None:
    values = ("GET", "/a", {"h": "1"}, {"q": ["2"]}, {"b": 3}, {"s": 4}, {"id": "e"}, True)
    made = rule_input(*values)
    assert made == RuleInput(*values)
    assert vars(made).keys() == {f.name for f in fields(RuleInput)}
