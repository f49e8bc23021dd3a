"""The error tree and its one table of answers (HTTP status and body, CLI exit code)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator

import pytest

import mockmind
from mockmind.domain import errors
from mockmind.domain.error_answers import (
    ERROR_ANSWERS,
    PROBLEM_MEDIA_TYPE,
    REASON_MEDIA_TYPE,
    UNLISTED,
    ErrorAnswer,
    answer_for,
    exit_code,
    http_answer,
    table_entry,
)
from mockmind.domain.errors import (
    ConfigError,
    ConfigIssue,
    MethodNotAllowed,
    MockmindError,
    RequestError,
    RequestValidationFailed,
    RouteNotFound,
    StoreError,
    UnresolvableRef,
    VersionConflict,
)
from mockmind.domain.json_extraction import JsonExtractionError
from mockmind.domain.rules.conditions import ConditionSyntaxError
from mockmind.openapi.errors import NotAcceptable, UnsupportedMediaType
from mockmind.openapi.routing import NoRoute
from mockmind.ports.llm import ProviderError

# Builds the app from MOCKMIND_CONFIG when imported; it defines no error.
_NOT_IMPORTED = {"mockmind.handler"}


def _import_every_module() -> None:
    for module in pkgutil.walk_packages(mockmind.__path__, "mockmind."):
        if module.name not in _NOT_IMPORTED:
            importlib.import_module(module.name)


def _subclasses(cls: type[BaseException]) -> Iterator[type[BaseException]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _mockmind_errors() -> set[type[BaseException]]:
    _import_every_module()
    return set(_subclasses(MockmindError))


def test_every_error_mockmind_defines_is_in_the_tree() -> None:
    _import_every_module()
    defined = {c for c in _subclasses(Exception) if c.__module__.startswith("mockmind.")}
    in_tree = _mockmind_errors() | {MockmindError}
    outside = sorted(f"{c.__module__}.{c.__qualname__}" for c in defined - in_tree)
    assert outside == [], "derive these from MockmindError (domain/errors.py):"


def test_every_error_has_an_entry_reachable_by_its_mro() -> None:
    found = _mockmind_errors()
    assert len(found) > 15  # the walk saw the leaves in openapi, ports and adapters too
    missing = sorted(c.__qualname__ for c in found if table_entry(c) is None)
    assert missing == []


def test_every_branch_of_the_tree_is_placed_in_the_table_on_purpose() -> None:
    # A direct child of MockmindError is a new kind of failure: its answer is a decision,
    # not something inherited from the base by accident.
    branches = {c for c in _mockmind_errors() if MockmindError in c.__bases__}
    assert branches <= set(ERROR_ANSWERS)
    assert MockmindError not in ERROR_ANSWERS  # so the check above has teeth


def test_the_drawn_tree_names_every_error() -> None:
    doc = errors.__doc__ or ""
    drawn = set(re.findall(r"^[│ ]*(?:├──|└──)\s+(\w+)", doc, flags=re.MULTILINE))
    assert drawn == {c.__name__ for c in _mockmind_errors()}


def test_the_nearest_entry_wins() -> None:
    assert answer_for(VersionConflict) is ERROR_ANSWERS[StoreError]
    assert answer_for(UnresolvableRef) is ERROR_ANSWERS[ConfigError]
    assert answer_for(RouteNotFound) is ERROR_ANSWERS[RequestError]
    assert answer_for(ConditionSyntaxError) is ERROR_ANSWERS[errors.RuleSyntaxError]
    assert answer_for(NoRoute) is ERROR_ANSWERS[errors.RequestMismatch]
    assert answer_for(MockmindError) is UNLISTED
    assert answer_for(KeyError) is UNLISTED


def test_the_table_is_looked_up_not_copied(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {**ERROR_ANSWERS, VersionConflict: ErrorAnswer(409, "problem", 3)}
    monkeypatch.setattr("mockmind.domain.error_answers.ERROR_ANSWERS", table)
    conflict = VersionConflict("session s1 changed")
    assert exit_code(conflict) == 3
    answer = http_answer(conflict)
    assert (answer.status, answer.body) == (409, {"status": 409, "title": "Conflict"})


@pytest.mark.parametrize(
    "error",
    [
        RouteNotFound("GET", "/nowhere"),
        MethodNotAllowed("DELETE", "/pets", ["GET", "POST"]),
        RequestValidationFailed(400, [{"location": "query.limit", "message": "not an integer"}]),
        UnsupportedMediaType("text/csv", ["application/json"]),
        NotAcceptable("text/html", ["application/json"]),
        RequestError(401, "Unauthorized", "log in", headers={"WWW-Authenticate": "Bearer"}),
        RequestError(409, "Conflict", "paid", extra={"current_state": "paid"}),
    ],
)
def test_a_request_error_answers_with_its_own_status_problem_and_headers(
    error: RequestError,
) -> None:
    answer = http_answer(error)
    assert answer.status == error.status
    assert answer.body == error.body()
    assert answer.headers == error.headers
    assert answer.media_type == PROBLEM_MEDIA_TYPE
    assert exit_code(error) == 1


@pytest.mark.parametrize(
    "error",
    [
        StoreError("dynamodb get_item failed: ThrottlingException"),
        VersionConflict("session s1: gave up after 3 conflicting writes"),
        UnresolvableRef("#/components/schemas/Gone", "no such node"),
        ProviderError("openai", "HTTP 503"),
        JsonExtractionError("the answer is empty"),
        NoRoute(),
        errors.SecretNotFound("OPENAI_API_KEY"),
    ],
)
def test_any_other_error_is_a_plain_500_that_says_nothing_of_the_cause(
    error: MockmindError,
) -> None:
    answer = http_answer(error)
    assert (answer.status, answer.body, answer.headers) == (500, "Internal Server Error", {})
    assert answer.media_type == REASON_MEDIA_TYPE
    assert exit_code(error) == 1


def test_a_config_error_exits_with_1() -> None:
    assert exit_code(ConfigError([ConfigIssue("storage.backend", "unknown backend")])) == 1
