from __future__ import annotations

from pathlib import Path

import pytest

from mockmind.domain.errors import RequestError
from mockmind.openapi import NotAcceptable, OpenAPIDocument, ResponseChoice, choose_response
from mockmind.openapi.media import negotiate
from mockmind.openapi.responses import ExampleChoice, error_choice

from .conftest import COMMON


def choose(
    doc: OpenAPIDocument,
    method: str,
    template: str,
    prefer: str | None = None,
    accept: str | None = None,
) -> ResponseChoice:
    return choose_response(doc.operation(template, method), prefer, accept)


TWO_PETS = [{"id": 1, "name": "Rex", "tag": None}, {"id": 2, "name": "Tom"}]


def test_lowest_2xx_without_prefer(petstore: OpenAPIDocument) -> None:
    choice = choose(petstore, "GET", "/pets")
    assert (choice.status, choice.response_key, choice.media_type) == (
        200,
        "200",
        "application/json",
    )
    assert choice.schema == {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}
    assert (
        choice.schema_pointer == "#/paths/~1pets/get/responses/200/content/application~1json/schema"
    )
    assert choice.description == "A page of pets"


def test_first_of_examples_is_used(petstore: OpenAPIDocument) -> None:
    example = choose(petstore, "GET", "/pets").example
    assert (example.found, example.value, example.name) == (True, TWO_PETS, "two")


def test_prefer_code(petstore: OpenAPIDocument) -> None:
    choice = choose(petstore, "GET", "/pets/{petId}", "code=404")
    assert choice.status == 404
    assert choice.schema == {"$ref": COMMON.as_uri() + "#/components/schemas/Error"}
    assert choice.example.value == {"code": 404, "message": "not found"}


def test_undeclared_code_uses_default_with_that_status(petstore: OpenAPIDocument) -> None:
    choice = choose(petstore, "GET", "/pets", "code=503")
    assert (choice.status, choice.response_key) == (503, "default")
    assert choice.schema == {"$ref": "common.yaml#/components/schemas/Error"}
    assert choice.example.found is False


def test_undeclared_code_without_default_is_prisms_404(petstore: OpenAPIDocument) -> None:
    with pytest.raises(RequestError) as exc:
        choose(petstore, "GET", "/pets/{petId}", "code=418")
    assert exc.value.status == 404
    assert exc.value.detail == "Requested status code 418 is not defined in the document."


def test_default_only_answers_200(petstore: OpenAPIDocument) -> None:
    choice = choose(petstore, "GET", "/defaulted")
    assert (choice.status, choice.response_key) == (200, "default")


def test_no_success_response_uses_the_lowest_declared(petstore: OpenAPIDocument) -> None:
    choice = choose(petstore, "GET", "/errors-only")
    assert (choice.status, choice.media_type, choice.schema) == (404, None, None)


def test_status_ranges(petstore: OpenAPIDocument) -> None:
    assert choose(petstore, "GET", "/ranged").status == 200
    assert choose(petstore, "GET", "/ranged", "code=206").status == 206
    choice = choose(petstore, "GET", "/ranged", "code=409")
    assert (choice.status, choice.response_key, choice.media_type) == (409, "4XX", None)


def test_no_content_response(petstore: OpenAPIDocument) -> None:
    choice = choose(petstore, "DELETE", "/pets/{petId}")
    assert (choice.status, choice.media_type, choice.schema, choice.schema_pointer) == (
        204,
        None,
        None,
        None,
    )
    assert choice.example.found is False


@pytest.mark.parametrize("prefer", ["example=empty", 'example="empty"', "code=200; example=empty"])
def test_prefer_example_by_name(petstore: OpenAPIDocument, prefer: str) -> None:
    example = choose(petstore, "GET", "/pets", prefer).example
    assert (example.found, example.value, example.name) == (True, [], "empty")


def test_named_example_through_components(petstore: OpenAPIDocument) -> None:
    assert choose(petstore, "GET", "/pets", "example=two").example.value == TWO_PETS


@pytest.mark.parametrize("name", ["missing", "remote"])
def test_unknown_or_external_example_is_404(petstore: OpenAPIDocument, name: str) -> None:
    with pytest.raises(RequestError) as exc:
        choose(petstore, "GET", "/pets", f"example={name}")
    assert exc.value.status == 404
    assert f"exampleKey: {name} does not exist" in exc.value.detail


def test_dynamic_asks_for_generation(petstore: OpenAPIDocument) -> None:
    choice = choose(petstore, "GET", "/pets", "dynamic=true")
    assert choice.example == ExampleChoice(False)
    assert (choice.status, choice.media_type) == (200, "application/json")
    assert choice.schema == {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}


def test_example_name_wins_over_dynamic(petstore: OpenAPIDocument) -> None:
    assert choose(petstore, "GET", "/pets", "dynamic=true, example=empty").example.value == []


def test_schema_example_is_the_fallback(petstore: OpenAPIDocument) -> None:
    # The schema is an alias of Pet: its example is found through the $ref.
    example = choose(petstore, "GET", "/pets/{petId}").example
    assert (example.found, example.value) == (True, {"id": 7, "name": "Rex", "tag": "dog"})


def test_no_example_anywhere(petstore: OpenAPIDocument) -> None:
    assert choose(petstore, "POST", "/trees").example.found is False


def test_31_schema_examples_list(things: OpenAPIDocument) -> None:
    example = choose(things, "POST", "/things").example
    assert example.value == {"kind": "thing", "name": None, "point": [1, 2]}


@pytest.mark.parametrize(
    ("accept", "media_type", "found"),
    [
        (None, "application/json", True),
        ("*/*", "application/json", True),
        ("application/xml", "application/xml", False),
        ("text/csv", "text/csv", True),
        ("text/*", "text/csv", True),
        ("application/xml;q=0.9, text/csv", "text/csv", True),
        ("application/json;q=0, */*", "application/xml", False),
    ],
)
def test_accept_negotiation(
    petstore: OpenAPIDocument, accept: str | None, media_type: str, found: bool
) -> None:
    choice = choose(petstore, "GET", "/pets", accept=accept)
    assert (choice.media_type, choice.example.found) == (media_type, found)


def test_csv_example(petstore: OpenAPIDocument) -> None:
    assert choose(petstore, "GET", "/pets", accept="text/csv").example.value == "id,name\n1,Rex\n"


def test_unacceptable_media_type_is_406(petstore: OpenAPIDocument) -> None:
    with pytest.raises(NotAcceptable) as exc:
        choose(petstore, "GET", "/pets", accept="image/png")
    assert exc.value.status == 406


def test_accept_is_irrelevant_without_content(petstore: OpenAPIDocument) -> None:
    assert choose(petstore, "DELETE", "/pets/{petId}", accept="image/png").status == 204


def test_wildcard_response_content_takes_the_accepted_type(petstore: OpenAPIDocument) -> None:
    assert choose(petstore, "POST", "/anything", accept="text/plain").media_type == "text/plain"
    assert choose(petstore, "POST", "/anything").media_type == "application/json"


def test_response_headers_are_handed_on(petstore: OpenAPIDocument) -> None:
    headers = choose(petstore, "GET", "/pets").headers
    assert headers["X-Rate-Limit"].schema == {"type": "integer"}
    assert headers["X-Total-Count"].schema_pointer == (
        "#/paths/~1pets/get/responses/200/headers/X-Total-Count/schema"
    )


@pytest.mark.parametrize(
    ("accept", "available", "expected"),
    [
        ("application/json", ["application/xml", "application/json"], "application/json"),
        ("*/*", ["text/plain", "application/problem+json"], "application/problem+json"),
        (None, ["text/plain", "image/png"], "text/plain"),
        ("image/*", ["application/json", "image/png"], "image/png"),
        ("text/html", ["application/json"], None),
        ("application/json", ["application/*"], "application/json"),
        ("*/*", ["image/*"], "application/octet-stream"),
        ("garbage", ["application/json"], None),
    ],
)
def test_negotiate(accept: str | None, available: list[str], expected: str | None) -> None:
    found = negotiate(accept, available)
    assert (found[1] if found else None) == expected


ERRORS_DOCUMENT = """
openapi: 3.0.3
info: {title: Errors, version: '1'}
paths:
  /things:
    get:
      responses:
        '200': {description: All}
        '404':
          description: None
          content: {application/json: {schema: {type: object}}}
        '4XX':
          description: Client error
          content:
            text/plain: {schema: {type: string}}
            application/problem+json: {schema: {type: object}}
        default: {description: Anything else}
    post:
      responses:
        '201': {description: Made}
        '401': {description: Who are you}
"""


@pytest.fixture
def errors_doc(tmp_path: Path) -> OpenAPIDocument:
    path = tmp_path / "errors.yaml"
    path.write_text(ERRORS_DOCUMENT)
    return OpenAPIDocument.load(path)


@pytest.mark.parametrize(
    ("status", "accept", "expected"),
    [
        (404, None, ("404", "application/json")),
        # The range, then the media type Accept asks for, else a JSON one rather than a 406.
        (409, "text/plain", ("4XX", "text/plain")),
        (409, None, ("4XX", "application/problem+json")),
        (409, "image/png", ("4XX", "application/problem+json")),
        # default documents every status, here without content.
        (500, None, ("default", None)),
    ],
)
def test_an_error_status_is_documented_by_its_code_its_range_or_default(
    errors_doc: OpenAPIDocument, status: int, accept: str | None, expected: tuple[str, str | None]
) -> None:
    choice = error_choice(errors_doc.operation("/things", "GET"), status, accept)
    assert choice is not None
    assert (choice.status, choice.response_key, choice.media_type) == (status, *expected)


def test_an_error_status_nothing_documents_has_no_choice(errors_doc: OpenAPIDocument) -> None:
    post = errors_doc.operation("/things", "POST")
    assert error_choice(post, 404, None) is None
    expected = ResponseChoice(401, "401", None, description="Who are you")
    assert error_choice(post, 401, None) == expected
