from __future__ import annotations

from mockmind.openapi import OpenAPIDocument

from .conftest import COMMON


def test_operations_in_document_order(petstore: OpenAPIDocument) -> None:
    ops = list(petstore.operations())
    assert [(op.method, op.path_template) for op in ops[:4]] == [
        ("GET", "/pets"),
        ("POST", "/pets"),
        ("GET", "/pets/mine"),
        ("GET", "/pets/{petId}"),
    ]
    assert len({op.operation_id for op in ops}) == len(ops)
    assert petstore.routes()[:2] == [("/pets", "GET"), ("/pets", "POST")]
    assert len(petstore.routes()) == len(ops)
    assert len(set(ops)) == len(ops)  # operations are hashable, by identity


def test_operation_fields(petstore: OpenAPIDocument) -> None:
    op = petstore.operation("/pets", "get")
    assert op.method == "GET"
    assert op.operation_id == "listPets"
    assert op.summary == "List pets"
    assert op.pointer == "#/paths/~1pets/get"
    assert op.document is petstore
    assert petstore.operation("/pets", "GET") is op  # built once


def test_parameter_refs_are_resolved(petstore: OpenAPIDocument) -> None:
    limit = petstore.operation("/pets", "GET").parameters[0]
    assert (limit.name, limit.location, limit.required) == ("limit", "query", False)
    assert limit.pointer == "#/components/parameters/Limit"
    assert limit.schema_pointer == "#/components/parameters/Limit/schema"
    assert (limit.style, limit.explode) == ("form", True)


def test_parameter_defaults_and_content_parameters(petstore: OpenAPIDocument) -> None:
    params = {p.name: p for p in petstore.operation("/pets", "GET").parameters}
    assert (params["ids"].style, params["ids"].explode) == ("form", False)
    assert (params["X-Flags"].style, params["X-Flags"].explode) == ("simple", False)
    assert params["where"].media_type == "application/json"
    assert params["where"].schema_pointer == (
        "#/paths/~1pets/get/parameters/8/content/application~1json/schema"
    )
    # Accept, Content-Type and Authorization header parameters are ignored by the spec's rules.
    assert "Accept" not in params


def test_operation_parameters_override_path_level_ones(petstore: OpenAPIDocument) -> None:
    (get_id,) = petstore.operation("/pets/{petId}", "GET").parameters
    (delete_id,) = petstore.operation("/pets/{petId}", "DELETE").parameters
    assert get_id.schema["type"] == "integer"
    assert delete_id.schema["type"] == "string"
    assert (get_id.required, delete_id.required) == (True, True)


def test_request_body(petstore: OpenAPIDocument) -> None:
    body = petstore.operation("/pets", "POST").request_body
    assert body is not None
    assert body.required is True
    assert list(body.content) == [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ]
    assert body.content["application/json"].schema == {"$ref": "#/components/schemas/NewPet"}
    assert body.content["multipart/form-data"].encoding["meta"] == {
        "contentType": "application/json"
    }


def test_responses_are_resolved_across_files(petstore: OpenAPIDocument) -> None:
    responses = petstore.operation("/pets/{petId}", "GET").responses
    assert list(responses) == ["200", "404"]
    not_found = responses["404"]
    assert not_found.description == "Not found"
    assert not_found.pointer == COMMON.as_uri() + "#/components/responses/NotFound"
    media = not_found.content["application/json"]
    assert media.schema == {"$ref": COMMON.as_uri() + "#/components/schemas/Error"}


def test_response_headers_are_resolved(petstore: OpenAPIDocument) -> None:
    headers = petstore.operation("/pets", "GET").responses["200"].headers
    assert set(headers) == {"X-Total-Count", "X-Rate-Limit"}
    assert (headers["X-Rate-Limit"].required, headers["X-Total-Count"].required) == (True, False)
    assert headers["X-Rate-Limit"].schema == {"type": "integer"}
    assert headers["X-Rate-Limit"].schema_pointer == "#/components/headers/RateLimit/schema"


def test_unquoted_status_keys_are_strings(petstore: OpenAPIDocument) -> None:
    assert list(petstore.operation("/dates", "GET").responses) == ["200"]


def test_security_is_inherited_or_overridden(petstore: OpenAPIDocument) -> None:
    assert petstore.operation("/pets", "GET").security == ({"apiKey": []},)
    assert petstore.operation("/pets/mine", "GET").security == ()


def test_31_operations(things: OpenAPIDocument) -> None:
    op = things.operation("/things", "POST")
    assert op.security is None
    assert op.request_body is not None
    assert op.request_body.required is True
    assert op.request_body.content["application/json"].schema == {
        "$ref": "#/components/schemas/Thing"
    }
    assert op.responses["201"].content["application/json"].schema_pointer == (
        "#/paths/~1things/post/responses/201/content/application~1json/schema"
    )
