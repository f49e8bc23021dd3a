"""The engine's views of a request for the rules: the shortcut for the object the constructor
makes, and the view read on demand."""

from __future__ import annotations

from dataclasses import fields
from types import SimpleNamespace
from typing import Any, cast

from mockmind.domain.engine.exchange import (
    Exchange,
    RuleView,
    SessionChanges,
    exchange,
    rule_input,
)
from mockmind.domain.http import MockRequest
from mockmind.domain.rules.book import RuleInput


def test_rule_input_is_the_one_the_constructor_makes_with_every_field() -> None:
    values = ("GET", "/a", {"h": "1"}, {"q": ["2"]}, {"b": 3}, {"s": 4}, {"id": "e"}, True)
    made = rule_input(*values)
    assert made == RuleInput(*values)
    assert vars(made).keys() == {f.name for f in fields(RuleInput)}


def _exchange(checks: list[bool]) -> Exchange:
    request = MockRequest("GET", "/a", {"q": ["2"]}, {"h": "1"})
    routed = cast(Any, SimpleNamespace(request=request, query={"q": 2}, body={"b": 3}))

    def check() -> bool:
        checks.append(True)
        return True

    return Exchange(
        routed,
        cast(Any, None),
        None,
        cast(Any, SimpleNamespace(state={"s": 4})),
        SessionChanges(),
        None,
        None,
        check,
    )


def test_the_rules_view_reads_what_the_rule_input_holds() -> None:
    checks: list[bool] = []
    ex = _exchange(checks)
    view = RuleView(ex, {"id": "e"})
    assert {f.name: getattr(view, f.name) for f in fields(RuleInput)} == vars(
        ex.rule_input({"id": "e"})
    )


def test_the_rules_view_asks_for_the_login_only_when_a_rule_reads_it() -> None:
    checks: list[bool] = []
    view = RuleView(_exchange(checks), None)
    assert (view.method, view.path, view.query) == ("GET", "/a", {"q": 2})
    assert checks == []
    assert view.authenticated is True
    assert checks == [True]


def test_an_exchange_of_its_fields_is_the_one_the_constructor_makes() -> None:
    args: list[Any] = [object() for _ in fields(Exchange)][:10]

    def slots(ex: Exchange) -> dict[str, Any]:
        return {f.name: getattr(ex, f.name) for f in fields(Exchange)}

    # Every field set (none left unset, as a field added to Exchange alone would be).
    assert slots(exchange(*args)) == slots(Exchange(*args))
