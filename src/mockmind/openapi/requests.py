"""Checking a request against its operation: typed parameters, a parsed body, every error.

Parameter problems answer 400, body problems 422 (as Prism does for bodies), an unaccepted
``Content-Type`` 415. When parameters and body are both wrong, the 400 lists both, so the client
sees everything in one round trip. Error locations read like code: ``query.limit``,
``header.x-api-key``, ``body.items[0].price``.

Every part is read through ``domain/client_input``: a part that breaks one of its limits
(JSON nested too deep, a number too long, text that is not Unicode) is answered 400 at once,
naming the part and the limit, before anything recurses into it.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterable, Mapping
from dataclasses import field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from mockmind.domain.client_input import (
    DEFAULT_LIMITS,
    InputLimits,
    UnreadableNumber,
    read_json,
    read_text,
    require_unicode,
    text_codec,
)
from mockmind.domain.errors import RequestValidationFailed, UnreadableInput
from mockmind.domain.http import MockRequest
from mockmind.domain.memo import BoundedMemo
from mockmind.lean_dataclass import built, dataclass
from mockmind.openapi.errors import UnsupportedMediaType
from mockmind.openapi.media import is_json, match_request_type, parse_media_type
from mockmind.openapi.model import (
    DocumentNodes,
    MatchedOperation,
    MediaType,
    Operation,
    Parameter,
)
from mockmind.openapi.parameters import (
    SchemaView,
    StyleError,
    coerce,
    coerce_structure,
    split_label,
    split_matrix,
    split_query,
    split_simple,
)
from mockmind.openapi.schemas import Context, iter_errors

if TYPE_CHECKING:
    from email.message import EmailMessage

MAX_ERRORS = 50
# RFC 9110: a body without Content-Type may be treated as application/octet-stream.
_UNLABELLED = "application/octet-stream"

Error = dict[str, object]


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ValidatedRequest:
    """Typed parameters by name and the parsed body.

    ``query`` also carries parameters the operation does not declare, as received (a string,
    or a list when repeated), since filters are often left out of specs. ``body`` is a JSON
    value, a dict of form fields (a file field holds its file name; the bytes are in
    ``files``), text, raw bytes for other media types, or None."""

    operation: Operation
    path_params: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    cookies: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    media_type: str | None = None
    files: dict[str, UploadedFile] = field(default_factory=dict)


def location(prefix: str, path: Iterable[object]) -> str:
    text = prefix
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def schema_errors(
    doc: DocumentNodes,
    pointer: Any,
    value: Any,
    prefix: str,
    limit: int = MAX_ERRORS,
    context: Context = "request",
) -> list[Error]:
    """Each error of ``value`` against the schema at ``pointer`` (or a schema object), located
    from ``prefix``; a missing required property is located at its own name."""
    validator = doc.validator(pointer, context=context)
    found: list[Error] = []
    for error in iter_errors(validator, value, limit):
        path = list(error.absolute_path)
        if error.validator == "required":
            missing = _missing_property(error.message, error.validator_value, error.instance)
            if missing is not None:
                path.append(missing)
        found.append(
            {
                "location": location(prefix, path),
                "message": error.message,
                "keyword": str(error.validator),
            }
        )
    return found


def _missing_property(message: str, required: Any, instance: Any) -> str | None:
    """Which property a ``required`` error is about (jsonschema only says so in the message)."""
    if not isinstance(required, list) or not isinstance(instance, Mapping):
        return None
    for name in required:
        if isinstance(name, str) and name not in instance and message.startswith(repr(name)):
            return name
    return None


def has_nothing_to_check(op: Operation, request: MockRequest) -> bool:
    """No parameters, query or body, and none expected: the request validates as it is.

    The common GET of a parameterless path, on every cached answer: callers skip building
    the validated request.
    """
    spec = op.request_body
    return not (op.parameters or request.query or request.body or (spec and spec.content))


# Bodiless requests' checked parameters remembered, by what they are read from: clients send
# the same few (``GET /products?limit=10``), and reading, typing and checking three query
# parameters again was three quarters of routing such a request (bench/RESULTS.md row 4).
# Only what was asked before is remembered: a query new each time (``?n=<counter>``) would
# pay for a copy and an eviction on every request and never be asked again.
_CHECKED_SIZE = 4096
_Checked = tuple[Operation, InputLimits, "ValidatedRequest", bool]
_CHECKED: BoundedMemo[tuple[object, ...], _Checked] = BoundedMemo(_CHECKED_SIZE)
# What was asked once, emptied whole when full (one call, safe across threads).
_ASKED: set[tuple[object, ...]] = set()
# Each operation's header and cookie parameters (header or not, name as read), by its id.
_OUTSIDE: BoundedMemo[int, tuple[Operation, tuple[tuple[bool, str], ...]]] = BoundedMemo(
    _CHECKED_SIZE
)


def validate_request(
    matched: MatchedOperation, request: MockRequest, limits: InputLimits = DEFAULT_LIMITS
) -> ValidatedRequest:
    op = matched.operation
    if has_nothing_to_check(op, request):
        return ValidatedRequest(operation=op, media_type=request.content_type)
    if request.body or not op.parameters:
        # Without parameters there is nothing to check but a body: the query is passed on.
        return _validated(matched, request, limits)
    key = _read_from(matched, request, limits)
    known = _CHECKED.get(key)
    # The operation and limits are in the entry, so an id reused after they went is no hit.
    if known is not None and known[0] is op and known[1] is limits:
        return _copy(known[2], containers=known[3])
    checked = _validated(matched, request, limits)
    if key not in _ASKED:
        if len(_ASKED) >= _CHECKED_SIZE:
            _ASKED.clear()
        _ASKED.add(key)
        return checked
    containers = any(
        isinstance(value, dict | list)
        for part in (checked.path_params, checked.query, checked.headers, checked.cookies)
        for value in part.values()
    )
    # The memo keeps a copy: the caller's may be changed.
    _CHECKED.put(key, (op, limits, _copy(checked, containers=containers), containers))
    return checked


def _read_from(
    matched: MatchedOperation, request: MockRequest, limits: InputLimits
) -> tuple[object, ...]:
    """What a bodiless request's validation reads: its path's values, its whole query (one
    not declared is passed on as sent), the header and cookie parameters it declares, and
    the Content-Type (an empty body's media type and charset; a required body it lacks)."""
    op = matched.operation
    names = _OUTSIDE.get(id(op))
    if names is None or names[0] is not op:
        names = (
            op,
            tuple(
                (True, param.name.lower()) if param.location == "header" else (False, param.name)
                for param in op.parameters
                if param.location in ("header", "cookie")
            ),
        )
        _OUTSIDE.put(id(op), names)
    # Comprehensions rather than generators: this runs for every bodiless request.
    outside = (
        tuple(
            [
                request.headers.get(name) if header else request.cookies.get(name)
                for header, name in names[1]
            ]
        )
        if names[1]
        else ()
    )
    return (
        id(op),
        id(limits),
        tuple(matched.path_params.items()),
        tuple([(name, tuple(values)) for name, values in request.query.items()]),
        outside,
        request.headers.get("content-type"),
    )


def _copy(checked: ValidatedRequest, *, containers: bool) -> ValidatedRequest:
    """A request's own copy of remembered parameters: what one request does to them (a rule
    editing a list) reaches no other."""
    share = copy.deepcopy if containers else dict
    return built(
        ValidatedRequest,
        operation=checked.operation,
        path_params=share(checked.path_params),
        query=share(checked.query),
        headers=share(checked.headers),
        cookies=share(checked.cookies),
        # An empty body the document's type reads as content: "" or a form without fields.
        body=_private(checked.body),
        media_type=checked.media_type,
        files=dict(checked.files),
    )


def _validated(
    matched: MatchedOperation, request: MockRequest, limits: InputLimits
) -> ValidatedRequest:
    op = matched.operation
    doc = op.document
    errors: list[Error] = []
    typed: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}, "cookie": {}}
    consumed: set[str] = set()
    for param in op.parameters:
        _parameter(
            doc,
            param,
            matched=matched,
            request=request,
            typed=typed,
            consumed=consumed,
            errors=errors,
            limits=limits,
        )
    for name, values in request.query.items():
        if name not in consumed and name not in typed["query"] and values:
            typed["query"][name] = values[0] if len(values) == 1 else list(values)

    body_errors: list[Error] = []
    unsupported: UnsupportedMediaType | None = None
    body: Any = None
    media_type: str | None = None
    files: dict[str, UploadedFile] = {}
    try:
        body, media_type, files = _body(doc, op, request, body_errors, limits)
    except UnsupportedMediaType as exc:
        unsupported = exc
    if errors:
        raise RequestValidationFailed(400, (errors + body_errors)[:MAX_ERRORS])
    if unsupported is not None:
        raise unsupported
    if body_errors:
        raise RequestValidationFailed(422, body_errors[:MAX_ERRORS])
    return ValidatedRequest(
        operation=op,
        path_params=typed["path"],
        query=typed["query"],
        headers=typed["header"],
        cookies=typed["cookie"],
        body=body,
        media_type=media_type,
        files=files,
    )


# -- parameters ---------------------------------------------------------------------------------


def _parameter(
    doc: DocumentNodes,
    param: Parameter,
    *,
    matched: MatchedOperation,
    request: MockRequest,
    typed: dict[str, dict[str, Any]],
    consumed: set[str],
    errors: list[Error],
    limits: InputLimits,
) -> None:
    name = param.name.lower() if param.location == "header" else param.name
    where = f"{param.location}.{name}"
    shape = _shape(doc, param.schema_pointer)
    schema = shape.view
    kind = shape.kind if param.media_type is None else "primitive"
    try:
        present, raw = _raw_value(
            param,
            kind=kind,
            object_keys=shape.property_names,
            structured_items=shape.structured_items,
            matched=matched,
            request=request,
            consumed=consumed,
            max_depth=limits.max_json_depth,
        )
    except StyleError as exc:
        errors.append({"location": where, "message": str(exc), "keyword": "style"})
        return
    if isinstance(raw, _Unchecked):
        typed[param.location][param.name] = raw.text
        return
    if not present:
        if param.required:
            errors.append(
                {
                    "location": where,
                    "message": "required parameter is missing",
                    "keyword": "required",
                }
            )
        elif shape.has_default:
            # A copy: the default is the document's own node, shared by every request.
            typed[param.location][param.name] = _private(shape.default)
        return
    if param.media_type is not None:
        value: Any = raw
        if is_json(param.media_type):
            try:
                value = read_json(raw, limits, where)
            except ValueError as exc:
                errors.append(
                    {"location": where, "message": f"not valid JSON: {exc}", "keyword": "json"}
                )
                return
    else:
        try:
            if isinstance(raw, str):
                value = _private(_coerced(doc, param.schema_pointer, raw))
            else:
                value = coerce_structure(raw, schema)
        except UnreadableNumber as exc:
            raise exc.at(where) from None
    typed[param.location][param.name] = value
    if param.schema_pointer is None:
        return
    if value is None or isinstance(value, str | int | float | bool):
        remembered = _scalar_errors(doc, param.schema_pointer, type(value).__name__, value, where)
        errors.extend(dict(error) for error in remembered)
        return
    found = schema_errors(doc, param.schema_pointer, value, where)
    text = _unsplit(param, matched, request) if found and shape.scalar_too else None
    if text is not None:
        # ``oneOf: [string, array]``: the text as a whole may be the scalar the schema allows
        # (``meta=*``), where splitting it made an array the schema refuses.
        scalar = _coerced(doc, param.schema_pointer, text)
        if not _scalar_errors(doc, param.schema_pointer, type(scalar).__name__, scalar, where):
            typed[param.location][param.name] = scalar
            return
    errors.extend(found)


def _unsplit(param: Parameter, matched: MatchedOperation, request: MockRequest) -> str | None:
    """A ``simple`` or ``form`` parameter's text before its style split it, when it has one."""
    if param.style not in ("simple", "form"):
        return None
    if param.location == "path":
        return matched.path_params.get(param.name)
    if param.location == "query":
        values = request.query.get(param.name)
        return values[0] if values and len(values) == 1 else None
    if param.location == "header":
        return request.headers.get(param.name.lower())
    return request.cookies.get(param.name)


@dataclass(frozen=True)
class _Shape:
    """What validating a parameter needs of its schema, worked out once per schema."""

    view: SchemaView | None
    kind: str
    has_default: bool
    default: Any
    property_names: list[str]
    # Items that are objects or arrays: a serialization no style defines (read as JSON).
    structured_items: bool = False
    # An array or object schema that also allows a scalar (``oneOf: [string, array]``).
    scalar_too: bool = False


@lru_cache(maxsize=4096)
def _shape(doc: DocumentNodes, pointer: str | None) -> _Shape:
    # Every request walked the schema (its branches and types) for each of these; a list
    # request's three query parameters spent more here than in the rest of the routing.
    view = SchemaView.at(doc, pointer)
    if view is None:
        return _Shape(None, "primitive", False, None, [])
    has_default, default = view.default()
    items = view.items(0) if view.kind() == "array" else None
    structured = items is not None and items.kind() != "primitive"
    scalar_too = view.kind() != "primitive" and bool(
        view.types() & {"string", "number", "integer", "boolean"}
    )
    return _Shape(
        view, view.kind(), has_default, default, view.property_names(), structured, scalar_too
    )


def _private(value: Any) -> Any:
    """A container shared between requests, copied before a request may change it."""
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


@lru_cache(maxsize=8192)
def _coerced(doc: DocumentNodes, pointer: str | None, raw: str) -> Any:
    """A scalar parameter's string as its schema's type (``"10"`` -> 10), remembered."""
    return coerce_structure(raw, _shape(doc, pointer).view)


@lru_cache(maxsize=8192)
def _scalar_errors(
    doc: DocumentNodes, pointer: str, kind: str, value: Any, where: str
) -> tuple[Error, ...]:
    """A scalar parameter's errors, remembered: clients send the same few values over and
    over (``limit=10``), and jsonschema took a third of a list request to say so again.

    ``kind`` is in the key because ``True == 1`` and ``1 == 1.0`` in Python.
    """
    return tuple(schema_errors(doc, pointer, value, where))


def _raw_value(
    param: Parameter,
    *,
    kind: str,
    object_keys: list[str],
    structured_items: bool,
    matched: MatchedOperation,
    request: MockRequest,
    consumed: set[str],
    max_depth: int,
) -> tuple[bool, Any]:
    if param.location == "path":
        text = matched.path_params.get(param.name)
        if text is None:
            return False, None
        if param.media_type is not None:
            return True, text
        if param.style == "label":
            return True, split_label(text, kind, param.explode)
        if param.style == "matrix":
            return True, split_matrix(text, param.name, kind, param.explode)
        if structured_items:
            return True, _json_items(text, max_depth)
        return True, split_simple(text, kind, param.explode)
    if param.location == "query":
        if param.media_type is not None:
            values = request.query.get(param.name)
            consumed.add(param.name)
            return (True, values[0]) if values else (False, None)
        present, raw = split_query(
            param.name,
            query=request.query,
            style=param.style,
            explode=param.explode,
            kind=kind,
            object_keys=object_keys,
            max_depth=max_depth,
        )
        consumed.add(param.name)
        if isinstance(raw, dict) and param.style == "deepObject":
            consumed.update(k for k in request.query if k.startswith(param.name + "["))
        elif isinstance(raw, dict) and param.explode and param.style == "form":
            consumed.update(raw)
        return present, raw
    if param.location == "header":
        header = request.headers.get(param.name.lower())
        if header is None:
            return False, None
        if param.media_type is not None:
            return True, header
        if structured_items:
            return True, _json_items(header, max_depth)
        raw = split_simple(header, kind, param.explode)
        if isinstance(raw, list):
            raw = [item.strip() for item in raw]
        return True, raw
    cookie = request.cookies.get(param.name)
    if cookie is None:
        return False, None
    if param.media_type is not None:
        return True, cookie
    # Cookies cannot repeat a name, so arrays and objects are comma lists whatever explode
    # says; an exploded object's ``name=value`` items are still read as such when they are.
    return True, split_simple(cookie, kind, explode=param.explode and "=" in cookie)


@dataclass(frozen=True)
class _Unchecked:
    """A value in a serialization the document leaves undefined, accepted as sent."""

    text: str


def _json_items(text: str, max_depth: int) -> list[Any] | _Unchecked:
    """The items of an array of objects or arrays, which no ``simple`` style defines: a
    comma list of JSON values (``{"a":1},{"b":2}``) when it is one, else accepted unread."""
    try:
        items = read_json(f"[{text}]", InputLimits(max_json_depth=max_depth))
    except (ValueError, UnreadableInput):
        return _Unchecked(text)
    return items if isinstance(items, list) else _Unchecked(text)


# -- body ---------------------------------------------------------------------------------------


def _body(
    doc: DocumentNodes,
    op: Operation,
    request: MockRequest,
    errors: list[Error],
    limits: InputLimits,
) -> tuple[Any, str | None, dict[str, UploadedFile]]:
    spec = op.request_body
    actual = request.content_type
    if spec is None or not spec.content:
        # Undeclared bodies are not checked, but a JSON one is still handed on, parsed (and
        # refused, like any other, when it breaks a limit).
        if request.body and is_json(actual):
            try:
                return read_json(request.body, limits), actual, {}
            except ValueError:
                return None, actual, {}
        return None, actual, {}
    if not request.body and not (spec.required and _empty_content(actual, list(spec.content))):
        if spec.required:
            errors.append(
                {"location": "body", "message": "a request body is required", "keyword": "required"}
            )
        return None, actual, {}
    key = match_request_type(actual or _UNLABELLED, list(spec.content))
    if key is None:
        raise UnsupportedMediaType(actual, list(spec.content))
    media = spec.content[key]
    concrete = actual or _UNLABELLED
    header = request.headers.get("content-type", concrete)
    charset = parse_media_type(header)[1].get("charset", "utf-8")
    files: dict[str, UploadedFile] = {}
    try:
        if is_json(concrete):
            value: Any = read_json(read_text(request.body, charset, "body"), limits)
        elif concrete == "application/x-www-form-urlencoded":
            codec = text_codec(charset)
            fields = parse_qs(
                request.body.decode(codec, errors="replace"),
                keep_blank_values=True,
                encoding=codec,
                errors="replace",
            )
            value = _form(doc, media, {k: list(v) for k, v in fields.items()}, limits)
        elif concrete == "multipart/form-data":
            value = _form(doc, media, _multipart(request.body, header, files, limits), limits)
        elif concrete.startswith("text/"):
            value = read_text(request.body, charset, "body")
        else:
            return request.body, concrete, files
    except (ValueError, LookupError) as exc:
        # JSONDecodeError and UnicodeDecodeError are ValueErrors; an unknown charset a LookupError.
        kind = "JSON" if is_json(concrete) else concrete
        errors.append(
            {"location": "body", "message": f"not valid {kind}: {exc}", "keyword": "parse"}
        )
        return None, concrete, {}
    if media.schema_pointer is not None and not (
        isinstance(value, dict) and _form_cannot_carry(doc, media.schema_pointer)
    ):
        errors.extend(schema_errors(doc, media.schema_pointer, value, "body"))
    return value, concrete, files


def _empty_content(actual: str | None, documented: list[str]) -> bool:
    """Whether an empty body labelled ``actual`` is content of that type rather than no body:
    an empty string of text, zero bytes of a binary type (blockfrost's ``application/cbor``
    with a ``type: string`` schema), a form with no fields; its schema then judges it. Empty
    JSON or multipart is not content of its type, and an unlabelled empty body is none."""
    if actual is None or is_json(actual) or actual.startswith("multipart/"):
        return False
    return match_request_type(actual, documented) is not None


def _form_cannot_carry(doc: DocumentNodes, pointer: str) -> bool:
    """A form body is a set of named fields: a schema that is no object (an array, say) gives
    it no defined meaning, so such a body is accepted as sent rather than refused."""
    view = SchemaView.at(doc, pointer)
    types = view.types() if view is not None else set()
    return bool(types) and "object" not in types


def _form(
    doc: DocumentNodes, media: MediaType, fields: dict[str, list[Any]], limits: InputLimits
) -> dict[str, Any]:
    """Form fields typed by the body schema's properties and the media type's ``encoding``."""
    # Names and values were decoded leniently (a bad byte becomes U+FFFD), but a charset can
    # still turn escapes into lone surrogates.
    require_unicode(fields, "body")
    schema = SchemaView.at(doc, media.schema_pointer)
    result: dict[str, Any] = {}
    for name, values in fields.items():
        try:
            result[name] = _field(media, schema, name, values, limits)
        except UnreadableNumber as exc:
            raise exc.at(f"body.{name}") from None
    return result


def _field(
    media: MediaType,
    schema: SchemaView | None,
    name: str,
    values: list[Any],
    limits: InputLimits,
) -> Any:
    prop = schema.property(name) if schema is not None else None
    encoding = media.encoding.get(name)
    encoding = encoding if isinstance(encoding, Mapping) else {}
    kind = prop.kind() if prop is not None else "primitive"
    if kind == "array":
        style = encoding.get("style", "form")
        items = values
        if encoding.get("explode", style == "form") is False and len(values) == 1:
            delimiter = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
            items = values[0].split(delimiter) if isinstance(values[0], str) else values
        return coerce_structure(items, prop)
    if len(values) > 1 and prop is None:
        return [coerce(v, None) if isinstance(v, str) else v for v in values]
    value = values[-1]
    if isinstance(value, str) and is_json(encoding.get("contentType")):
        # Left as text when it does not parse: the schema check reports the wrong type.
        with contextlib.suppress(ValueError):
            value = read_json(value, limits, f"body.{name}")
    return coerce_structure(value, prop) if isinstance(value, str) else value


def _multipart(
    body: bytes, content_type: str, files: dict[str, UploadedFile], limits: InputLimits
) -> dict[str, list[Any]]:
    """Fields of a ``multipart/form-data`` body (JSON parts parsed; a file part's value is its
    file name and its bytes go to ``files``)."""
    boundary = parse_media_type(content_type)[1].get("boundary")
    if boundary and body.strip() == f"--{boundary}--".encode("latin-1", "replace"):
        # Only the closing delimiter: the form of a client with no field to send. The
        # schema's ``required`` (if any) says whether an empty form will do.
        return {}
    # Imported here: the email package weighs on a cold start, and only multipart bodies
    # need it.
    from email import policy  # noqa: PLC0415
    from email.parser import BytesParser  # noqa: PLC0415

    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    message: EmailMessage = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart() or message.defects:
        raise ValueError("malformed multipart body (check the boundary)")
    fields: dict[str, list[Any]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        part_type = part.get_content_type()
        filename = part.get_filename()
        value: Any
        where = f"body.{name}"
        if is_json(part_type):
            text = read_text(data, part.get_content_charset() or "utf-8", where)
            value = read_json(text, limits, where)
        elif filename is not None:
            files[name] = UploadedFile(filename, part_type, data)
            value = filename
        else:
            value = read_text(data, part.get_content_charset() or "utf-8", where)
        fields.setdefault(name, []).append(value)
    return fields
