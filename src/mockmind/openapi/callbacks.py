"""An operation's ``callbacks`` and the document's ``webhooks`` (3.1), as operations to send.

A Callback Object maps a runtime-expression key to a Path Item; each method of that item is one
request to send, its body described by the operation's ``requestBody``. References are
followed here (a callback, path item, request body or parameter may be a ``$ref``); schemas
are kept as the document's nodes, which the generator resolves. A part that cannot be read (a
reference to nothing) is left out with a warning rather than failing the request that
triggered it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from mockmind.domain.errors import MockmindError
from mockmind.openapi.document import OpenAPIDocument
from mockmind.openapi.media import is_json
from mockmind.openapi.model import HTTP_METHODS
from mockmind.openapi.pointers import child_uri
from mockmind.ports.callbacks import OutgoingOperation

logger = logging.getLogger("mockmind.openapi")

# Webhook path items often describe one POST; when they hold several, POST is sent first.
_METHOD_ORDER = ("post", *(m for m in HTTP_METHODS if m != "post"))


class OpenAPICallbacks:
    """``CallbackCatalogue`` over an OpenAPI document; each operation read once."""

    def __init__(self, document: OpenAPIDocument) -> None:
        self._doc = document
        self._callbacks: dict[tuple[str, str], tuple[OutgoingOperation, ...]] = {}
        self._webhooks: dict[str, tuple[OutgoingOperation, ...]] | None = None

    def declares_callbacks(self) -> bool:
        paths = self._doc.raw.get("paths")
        if not isinstance(paths, Mapping):
            return False
        for template in paths:
            try:
                item, _ = self._doc.path_item(template)
            except MockmindError:
                return True  # unreadable here: the lookup decides, and logs, per operation
            for key, op in item.items():
                if key in HTTP_METHODS and isinstance(op, Mapping) and op.get("callbacks"):
                    return True
        return False

    def callbacks_of(self, method: str, path_template: str) -> tuple[OutgoingOperation, ...]:
        key = (method.upper(), path_template)
        found = self._callbacks.get(key)
        if found is None:
            found = self._read_callbacks(*key)
            self._callbacks[key] = found
        return found

    def webhooks(self) -> Mapping[str, tuple[OutgoingOperation, ...]]:
        if self._webhooks is None:
            self._webhooks = self._read_webhooks()
        return self._webhooks

    def _read_callbacks(self, method: str, path_template: str) -> tuple[OutgoingOperation, ...]:
        doc = self._doc
        try:
            operation = doc.operation(path_template, method)
        except (KeyError, MockmindError):
            return ()
        callbacks = operation.raw.get("callbacks")
        if not isinstance(callbacks, Mapping):
            return ()
        found: list[OutgoingOperation] = []
        base = doc.absolute(operation.pointer)
        for name, node in callbacks.items():
            try:
                callback, uri = doc.deref_located(node, child_uri(base, "callbacks", name))
                if not isinstance(callback, Mapping):
                    continue
                for expression, item in callback.items():
                    if isinstance(expression, str) and not expression.startswith("x-"):
                        item_uri = child_uri(uri, expression)
                        found.extend(self._operations(str(name), item, item_uri, expression))
            except MockmindError as exc:
                logger.warning(
                    "callback %s of %s %s left out: %s", name, method, path_template, exc
                )
        return tuple(found)

    def _read_webhooks(self) -> dict[str, tuple[OutgoingOperation, ...]]:
        webhooks = self._doc.raw.get("webhooks")
        if not isinstance(webhooks, Mapping):
            return {}
        found: dict[str, tuple[OutgoingOperation, ...]] = {}
        for name, item in webhooks.items():
            uri = child_uri(self._doc.uri, "webhooks", name)
            try:
                operations = tuple(self._operations(str(name), item, uri, ""))
            except MockmindError as exc:
                logger.warning("webhook %s left out: %s", name, exc)
                continue
            if operations:
                found[str(name)] = operations
        return found

    def _operations(
        self, name: str, item_node: Any, item_uri: str, url_template: str
    ) -> list[OutgoingOperation]:
        doc = self._doc
        item, item_uri = doc.deref_located(item_node, item_uri)
        if not isinstance(item, Mapping):
            return []
        found: list[OutgoingOperation] = []
        for method in _METHOD_ORDER:
            op = item.get(method)
            if not isinstance(op, Mapping):
                continue
            op_uri = child_uri(item_uri, method)
            media_type, schema = self._body(op, op_uri)
            found.append(
                OutgoingOperation(
                    name=name,
                    method=method.upper(),
                    url_template=url_template,
                    media_type=media_type,
                    schema=schema,
                    headers=self._headers(item, op, item_uri, op_uri),
                )
            )
        return found

    def _body(
        self, op: Mapping[str, Any], op_uri: str
    ) -> tuple[str | None, Mapping[str, Any] | bool | None]:
        if "requestBody" not in op:
            return None, None
        body, _ = self._doc.deref_located(op["requestBody"], child_uri(op_uri, "requestBody"))
        content = body.get("content") if isinstance(body, Mapping) else None
        if not isinstance(content, Mapping) or not content:
            return None, None
        names = [str(n) for n in content]
        chosen = next((n for n in names if is_json(n)), names[0])
        media = content[chosen]
        schema = media.get("schema") if isinstance(media, Mapping) else None
        if not isinstance(schema, Mapping | bool):
            schema = {}
        return chosen, schema

    def _headers(
        self, item: Mapping[str, Any], op: Mapping[str, Any], item_uri: str, op_uri: str
    ) -> dict[str, str]:
        """Header parameters with an example value: sent as that value."""
        headers: dict[str, str] = {}
        for owner, uri in ((item, item_uri), (op, op_uri)):
            params = owner.get("parameters")
            if not isinstance(params, list):
                continue
            for index, node in enumerate(params):
                param, _ = self._doc.deref_located(node, child_uri(uri, "parameters", index))
                if not isinstance(param, Mapping) or param.get("in") != "header":
                    continue
                example = param.get("example")
                schema = param.get("schema")
                if example is None and isinstance(schema, Mapping):
                    example = schema.get("example", schema.get("default"))
                if isinstance(param.get("name"), str) and isinstance(example, str | int | float):
                    headers[param["name"]] = str(example)
        return headers
