"""Swagger 2.0 documents converted to OpenAPI 3.0 at load time: one exact test per construct,
then the corpus's five 2.0 documents loaded, validated as OpenAPI 3.0 and routed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from mockmind.domain.errors import ConfigError, RequestValidationFailed
from mockmind.openapi import OpenAPIDescription, OpenAPIDocument
from mockmind.openapi.swagger2 import convert, is_swagger2

from .conftest import check, json_body

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "openapi" / "corpus"
SWAGGER_DOCUMENTS = [
    "petstore-2.0",
    "petstore-expanded-2.0",
    "petstore-simple-2.0",
    "api-with-examples-2.0",
    "schema-circular-2.0",
]
INFO = {"title": "T", "version": "1"}


def swagger(**fields: Any) -> dict[str, Any]:
    return {"swagger": "2.0", "info": INFO, "paths": {}, **fields}


def operation_of(document: dict[str, Any], path: str = "/x", method: str = "post") -> Any:
    return convert(document)["paths"][path][method]


def test_only_2_x_is_swagger_2() -> None:
    assert is_swagger2({"swagger": "2.0"})
    assert is_swagger2({"swagger": 2.0})
    assert not is_swagger2({"swagger": "1.2"})
    assert not is_swagger2({"openapi": "3.0.3"})
    assert not is_swagger2(["swagger"])


def test_top_level_fields_are_kept_and_the_2_0_ones_moved() -> None:
    document = swagger(
        tags=[{"name": "pet"}],
        externalDocs={"url": "https://example.com"},
        security=[{"key": []}],
        consumes=["application/json"],
        produces=["application/json"],
        **{"x-logo": "l.png"},
    )
    assert convert(document) == {
        "openapi": "3.0.3",
        "info": INFO,
        "tags": [{"name": "pet"}],
        "externalDocs": {"url": "https://example.com"},
        "security": [{"key": []}],
        "servers": [{"url": "/"}],
        "paths": {},
        "x-logo": "l.png",
    }


def test_the_input_is_not_changed() -> None:
    document = swagger(
        paths={"/x": {"post": {"parameters": [{"in": "body", "name": "b", "schema": {}}]}}},
        definitions={"A": {"x-nullable": True, "type": "string"}},
    )
    before = copy.deepcopy(document)
    convert(document)
    assert document == before


@pytest.mark.parametrize(
    ("fields", "servers"),
    [
        ({}, [{"url": "/"}]),
        ({"basePath": "/v2"}, [{"url": "/v2"}]),
        ({"basePath": "/v2/"}, [{"url": "/v2"}]),
        ({"host": "api.example.com"}, [{"url": "https://api.example.com"}]),
        (
            {"host": "api.example.com:8080", "basePath": "/v2", "schemes": ["http", "https"]},
            [{"url": "http://api.example.com:8080/v2"}, {"url": "https://api.example.com:8080/v2"}],
        ),
    ],
)
def test_host_base_path_and_schemes_are_servers(
    fields: dict[str, Any], servers: list[dict[str, str]]
) -> None:
    assert convert(swagger(**fields))["servers"] == servers


def test_definitions_are_schemas_and_refs_follow_them() -> None:
    document = swagger(
        definitions={
            "Pet": {
                "type": "object",
                "discriminator": "kind",
                "properties": {
                    "kind": {"type": "string"},
                    "owner": {"$ref": "#/definitions/Person"},
                    "tags": {"type": "array", "items": {"$ref": "#/definitions/Tag"}},
                    "nick": {"type": "string", "x-nullable": True},
                    "photo": {"type": "file"},
                },
                "additionalProperties": {"$ref": "#/definitions/Tag"},
            },
            "Cat": {"allOf": [{"$ref": "#/definitions/Pet"}, {"x-nullable": False}]},
        }
    )
    assert convert(document)["components"]["schemas"] == {
        "Pet": {
            "type": "object",
            "discriminator": {"propertyName": "kind"},
            "properties": {
                "kind": {"type": "string"},
                "owner": {"$ref": "#/components/schemas/Person"},
                "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
                "nick": {"type": "string", "nullable": True},
                "photo": {"type": "string", "format": "binary"},
            },
            "additionalProperties": {"$ref": "#/components/schemas/Tag"},
        },
        "Cat": {"allOf": [{"$ref": "#/components/schemas/Pet"}, {}]},
    }


def test_a_property_named_like_a_keyword_is_still_a_property() -> None:
    schema = {"type": "object", "properties": {"type": {"type": "file"}, "$ref": {}}}
    converted = convert(swagger(definitions={"A": schema}))["components"]["schemas"]["A"]
    assert converted == {
        "type": "object",
        "properties": {"type": {"type": "string", "format": "binary"}, "$ref": {}},
    }


def test_body_parameter_is_the_request_body_under_each_consumed_type() -> None:
    document = swagger(
        consumes=["application/json"],
        paths={
            "/x": {
                "post": {
                    "consumes": ["application/json", "application/xml"],
                    "parameters": [
                        {
                            "in": "body",
                            "name": "body",
                            "description": "the pet",
                            "required": True,
                            "schema": {"$ref": "#/definitions/Pet"},
                        },
                        {"in": "query", "name": "dry", "type": "boolean"},
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    )
    ref = {"$ref": "#/components/schemas/Pet"}
    assert operation_of(document) == {
        "parameters": [{"name": "dry", "in": "query", "schema": {"type": "boolean"}}],
        "responses": {"200": {"description": "ok"}},
        "requestBody": {
            "content": {"application/json": {"schema": ref}, "application/xml": {"schema": ref}},
            "description": "the pet",
            "required": True,
        },
    }


def test_body_without_consumes_is_json() -> None:
    document = swagger(
        paths={"/x": {"post": {"parameters": [{"in": "body", "name": "b", "schema": {}}]}}}
    )
    assert operation_of(document)["requestBody"] == {
        "content": {"application/json": {"schema": {}}}
    }


def test_form_data_is_one_object_schema_urlencoded_without_files() -> None:
    document = swagger(
        paths={
            "/x": {
                "post": {
                    "parameters": [
                        {"in": "formData", "name": "name", "type": "string", "required": True},
                        {
                            "in": "formData",
                            "name": "tags",
                            "type": "array",
                            "items": {"type": "string"},
                            "collectionFormat": "multi",
                            "description": "labels",
                        },
                    ]
                }
            }
        }
    )
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}, "description": "labels"},
        },
        "required": ["name"],
    }
    assert operation_of(document)["requestBody"] == {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": schema,
                "encoding": {"tags": {"style": "form", "explode": True}},
            }
        },
        "required": True,
    }


def test_form_data_with_a_file_is_multipart() -> None:
    document = swagger(
        paths={
            "/x": {
                "post": {
                    "consumes": ["application/json"],  # not a form type: the file decides
                    "parameters": [{"in": "formData", "name": "file", "type": "file"}],
                }
            }
        }
    )
    assert operation_of(document)["requestBody"] == {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        }
    }


def test_form_data_keeps_the_consumed_form_types() -> None:
    document = swagger(
        consumes=["multipart/form-data", "application/x-www-form-urlencoded"],
        paths={
            "/x": {"post": {"parameters": [{"in": "formData", "name": "a", "type": "integer"}]}}
        },
    )
    content = operation_of(document)["requestBody"]["content"]
    assert list(content) == ["multipart/form-data", "application/x-www-form-urlencoded"]


@pytest.mark.parametrize(
    ("location", "collection_format", "style"),
    [
        ("query", None, {"style": "form", "explode": False}),
        ("query", "csv", {"style": "form", "explode": False}),
        ("query", "multi", {"style": "form", "explode": True}),
        ("query", "ssv", {"style": "spaceDelimited", "explode": False}),
        ("query", "pipes", {"style": "pipeDelimited", "explode": False}),
        ("query", "tsv", {"style": "form", "explode": False}),
        ("header", "csv", {}),
        ("path", None, {}),
    ],
)
def test_collection_format_is_style_and_explode(
    location: str, collection_format: str | None, style: dict[str, Any]
) -> None:
    param: dict[str, Any] = {
        "in": location,
        "name": "ids",
        "type": "array",
        "items": {"type": "integer", "format": "int64", "minimum": 1},
        "maxItems": 5,
    }
    if collection_format:
        param["collectionFormat"] = collection_format
    (converted,) = operation_of(
        swagger(paths={"/x": {"get": {"parameters": [param]}}}), method="get"
    )["parameters"]
    expected = {
        "name": "ids",
        "in": location,
        "schema": {
            "type": "array",
            "maxItems": 5,
            "items": {"type": "integer", "format": "int64", "minimum": 1},
        },
        **style,
    }
    if location == "path":
        expected["required"] = True
    assert converted == expected


def test_parameter_keywords_extensions_and_x_nullable() -> None:
    param = {
        "in": "query",
        "name": "q",
        "description": "search",
        "required": False,
        "allowEmptyValue": True,
        "type": "string",
        "enum": ["a", "b"],
        "default": "a",
        "pattern": "^[ab]$",
        "x-nullable": True,
        "x-note": 1,
    }
    (converted,) = operation_of(
        swagger(paths={"/x": {"get": {"parameters": [param]}}}), method="get"
    )["parameters"]
    assert converted == {
        "name": "q",
        "in": "query",
        "description": "search",
        "required": False,
        "allowEmptyValue": True,
        "schema": {
            "type": "string",
            "default": "a",
            "pattern": "^[ab]$",
            "enum": ["a", "b"],
            "nullable": True,
        },
        "x-note": 1,
    }


def test_shared_parameters_move_to_components_and_bodies_are_inlined() -> None:
    document = swagger(
        parameters={
            "limit": {"in": "query", "name": "limit", "type": "integer"},
            "pet": {"in": "body", "name": "pet", "schema": {"$ref": "#/definitions/Pet"}},
            "note": {"in": "formData", "name": "note", "type": "string"},
        },
        paths={
            "/x": {
                "parameters": [{"$ref": "#/parameters/limit"}],
                "post": {"parameters": [{"$ref": "#/parameters/pet"}]},
                "put": {"parameters": [{"$ref": "#/parameters/note"}]},
            }
        },
    )
    converted = convert(document)
    assert converted["components"]["parameters"] == {
        "limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}
    }
    assert converted["components"]["requestBodies"] == {
        "pet": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}
    }
    item = converted["paths"]["/x"]
    assert item["parameters"] == [{"$ref": "#/components/parameters/limit"}]
    assert item["post"] == {
        "requestBody": {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}
        }
    }
    assert item["put"]["requestBody"]["content"]["application/x-www-form-urlencoded"] == {
        "schema": {"type": "object", "properties": {"note": {"type": "string"}}}
    }


def test_path_level_body_applies_unless_the_operation_has_its_own() -> None:
    document = swagger(
        paths={
            "/x": {
                "parameters": [{"in": "body", "name": "b", "schema": {"type": "string"}}],
                "post": {},
                "put": {"parameters": [{"in": "body", "name": "b", "schema": {"type": "integer"}}]},
            }
        }
    )
    item = convert(document)["paths"]["/x"]
    assert "parameters" not in item
    assert item["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "type": "string"
    }
    assert item["put"]["requestBody"]["content"]["application/json"]["schema"] == {
        "type": "integer"
    }


def test_responses_schema_under_each_produced_type_with_examples_and_headers() -> None:
    document = swagger(
        produces=["application/json"],
        responses={"NotFound": {"description": "gone", "schema": {"$ref": "#/definitions/E"}}},
        paths={
            "/x": {
                "get": {
                    "produces": ["application/json", "application/xml"],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "schema": {"type": "array", "items": {"$ref": "#/definitions/Pet"}},
                            "examples": {"application/json": [{"id": 1}]},
                            "headers": {
                                "X-Rate": {"type": "integer", "description": "left"},
                                "X-Ids": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "collectionFormat": "csv",
                                },
                            },
                        },
                        "204": {"description": "nothing"},
                        "404": {"$ref": "#/responses/NotFound"},
                    },
                }
            }
        },
    )
    converted = convert(document)
    schema = {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}
    assert converted["paths"]["/x"]["get"]["responses"] == {
        "200": {
            "description": "ok",
            "content": {
                "application/json": {"schema": schema, "example": [{"id": 1}]},
                "application/xml": {"schema": schema},
            },
            "headers": {
                "X-Rate": {"schema": {"type": "integer"}, "description": "left"},
                "X-Ids": {"schema": {"type": "array", "items": {"type": "string"}}},
            },
        },
        "204": {"description": "nothing"},
        "404": {"$ref": "#/components/responses/NotFound"},
    }
    assert converted["components"]["responses"] == {
        "NotFound": {
            "description": "gone",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/E"}}},
        }
    }


def test_a_json_example_written_as_text_is_its_value() -> None:
    document = swagger(
        paths={
            "/x": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "examples": {
                                "application/json": '{"a": [1]}',
                                "application/vnd.x+json": "[1, 2]",
                                "text/plain": '{"a": 1}',
                                "application/problem+json": "{not json",
                            },
                        }
                    }
                }
            }
        }
    )
    content = operation_of(document, method="get")["responses"]["200"]["content"]
    assert content == {
        "application/json": {"example": {"a": [1]}},
        "application/vnd.x+json": {"example": [1, 2]},
        "text/plain": {"example": '{"a": 1}'},
        "application/problem+json": {"example": "{not json"},
    }


def test_response_without_produces_is_json() -> None:
    document = swagger(
        paths={"/x": {"get": {"responses": {"200": {"description": "", "schema": {}}}}}}
    )
    assert operation_of(document, method="get")["responses"]["200"] == {
        "description": "",
        "content": {"application/json": {"schema": {}}},
    }


def test_security_definitions_are_security_schemes() -> None:
    document = swagger(
        securityDefinitions={
            "basic": {"type": "basic", "description": "user and password"},
            "key": {"type": "apiKey", "name": "api_key", "in": "header"},
            "implicit": {
                "type": "oauth2",
                "flow": "implicit",
                "authorizationUrl": "https://a.example/auth",
                "scopes": {"read": "read things"},
            },
            "password": {"type": "oauth2", "flow": "password", "tokenUrl": "https://a/t"},
            "app": {"type": "oauth2", "flow": "application", "tokenUrl": "https://a/t"},
            "code": {
                "type": "oauth2",
                "flow": "accessCode",
                "authorizationUrl": "https://a/auth",
                "tokenUrl": "https://a/t",
                "scopes": {},
                "x-client": "c",
            },
        }
    )
    assert convert(document)["components"]["securitySchemes"] == {
        "basic": {"description": "user and password", "type": "http", "scheme": "basic"},
        "key": {"type": "apiKey", "name": "api_key", "in": "header"},
        "implicit": {
            "type": "oauth2",
            "flows": {
                "implicit": {
                    "scopes": {"read": "read things"},
                    "authorizationUrl": "https://a.example/auth",
                }
            },
        },
        "password": {
            "type": "oauth2",
            "flows": {"password": {"scopes": {}, "tokenUrl": "https://a/t"}},
        },
        "app": {
            "type": "oauth2",
            "flows": {"clientCredentials": {"scopes": {}, "tokenUrl": "https://a/t"}},
        },
        "code": {
            "x-client": "c",
            "type": "oauth2",
            "flows": {
                "authorizationCode": {
                    "scopes": {},
                    "authorizationUrl": "https://a/auth",
                    "tokenUrl": "https://a/t",
                }
            },
        },
    }


def test_a_malformed_document_reaches_the_checks_with_its_faults(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(swagger(paths={"pets": {}})))
    with pytest.raises(ConfigError, match="must start with '/'"):
        OpenAPIDocument.load(path)


# -- the corpus's 2.0 documents ------------------------------------------------------------------


@pytest.mark.parametrize("name", SWAGGER_DOCUMENTS)
def test_corpus_document_converts_to_a_valid_openapi_30_document(name: str) -> None:
    raw = json.loads((CORPUS / f"{name}.json").read_text())
    validate(convert(raw))


@pytest.mark.parametrize(
    ("name", "routes"),
    [
        ("petstore-2.0", 20),
        ("petstore-expanded-2.0", 4),
        ("petstore-simple-2.0", 3),
        ("api-with-examples-2.0", 2),
        ("schema-circular-2.0", 1),
    ],
)
def test_corpus_document_loads_with_every_operation(name: str, routes: int) -> None:
    document = OpenAPIDocument.load(CORPUS / f"{name}.json")
    assert document.version == "3.0"
    assert len(document.routes()) == routes
    assert len(list(document.operations())) == routes


@pytest.fixture(scope="module")
def petstore2() -> OpenAPIDocument:
    return OpenAPIDocument.load(CORPUS / "petstore-2.0.json")


def test_the_summary_says_the_document_was_converted() -> None:
    description = OpenAPIDescription.load(CORPUS / "petstore-simple-2.0.json")
    assert description.document.converted_from == "2.0"
    assert description.summary() == (
        "Swagger Petstore (Swagger 2.0 as OpenAPI 3.0, 3 operations, petstore-simple-2.0.json)"
    )


def test_routes_answer_under_the_base_path(petstore2: OpenAPIDocument) -> None:
    matched = petstore2.match("GET", "/v2/pet/7")
    assert matched.operation.path_template == "/pet/{petId}"
    assert matched.path_params == {"petId": "7"}


def test_body_parameter_is_validated(petstore2: OpenAPIDocument) -> None:
    pet = {"name": "Rex", "photoUrls": ["a.png"]}
    assert check(petstore2, "POST", "/v2/pet", **json_body(pet)).body == pet
    with pytest.raises(RequestValidationFailed) as exc:
        check(petstore2, "POST", "/v2/pet", **json_body({"name": "Rex"}))
    assert exc.value.status == 422
    assert [e["location"] for e in exc.value.errors] == ["body.photoUrls"]


def test_multi_query_parameter_is_an_array(petstore2: OpenAPIDocument) -> None:
    validated = check(
        petstore2, "GET", "/v2/pet/findByStatus", query={"status": ["available", "sold"]}
    )
    assert validated.query == {"status": ["available", "sold"]}
    with pytest.raises(RequestValidationFailed):
        check(petstore2, "GET", "/v2/pet/findByStatus", query={"status": ["lost"]})


def test_form_data_is_validated(petstore2: OpenAPIDocument) -> None:
    validated = check(
        petstore2,
        "POST",
        "/v2/pet/7",
        body=b"name=Rex&status=sold",
        content_type="application/x-www-form-urlencoded",
    )
    assert validated.body == {"name": "Rex", "status": "sold"}


def test_file_upload_is_multipart(petstore2: OpenAPIDocument) -> None:
    body = (
        b"--b\r\n"
        b'Content-Disposition: form-data; name="file"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n"
        b"PNG\r\n"
        b"--b\r\n"
        b'Content-Disposition: form-data; name="additionalMetadata"\r\n\r\n'
        b"front\r\n"
        b"--b--\r\n"
    )
    validated = check(
        petstore2,
        "POST",
        "/v2/pet/7/uploadImage",
        body=body,
        content_type="multipart/form-data; boundary=b",
    )
    assert validated.body == {"file": "a.png", "additionalMetadata": "front"}
    assert validated.files["file"].data == b"PNG"
    assert validated.files["file"].content_type == "image/png"
