"""An error answered in the document's terms: the engine's own (an unknown id, a refused
transition, a login required) and a refused request's (400, 405, 406, 415, 422) alike.

Where the operation documents the error's status (that code, its ``NXX`` range or
``default``), the answer has the documented media type and a body that validates against the
documented schema: the problem document itself when it fits; otherwise a body generated for
the schema, with the engine's words in the fields the schema has (``message``, ``detail``,
``error``, ``title``...; one level down too, as in ``{"error": {"message": ...}}``), the
status in its status fields, and every validation error in ``errors`` wherever the schema
allows them. Each change is kept only when the body still validates. Where the operation
documents the status without content, the answer has no body and the engine's words are in
``X-Mockmind-Error``. Where the operation documents no such answer (or no operation
matched), the problem document is sent, as the one JSON media type the document gives all
its error answers if it gives them one (its clients expect its errors in it), else as
``application/problem+json`` (RFC 9457).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from mockmind.domain.engine.answers import Answers, short_digest
from mockmind.domain.errors import RequestError
from mockmind.domain.http import MockResponse, header_value
from mockmind.domain.memo import BoundedMemo
from mockmind.domain.rules.actions import error_response
from mockmind.ports.api_description import ApiDescription, ResponsePlan

# Carries the engine's words when the documented answer has no body to put them in.
ERROR_HEADER = "X-Mockmind-Error"

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


# Generated bases remembered, per schema, status and title: a big error schema (Stripe's)
# took 1.6 s to generate, on every error.
_BASES_KEPT = 256


class ErrorBodies:
    def __init__(self, api: ApiDescription, answers: Answers) -> None:
        self._api = api
        self._answers = answers
        self._bases: BoundedMemo[tuple[str, int, str], Any] = BoundedMemo(_BASES_KEPT)

    def respond(self, error: RequestError, plan: ResponsePlan | None) -> MockResponse:
        """The answer to ``error``, given how the operation documents its status (``plan``)."""
        if plan is not None and plan.media_type is None:
            # The status is documented without content: a body would carry a Content-Type
            # the operation does not list (issue 15, class 7). The engine's words go in a
            # header, where a client that ignores them loses nothing.
            response = self._answers.finish(plan, None, "rule")
            response.headers.update(error.headers)
            response.headers[ERROR_HEADER] = _error_words(error)
            return response
        if plan is None or plan.schema is None:
            response = error_response(error)
            documented = self._api.error_media_type
            if documented is not None and response.body_kind == "json":
                response.media_type = documented
            return response
        response = self._answers.finish(plan, self.body(error, plan), "rule")
        response.headers.update(error.headers)
        return response

    def body(self, error: RequestError, plan: ResponsePlan) -> Any:
        problem = error.body()

        def valid(body: Any) -> bool:
            return not self._api.response_errors(plan, body)

        if valid(problem):
            return problem
        base = self._base(error, plan, valid)
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

    def _base(self, error: RequestError, plan: ResponsePlan, valid: Callable[[Any], bool]) -> Any:
        """A body generated for the schema, cut down to what it requires where that fits:
        an error's nested objects (a charge, a payment intent) say nothing about the error,
        and every later check of a big body costs its size."""
        key = (plan.schema_key or short_digest(plan.schema), error.status, error.title)
        known = self._bases.get(key)
        if known is None:
            known = self._answers.generate(plan, short_digest([error.status, error.title]))
            if isinstance(known, dict):
                pruned = {
                    name: _scalars_only(value) if isinstance(value, dict) else value
                    for name, value in known.items()
                }
                known = pruned if pruned != known and valid(pruned) else known
            self._bases.put(key, known)
        return copy.deepcopy(known)


def _scalars_only(body: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in body.items() if not isinstance(value, dict | list)}


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


# A header is no place for a long list: the first few validation errors say what to fix.
_ERRORS_IN_HEADER = 3
_HEADER_CHARS = 1024


def _error_words(error: RequestError) -> str:
    """The error's title, detail and first validation errors, as one header value."""
    words = f"{error.title}: {error.detail}" if error.detail else error.title
    found = [
        f"{item.get('location')}: {item.get('message')}"
        if item.get("location")
        else str(item.get("message"))
        for item in error.errors[:_ERRORS_IN_HEADER]
    ]
    if found:
        more = len(error.errors) - len(found)
        words += " (" + "; ".join(found) + (f"; {more} more" if more > 0 else "") + ")"
    return header_value(words[:_HEADER_CHARS])
