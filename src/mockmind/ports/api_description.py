"""What the API looks like: routes, request checks and the response each request should get.

Two implementations: an OpenAPI document (``mockmind.openapi``) and the config's ``schemas:``
with REST conventions inferred from paths (``mockmind.domain.schema_routes``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any, Protocol

from mockmind.domain.http import MockRequest
from mockmind.lean_dataclass import dataclass

SchemaResolver = Callable[[str], Mapping[str, Any]]


@dataclass(frozen=True)
class OperationInfo:
    """One operation as resource inference sees it."""

    method: str
    path_template: str
    operation_id: str | None = None
    # The lowest 2xx response's JSON schema (may hold $refs), and that status.
    success_status: int | None = None
    response_schema: Mapping[str, Any] | bool | None = None
    request_schema: Mapping[str, Any] | bool | None = None
    query_params: tuple[str, ...] = ()
    # Every 2xx status the operation documents by number (a ``2XX`` range names none).
    success_statuses: tuple[int, ...] = ()


@dataclass(frozen=True)
class RoutedRequest:
    """A request matched to an operation and checked against it."""

    request: MockRequest
    path_template: str
    operation_id: str | None = None
    path_params: Mapping[str, Any] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None


@dataclass(frozen=True)
class ResponsePlan:
    """Which response to send: status, media type, schema, and an example if one applies."""

    status: int
    media_type: str | None = "application/json"
    schema: Mapping[str, Any] | bool | None = None
    has_example: bool = False
    example: Any = None
    header_schemas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Identifies the schema for validator caching (a JSON pointer, or a config schema name).
    schema_key: str | None = None
    # The example's first error against the schema ("<pointer>: <error>"), None when it fits.
    example_error: str | None = None


class ApiDescription(Protocol):
    @property
    def kind(self) -> str:
        """ "openapi" or "schemas", for the health report."""
        ...

    def summary(self) -> str:
        """One line for start-up and ``validate-config``: what is being served."""
        ...

    def route(self, request: MockRequest) -> RoutedRequest:
        """Match and check the request; raises ``RequestError`` subclasses (404, 405, 400, 422)."""
        ...

    def plan_response(self, routed: RoutedRequest) -> ResponsePlan:
        """The response ``Prefer`` and ``Accept`` ask for; may raise ``RequestError``."""
        ...

    def response_errors(self, plan: ResponsePlan, body: Any) -> list[str]:
        """Why ``body`` breaks the plan's schema; empty when it conforms."""
        ...

    @property
    def documents_errors(self) -> bool:
        """Whether operations list their error answers (an OpenAPI document does); without
        such a list (schema routes), REST conventions decide the errors."""
        ...

    @property
    def error_media_type(self) -> str | None:
        """The one JSON media type the description gives all the error answers it documents
        (None: none, or several): an error it does not document is sent as that type."""
        ...

    def error_plan(
        self, request: MockRequest, path_template: str | None, status: int
    ) -> ResponsePlan | None:
        """How the request's operation documents an error answer of ``status``: that code,
        else its ``NXX`` range, else ``default``; None when it documents none of them, or
        when the request reaches no operation. ``path_template`` None: route the request."""
        ...

    def resolve_ref(self, ref: str) -> Mapping[str, Any]:
        """The schema ``ref`` names; raises ``UnresolvableRef`` (a LookupError) if none."""
        ...

    def named_schema(self, name: str) -> Mapping[str, Any] | None:
        """A ``$ref`` to the schema called ``name`` (components or config), or None."""
        ...

    def named_schema_errors(self, name: str, value: Any) -> list[dict[str, object]]:
        """Validation errors of ``value`` against the named schema (``location``, ``message``)."""
        ...

    def example_problems(self) -> list[str]:
        """Each response example that breaks its schema: its JSON pointer and first error."""
        ...

    def operations(self) -> list[OperationInfo]:
        """Every operation, for inferring resources; empty when paths are not declared."""
        ...
