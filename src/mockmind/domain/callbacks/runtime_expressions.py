"""OpenAPI runtime expressions: the values a callback's URL is built from.

The grammar (OpenAPI 3.0.3 and 3.1, "Runtime Expressions")::

    expression = "$url" / "$method" / "$statusCode" / "$request." source / "$response." source
    source     = "header." token / "query." name / "path." name / "body" ["#" json-pointer]

A callback's key is a template: literal text with expressions in braces
(``{$request.query.callbackUrl}/data``), or one bare expression. An expression that names
nothing in the exchange (a query parameter the request did not send, a pointer past the
body's end) is an error naming it: a URL with a hole in it would go somewhere unintended.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from typing import Any
from urllib.parse import urlencode

from mockmind.domain import json_codec
from mockmind.domain.errors import MockmindError
from mockmind.lean_dataclass import dataclass

_ABSENT: Any = object()
_BRACED = re.compile(r"\{([^{}]*)\}")


class ExpressionError(MockmindError):
    """A runtime expression that is malformed or names nothing in this exchange."""


@dataclass(frozen=True)
class ExchangeFacts:
    """One request and its answer, as runtime expressions read them.

    Header names are lower-case (HTTP names ignore case); query values are as sent;
    ``request_body`` and ``response_body`` are parsed JSON (``_ABSENT`` when there is none).
    """

    url: str
    method: str
    status_code: int | None = None
    path_params: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, list[str]] = field(default_factory=dict)
    request_headers: Mapping[str, str] = field(default_factory=dict)
    request_body: Any = _ABSENT
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: Any = _ABSENT


def request_url(
    host: str | None, path: str, query: Mapping[str, list[str]], scheme: str = "http"
) -> str:
    """``$url``: the request's absolute URL as the client addressed it."""
    query_string = urlencode([(k, v) for k, values in query.items() for v in values], safe=":/")
    base = f"{scheme}://{host or 'localhost'}{path}"
    return f"{base}?{query_string}" if query_string else base


def no_body() -> Any:
    """The marker for an exchange without a (JSON) body."""
    return _ABSENT


def evaluate(expression: str, facts: ExchangeFacts) -> Any:
    """The value ``expression`` names: a string, or for a body reference any JSON value."""
    if expression == "$url":
        return facts.url
    if expression == "$method":
        return facts.method
    if expression == "$statusCode":
        if facts.status_code is None:
            raise ExpressionError("$statusCode: there is no response yet")
        return facts.status_code
    for side in ("request", "response"):
        prefix = f"${side}."
        if expression.startswith(prefix):
            return _source(expression, expression[len(prefix) :], side, facts)
    raise ExpressionError(
        f"{expression!r} is not a runtime expression "
        "($url, $method, $statusCode, $request.… or $response.…)"
    )


def _source(expression: str, source: str, side: str, facts: ExchangeFacts) -> Any:
    headers = facts.request_headers if side == "request" else facts.response_headers
    body = facts.request_body if side == "request" else facts.response_body
    kind, _, name = source.partition(".")
    if kind == "header" and name:
        value = headers.get(name.lower())
        if value is None:
            raise ExpressionError(f"{expression}: the {side} has no header {name!r}")
        return value
    if kind in ("query", "path") and name and side == "request":
        found = (
            facts.query.get(name) if kind == "query" else _one(facts.path_params.get(name, _ABSENT))
        )
        if not found:
            raise ExpressionError(f"{expression}: the request has no {kind} parameter {name!r}")
        return found[0]
    if source == "body" or source.startswith("body#"):
        if body is _ABSENT:
            raise ExpressionError(f"{expression}: the {side} has no JSON body")
        pointer = source[len("body#") :] if "#" in source else ""
        return _pointed(expression, body, pointer)
    raise ExpressionError(
        f"{expression!r}: expected header.<name>, query.<name>, path.<name> or body#<pointer> "
        f"after ${side}."
    )


def _one(value: Any) -> list[Any]:
    return [] if value is _ABSENT else [value]


def _pointed(expression: str, document: Any, pointer: str) -> Any:
    """RFC 6901: ``/``-separated tokens, ``~1`` for ``/`` and ``~0`` for ``~``."""
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        raise ExpressionError(f"{expression}: a JSON pointer starts with '/'")
    node = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and (token == "0" or token[0] != "0"):
            index = int(token)
            if index >= len(node):
                raise ExpressionError(
                    f"{expression}: index {index} is past the end of a list of {len(node)}"
                )
            node = node[index]
        else:
            raise ExpressionError(f"{expression}: the body has nothing at {token!r}")
    return node


def as_text(value: Any) -> str:
    """A value as it goes into a URL: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json_codec.compact(value).decode()


def expand(template: str, facts: ExchangeFacts) -> str:
    """A callback key with each ``{expression}`` replaced by its value (a bare expression
    alone is one too)."""
    if template.startswith("$") and "{" not in template:
        return as_text(evaluate(template, facts))

    def replace(found: re.Match[str]) -> str:
        return as_text(evaluate(found.group(1).strip(), facts))

    return _BRACED.sub(replace, template)
