"""An error answered in the document's terms: the engine's own (an unknown id, a refused
transition, a login required) and a refused request's (400, 405, 406, 415, 422) alike.

Where the operation documents the error's status (that code, its ``NXX`` range or
``default``), the answer has the documented media type and a body that validates against the
documented schema: the problem document itself when it fits; otherwise a body generated for
the schema, with the engine's words in the fields the schema has (``message``, ``detail``,
``error``, ``title``...; one level down too, as in ``{"error": {"message": ...}}``), the
status in its status fields, and every validation error in ``errors`` wherever the schema
allows them. Each change is kept only when the body still validates. Where the operation
documents no such answer (or no operation matched), the problem document is sent as
``application/problem+json`` (``domain/error_answers``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mockmind.domain.engine.answers import Answers, short_digest
from mockmind.domain.errors import RequestError
from mockmind.domain.http import MockResponse
from mockmind.domain.rules.actions import error_response
from mockmind.ports.api_description import ApiDescription, ResponsePlan

# Field names (lower case, without "_" and "-") and what of the error each one takes.
_TITLE_FIELDS = frozenset({"title", "error", "reason", "errortitle", "summary"})
_MESSAGE_FIELDS = frozenset(
    {
        "message",
        "detail",
        "details",
        "description",
        "msg",
        "errormessage",
        "errordescription",
        "errordetail",
        "developermessage",
        "usermessage",
    }
)
_STATUS_FIELDS = frozenset({"status", "code", "statuscode", "httpstatus", "httpcode"})
# What an item of a documented ``errors`` list may call a validation error's parts.
_ITEM_FIELDS: Mapping[str, str] = {
    **dict.fromkeys(_MESSAGE_FIELDS, "message"),
    **dict.fromkeys(
        ("location", "field", "path", "pointer", "param", "parameter", "loc"), "location"
    ),
    **dict.fromkeys(("keyword", "code", "type", "rule", "validator"), "keyword"),
}


class ErrorBodies:
    def __init__(self, api: ApiDescription, answers: Answers) -> None:
        self._api = api
        self._answers = answers

    def respond(self, error: RequestError, plan: ResponsePlan | None) -> MockResponse:
        """The answer to ``error``, given how the operation documents its status (``plan``)."""
        if plan is None or plan.media_type is None or plan.schema is None:
            return error_response(error)
        response = self._answers.finish(plan, self.body(error, plan), "rule")
        response.headers.update(error.headers)
        return response

    def body(self, error: RequestError, plan: ResponsePlan) -> Any:
        problem = error.body()

        def valid(body: Any) -> bool:
            return not self._api.response_errors(plan, body)

        if valid(problem):
            return problem
        base = self._answers.generate(plan, short_digest([error.status, error.title]))
        if not isinstance(base, dict):
            words = error.detail or error.title
            return words if isinstance(base, str) and valid(words) else base
        body = _improved(base, _worded(base, error), valid)
        for name, value in problem.items():
            if name not in body:
                body = _improved(body, {**body, name: value}, valid)
        listed = body.get("errors")
        if error.errors and isinstance(listed, list) and listed != error.errors:
            for candidate in (error.errors, _items_like(listed, error.errors)):
                if candidate is not None:
                    body = _improved(body, {**body, "errors": candidate}, valid)
        return body


def _improved(
    body: dict[str, Any], candidate: dict[str, Any], valid: Callable[[Any], bool]
) -> dict[str, Any]:
    """``candidate`` when it still fits, else each of its changes that fits on its own."""
    if candidate == body:
        return body
    if valid(candidate):
        return candidate
    kept = dict(body)
    for name, value in candidate.items():
        if name in kept and kept[name] == value:
            continue
        trial = {**kept, name: value}
        if valid(trial):
            kept = trial
    return kept


def _worded(body: Mapping[str, Any], error: RequestError, depth: int = 0) -> dict[str, Any]:
    """``body`` with the error's title, words and status in the fields named for them."""
    words = error.detail or error.title
    worded = dict(body)
    for name, value in body.items():
        key = name.lower().replace("_", "").replace("-", "")
        if isinstance(value, Mapping) and depth == 0:
            worded[name] = _worded(value, error, depth + 1)
        elif isinstance(value, str) and key in _TITLE_FIELDS:
            worded[name] = error.title
        elif isinstance(value, str) and key in _MESSAGE_FIELDS:
            worded[name] = words
        elif isinstance(value, int) and not isinstance(value, bool) and key in _STATUS_FIELDS:
            worded[name] = error.status
    return worded


def _items_like(listed: list[Any], errors: list[dict[str, object]]) -> list[dict[str, Any]] | None:
    """The validation errors in the shape of the documented list's first item: each of its
    fields that names a part of an error (message, location, keyword) takes that part."""
    template = listed[0] if listed and isinstance(listed[0], Mapping) else None
    if template is None:
        return None
    items = []
    for error in errors:
        item = dict(template)
        for name, value in template.items():
            part = _ITEM_FIELDS.get(name.lower().replace("_", ""))
            if part is not None and isinstance(value, str) and isinstance(error.get(part), str):
                item[name] = error[part]
        items.append(item)
    return items
