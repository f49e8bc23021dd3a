from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mockmind.domain.errors import MethodNotAllowed, RequestValidationFailed
from mockmind.openapi import OpenAPIDescription
from mockmind.ports.api_description import ApiDescription

from .conftest import PETSTORE, request


@pytest.fixture(scope="module")
def api() -> OpenAPIDescription:
    return OpenAPIDescription.load(PETSTORE)


def test_is_an_api_description(api: OpenAPIDescription) -> None:
    described: ApiDescription = api
    assert described.kind == "openapi"
    assert api.summary().startswith("Petstore 3.0 (OpenAPI 3.0, 23 operations")


def test_route(api: OpenAPIDescription) -> None:
    routed = api.route(request("GET", "/v1/pets/5", query={"x": ["1"]}))
    assert routed.path_template == "/pets/{petId}"
    assert routed.operation_id == "getPet"
    assert routed.path_params == {"petId": 5}
    assert routed.query == {"x": "1"}


def test_a_request_with_nothing_to_check_routes_the_same_when_asked_again() -> None:
    """The second routing of a parameterless GET is remembered, not matched again: the same
    answer, a query still routed and passed on, and a path the router refuses still refused."""
    api = OpenAPIDescription.load(PETSTORE)
    first, again = (api.route(request("GET", "/pets/mine")) for _ in range(2))
    assert again == first
    assert (again.path_template, again.path_params, again.query, again.body) == (
        "/pets/mine",
        {},
        {},
        None,
    )
    assert api.route(request("GET", "/v1/pets/mine")).path_template == "/pets/mine"
    with_query = request("GET", "/pets/mine", query={"unknown": ["1"]})
    assert api.route(with_query) == OpenAPIDescription.load(PETSTORE).route(with_query)
    assert api.route(with_query).query == {"unknown": "1"}
    for _ in range(2):
        with pytest.raises(MethodNotAllowed):
            api.route(request("PUT", "/pets/mine"))


def test_a_path_routed_again_is_checked_again_for_each_request() -> None:
    """A path's match is remembered; what each request makes of it is still its own."""
    api = OpenAPIDescription.load(PETSTORE)
    first = api.route(request("GET", "/pets/5"))
    first.path_params["petId"] = 9  # type: ignore[index]
    assert api.route(request("GET", "/pets/5")).path_params == {"petId": 5}
    assert api.route(request("GET", "/pets/6")).path_params == {"petId": 6}
    for _ in range(2):
        with pytest.raises(RequestValidationFailed):
            api.route(request("GET", "/pets/0"))


def test_a_query_that_chooses_the_operation_is_read_on_every_request(tmp_path: Path) -> None:
    """Where a template's query suffix chooses the operation, the path alone is no route:
    each request of the same path is routed by its own query."""
    spec = tmp_path / "variants.json"
    answer = {"responses": {"200": {"description": "ok"}}}
    spec.write_text(
        json.dumps(
            {
                "openapi": "3.0.3",
                "info": {"title": "variants", "version": "1"},
                "paths": {
                    "/files/{path}": {"get": {"operationId": "plain", **answer}},
                    "/files/{path}#op=OPEN": {"get": {"operationId": "open", **answer}},
                },
            }
        )
    )
    api = OpenAPIDescription.load(spec)
    for _ in range(2):
        assert api.route(request("GET", "/files/a")).operation_id == "plain"
        opened = api.route(request("GET", "/files/a", query={"op": ["OPEN"]}))
        assert opened.operation_id == "open"
        assert api.route(request("GET", "/files/a", query={"op": ["X"]})).operation_id == "plain"


def test_route_errors(api: OpenAPIDescription) -> None:
    with pytest.raises(MethodNotAllowed):
        api.route(request("PATCH", "/pets"))
    with pytest.raises(RequestValidationFailed):
        api.route(request("GET", "/pets/0"))


def test_plan_response(api: OpenAPIDescription) -> None:
    routed = api.route(request("GET", "/pets", headers={"prefer": "code=200, dynamic=true"}))
    plan = api.plan_response(routed)
    assert plan.status == 200
    assert plan.media_type == "application/json"
    assert plan.has_example is False
    assert plan.schema_key == "#/paths/~1pets/get/responses/200/content/application~1json/schema"
    assert set(plan.header_schemas) == {"X-Total-Count", "X-Rate-Limit"}


def test_plan_response_with_example(api: OpenAPIDescription) -> None:
    routed = api.route(request("GET", "/pets/3", headers={"prefer": "code=404"}))
    plan = api.plan_response(routed)
    assert (plan.status, plan.has_example, plan.example) == (
        404,
        True,
        {"code": 404, "message": "not found"},
    )


def test_response_errors(api: OpenAPIDescription) -> None:
    plan = api.plan_response(api.route(request("GET", "/pets/3")))
    assert api.response_errors(plan, {"id": 3, "name": "Rex"}) == []
    assert sorted(api.response_errors(plan, {"id": "3"})) == [
        "(root): 'name' is a required property",
        "id: '3' is not of type 'integer'",
    ]


def test_response_errors_without_schema(api: OpenAPIDescription) -> None:
    plan = api.plan_response(api.route(request("DELETE", "/pets/3")))
    assert api.response_errors(plan, None) == []


def test_named_schemas(api: OpenAPIDescription) -> None:
    assert api.named_schema("Pet") == {"$ref": "#/components/schemas/Pet"}
    assert api.named_schema("Weird~Name/Slash") == {
        "$ref": "#/components/schemas/Weird~0Name~1Slash"
    }
    assert api.named_schema("Nope") is None
    assert api.resolve_ref("#/components/schemas/Weird~0Name~1Slash")["enum"] == ["escaped"]


def test_named_schema_errors(api: OpenAPIDescription) -> None:
    assert api.named_schema_errors("Pet", {"name": "Rex"}) == []  # id is read-only
    assert api.named_schema_errors("Pet", {"name": 1}) == [
        {"location": "body.name", "message": "1 is not of type 'string'", "keyword": "type"}
    ]
    assert api.named_schema_errors("Nope", {}) == []


def test_operations_for_resource_inference(api: OpenAPIDescription) -> None:
    infos = {(i.method, i.path_template): i for i in api.operations()}
    listing = infos[("GET", "/pets")]
    assert listing.success_status == 200
    assert listing.response_schema == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Pet"},
    }
    assert "limit" in listing.query_params
    create = infos[("POST", "/pets")]
    assert (create.success_status, create.request_schema) == (
        201,
        {"$ref": "#/components/schemas/NewPet"},
    )
    assert infos[("GET", "/defaulted")].success_status == 200
    assert infos[("GET", "/errors-only")].success_status is None


def test_a_full_round_trip(api: OpenAPIDescription) -> None:
    body: Any = {"name": "Rex", "secret": "s"}
    routed = api.route(
        request(
            "POST",
            "/pets",
            body=json.dumps(body).encode(),
            content_type="application/json",
            headers={"accept": "application/json"},
        )
    )
    assert routed.body == body
    plan = api.plan_response(routed)
    assert plan.status == 201
    assert api.response_errors(plan, {"id": 1, "name": "Rex"}) == []
