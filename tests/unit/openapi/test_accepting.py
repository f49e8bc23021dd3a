"""Issue 15, "be liberal in what you accept": each class of valid request a real document's
clients send that mockmind refused, and the answers it could not give (no responses, 1xx).

The fixture is tests/fixtures/openapi/accepting-3.1.yaml; the reproductions these come from
are in the conformance corpus's findings (1a-1l, 3, E2, E3)."""

from __future__ import annotations

from typing import Any

import pytest

from mockmind.domain.errors import RequestError, RequestValidationFailed
from mockmind.openapi import NotAcceptable, OpenAPIDocument, choose_response

from .conftest import SPECS, check, json_body

ACCEPTING = SPECS / "accepting-3.1.yaml"


@pytest.fixture(scope="module")
def doc() -> OpenAPIDocument:
    return OpenAPIDocument.load(ACCEPTING)


def refusal(doc: OpenAPIDocument, method: str, path: str, **kwargs: Any) -> RequestError:
    with pytest.raises(RequestError) as exc:
        check(doc, method, path, **kwargs)
    return exc.value


# -- 1a: an empty multipart form


def test_a_multipart_body_of_only_the_closing_delimiter_is_an_empty_form(
    doc: OpenAPIDocument,
) -> None:
    checked = check(
        doc,
        "POST",
        "/uploads",
        body=b"--26b2--\r\n",
        content_type="multipart/form-data; boundary=26b2",
    )
    assert checked.body == {}
    assert checked.files == {}


def test_an_empty_form_still_answers_to_the_schemas_required_fields(doc: OpenAPIDocument) -> None:
    exc = refusal(
        doc,
        "POST",
        "/uploads/required",
        body=b"--26b2--",
        content_type="multipart/form-data; boundary=26b2",
    )
    assert isinstance(exc, RequestValidationFailed)
    assert (exc.status, exc.errors) == (
        422,
        [
            {
                "location": "body.file",
                "message": "'file' is a required property",
                "keyword": "required",
            }
        ],
    )


def test_a_body_without_its_boundary_is_still_malformed(doc: OpenAPIDocument) -> None:
    exc = refusal(
        doc, "POST", "/uploads", body=b"--other--", content_type="multipart/form-data; boundary=b"
    )
    assert exc.status == 422
    assert exc.errors == [
        {
            "location": "body",
            "message": "not valid multipart/form-data: malformed multipart body (check the "
            "boundary)",
            "keyword": "parse",
        }
    ]


# -- 1b, 1c, 1j: styled parameters


def test_repeated_pipe_delimited_objects_are_read_as_their_list(doc: OpenAPIDocument) -> None:
    checked = check(doc, "GET", "/styled", query={"shape": ["name", "description"]})
    assert checked.query["shape"] == {"name": "description"}


def test_an_exploded_cookie_object_with_an_empty_value(doc: OpenAPIDocument) -> None:
    checked = check(doc, "GET", "/styled", cookies={"crumb": "name="})
    assert checked.cookies["crumb"] == {"name": ""}


def test_an_exploded_header_object_whose_value_holds_the_delimiter(doc: OpenAPIDocument) -> None:
    checked = check(doc, "GET", "/styled", headers={"x-pair": "name=a,b,c,description="})
    assert checked.headers["x-pair"] == {"name": "a,b,c", "description": ""}


@pytest.mark.parametrize(
    ("path", "label", "matrix"),
    [
        # The values hold the other styles' delimiters, and their own where an item without
        # "=" can only carry on the value before it.
        ("/styled/.name=a,b.description=/;name=a,b;description=c=d", "a,b", "a,b"),
        ("/styled/.name=a.b/;name=a;b", "a.b", "a;b"),
    ],
)
def test_label_and_matrix_objects_whose_values_hold_a_delimiter(
    doc: OpenAPIDocument, path: str, label: str, matrix: str
) -> None:
    params = check(doc, "GET", path).path_params
    assert params["label"]["name"] == label
    assert params["matrix"]["name"] == matrix


def test_header_array_items_that_are_objects_are_read_as_json(doc: OpenAPIDocument) -> None:
    lines = '{"name": "a", "description": "b"},{"name": "c"}'
    checked = check(doc, "GET", "/styled", headers={"lines": lines})
    assert checked.headers["lines"] == [{"name": "a", "description": "b"}, {"name": "c"}]


def test_header_array_items_in_no_defined_serialization_are_accepted(
    doc: OpenAPIDocument,
) -> None:
    # What schemathesis sends: Python's repr, which no style defines.
    lines = "{'name': 'a'},{'description': {}}"
    checked = check(doc, "GET", "/styled", headers={"lines": lines})
    assert checked.headers["lines"] == lines


def test_json_items_that_break_the_item_schema_are_still_refused(doc: OpenAPIDocument) -> None:
    exc = refusal(doc, "GET", "/styled", headers={"lines": '{"name": 5}'})
    assert exc.errors == [
        {
            "location": "header.lines[0].name",
            "message": "5 is not of type 'string'",
            "keyword": "type",
        }
    ]


def test_a_string_branch_takes_the_text_before_it_is_split(doc: OpenAPIDocument) -> None:
    assert check(doc, "GET", "/styled", query={"meta": ["*"]}).query["meta"] == "*"
    both = check(doc, "GET", "/styled", query={"meta": ["total_count,filter_count"]})
    # The array branch matches first; the text as a whole is a string too, and is kept only
    # when the split value is refused.
    assert both.query["meta"] == ["total_count", "filter_count"]


def test_a_json_header_parameter_is_parsed_and_checked(doc: OpenAPIDocument) -> None:
    good = check(doc, "GET", "/styled", headers={"x-where": '{"city": "Oslo, Norway"}'})
    assert good.headers["x-where"] == {"city": "Oslo, Norway"}
    exc = refusal(doc, "GET", "/styled", headers={"x-where": '{"city": 5}'})
    assert exc.errors == [
        {
            "location": "header.x-where.city",
            "message": "5 is not of type 'string'",
            "keyword": "type",
        }
    ]


def test_a_json_query_parameter_is_parsed_and_checked(doc: OpenAPIDocument) -> None:
    good = check(doc, "GET", "/styled", query={"where": ['{"city": "Oslo"}']})
    assert good.query["where"] == {"city": "Oslo"}
    exc = refusal(doc, "GET", "/styled", query={"where": ['{"town": "Oslo"}']})
    assert exc.errors == [
        {
            "location": "query.where.city",
            "message": "'city' is a required property",
            "keyword": "required",
        }
    ]


# -- 1k: a form body whose schema is no object


def test_a_urlencoded_body_for_an_array_schema_is_accepted_as_sent(doc: OpenAPIDocument) -> None:
    checked = check(
        doc, "POST", "/ordered", body=b"%5B%5D", content_type="application/x-www-form-urlencoded"
    )
    assert checked.body == {"[]": ""}


# -- 1d-1i: the schema checks


def post_checked(doc: OpenAPIDocument, value: dict[str, Any]) -> list[dict[str, object]]:
    try:
        check(doc, "POST", "/checked", **json_body(value))
    except RequestValidationFailed as exc:
        return list(exc.errors)
    return []


@pytest.mark.parametrize(
    "value",
    [
        {"at": "16:39:57-08:00"},
        {"at": "23:59:60Z"},
        {"host": "Bücher.example"},
        {"host": "xn--bcher-kva.example"},
        # U+001D is no white space in ECMA-262 (it is in Python's \s).
        {"email": "😍\x1d@hȺ"},
        {"v4": 19, "v6": 19},
        {"v2019": 19},
        {"v2019": None},
        # Valid under both branches: the document's overlap, not the client's fault.
        {"id": "9c9de5e8-0a1e-484a-b099-e80766180a6d"},
        # No discriminator property: the branches decide (Gcs takes it).
        {"connector": {"gcs_prefix": "p"}},
        {"maybe": None},
        {"kind": "anything at all"},
    ],
)
def test_values_the_standards_allow_are_accepted(doc: OpenAPIDocument, value: Any) -> None:
    assert post_checked(doc, value) == []


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (
            {"at": "16:39:57"},
            {"location": "body.at", "message": "'16:39:57' is not a 'time'", "keyword": "format"},
        ),
        (
            {"at": "12:59:60Z"},
            {"location": "body.at", "message": "'12:59:60Z' is not a 'time'", "keyword": "format"},
        ),
        (
            {"host": "-bad-.example"},
            {
                "location": "body.host",
                "message": "'-bad-.example' is not a 'idn-hostname'",
                "keyword": "format",
            },
        ),
        (
            {"email": "a b@c"},
            {
                "location": "body.email",
                "message": "'a b@c' does not match '^\\\\S{1,100}@\\\\S{1,100}$'",
                "keyword": "pattern",
            },
        ),
        (
            {"v4": 20},
            {
                "location": "body.v4",
                "message": "20 is greater than or equal to the maximum of 20",
                "keyword": "maximum",
            },
        ),
        (
            {"v2019": 20},
            {
                "location": "body.v2019",
                "message": "20 is greater than or equal to the maximum of 20",
                "keyword": "maximum",
            },
        ),
        (
            {"v6": 20},
            {
                "location": "body.v6",
                "message": "20 is greater than or equal to the maximum of 20",
                "keyword": "exclusiveMaximum",
            },
        ),
        (
            {"id": "short"},
            {
                "location": "body.id",
                "message": "'short' is not valid under any of the given schemas",
                "keyword": "oneOf",
            },
        ),
        (
            {"connector": {"connector_type": "Ftp"}},
            {
                "location": "body.connector.connector_type",
                "message": "'Ftp' is not a known 'connector_type'; expected one of ['Gcs', 'S3']",
                "keyword": "discriminator",
            },
        ),
        (
            {"maybe": "x"},
            {
                "location": "body.maybe",
                "message": "'x' is not of type 'integer'",
                "keyword": "type",
            },
        ),
    ],
)
def test_what_the_document_clearly_forbids_is_still_refused(
    doc: OpenAPIDocument, value: Any, error: dict[str, object]
) -> None:
    assert post_checked(doc, value) == [error]


def test_one_of_stays_exclusive_for_responses(doc: OpenAPIDocument) -> None:
    schema = "#/components/schemas/Checked/properties/id"
    uuid = "9c9de5e8-0a1e-484a-b099-e80766180a6d"
    assert doc.validator(schema, context="request").is_valid(uuid)
    assert not doc.validator(schema, context="response").is_valid(uuid)


# -- E2: ``schema: null``


def test_a_null_schema_takes_any_body(doc: OpenAPIDocument) -> None:
    operation = doc.operation("/anything-goes", "POST")
    assert operation.request_body is not None
    media = operation.request_body.content["application/json"]
    assert (media.schema, media.schema_pointer) == (None, None)
    checked = check(doc, "POST", "/anything-goes", **json_body([1, {"a": None}]))
    assert checked.body == [1, {"a": None}]


# -- 3 and E3: the status answered


def test_an_operation_without_responses_answers_an_empty_200(doc: OpenAPIDocument) -> None:
    choice = choose_response(doc.operation("/silent", "POST"), None, None)
    assert (choice.status, choice.media_type, choice.schema) == (200, None, None)


def test_a_1xx_is_replaced_by_the_next_documented_final_status(doc: OpenAPIDocument) -> None:
    choice = choose_response(doc.operation("/interim-then-final", "GET"), None, None)
    assert (choice.status, choice.response_key) == (204, "204")
    asked = choose_response(doc.operation("/interim-then-final", "GET"), "code=101", None)
    assert (asked.status, asked.response_key) == (204, "204")


def test_an_operation_with_only_a_1xx_answers_200(doc: OpenAPIDocument) -> None:
    choice = choose_response(doc.operation("/interim", "GET"), None, None)
    assert (choice.status, choice.media_type) == (200, None)


# -- 1l: an Accept header parameter


def test_an_accept_value_the_document_lists_gets_the_documented_content(
    doc: OpenAPIDocument,
) -> None:
    choice = choose_response(doc.operation("/stream", "POST"), None, "text/event-stream")
    assert (choice.status, choice.media_type) == (200, "application/json")
    with pytest.raises(NotAcceptable):
        choose_response(doc.operation("/stream", "POST"), None, "text/csv")
    with pytest.raises(NotAcceptable):
        choose_response(doc.operation("/notes", "GET"), None, "text/event-stream")
