"""``ApiDescription`` over an OpenAPI document: what the engine talks to when a spec is served."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema.protocols import Validator

from mockmind.domain.client_input import DEFAULT_LIMITS, InputLimits
from mockmind.domain.errors import RequestError, UnresolvableRef
from mockmind.domain.http import MockRequest
from mockmind.domain.memo import BoundedMemo
from mockmind.openapi.document import OpenAPIDocument
from mockmind.openapi.examples import ExampleCheck
from mockmind.openapi.media import is_json
from mockmind.openapi.model import Operation, Response
from mockmind.openapi.pointers import escape_pointer_segment
from mockmind.openapi.request_errors import schema_errors
from mockmind.openapi.requests import RequestCheck
from mockmind.openapi.responses import ResponseChoice, choose_response, error_choice
from mockmind.openapi.schemas import iter_errors
from mockmind.ports.api_description import OperationInfo, ResponsePlan, RoutedRequest

# Paths are the client's (ids, encodings): bounded, as the router's own memo is.
_UNCHECKED_SIZE = 4096


class OpenAPIDescription:
    kind = "openapi"

    def __init__(self, document: OpenAPIDocument, limits: InputLimits = DEFAULT_LIMITS) -> None:
        self.document = document
        self.limits = limits
        self._examples = ExampleCheck(document)
        self._error_media: tuple[str | None] | None = None
        # The operations of requests routed with nothing to check, by method and path: asked
        # again without a query or body, such a request routes to the same operation (the
        # router never changes), with nothing to check again. Matching it and building the
        # match was a tenth of a cached answer's engine time (bench/RESULTS.md, row 1).
        self._unchecked: BoundedMemo[tuple[str, str], Operation] = BoundedMemo(_UNCHECKED_SIZE)
        # Every routed path's check (its match, what its requests are checked by), by method
        # and path, when the router chooses by the path alone: the router's own memo still
        # made a match, its operation's look-up and the document's match of them on each
        # request. The match is never handed out (validation only reads it).
        self._checks: BoundedMemo[tuple[str, str], RequestCheck] = BoundedMemo(_UNCHECKED_SIZE)
        # Response validators by schema pointer: the document's own lookup makes the pointer
        # absolute and locates it first, on every generated answer checked (the pointers are
        # the document's, a bounded set).
        self._response_validators: dict[str, Validator] = {}

    @classmethod
    def load(cls, path: Path | str, limits: InputLimits = DEFAULT_LIMITS) -> OpenAPIDescription:
        return cls(OpenAPIDocument.load(path), limits)

    def summary(self) -> str:
        doc = self.document
        count = len(doc.routes())
        kind = f"OpenAPI {doc.version}"
        if doc.converted_from:
            kind = f"Swagger {doc.converted_from} as {kind}"
        return f"{doc.title} ({kind}, {count} operations, {doc.path.name})"

    def route(self, request: MockRequest) -> RoutedRequest:
        method = request.method
        path = request.path
        plain = not request.query and not request.body
        if plain:
            known = self._unchecked.get((method, path))
            if known is not None:
                return _routed(request, known, {}, {}, None)
        check = self._checks.get((method, path))
        if check is None:
            check = RequestCheck(self.document.match(method, path, request.query), self.limits)
            if not self.document.router.chooses_by_query:
                self._checks.put((method, path), check)
        op = check.matched.operation
        if plain and check.nothing_declared:
            self._unchecked.put((method, path), op)
            return _routed(request, op, {}, {}, None)
        path_params, query, body = check.parts(request)
        return _routed(request, op, path_params, query, body)

    documents_errors = True

    def plan_response(self, routed: RoutedRequest) -> ResponsePlan:
        """Worked out on each call; the engine's route plans remember it per route."""
        request = routed.request
        op = self.document.operation(routed.path_template, request.method)
        headers = request.headers
        choice = choose_response(op, headers.get("prefer"), headers.get("accept"))
        example = choice.example
        error = self._examples.error(
            choice.schema, choice.schema_pointer, choice.media_type, example
        )
        return _plan(choice, f"{example.pointer}: {error}" if error is not None else None)

    @property
    def error_media_type(self) -> str | None:
        # Worked out on the first undocumented error, from the raw document: building every
        # operation of a big document for it would cost its start-up time again.
        if self._error_media is None:
            found = {name for name in error_media_types(self.document) if is_json(name)}
            self._error_media = (next(iter(found)) if len(found) == 1 else None,)
        return self._error_media[0]

    def error_plan(
        self, request: MockRequest, path_template: str | None, status: int
    ) -> ResponsePlan | None:
        if path_template is None:
            try:
                op = self.document.match(request.method, request.path, request.query).operation
            except RequestError:
                return None
        else:
            op = self.document.operation(path_template, request.method)
        choice = error_choice(op, status, request.headers.get("accept"))
        return _plan(choice) if choice is not None else None

    def example_problems(self) -> list[str]:
        return [str(problem) for problem in self._examples.all_problems()]

    def response_errors(self, plan: ResponsePlan, body: Any) -> list[str]:
        if plan.schema is None:
            return []
        key = plan.schema_key
        if key is not None and "#" in key:
            validator = self._response_validators.get(key)
            if validator is None:
                validator = self.document.validator(key, context="response")
                self._response_validators[key] = validator
        else:
            validator = self.document.validator(plan.schema, context="response")
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
            for error in iter_errors(validator, body)
        ]

    def resolve_ref(self, ref: str) -> Mapping[str, Any]:
        return self.document.resolve_ref(ref)

    def _schemas(self) -> Mapping[str, Any]:
        components = self.document.raw.get("components")
        schemas = components.get("schemas") if isinstance(components, Mapping) else None
        return schemas if isinstance(schemas, Mapping) else {}

    def named_schema(self, name: str) -> Mapping[str, Any] | None:
        if name not in self._schemas():
            return None
        return {"$ref": f"#/components/schemas/{escape_pointer_segment(name)}"}

    def named_schema_errors(self, name: str, value: Any) -> list[dict[str, object]]:
        if name not in self._schemas():
            return []
        pointer = f"#/components/schemas/{escape_pointer_segment(name)}"
        return schema_errors(self.document, pointer, value, "body")

    def operations(self) -> list[OperationInfo]:
        return [_info(op) for op in self.document.operations()]


def _routed(
    request: MockRequest, op: Operation, path_params: Any, query: Any, body: Any
) -> RoutedRequest:
    """``request`` routed to ``op`` with what its check made of it.

    Made without the frozen ``__init__`` or ``built``'s check of the names (which this
    function's literal makes), as ``built`` makes it: one for every routed request."""
    routed = object.__new__(RoutedRequest)
    # Filled in place: giving the instance a new __dict__ cost 2k instructions more.
    fields = routed.__dict__
    fields["request"] = request
    fields["path_template"] = op.path_template
    fields["operation_id"] = op.operation_id
    fields["path_params"] = path_params
    fields["query"] = query
    fields["body"] = body
    return routed


def error_media_types(document: OpenAPIDocument) -> set[str]:
    """Every media type the document gives an error answer (4xx, 5xx, a range, default)."""
    found: set[str] = set()
    for _, _, _, op in document.route_table():
        responses = op.get("responses")
        for key, node in responses.items() if isinstance(responses, Mapping) else ():
            if str(key)[:1] not in ("4", "5", "d", "D"):
                continue
            try:
                response, _ = document.deref_located(node, document.uri)
            except UnresolvableRef:
                continue
            content = response.get("content") if isinstance(response, Mapping) else None
            if isinstance(content, Mapping):
                found.update(str(name) for name in content)
    return found


def _plan(choice: ResponseChoice, example_error: str | None = None) -> ResponsePlan:
    return ResponsePlan(
        status=choice.status,
        media_type=choice.media_type,
        schema=choice.schema,
        has_example=choice.example.found,
        example=choice.example.value,
        header_schemas={
            name: header.schema
            for name, header in choice.headers.items()
            if isinstance(header.schema, Mapping)
        },
        schema_key=choice.schema_pointer,
        example_error=example_error,
    )


def _json_schema(content: Mapping[str, Any]) -> Any:
    for name, media in content.items():
        if is_json(name) and media.schema is not None:
            return media.schema
    return None


def _success_codes(op: Operation) -> tuple[int, ...]:
    return tuple(sorted(int(k) for k in op.responses if k.isdigit() and 200 <= int(k) < 300))


def _success(op: Operation) -> tuple[int | None, Response | None]:
    codes = _success_codes(op)
    if codes:
        return codes[0], op.responses[str(codes[0])]
    for key in ("2XX", "2xx", "default"):
        if key in op.responses:
            return 200, op.responses[key]
    return None, None


def _info(op: Operation) -> OperationInfo:
    status, response = _success(op)
    return OperationInfo(
        method=op.method,
        path_template=op.path_template,
        operation_id=op.operation_id,
        success_status=status,
        response_schema=_json_schema(response.content) if response else None,
        request_schema=_json_schema(op.request_body.content) if op.request_body else None,
        query_params=tuple(p.name for p in op.parameters_in("query")),
        success_statuses=_success_codes(op),
    )
