"""A 1,000-path, 10+ MB document loads and routes correctly (timings are measured elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockmind.domain.errors import MethodNotAllowed, RequestValidationFailed, RouteNotFound
from mockmind.domain.http import MockRequest
from mockmind.openapi import OpenAPIDocument, validate_request

from .bigspec import RESOURCES, build_big_spec


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, OpenAPIDocument]:
    path = tmp_path_factory.mktemp("big") / "big.json"
    build_big_spec(path)
    return path, OpenAPIDocument.load(path)


def test_big_document_loads(big: tuple[Path, OpenAPIDocument]) -> None:
    path, doc = big
    assert path.stat().st_size > 10_000_000
    assert len(doc.raw["paths"]) == 2 * RESOURCES == 1000
    assert doc.title == "Big"


def test_big_document_routes_every_path(big: tuple[Path, OpenAPIDocument]) -> None:
    _, doc = big
    for index in range(RESOURCES):
        listing = doc.match("GET", f"/resource{index}/items")
        assert listing.operation.operation_id == f"list{index}"
        item = doc.match("DELETE", f"/api/v2/resource{index}/items/{index}")
        assert item.operation.operation_id == f"delete{index}"
        assert item.path_params == {"itemId": str(index)}


def test_big_document_404_and_405(big: tuple[Path, OpenAPIDocument]) -> None:
    _, doc = big
    with pytest.raises(RouteNotFound):
        doc.match("GET", f"/resource{RESOURCES}/items")
    with pytest.raises(MethodNotAllowed) as exc:
        doc.match("PATCH", "/resource7/items/1")
    assert exc.value.headers == {"Allow": "DELETE, GET, PUT"}


def test_big_document_validates_lazily(big: tuple[Path, OpenAPIDocument]) -> None:
    _, doc = big
    matched = doc.match("POST", "/resource3/items")
    body = b'{"field_0": "a", "owner": {"id": 1, "field_0": 5}}'
    request = MockRequest(
        "POST", "/resource3/items", headers={"content-type": "application/json"}, body=body
    )
    with pytest.raises(RequestValidationFailed) as exc:
        validate_request(matched, request)
    assert exc.value.errors == [
        {
            "location": "body.owner.field_0",
            "message": "5 is not of type 'string'",
            "keyword": "type",
        }
    ]
