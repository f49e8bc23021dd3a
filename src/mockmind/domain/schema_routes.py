"""Serving without an OpenAPI document: REST conventions over the config's ``schemas:``.

``GET /users`` lists ``User`` objects, ``GET /users/42`` is one ``User``, ``POST /users``
creates one (201), ``DELETE /users/42`` answers 204. A path whose collection names no schema
gets a generic resource object, so every path answers something sensible.

Every collection is a resource of the entity store, as an OpenAPI document's are: what is
POSTed comes back on GET, and ``GET /widgets/7`` is widget 7 from then on. Those the schemas
name are known at start (``operations``); a client makes others up by using them, so the
engine asks for a template's collections when it first plans it (``resource_operations``).
An id in the path is read as the schema's id type: ``/users/7`` is user ``7`` (a number when
``User.id`` is an integer, and 400 when the segment is not one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockmind.domain.client_input import DEFAULT_LIMITS, InputLimits, read_json
from mockmind.domain.errors import (
    MethodNotAllowed,
    RequestError,
    RequestValidationFailed,
    UnresolvableRef,
)
from mockmind.domain.http import REASON_PHRASES, MockRequest
from mockmind.domain.json_schema import multiple_of
from mockmind.domain.paths import escape_segment
from mockmind.domain.prefer import parse_prefer
from mockmind.domain.resources.specs import param_name, path_segments
from mockmind.domain.words import plural, singular
from mockmind.ports.api_description import OperationInfo, ResponsePlan, RoutedRequest

# What REST conventions give a meaning to, on any path; another method (TRACE, CONNECT, a
# made-up one) is 405.
SERVED_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
_ID_SEGMENT = re.compile(r"^(\d+|[0-9a-fA-F-]{8,}|[A-Za-z]+[-_]\d+.*|.*\d.*)$")
_SCHEMAS_URI = "urn:mockmind:schemas"
_VALIDATOR: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"multipleOf": multiple_of}
)

GENERIC_RESOURCE: Mapping[str, Any] = {
    "type": "object",
    "required": ["id", "name", "created_at"],
    "properties": {
        # Any string: a path names ids (``/widgets/7``), and a create makes one.
        "id": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}

ERROR_SCHEMA: Mapping[str, Any] = {
    "type": "object",
    "required": ["status", "title"],
    "properties": {
        "status": {"type": "integer"},
        "title": {"type": "string"},
        "detail": {"type": "string"},
    },
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class SchemaRoutes:
    """An ``ApiDescription`` built from named JSON Schemas (2020-12 dialect)."""

    kind = "schemas"

    def __init__(
        self, schemas: Mapping[str, Mapping[str, Any]], limits: InputLimits = DEFAULT_LIMITS
    ) -> None:
        self._limits = limits
        self._schemas = {name: dict(schema) for name, schema in schemas.items()}
        self._by_key = {_key(name): name for name in self._schemas}
        self._document = {"$defs": self._schemas}
        resource: Resource[Any] = DRAFT202012.create_resource(self._document)
        self._registry: Registry[Any] = Registry().with_resource(_SCHEMAS_URI, resource)
        # The schemas response plans name, made once: the generator keeps a plan schema's
        # flattened form by the schema's identity (Answers.generate), which a schema made per
        # request would defeat, filling its bounded memo with entries used once.
        self._item_schemas: dict[str | None, Mapping[str, Any]] = {
            name: {"$ref": f"#/$defs/{name}"} for name in self._schemas
        }
        self._item_schemas[None] = GENERIC_RESOURCE
        self._list_schemas = {
            name: {"type": "array", "items": schema, "minItems": 1, "maxItems": 5}
            for name, schema in self._item_schemas.items()
        }

    def summary(self) -> str:
        names = ", ".join(self._schemas) or "none"
        return f"paths inferred from config schemas ({names})"

    def schema_names(self) -> list[str]:
        return list(self._schemas)

    def named_schema(self, name: str) -> Mapping[str, Any] | None:
        return {"$ref": f"#/$defs/{name}"} if name in self._schemas else None

    def named_schema_errors(self, name: str, value: Any) -> list[dict[str, object]]:
        return self._errors(name, value, partial=False)

    def example_problems(self) -> list[str]:
        # Config schemas carry no examples that are served.
        return []

    def operations(self) -> list[OperationInfo]:
        """REST operations for each schema: /users and /users/{id} for ``User``."""
        ops: list[OperationInfo] = []
        for name in self._schemas:
            ops += _rest_operations("/" + plural(_snake(name)), {"$ref": f"#/$defs/{name}"})
        return ops

    def resource_operations(self, template: str) -> list[OperationInfo]:
        """REST operations of the collections a route template is about, its ancestors too.

        ``/users/{user_id}/widgets/{id}`` is about ``/users`` and ``/users/{user_id}/widgets``;
        ``/orders/{id}/pay`` about ``/orders`` only: a segment after an id that names no
        schema is an action on the item, not a collection (as ``route`` reads it).
        """
        segments = path_segments(template)
        ops: list[OperationInfo] = []
        for index, segment in enumerate(segments):
            if param_name(segment) is not None:
                continue
            last = index == len(segments) - 1
            follows_id = index > 0 and param_name(segments[index - 1]) is not None
            name = self._schema_for(segment)
            if last and follows_id and name is None:
                break  # an action on the item before it
            if not last and param_name(segments[index + 1]) is None:
                continue  # a prefix (/api/widgets), not a collection
            schema = {"$ref": f"#/$defs/{name}"} if name else GENERIC_RESOURCE
            ops += _rest_operations("/" + "/".join(segments[: index + 1]), schema)
        return ops

    def _id_type(self, name: str | None) -> str | None:
        """The JSON type of a schema's ``id`` property, when it says one."""
        schema = self._schemas.get(name or "")
        prop = schema.get("properties", {}).get("id") if isinstance(schema, Mapping) else None
        kind = prop.get("type") if isinstance(prop, Mapping) else None
        return kind if isinstance(kind, str) else None

    def _typed_id(self, name: str | None, segment: str) -> Any:
        """A path's last id as the schema's id type says: ``7`` for an integer id."""
        if self._id_type(name) != "integer":
            return segment
        if re.fullmatch(r"-?[0-9]{1,18}", segment) is None:
            raise RequestValidationFailed(
                400,
                [
                    {
                        "location": "path.id",
                        "message": f"{segment!r} is not of type 'integer'",
                        "keyword": "type",
                    }
                ],
            )
        return int(segment)

    def resolve_ref(self, ref: str) -> Mapping[str, Any]:
        name = ref.rsplit("/", 1)[-1]
        if name not in self._schemas:
            raise UnresolvableRef(ref, f"no schema named {name!r} in config schemas")
        return self._schemas[name]

    def _schema_for(self, segment: str) -> str | None:
        return self._by_key.get(_key(singular(segment))) or self._by_key.get(_key(segment))

    def _shape(self, segments: tuple[str, ...]) -> tuple[str | None, bool, str, dict[str, str]]:
        """(schema name, is-item, template, path params) for a path like /users/42/posts/7,
        given as its decoded segments (``MockRequest.segments``).

        The last id is ``{id}`` (so ``/orders/{id}/pay`` reads naturally in a trigger);
        earlier ones are named after their collection (``/users/{user_id}/posts/{id}``).
        A literal segment keeps an encoded ``/``, ``?`` or brace encoded in the template, so
        that ``/a%2Fb`` is never the template ``/a/b``.
        """
        kinds: list[tuple[str, str | None]] = []  # ("id" | "literal", schema name)
        for segment in segments:
            known = self._schema_for(segment)
            previous = kinds[-1] if kinds else None
            after_literal = previous is not None and previous[0] == "literal"
            named = previous is not None and previous[1] is not None
            if known is None and after_literal and (named or _ID_SEGMENT.match(segment)):
                kinds.append(("id", None))
            else:
                kinds.append(("literal", known))
        last_id = max((i for i, (kind, _) in enumerate(kinds) if kind == "id"), default=-1)
        template: list[str] = []
        params: dict[str, str] = {}
        for index, (segment, (kind, _)) in enumerate(zip(segments, kinds, strict=True)):
            if kind == "id":
                param = "id" if index == last_id else f"{_snake(singular(segments[index - 1]))}_id"
                template.append("{" + param + "}")
                params[param] = segment
            else:
                template.append(escape_segment(segment))
        name = next((known for kind, known in reversed(kinds) if known is not None), None)
        # /orders/42 is an item; so is /orders/42/pay, an action on that item.
        is_item = any(kind == "id" for kind, _ in kinds) and kinds[-1][1] is None
        return name, is_item, "/" + "/".join(template), params

    def route(self, request: MockRequest) -> RoutedRequest:
        if request.method.upper() not in SERVED_METHODS:
            raise MethodNotAllowed(request.method, request.path, SERVED_METHODS)
        name, _, template, params = self._shape(request.segments)
        body: Any = None
        if request.body:
            try:
                body = read_json(request.body, self._limits)
            except ValueError as exc:
                raise RequestValidationFailed(
                    422, [{"location": "body", "message": f"body is not valid JSON: {exc}"}]
                ) from exc
        if body is not None and name and request.method in ("POST", "PUT", "PATCH"):
            # One schema serves both directions here, and the server fills ids and computed
            # fields: a request body is checked for types and bounds, not for completeness.
            errors = self._errors(name, body, partial=True)
            if errors:
                raise RequestValidationFailed(422, errors)
        path_params: dict[str, Any] = dict(params)
        if "id" in params:
            collection = request.segments[path_segments(template).index("{id}") - 1]
            path_params["id"] = self._typed_id(self._schema_for(collection), params["id"])
        return RoutedRequest(
            request=request,
            path_template=template,
            operation_id=f"{request.method.lower()}:{template}",
            path_params=path_params,
            query={k: v[0] if len(v) == 1 else v for k, v in request.query.items()},
            body=body,
        )

    def _errors(self, name: str, body: Any, *, partial: bool) -> list[dict[str, object]]:
        schema = self._schemas[name]
        if partial:
            schema = {k: v for k, v in schema.items() if k != "required"}
        validator = self._validator_for_schema(_freeze(schema))
        errors: list[dict[str, object]] = [
            {
                "location": "body"
                + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path),
                "message": err.message,
                "keyword": str(err.validator),
            }
            for err in validator.iter_errors(body)
        ]
        return errors[:50]

    def plan_response(self, routed: RoutedRequest) -> ResponsePlan:
        request = routed.request
        prefer = parse_prefer(request.headers.get("prefer"))
        name, is_item, _, _ = self._shape(request.segments)
        if prefer.code is not None and not 200 <= prefer.code < 300:
            if prefer.code not in REASON_PHRASES and not 400 <= prefer.code < 600:
                raise RequestError(
                    422, "Unprocessable Entity", f"cannot answer with status {prefer.code}"
                )
            example = {"status": prefer.code, "title": REASON_PHRASES.get(prefer.code, "Error")}
            return ResponsePlan(
                prefer.code,
                schema=ERROR_SCHEMA,
                has_example=True,
                example=example,
                schema_key="error",
            )
        method = request.method
        if method == "DELETE":
            return ResponsePlan(prefer.code or 204, media_type=None)
        if method in ("HEAD", "OPTIONS"):
            return ResponsePlan(prefer.code or 200, media_type=None)
        listed = method == "GET" and not is_item
        schema = (self._list_schemas if listed else self._item_schemas)[name or None]
        status = prefer.code or (201 if method == "POST" and not is_item else 200)
        return ResponsePlan(status, schema=schema, schema_key=f"{name}:{is_item}:{method}")

    # No list of error answers: an error is answered as a problem document.
    documents_errors = False
    error_media_type = None

    def error_plan(
        self, request: MockRequest, path_template: str | None, status: int
    ) -> ResponsePlan | None:
        return None

    def response_errors(self, plan: ResponsePlan, body: Any) -> list[str]:
        if plan.schema is None:
            return []
        validator = self._validator_for_schema(_freeze(plan.schema))
        return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]

    @lru_cache(maxsize=256)  # noqa: B019 - one instance per app; schemas are few
    def _validator_for_schema(self, frozen: _Frozen) -> Validator:
        schema = frozen.value
        root = dict(schema) if isinstance(schema, Mapping) else schema
        if isinstance(root, dict):
            root = {**root, "$id": _SCHEMAS_URI, "$defs": self._schemas}
        return _VALIDATOR(root, registry=self._registry, format_checker=FormatChecker())


class _Frozen:
    """A hashable wrapper so validators can be cached by schema content."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self._key = json.dumps(value, sort_keys=True, default=str)

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Frozen) and other._key == self._key


def _freeze(value: Any) -> _Frozen:
    return _Frozen(value)


def _rest_operations(collection: str, schema: Mapping[str, Any]) -> list[OperationInfo]:
    """A collection's REST operations: list, create, read, replace, merge and delete."""
    ref = schema
    item = collection + "/{id}"
    return [
        OperationInfo(
            "GET",
            collection,
            success_status=200,
            response_schema={"type": "array", "items": ref},
            success_statuses=(200,),
        ),
        OperationInfo(
            "POST",
            collection,
            success_status=201,
            response_schema=ref,
            request_schema=ref,
            success_statuses=(201,),
        ),
        OperationInfo(
            "GET", item, success_status=200, response_schema=ref, success_statuses=(200,)
        ),
        # PUT replaces what exists (answering 200): an id never seen is 404.
        OperationInfo(
            "PUT", item, success_status=200, response_schema=ref, success_statuses=(200,)
        ),
        OperationInfo(
            "PATCH", item, success_status=200, response_schema=ref, success_statuses=(200,)
        ),
        OperationInfo("DELETE", item, success_status=204, success_statuses=(204,)),
    ]
