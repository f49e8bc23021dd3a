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
from collections.abc import Mapping
from dataclasses import field
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
from mockmind.domain.errors import RequestValidationFailed
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
)
from mockmind.openapi.parameters import (
    SchemaView,
    coerce,
    coerce_structure,
)
from mockmind.openapi.request_errors import MAX_ERRORS, Error, schema_errors
from mockmind.openapi.request_parameters import check_parameter, private_copy

if TYPE_CHECKING:
    from email.message import EmailMessage

# RFC 9110: a body without Content-Type may be treated as application/octet-stream.
_UNLABELLED = "application/octet-stream"


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


def validate_request(
    matched: MatchedOperation, request: MockRequest, limits: InputLimits = DEFAULT_LIMITS
) -> ValidatedRequest:
    op = matched.operation
    if has_nothing_to_check(op, request):
        return ValidatedRequest(operation=op, media_type=request.content_type)
    if not op.parameters and not request.body and not _declares_body(op):
        # Nothing declared and nothing sent to check: the query is passed on as
        # ``_validated`` passes it (a row-4 ``?n=<new>`` paid for the whole walk).
        return built(
            ValidatedRequest,
            operation=op,
            path_params={},
            query=_all_passed_on(request),
            headers={},
            cookies={},
            body=None,
            media_type=request.content_type,
            files={},
        )
    if request.body or not op.parameters:
        # Without parameters there is nothing to check but a body: the query is passed on.
        return _validated(matched, request, limits)
    key = RequestCheck(matched, limits).key(request)
    known = _remembered(key, op, limits)
    if known is not None:
        return _copy(known[2], containers=known[3])
    return _checked_anew(matched, request, limits, key)


class RequestCheck:
    """Checking the requests of one matched path (an operation, its path's values) within
    ``limits``, with what does not change from one request to the next worked out once:
    routing keeps one per method and path and hands it each request (``parts``)."""

    __slots__ = ("_fixed", "_outside", "_parameters", "limits", "matched", "nothing_declared")

    def __init__(self, matched: MatchedOperation, limits: InputLimits) -> None:
        op = matched.operation
        self.matched = matched
        self.limits = limits
        self._parameters = bool(op.parameters)
        # Nothing declared to check: a request without a query or body validates as it is.
        self.nothing_declared = not op.parameters and not _declares_body(op)
        self._fixed = (id(op), id(limits), tuple(matched.path_params.items()))
        # The header and cookie parameters (header or not, name as read).
        self._outside = tuple(
            (True, param.name.lower()) if param.location == "header" else (False, param.name)
            for param in op.parameters
            if param.location in ("header", "cookie")
        )

    def key(self, request: MockRequest) -> tuple[object, ...]:
        """What a bodiless request's validation reads: its path's values, its whole query (one
        not declared is passed on as sent), the header and cookie parameters it declares, and
        the Content-Type (an empty body's media type and charset; a required body it lacks)."""
        # Comprehensions rather than generators: this runs for every bodiless request.
        outside = (
            tuple(
                [
                    request.headers.get(name) if header else request.cookies.get(name)
                    for header, name in self._outside
                ]
            )
            if self._outside
            else ()
        )
        return (
            self._fixed,
            tuple([(name, tuple(values)) for name, values in request.query.items()]),
            outside,
            request.headers.get("content-type"),
        )

    def parts(self, request: MockRequest) -> tuple[dict[str, Any], dict[str, Any], Any]:
        """``validate_request``'s typed path parameters, query and body, the caller's own: what
        a routed request carries, without the rest (headers, cookies, files, the media type)
        that routing would only drop."""
        if not request.body:
            if self.nothing_declared:
                return {}, _all_passed_on(request), None
            if self._parameters:
                key = self.key(request)
                known = _remembered(key, self.matched.operation, self.limits)
                if known is not None:
                    checked = known[2]
                    share = copy.deepcopy if known[3] else dict
                    # An empty body the document's type reads as content: "" or an empty form.
                    return (
                        share(checked.path_params),
                        share(checked.query),
                        private_copy(checked.body),
                    )
                checked = _checked_anew(self.matched, request, self.limits, key)
                return checked.path_params, checked.query, checked.body
        checked = _validated(self.matched, request, self.limits)
        return checked.path_params, checked.query, checked.body


def _remembered(key: tuple[object, ...], op: Operation, limits: InputLimits) -> _Checked | None:
    """The check remembered under ``key``, if it was of ``op`` within ``limits``: they are in
    the entry, so an id reused after they went is no hit."""
    known = _CHECKED.get(key)
    if known is not None and known[0] is op and known[1] is limits:
        return known
    return None


def _declares_body(op: Operation) -> bool:
    spec = op.request_body
    return spec is not None and bool(spec.content)


def _all_passed_on(request: MockRequest) -> dict[str, Any]:
    """The query of a request whose operation declares no parameter, as ``_validated`` passes
    it on."""
    return {name: _passed_on(values) for name, values in request.query.items() if values}


def _checked_anew(
    matched: MatchedOperation, request: MockRequest, limits: InputLimits, key: tuple[object, ...]
) -> ValidatedRequest:
    """A bodiless request with parameters validated, remembered under ``key`` (what it was
    read from) when asked a second time."""
    checked = _validated(matched, request, limits)
    if key not in _ASKED:
        if len(_ASKED) >= _CHECKED_SIZE:
            _ASKED.clear()
        _ASKED.add(key)
        return checked
    op = matched.operation
    containers = any(
        isinstance(value, dict | list)
        for part in (checked.path_params, checked.query, checked.headers, checked.cookies)
        for value in part.values()
    )
    # The memo keeps a copy: the caller's may be changed.
    _CHECKED.put(key, (op, limits, _copy(checked, containers=containers), containers))
    return checked


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
        body=private_copy(checked.body),
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
        check_parameter(
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
            typed["query"][name] = _passed_on(values)

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


def _passed_on(values: list[str]) -> Any:
    """A query value no parameter declares, as the app gets it: the value when sent once,
    else every value sent."""
    return values[0] if len(values) == 1 else list(values)


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
