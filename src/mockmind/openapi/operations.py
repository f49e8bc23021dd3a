"""Assembling an ``Operation`` from its path item: references followed one level deep.

Parameters, request bodies, responses, headers and examples are Reference Objects that may
point anywhere; they are followed here. Schemas are not: each is kept as the document's node
with the URI where it lives, and validators resolve what is inside it.

A referenced parameter or response is built once per document (``shared``, keyed by the URI it
resolves to) and the frozen result shared by every operation that names it: a real API names
the same few dozen (``owner``, ``per_page``, ``not_found``) thousands of times, and building
them again was half of building GitHub's 1,223 operations (bench/RESULTS.md, row 5).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from mockmind.openapi.model import (
    DocumentNodes,
    MediaType,
    Operation,
    Parameter,
    RequestBody,
    Response,
    ResponseHeader,
)
from mockmind.openapi.pointers import child_uri

_DEFAULT_STYLE = {"path": "simple", "header": "simple", "query": "form", "cookie": "form"}
# The spec says these header parameters are ignored: the transport owns them.
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}


# (kind, status, resolved URI) -> the Parameter or Response built from the node there.
Shared = MutableMapping[tuple[str, str, str], Any]


def build_operation(
    doc: DocumentNodes, template: str, method: str, shared: Shared | None = None
) -> Operation:
    shared = {} if shared is None else shared
    item, item_uri = doc.path_item(template)
    key = method.lower()
    op = item.get(key)
    if not isinstance(op, Mapping):
        raise KeyError(f"{method} {template} is not in the document")
    op_uri = child_uri(item_uri, key)

    merged: dict[tuple[str, str], Parameter] = {}
    for owner, owner_uri in ((item, item_uri), (op, op_uri)):
        params_uri = child_uri(owner_uri, "parameters")
        for param in _parameters(doc, owner.get("parameters"), params_uri, shared):
            merged[param.key] = param  # operation level comes second and wins

    body = op.get("requestBody")
    request_body = (
        _request_body(doc, body, child_uri(op_uri, "requestBody")) if body is not None else None
    )
    responses_node = op.get("responses")
    responses: dict[str, Response] = {}
    if isinstance(responses_node, Mapping):
        responses_uri = child_uri(op_uri, "responses")
        for status, node in responses_node.items():
            responses[str(status)] = _response(
                doc, str(status), node, child_uri(responses_uri, status), shared
            )
    security = op["security"] if "security" in op else doc.raw.get("security")
    return Operation(
        method=method,
        path_template=template,
        operation_id=op.get("operationId") if isinstance(op.get("operationId"), str) else None,
        summary=op.get("summary") if isinstance(op.get("summary"), str) else None,
        parameters=tuple(merged.values()),
        request_body=request_body,
        responses=responses,
        security=tuple(s for s in security if isinstance(s, Mapping))
        if isinstance(security, list)
        else None,
        pointer=doc.public(op_uri),
        raw=op,
        document=doc,
    )


def _parameters(doc: DocumentNodes, nodes: Any, list_uri: str, shared: Shared) -> list[Parameter]:
    if not isinstance(nodes, list):
        return []
    found: list[Parameter] = []
    for index, ref_or_node in enumerate(nodes):
        node, uri = doc.deref_located(ref_or_node, child_uri(list_uri, index))
        if not isinstance(node, Mapping):
            continue
        is_ref = isinstance(ref_or_node, Mapping) and "$ref" in ref_or_node
        if is_ref and ("parameter", "", uri) in shared:
            built = shared[("parameter", "", uri)]
            if built is not None:
                found.append(built)
            continue
        param = _parameter(doc, node, uri)
        if is_ref:
            shared[("parameter", "", uri)] = param
        if param is not None:
            found.append(param)
    return found


def _parameter(doc: DocumentNodes, node: Mapping[str, Any], uri: str) -> Parameter | None:
    """The parameter at ``uri``; None for one that is ignored or not a parameter at all."""
    name, location = node.get("name"), node.get("in")
    if not isinstance(name, str) or location not in _DEFAULT_STYLE:
        return None
    if location == "header" and name.lower() in _IGNORED_HEADERS:
        return None
    style = node.get("style") if isinstance(node.get("style"), str) else None
    style = style or _DEFAULT_STYLE[location]
    explode = node.get("explode")
    schema, schema_uri, media_type = _schema_of(doc, node, uri)
    return Parameter(
        name=name,
        location=location,
        required=bool(node.get("required")) or location == "path",
        style=style,
        explode=bool(explode) if isinstance(explode, bool) else style == "form",
        schema=schema,
        schema_pointer=doc.public(schema_uri) if schema_uri else None,
        media_type=media_type,
        allow_empty_value=node.get("allowEmptyValue") is True,
        deprecated=node.get("deprecated") is True,
        pointer=doc.public(uri),
        raw=node,
    )


def _schema_of(
    doc: DocumentNodes, node: Mapping[str, Any], uri: str
) -> tuple[Any, str | None, str | None]:
    """(schema, its URI, media type) of a parameter or header: ``schema`` or ``content``."""
    # ``schema: null`` is read as no schema at all (any value), here and in media types.
    if node.get("schema") is not None:
        schema_uri = child_uri(uri, "schema")
        doc.remember(node["schema"], schema_uri)
        return node["schema"], schema_uri, None
    content = node.get("content")
    if isinstance(content, Mapping):
        for media_type, media in content.items():
            if isinstance(media, Mapping) and media.get("schema") is not None:
                schema_uri = child_uri(uri, "content", media_type, "schema")
                doc.remember(media["schema"], schema_uri)
                return media["schema"], schema_uri, str(media_type)
            return None, None, str(media_type)
    return None, None, None


def _content(doc: DocumentNodes, node: Any, uri: str) -> dict[str, MediaType]:
    if not isinstance(node, Mapping):
        return {}
    content: dict[str, MediaType] = {}
    for name, ref_or_media in node.items():
        media, media_uri = doc.deref_located(ref_or_media, child_uri(uri, name))
        if not isinstance(media, Mapping):
            media = {}
        schema_uri: str | None = None
        if media.get("schema") is not None:
            schema_uri = child_uri(media_uri, "schema")
            doc.remember(media["schema"], schema_uri)
        encoding = media.get("encoding")
        content[str(name)] = MediaType(
            name=str(name),
            schema=media.get("schema"),
            schema_pointer=doc.public(schema_uri) if schema_uri else None,
            encoding=encoding if isinstance(encoding, Mapping) else {},
            pointer=doc.public(media_uri),
            raw=media,
        )
    return content


def _request_body(doc: DocumentNodes, ref_or_node: Any, uri: str) -> RequestBody | None:
    node, uri = doc.deref_located(ref_or_node, uri)
    if not isinstance(node, Mapping):
        return None
    return RequestBody(
        required=node.get("required") is True,
        content=_content(doc, node.get("content"), child_uri(uri, "content")),
        pointer=doc.public(uri),
    )


def _response(doc: DocumentNodes, key: str, ref_or_node: Any, uri: str, shared: Shared) -> Response:
    node, uri = doc.deref_located(ref_or_node, uri)
    if not (isinstance(ref_or_node, Mapping) and "$ref" in ref_or_node):
        return _response_at(doc, key, node, uri)
    memo_key = ("response", key, uri)
    built: Response | None = shared.get(memo_key)
    if built is None:
        built = shared[memo_key] = _response_at(doc, key, node, uri)
    return built


def _response_at(doc: DocumentNodes, key: str, node: Any, uri: str) -> Response:
    if not isinstance(node, Mapping):
        node = {}
    headers: dict[str, ResponseHeader] = {}
    header_nodes = node.get("headers")
    if isinstance(header_nodes, Mapping):
        for name, ref_or_header in header_nodes.items():
            if str(name).lower() == "content-type":
                continue  # described by the media type instead, per the spec
            header, header_uri = doc.deref_located(ref_or_header, child_uri(uri, "headers", name))
            if not isinstance(header, Mapping):
                continue
            schema, schema_uri, _ = _schema_of(doc, header, header_uri)
            headers[str(name)] = ResponseHeader(
                name=str(name),
                required=header.get("required") is True,
                schema=schema,
                schema_pointer=doc.public(schema_uri) if schema_uri else None,
                raw=header,
            )
    description = node.get("description")
    return Response(
        key=key,
        description=description if isinstance(description, str) else "",
        content=_content(doc, node.get("content"), child_uri(uri, "content")),
        headers=headers,
        pointer=doc.public(uri),
    )
