"""OpenAPI 3.0/3.1 (and Swagger 2.0, converted) documents: loading, lazy ``$ref`` resolution,
routing, request validation and response choice.

``OpenAPIDocument.load(path)`` reads the document; ``document.match(method, path)`` finds the
operation; ``validate_request(matched, request)`` types and checks the request;
``choose_response(operation, prefer, accept)`` picks what to answer. ``OpenAPIDescription``
wraps all of it as the engine's ``ApiDescription``.
"""

from mockmind.openapi.description import OpenAPIDescription
from mockmind.openapi.document import OpenAPIDocument
from mockmind.openapi.errors import NotAcceptable, UnresolvableRef, UnsupportedMediaType
from mockmind.openapi.model import (
    MatchedOperation,
    MediaType,
    Operation,
    Parameter,
    RequestBody,
    Response,
    ResponseHeader,
)
from mockmind.openapi.requests import UploadedFile, ValidatedRequest, validate_request
from mockmind.openapi.responses import ExampleChoice, ResponseChoice, choose_response

__all__ = [
    "ExampleChoice",
    "MatchedOperation",
    "MediaType",
    "NotAcceptable",
    "OpenAPIDescription",
    "OpenAPIDocument",
    "Operation",
    "Parameter",
    "RequestBody",
    "Response",
    "ResponseChoice",
    "ResponseHeader",
    "UnresolvableRef",
    "UnsupportedMediaType",
    "UploadedFile",
    "ValidatedRequest",
    "choose_response",
    "validate_request",
]
