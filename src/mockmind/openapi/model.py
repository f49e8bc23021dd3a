"""The shapes the rest of mockmind sees: operations with their references already followed.

Every schema is kept as the document's own node (it may still hold ``$ref``s) together with a
pointer to where it lives, so validators resolve nested references against the right file
instead of working on an inlined copy. Pointers into the main document look like
``#/paths/~1pets/get``; pointers into another file are absolute (``file:///…/common.yaml#/…``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any, Protocol

from mockmind.lean_dataclass import dataclass

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

    from mockmind.openapi.schemas import Context

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class DocumentNodes(Protocol):
    """What building and checking an operation needs from its document.

    ``OpenAPIDocument`` is the one implementation. It builds operations, so naming it here
    would make the document and its operations import each other; this protocol keeps the
    dependency one way (the document knows the model, the model knows only this).
    """

    @property
    def raw(self) -> Mapping[str, Any]: ...

    # Hashable by identity: per-document memos (the request checks' lru_caches) key on it.
    def __hash__(self) -> int: ...

    def path_item(self, template: str) -> tuple[Mapping[str, Any], str]:
        """The path item of ``template`` (references followed) and its URI."""
        ...

    def absolute(self, ref: str, base: str | None = None) -> str:
        """``ref`` as an absolute URI, relative to ``base`` (by default the main document)."""
        ...

    def public(self, uri: str) -> str:
        """``uri`` as shown to callers: ``#/…`` inside the main document, absolute elsewhere."""
        ...

    def locate(self, ref: str, base: str | None = None) -> tuple[Any, str]:
        """The node ``ref`` points at and its absolute URI (no chain following)."""
        ...

    def deref_located(self, node: Any, uri: str) -> tuple[Any, str]:
        """Follow a chain of ``$ref``s from ``node`` (found at ``uri``) to a real node."""
        ...

    def remember(self, node: Any, uri: str) -> None:
        """Note where ``node`` lives, so a validator for it resolves refs against its file."""
        ...

    def validator(self, schema_or_pointer: Any, context: Context = None) -> Validator:
        """A cached validator for a pointer or a schema object."""
        ...


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query, header or cookie (the spec's ``in``)
    required: bool
    style: str
    explode: bool
    schema: Any = None
    schema_pointer: str | None = None
    # Set when the parameter is described by ``content`` instead of ``schema`` (say, JSON).
    media_type: str | None = None
    allow_empty_value: bool = False
    deprecated: bool = False
    pointer: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        """Identity for merging path-item and operation parameters (header names ignore case)."""
        name = self.name.lower() if self.location == "header" else self.name
        return (name, self.location)


@dataclass(frozen=True)
class MediaType:
    name: str  # the content key as written, e.g. ``application/json`` or ``image/*``
    schema: Any = None
    schema_pointer: str | None = None
    encoding: Mapping[str, Any] = field(default_factory=dict, repr=False)
    pointer: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class RequestBody:
    required: bool
    content: Mapping[str, MediaType]
    pointer: str = ""


@dataclass(frozen=True)
class ResponseHeader:
    name: str
    required: bool
    schema: Any = None
    schema_pointer: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Response:
    key: str  # "200", "2XX" or "default"
    description: str
    content: Mapping[str, MediaType]
    headers: Mapping[str, ResponseHeader]
    pointer: str = ""


# Identity equality: each document builds an operation once, and callers may key caches on it.
@dataclass(frozen=True, eq=False)
class Operation:
    method: str  # upper-case, as requests carry it
    path_template: str
    operation_id: str | None
    summary: str | None
    parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    responses: Mapping[str, Response]
    security: tuple[Mapping[str, Any], ...] | None
    pointer: str
    raw: Mapping[str, Any] = field(repr=False)
    document: DocumentNodes = field(repr=False, compare=False)

    def parameters_in(self, location: str) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == location)


@dataclass(frozen=True)
class MatchedOperation:
    operation: Operation
    # Raw (percent-decoded) path segments by parameter name; styles are applied on validation.
    path_params: dict[str, str]
