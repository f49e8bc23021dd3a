from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from mockmind.domain.http import MockRequest
from mockmind.openapi import OpenAPIDocument, ValidatedRequest, validate_request

SPECS = Path(__file__).resolve().parents[2] / "fixtures" / "openapi"
PETSTORE = SPECS / "petstore-3.0.yaml"
THINGS = SPECS / "things-3.1.yaml"
COMMON = SPECS / "common.yaml"


@pytest.fixture(scope="session")
def petstore() -> OpenAPIDocument:
    return OpenAPIDocument.load(PETSTORE)


@pytest.fixture(scope="session")
def things() -> OpenAPIDocument:
    return OpenAPIDocument.load(THINGS)


def request(
    method: str,
    path: str,
    *,
    query: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    cookies: Mapping[str, str] | None = None,
    body: bytes = b"",
    content_type: str | None = None,
) -> MockRequest:
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["content-type"] = content_type
    return MockRequest(method, path, query or {}, all_headers, cookies or {}, body)


def check(doc: OpenAPIDocument, method: str, path: str, **kwargs: Any) -> ValidatedRequest:
    """Route and validate in one step, as the server does."""
    return validate_request(doc.match(method, path), request(method, path, **kwargs))


def json_body(value: Any) -> dict[str, Any]:
    return {"body": json.dumps(value).encode(), "content_type": "application/json"}
