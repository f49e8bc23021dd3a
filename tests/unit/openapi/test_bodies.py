from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mockmind.domain.errors import RequestError, RequestValidationFailed
from mockmind.openapi import OpenAPIDocument, UnsupportedMediaType, UploadedFile

from .conftest import check, json_body


def failure(doc: OpenAPIDocument, method: str, path: str, **kwargs: Any) -> RequestError:
    with pytest.raises(RequestError) as exc:
        check(doc, method, path, **kwargs)
    return exc.value


def test_valid_json_body(petstore: OpenAPIDocument) -> None:
    checked = check(petstore, "POST", "/pets", **json_body({"name": "Rex", "secret": "s"}))
    assert checked.body == {"name": "Rex", "secret": "s"}
    assert checked.media_type == "application/json"


def test_json_with_charset_parameter(petstore: OpenAPIDocument) -> None:
    body = json.dumps({"name": "Réx", "secret": "s"}).encode("utf-8")
    checked = check(
        petstore, "POST", "/pets", body=body, content_type="application/json; charset=utf-8"
    )
    assert checked.body["name"] == "Réx"


def test_schema_violations_are_422_with_locations(petstore: OpenAPIDocument) -> None:
    value = {"name": "", "weight": 0, "tags": ["ok", 3], "secret": "s"}
    exc = failure(petstore, "POST", "/pets", **json_body(value))
    assert isinstance(exc, RequestValidationFailed)
    assert exc.status == 422
    assert exc.errors == [
        {"location": "body.name", "message": "'' should be non-empty", "keyword": "minLength"},
        {
            "location": "body.weight",
            "message": "0 is less than or equal to the minimum of 0",
            "keyword": "minimum",
        },
        {"location": "body.tags[1]", "message": "3 is not of type 'string'", "keyword": "type"},
    ]


def test_missing_required_property_names_it(petstore: OpenAPIDocument) -> None:
    exc = failure(petstore, "POST", "/pets", **json_body({"name": "Rex"}))
    assert exc.errors == [
        {
            "location": "body.secret",
            "message": "'secret' is a required property",
            "keyword": "required",
        }
    ]


def test_nested_locations_in_a_circular_schema(petstore: OpenAPIDocument) -> None:
    tree = {"name": "a", "children": [{"name": "b", "children": [{"name": 1}, {}]}]}
    exc = failure(petstore, "POST", "/trees", **json_body(tree))
    assert [e["location"] for e in exc.errors] == [
        "body.children[0].children[0].name",
        "body.children[0].children[1].name",
    ]


def test_discriminator_errors(petstore: OpenAPIDocument) -> None:
    exc = failure(petstore, "POST", "/shapes", **json_body({"kind": "hex"}))
    assert exc.errors == [
        {
            "location": "body.kind",
            "message": "'hex' is not a known 'kind'; expected one of ['circle', 'square']",
            "keyword": "discriminator",
        }
    ]


def test_vendor_json_media_type(petstore: OpenAPIDocument) -> None:
    body = json.dumps({"petType": "Dog", "name": "Rex", "packSize": 2}).encode()
    checked = check(
        petstore, "POST", "/animals", body=body, content_type="application/vnd.animal+json"
    )
    assert checked.body["packSize"] == 2


def test_broken_json_is_422(petstore: OpenAPIDocument) -> None:
    exc = failure(petstore, "POST", "/pets", body=b'{"name": ', content_type="application/json")
    assert exc.status == 422
    (error,) = exc.errors
    assert error["location"] == "body"
    assert str(error["message"]).startswith("not valid JSON")


def test_body_that_is_not_utf8_is_422(petstore: OpenAPIDocument) -> None:
    exc = failure(petstore, "POST", "/notes", body=b"\xff\xfe", content_type="text/plain")
    assert exc.status == 422


def test_missing_required_body_is_422(petstore: OpenAPIDocument) -> None:
    exc = failure(petstore, "POST", "/pets", content_type="application/json")
    assert exc.status == 422
    assert exc.errors == [
        {"location": "body", "message": "a request body is required", "keyword": "required"}
    ]


def test_optional_body_may_be_missing(petstore: OpenAPIDocument) -> None:
    assert check(petstore, "PUT", "/uploads").body is None


def test_unaccepted_content_type_is_415(petstore: OpenAPIDocument) -> None:
    exc = failure(petstore, "POST", "/pets", body=b"name=x", content_type="text/plain")
    assert isinstance(exc, UnsupportedMediaType)
    assert exc.status == 415
    assert "application/json" in exc.detail
    assert exc.errors[0]["location"] == "header.content-type"


def test_missing_content_type_is_415_unless_anything_goes(petstore: OpenAPIDocument) -> None:
    assert failure(petstore, "POST", "/pets", body=b"{}").status == 415
    checked = check(petstore, "POST", "/anything", body=b"\x00\x01")
    assert checked.body == b"\x00\x01"
    assert checked.media_type == "application/octet-stream"


def test_media_type_ranges_in_the_spec(petstore: OpenAPIDocument) -> None:
    checked = check(petstore, "PUT", "/uploads", body=b"\x89PNG", content_type="image/png")
    assert checked.body == b"\x89PNG"
    assert failure(petstore, "PUT", "/uploads", body=b"x", content_type="text/plain").status == 415
    # application/* is more specific than */*, so its schema applies to JSON.
    exc = failure(petstore, "POST", "/anything", body=b"[1]", content_type="application/json")
    assert exc.errors[0]["message"] == "[1] is not of type 'object'"
    assert check(petstore, "POST", "/anything", body=b"hi", content_type="text/plain").body == "hi"


def test_form_urlencoded(petstore: OpenAPIDocument) -> None:
    body = b"name=Rex&secret=s3&tags=a,b&weight=2.5"
    checked = check(
        petstore, "POST", "/pets", body=body, content_type="application/x-www-form-urlencoded"
    )
    assert checked.body == {"name": "Rex", "secret": "s3", "tags": ["a", "b"], "weight": 2.5}


def test_form_urlencoded_errors(petstore: OpenAPIDocument) -> None:
    exc = failure(
        petstore,
        "POST",
        "/pets",
        body=b"name=&secret=s&weight=heavy",
        content_type="application/x-www-form-urlencoded",
    )
    assert [(e["location"], e["keyword"]) for e in exc.errors] == [
        ("body.name", "minLength"),
        ("body.weight", "type"),
    ]


MULTIPART = (
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="name"\r\n\r\n'
    b"Rex\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="age"\r\n\r\n'
    b"3\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="tags"\r\n\r\n'
    b"a\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="tags"\r\n\r\n'
    b"b\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="photo"; filename="rex.png"\r\n'
    b"Content-Type: image/png\r\n\r\n"
    b"\x89PNG\r\n\x1a\n\x00\xff\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="meta"\r\n'
    b"Content-Type: application/json\r\n\r\n"
    b'{"source": "camera"}\r\n'
    b"--XyZ--\r\n"
)


def test_multipart_form_data(petstore: OpenAPIDocument) -> None:
    checked = check(
        petstore,
        "POST",
        "/pets",
        body=MULTIPART,
        content_type="multipart/form-data; boundary=XyZ",
    )
    assert checked.body == {
        "name": "Rex",
        "age": 3,
        "tags": ["a", "b"],
        "photo": "rex.png",
        "meta": {"source": "camera"},
    }
    assert checked.files == {
        "photo": UploadedFile("rex.png", "image/png", b"\x89PNG\r\n\x1a\n\x00\xff")
    }


def test_multipart_errors(petstore: OpenAPIDocument) -> None:
    body = MULTIPART.replace(b'{"source": "camera"}', b'{"origin": 1}').replace(b"3\r\n", b"x\r\n")
    exc = failure(
        petstore, "POST", "/pets", body=body, content_type="multipart/form-data; boundary=XyZ"
    )
    assert [(e["location"], e["keyword"]) for e in exc.errors] == [
        ("body.age", "type"),
        ("body.meta.source", "required"),
    ]


def test_multipart_without_its_boundary_is_422(petstore: OpenAPIDocument) -> None:
    exc = failure(
        petstore, "POST", "/pets", body=MULTIPART, content_type="multipart/form-data; boundary=no"
    )
    assert exc.status == 422
    assert "multipart" in str(exc.errors[0]["message"])


def test_text_plain(petstore: OpenAPIDocument) -> None:
    assert check(petstore, "POST", "/notes", body=b"hello", content_type="text/plain").body == (
        "hello"
    )
    exc = failure(petstore, "POST", "/notes", body=b"x" * 21, content_type="text/plain")
    assert exc.errors[0]["keyword"] == "maxLength"


def test_parameter_and_body_errors_together_are_400(petstore: OpenAPIDocument) -> None:
    exc = failure(petstore, "POST", "/trees", query={"dryRun": ["maybe"]}, **json_body({}))
    assert exc.status == 400
    assert [e["location"] for e in exc.errors] == ["query.dryRun", "body.name"]


def test_parameter_errors_win_over_415(petstore: OpenAPIDocument) -> None:
    exc = failure(
        petstore, "POST", "/trees", query={"dryRun": ["maybe"]}, body=b"x", content_type="text/x"
    )
    assert exc.status == 400


def test_errors_are_capped(petstore: OpenAPIDocument) -> None:
    tree = {"name": "root", "children": [{"name": n} for n in range(80)]}
    exc = failure(petstore, "POST", "/trees", **json_body(tree))
    assert len(exc.errors) == 50


def test_read_only_properties_are_not_required_in_requests(petstore: OpenAPIDocument) -> None:
    # Pet requires id, but id is readOnly: a create request need not send it.
    assert check(petstore, "POST", "/pets", **json_body({"name": "R", "secret": "s"})).body


def test_undeclared_body_is_passed_on_when_json(petstore: OpenAPIDocument) -> None:
    checked = check(petstore, "GET", "/pets/mine", **json_body({"a": 1}))
    assert checked.body == {"a": 1}
    assert check(
        petstore, "GET", "/pets/mine", body=b"{", content_type="application/json"
    ).body is (None)


def test_31_body(things: OpenAPIDocument) -> None:
    good = {"kind": "thing", "name": None, "point": [0, 1]}
    assert check(things, "POST", "/things", **json_body(good)).body == good
    with pytest.raises(RequestValidationFailed) as exc:
        check(things, "POST", "/things", **json_body({**good, "point": [0, 1, 2]}))
    assert exc.value.errors[0]["location"] == "body.point"
    assert check(things, "GET", "/things/4", query={"q": ["null"]}).path_params == {"id": 4}


def _required_body(tmp_path: Path, content: dict[str, Any]) -> OpenAPIDocument:
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/tx": {
                "post": {
                    "requestBody": {"required": True, "content": content},
                    "responses": {"200": {"description": "OK"}},
                }
            }
        },
    }
    path = tmp_path / "tx.json"
    path.write_text(json.dumps(spec))
    return OpenAPIDocument.load(path)


def test_an_empty_body_of_a_labelled_binary_or_text_type_is_content_its_schema_judges(
    tmp_path: Path,
) -> None:
    # Blockfrost's CBOR transactions: a string schema, so zero bytes are a value.
    cbor = _required_body(tmp_path, {"application/cbor": {"schema": {"type": "string"}}})
    assert check(cbor, "POST", "/tx", content_type="application/cbor").body == b""
    text = _required_body(tmp_path, {"text/plain": {"schema": {"type": "string"}}})
    assert check(text, "POST", "/tx", content_type="text/plain").body == ""
    short = _required_body(tmp_path, {"text/plain": {"schema": {"minLength": 2}}})
    exc = failure(short, "POST", "/tx", content_type="text/plain")
    assert exc.errors == [
        {"location": "body", "message": "'' is too short", "keyword": "minLength"}
    ]
    # No label, or a type whose empty body is no value of it: no body at all.
    assert failure(cbor, "POST", "/tx").errors[0]["message"] == "a request body is required"
    form = _required_body(tmp_path, {"multipart/form-data": {"schema": {"type": "object"}}})
    exc = failure(form, "POST", "/tx", content_type="multipart/form-data; boundary=B")
    assert exc.errors[0]["message"] == "a request body is required"


def test_an_empty_body_labelled_json_is_no_body(tmp_path: Path) -> None:
    # Zero bytes are no JSON value: the body is missing, not malformed.
    document = _required_body(tmp_path, {"application/json": {"schema": {"type": "object"}}})
    exc = failure(document, "POST", "/tx", content_type="application/json")
    assert exc.errors == [
        {"location": "body", "message": "a request body is required", "keyword": "required"}
    ]
