"""Every part of a request a client fills is read within the limits: a 400 naming the part and
the limit, never a RecursionError, UnicodeEncodeError or int() ValueError."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockmind.domain.client_input import InputLimits
from mockmind.domain.errors import RequestError, RequestValidationFailed, UnreadableInput
from mockmind.openapi import OpenAPIDocument, validate_request

from .conftest import check, request

DIGITS = "1" * 5000
DIGIT_LIMIT = sys.get_int_max_str_digits()
CAN_BE_READ = f"numbers of at most {DIGIT_LIMIT} digits can be read"
TOO_LONG = f"has 5000 digits; {CAN_BE_READ}"
JSON = "application/json"


def refused(doc: OpenAPIDocument, method: str, path: str, **kwargs: Any) -> UnreadableInput:
    with pytest.raises(RequestError) as caught:
        check(doc, method, path, **kwargs)
    error = caught.value
    assert isinstance(error, UnreadableInput), error
    assert error.status == 400
    return error


def tree(depth: int) -> bytes:
    """A /trees Node body nesting ``depth`` levels: each node is an object, its children a list."""
    node: dict[str, Any] = {"name": "leaf"} if depth % 2 else {"name": "leaf", "children": []}
    for level in range((depth - 1) // 2):
        node = {"name": f"n{level}", "children": [node]}
    return json.dumps(node).encode()


def depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


# -- bodies


@pytest.mark.parametrize("depth", [500, 100_000])
def test_a_deep_body_is_a_400_naming_the_limit(petstore: OpenAPIDocument, depth: int) -> None:
    body = ("[" * depth + "]" * depth).encode()
    error = refused(petstore, "POST", "/trees", body=body, content_type=JSON)
    assert error.detail == "request body nests deeper than 64 levels (server.max_json_depth)"
    assert error.errors[0]["location"] == "body"


def test_a_recursive_schema_takes_a_body_as_deep_as_the_limit(petstore: OpenAPIDocument) -> None:
    assert depth_of(json.loads(tree(64))) == 64
    checked = check(petstore, "POST", "/trees", body=tree(64), content_type=JSON)
    assert depth_of(checked.body) == 64
    assert depth_of(json.loads(tree(65))) == 65
    refused(petstore, "POST", "/trees", body=tree(65), content_type=JSON)


def test_the_configured_depth_is_the_limit(petstore: OpenAPIDocument) -> None:
    limits = InputLimits(max_json_depth=100)
    matched = petstore.match("POST", "/trees")
    deep = request("POST", "/trees", body=tree(100), content_type=JSON)
    assert depth_of(validate_request(matched, deep, limits).body) == 100
    shallow = InputLimits(max_json_depth=4)
    with pytest.raises(UnreadableInput) as caught:
        validate_request(
            matched, request("POST", "/trees", body=tree(5), content_type=JSON), shallow
        )
    assert caught.value.detail == "request body nests deeper than 4 levels (server.max_json_depth)"


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=100), st.data())
def test_a_depth_within_the_limit_is_checked_as_usual_and_beyond_it_is_a_400(
    petstore: OpenAPIDocument, limit: int, data: st.DataObject
) -> None:
    limits = InputLimits(max_json_depth=limit)
    matched = petstore.match("POST", "/anything")

    def body(depth: int) -> bytes:
        value: Any = 1
        for _ in range(depth - 1):
            value = [value]
        return json.dumps({"v": value}).encode()

    within = data.draw(st.integers(min_value=1, max_value=limit), label="within")
    ok = validate_request(
        matched, request("POST", "/anything", body=body(within), content_type=JSON), limits
    )
    assert depth_of(ok.body) == within
    beyond = data.draw(st.integers(min_value=limit + 1, max_value=4 * limit), label="beyond")
    with pytest.raises(UnreadableInput) as caught:
        validate_request(
            matched, request("POST", "/anything", body=body(beyond), content_type=JSON), limits
        )
    assert caught.value.status == 400


def test_a_lone_surrogate_in_a_body_is_a_400_saying_where(petstore: OpenAPIDocument) -> None:
    body = b'{"name": "Rex\\ud800", "secret": "s"}'
    error = refused(petstore, "POST", "/pets", body=body, content_type=JSON)
    assert error.detail == (
        "request body is not valid Unicode: body.name holds the lone surrogate \\ud800"
    )
    assert error.errors[0]["location"] == "body.name"


def test_a_charset_spelling_a_surrogate_is_a_400(petstore: OpenAPIDocument) -> None:
    body = '{"name": "Rex", "secret": "s"}'.replace("Rex", "+2AA-").encode()
    error = refused(petstore, "POST", "/pets", body=body, content_type=f"{JSON}; charset=utf-7")
    assert error.errors[0]["keyword"] == "unicode"


@pytest.mark.parametrize("charset", ["unicode_escape", "punycode"])
def test_a_python_codec_as_charset_is_an_unknown_one(
    petstore: OpenAPIDocument, charset: str
) -> None:
    with pytest.raises(RequestValidationFailed) as caught:
        check(
            petstore, "POST", "/notes", body=b"hello", content_type=f"text/plain; charset={charset}"
        )
    assert caught.value.status == 422
    assert caught.value.errors[0]["message"] == (
        f"not valid text/plain: {charset} is not a character set"
    )


def test_numbers_too_long_or_too_large_in_a_body(petstore: OpenAPIDocument) -> None:
    body = b'{"name": "Rex", "secret": "s", "weight": ' + DIGITS.encode() + b"}"
    error = refused(petstore, "POST", "/pets", body=body, content_type=JSON)
    assert error.detail == f"request body holds a number of 5000 digits; {CAN_BE_READ}"
    body = b'{"name": "Rex", "secret": "s", "weight": 1e400}'
    error = refused(petstore, "POST", "/pets", body=body, content_type=JSON)
    assert error.detail == "request body holds a number too large to represent (1e400)"


def test_an_undeclared_json_body_is_read_within_the_limits(petstore: OpenAPIDocument) -> None:
    body = ("[" * 1000 + "]" * 1000).encode()
    error = refused(petstore, "GET", "/pets/mine", body=body, content_type=JSON)
    assert error.detail == "request body nests deeper than 64 levels (server.max_json_depth)"
    # Broken JSON is still handed on as nothing, as before.
    assert check(petstore, "GET", "/pets/mine", body=b"{", content_type=JSON).body is None


# -- form and multipart bodies


def test_a_form_field_too_large_or_not_unicode(petstore: OpenAPIDocument) -> None:
    form = "application/x-www-form-urlencoded"
    error = refused(
        petstore, "POST", "/pets", body=b"name=Rex&secret=s&weight=1e400", content_type=form
    )
    assert error.detail == "request body field weight holds a number too large to represent (1e400)"
    assert error.errors[0]["location"] == "body.weight"
    error = refused(
        petstore,
        "POST",
        "/pets",
        body=b"name=%2B2AA-&secret=s",
        content_type=f"{form}; charset=utf-7",
    )
    assert (
        error.detail
        == "request body is not valid Unicode: body.name[0] holds the lone surrogate \\ud800"
    )


def multipart(meta: bytes, age: bytes = b"3") -> dict[str, Any]:
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="name"\r\n\r\nRex\r\n'
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="age"\r\n\r\n' + age + b"\r\n"
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="photo"; filename="rex.png"\r\n'
        b"Content-Type: image/png\r\n\r\nPNG\r\n"
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="meta"\r\n'
        b"Content-Type: application/json\r\n\r\n" + meta + b"\r\n"
        b"--XyZ--\r\n"
    )
    return {"body": body, "content_type": "multipart/form-data; boundary=XyZ"}


def test_multipart_json_parts_and_numbers_are_read_within_the_limits(
    petstore: OpenAPIDocument,
) -> None:
    assert check(petstore, "POST", "/pets", **multipart(b'{"source": "camera"}')).body["meta"] == {
        "source": "camera"
    }
    deep = b'{"source": ' + b"[" * 100 + b"]" * 100 + b"}"
    error = refused(petstore, "POST", "/pets", **multipart(deep))
    assert error.detail == (
        "request body field meta nests deeper than 64 levels (server.max_json_depth)"
    )
    error = refused(petstore, "POST", "/pets", **multipart(b'{"source": "\\udfff"}'))
    assert error.detail == (
        "request body field meta is not valid Unicode: body.meta.source holds the lone "
        "surrogate \\udfff"
    )
    error = refused(petstore, "POST", "/pets", **multipart(b'{"source": "c"}', DIGITS.encode()))
    assert error.detail == f"request body field age {TOO_LONG}"


# -- parameters


def test_a_query_integer_with_5000_digits_is_a_400_naming_it(petstore: OpenAPIDocument) -> None:
    error = refused(petstore, "GET", "/pets", query={"limit": [DIGITS]})
    assert error.detail == f"query parameter limit {TOO_LONG}"
    assert error.errors == [
        {"location": "query.limit", "message": TOO_LONG, "keyword": "max_digits"}
    ]


@pytest.mark.parametrize(
    ("path", "kwargs", "name"),
    [
        ("/pets", {"query": {"ids": [f"1,{DIGITS}"]}}, "query parameter ids"),
        ("/pets", {"query": {"filter[minAge]": [DIGITS]}}, "query parameter filter"),
        ("/pets", {"headers": {"x-flags": f"1,{DIGITS}"}}, "header x-flags"),
        (f"/pets/{DIGITS}", {}, "path parameter petId"),
        (f"/matrix-one/;id={DIGITS}", {}, "path parameter id"),
    ],
)
def test_integers_too_long_anywhere_in_the_parameters(
    petstore: OpenAPIDocument, path: str, kwargs: dict[str, Any], name: str
) -> None:
    assert refused(petstore, "GET", path, **kwargs).detail == f"{name} {TOO_LONG}"


def test_a_deep_object_query_nests_no_deeper_than_json(petstore: OpenAPIDocument) -> None:
    at_limit = "filter" + "[a]" * 64
    assert check(petstore, "GET", "/pets", query={at_limit: ["1"]}).query["filter"]["a"]["a"]
    for key, values in [
        ("filter" + "[a]" * 65, ["1"]),
        ("filter" + "[a]" * 3000, ["1"]),
        ("filter" + "[a]" * 64 + "[]", ["1"]),
        ("filter" + "[a]" * 64, ["1", "2"]),
    ]:
        error = refused(petstore, "GET", "/pets", query={key: values})
        assert error.detail == (
            "query parameter filter nests deeper than 64 levels (server.max_json_depth)"
        )
    limits = InputLimits(max_json_depth=2)
    deep = request("GET", "/pets", query={"filter[a][b][c]": ["1"]})
    with pytest.raises(UnreadableInput) as caught:
        validate_request(petstore.match("GET", "/pets"), deep, limits)
    assert caught.value.errors[0]["location"] == "query.filter"


def test_a_number_parameter_too_large_for_a_double(petstore: OpenAPIDocument) -> None:
    error = refused(petstore, "GET", "/pets", query={"coords": ["lat,1e400,lng,2"]})
    assert error.detail == "query parameter coords holds a number too large to represent (1e400)"


def test_a_json_parameter_is_read_within_the_limits(petstore: OpenAPIDocument) -> None:
    assert check(petstore, "GET", "/pets", query={"where": ['{"age": 3}']}).query["where"] == {
        "age": 3
    }
    error = refused(petstore, "GET", "/pets", query={"where": ["[" * 70 + "]" * 70]})
    assert (
        error.detail == "query parameter where nests deeper than 64 levels (server.max_json_depth)"
    )
    error = refused(petstore, "GET", "/pets", query={"where": ['{"age": "\\ud800"}']})
    assert error.errors[0]["location"] == "query.where.age"
    error = refused(petstore, "GET", "/pets", query={"where": ['{"age": ' + DIGITS + "}"]})
    assert error.errors[0]["keyword"] == "max_digits"


def test_a_cookie_integer_too_long_is_named(tmp_path: Path) -> None:
    spec = tmp_path / "cookies.json"
    spec.write_text(
        json.dumps(
            {
                "openapi": "3.1.0",
                "info": {"title": "cookies", "version": "1"},
                "paths": {
                    "/me": {
                        "get": {
                            "parameters": [
                                {"name": "visits", "in": "cookie", "schema": {"type": "integer"}}
                            ],
                            "responses": {"200": {"description": "ok"}},
                        }
                    }
                },
            }
        )
    )
    doc = OpenAPIDocument.load(spec)
    assert check(doc, "GET", "/me", cookies={"visits": "12"}).cookies == {"visits": 12}
    error = refused(doc, "GET", "/me", cookies={"visits": DIGITS})
    assert error.detail == f"cookie visits {TOO_LONG}"
