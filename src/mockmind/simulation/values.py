"""What a virtual user knows between steps, and how a step's request and checks use it.

``{{name}}`` in a path, header, query value or JSON body is replaced by a captured value, a
flow variable, or one of the user's own: ``user`` (its number from 0), ``session`` (its session
id) and ``iteration`` (from 0). A string that is only ``{{name}}`` takes the value itself, so a
captured number stays a number in a JSON body.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from mockmind.domain.errors import FlowError
from mockmind.lean_dataclass import dataclass
from mockmind.simulation.flow import Check, compiled

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class UnknownVariable(FlowError, LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def fill(value: Any, known: Mapping[str, Any]) -> Any:
    """``value`` with its placeholders replaced, through lists and mappings."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole is not None:
            return _known(known, whole[1])
        return _PLACEHOLDER.sub(lambda found: _text(_known(known, found[1])), value)
    if isinstance(value, list):
        return [fill(item, known) for item in value]
    if isinstance(value, Mapping):
        return {str(key): fill(item, known) for key, item in value.items()}
    return value


def _known(known: Mapping[str, Any], name: str) -> Any:
    if name not in known:
        raise UnknownVariable(name)
    return known[name]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Answer:
    """What a check sees of a response."""

    status: int
    headers: Mapping[str, str]
    body: Any

    def scope(self, known: Mapping[str, Any]) -> dict[str, Any]:
        return {**known, "status": self.status, "headers": dict(self.headers), "body": self.body}


class _NoWorld:
    """Expressions in a flow see only the answer and the user's values: no clock games, no
    other collections."""

    def now(self) -> float:
        import time  # noqa: PLC0415 (only a check that calls now() needs it)

        return time.time()

    def named(self, name: str) -> Any:
        return None

    def lookup(self, collection: str, entity_id: Any) -> Mapping[str, Any] | None:
        return None


_WORLD = _NoWorld()


def evaluate(text: str, scope: Mapping[str, Any]) -> Any:
    return compiled(text).evaluate(scope, _WORLD)


def check_failure(check: Check, scope: Mapping[str, Any]) -> str | None:
    """None when the check holds, else what was found."""
    actual = evaluate(check.that, scope)
    if check.equals is None:
        if _truthy(actual):
            return None
        return f"{check.that} is {actual!r}"
    expected = evaluate(check.equals, scope)
    if same(actual, expected):
        return None
    return f"{check.that} is {actual!r}, {check.equals} is {expected!r}"


def same(a: Any, b: Any) -> bool:
    """Equal, with numbers compared as numbers (1 == 1.0, and 0.1 + 0.2 == 0.3)."""
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, numbers) and isinstance(b, numbers):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def _truthy(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True
