"""Choosing the response to mock, following Stoplight Prism's conventions.

* No ``Prefer: code``: the lowest explicit 2xx, else a ``2XX`` range (as 200), else ``default``
  (as 200), else the lowest declared status; an operation without responses answers an empty 200.
* A 1xx is never the final answer: the lowest documented final status replaces it (else 200).
* ``Prefer: code=N``: response ``N``, else the ``NXX`` range, else ``default`` answering N.
  A code the operation does not describe is a 404 "Requested status code N is not defined in
  the document." - Prism's wording and status, so clients written against Prism keep working.
* Media type: negotiated against ``Accept`` (``application/json`` preferred when anything goes);
  content that exists but suits no ``Accept`` range is a 406, as in Prism.
* Example: ``Prefer: example=name`` takes that entry of ``examples`` (a 404 if there is none, as
  Prism does) and wins over ``dynamic``; ``dynamic=true`` asks for generation (no example);
  otherwise the media type's ``example``, the first of its ``examples``, or the schema's own
  top-level ``example``/``examples``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from mockmind.domain.errors import RequestError
from mockmind.domain.prefer import parse_prefer
from mockmind.lean_dataclass import dataclass
from mockmind.openapi.errors import NotAcceptable
from mockmind.openapi.media import is_json, negotiate, parse_media_type
from mockmind.openapi.model import MediaType, Operation, Response, ResponseHeader
from mockmind.openapi.pointers import escape_pointer_segment

_RANGE = re.compile(r"^([1-5])XX$", re.IGNORECASE)
# What an operation without ``responses`` (or with only 1xx ones) answers: 200, empty.
_NOTHING_DOCUMENTED = Response(key="200", description="", content={}, headers={})


@dataclass(frozen=True)
class ExampleChoice:
    found: bool
    value: Any = None
    name: str | None = None
    # Where the example is written in the document (a JSON pointer), to name it in reports.
    pointer: str | None = None


@dataclass(frozen=True)
class ResponseChoice:
    status: int
    response_key: str  # which entry of ``responses`` was used: "200", "2XX" or "default"
    media_type: str | None
    schema: Any = None  # the document's node, possibly a ``$ref``; None without content
    schema_pointer: str | None = None
    example: ExampleChoice = field(default_factory=lambda: ExampleChoice(False))
    headers: Mapping[str, ResponseHeader] = field(default_factory=dict)
    description: str = ""


def _explicit(responses: Mapping[str, Response]) -> list[tuple[int, Response]]:
    return sorted(
        ((int(key), response) for key, response in responses.items() if key.isdigit()),
        key=lambda pair: pair[0],
    )


def _pick(operation: Operation, code: int | None) -> tuple[int, Response]:
    status, response = _documented(operation, code)
    if status < 200:
        # A 1xx is an interim answer: sent as the final one it leaves the client's connection
        # waiting for a status that never comes.
        return _final(operation)
    return status, response


def _documented(operation: Operation, code: int | None) -> tuple[int, Response]:
    responses = operation.responses
    if code is not None:
        if str(code) in responses:
            return code, responses[str(code)]
        for key, response in responses.items():
            found = _RANGE.match(key)
            if found and int(found.group(1)) == code // 100:
                return code, response
        if "default" in responses:
            return code, responses["default"]
        raise RequestError(
            404,
            "Not Found",
            f"Requested status code {code} is not defined in the document.",
        )
    explicit = _explicit(responses)
    for status, response in explicit:
        if 200 <= status < 300:
            return status, response
    for key, response in responses.items():
        if key.upper() == "2XX":
            return 200, response
    if "default" in responses:
        return 200, responses["default"]
    if explicit:
        return explicit[0]
    for key, response in responses.items():
        found = _RANGE.match(key)
        if found:
            return int(found.group(1)) * 100, response
    # OpenAPI 3.1 lets an operation leave out ``responses``: it answers, with nothing to say.
    return 200, _NOTHING_DOCUMENTED


def _final(operation: Operation) -> tuple[int, Response]:
    """The lowest documented final (2xx-5xx) status, else ``default`` as 200, else an empty 200."""
    responses = operation.responses
    for status, response in _explicit(responses):
        if status >= 200:
            return status, response
    ranges = sorted(
        (
            (int(found.group(1)), response)
            for key, response in responses.items()
            if (found := _RANGE.match(key)) and found.group(1) != "1"
        ),
        key=lambda pair: pair[0],
    )
    if ranges:
        return ranges[0][0] * 100, ranges[0][1]
    if "default" in responses:
        return 200, responses["default"]
    return 200, _NOTHING_DOCUMENTED


def documented_response(operation: Operation, status: int) -> Response | None:
    """The response the operation documents for ``status``: its own code, then its ``NXX``
    range, then ``default``; None when it documents none of them."""
    responses = operation.responses
    if str(status) in responses:
        return responses[str(status)]
    for key, response in responses.items():
        found = _RANGE.match(key)
        if found and int(found.group(1)) == status // 100:
            return response
    return responses.get("default")


def error_choice(operation: Operation, status: int, accept: str | None) -> ResponseChoice | None:
    """How the operation documents an error answer of ``status`` (None when it does not).

    The media type is negotiated against ``Accept``; where none suits it, the first
    documented one (a JSON one if any): an error is answered in the document's terms rather
    than refused with a 406.
    """
    response = documented_response(operation, status)
    if response is None:
        return None
    if not response.content:
        return ResponseChoice(
            status, response.key, None, headers=response.headers, description=response.description
        )
    negotiated = negotiate(accept, list(response.content))
    if negotiated is None:
        names = list(response.content)
        first = next((name for name in names if is_json(name)), names[0])
        negotiated = negotiate(None, [first]) or (first, first)
    key, media_type = negotiated
    media = response.content[key]
    return ResponseChoice(
        status,
        response.key,
        media_type,
        schema=media.schema,
        schema_pointer=media.schema_pointer,
        headers=response.headers,
        description=response.description,
    )


def choose_response(operation: Operation, prefer: str | None, accept: str | None) -> ResponseChoice:
    preference = parse_prefer(prefer)
    status, response = _pick(operation, preference.code)
    if not response.content:
        return ResponseChoice(
            status,
            response.key,
            None,
            headers=response.headers,
            description=response.description,
        )
    negotiated = negotiate(accept, list(response.content))
    if negotiated is None and _accept_is_a_declared_value(operation, accept):
        negotiated = negotiate(None, list(response.content))
    if negotiated is None:
        raise NotAcceptable(accept or "", list(response.content))
    key, media_type = negotiated
    media = response.content[key]
    if preference.example is not None:
        example = _named_example(operation, media, preference.example)
    elif preference.dynamic:
        example = ExampleChoice(False)
    else:
        example = _first_example(operation, media)
    return ResponseChoice(
        status,
        response.key,
        media_type,
        schema=media.schema,
        schema_pointer=media.schema_pointer,
        example=example,
        headers=response.headers,
        description=response.description,
    )


def _accept_is_a_declared_value(operation: Operation, accept: str | None) -> bool:
    """Whether the operation lists ``accept`` in the ``enum`` of an ``Accept`` header
    parameter: OpenAPI says such a parameter is ignored, but its author told clients they
    may send the value, so the documented content is answered rather than a 406."""
    if not accept:
        return False
    doc = operation.document
    item, item_uri = doc.path_item(operation.path_template)
    owners = ((item, item_uri), (operation.raw, doc.absolute(operation.pointer)))
    for owner, uri in owners:
        nodes = owner.get("parameters")
        for node in nodes if isinstance(nodes, list) else ():
            param, param_uri = doc.deref_located(node, uri)
            if not isinstance(param, Mapping) or param.get("in") != "header":
                continue
            if str(param.get("name", "")).lower() != "accept":
                continue
            schema, _ = doc.deref_located(param.get("schema"), param_uri)
            allowed = schema.get("enum") if isinstance(schema, Mapping) else None
            if not isinstance(allowed, list):
                # Any string: the author listed no value, so content negotiation still rules.
                return False
            wanted = {parse_media_type(part)[0] for part in accept.split(",")}
            listed = {parse_media_type(str(value))[0] for value in allowed}
            return bool(wanted & listed)
    return False


def _named_example(operation: Operation, media: MediaType, name: str) -> ExampleChoice:
    examples = media.raw.get("examples")
    if isinstance(examples, Mapping) and name in examples:
        doc = operation.document
        example, uri = doc.deref_located(examples[name], doc.absolute(media.pointer))
        if isinstance(example, Mapping) and "value" in example:
            pointer = _value_pointer(doc, media, examples[name], uri, name)
            return ExampleChoice(True, example["value"], name, pointer)
    raise RequestError(
        404,
        "Not Found",
        f"Response for contentType: {media.name} and exampleKey: {name} does not exist.",
    )


def _first_example(operation: Operation, media: MediaType) -> ExampleChoice:
    found = media_examples(operation, media)
    return found[0] if found else ExampleChoice(False)


def media_examples(operation: Operation, media: MediaType) -> list[ExampleChoice]:
    """Every example of a media type, in the order one is chosen: its ``example``, each of
    its ``examples``, else the schema's own ``example`` or first ``examples`` entry."""
    doc = operation.document
    if "example" in media.raw:
        return [ExampleChoice(True, media.raw["example"], pointer=f"{media.pointer}/example")]
    found: list[ExampleChoice] = []
    examples = media.raw.get("examples")
    if isinstance(examples, Mapping):
        for name, node in examples.items():
            example, uri = doc.deref_located(node, doc.absolute(media.pointer))
            if isinstance(example, Mapping) and "value" in example:
                pointer = _value_pointer(doc, media, node, uri, str(name))
                found.append(ExampleChoice(True, example["value"], str(name), pointer))
    if found:
        return found
    if media.schema is not None and media.schema_pointer is not None:
        schema, uri = doc.deref_located(media.schema, doc.absolute(media.schema_pointer))
        if isinstance(schema, Mapping):
            if "example" in schema:
                return [
                    ExampleChoice(True, schema["example"], pointer=f"{doc.public(uri)}/example")
                ]
            listed = schema.get("examples")
            if isinstance(listed, list) and listed:
                return [ExampleChoice(True, listed[0], pointer=f"{doc.public(uri)}/examples/0")]
    return []


def _value_pointer(doc: Any, media: MediaType, node: Any, uri: str, name: str) -> str:
    """The pointer of a named example's ``value``: in its Example Object, where a ``$ref``
    leads or under the media type's ``examples``."""
    if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        return f"{doc.public(uri)}/value"
    return f"{media.pointer}/examples/{escape_pointer_segment(name)}/value"
