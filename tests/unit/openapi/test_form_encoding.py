"""Form bodies typed by the media type's ``encoding`` (style, explode, contentType), undeclared
fields, and multipart parts the parser must skip or refuse (openapi/requests.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mockmind.domain.errors import RequestError
from mockmind.openapi import OpenAPIDocument

from .conftest import check

FORM = "application/x-www-form-urlencoded"
INTEGERS = {"type": "array", "items": {"type": "integer"}}
SCHEMA = {
    "type": "object",
    "properties": {
        "ids": INTEGERS,
        "piped": INTEGERS,
        "spaced": {"type": "array", "items": {"type": "string"}},
        "exploded": INTEGERS,
        "meta": {"type": "object", "properties": {"a": {"type": "integer"}}},
        "count": {"type": "integer"},
        "free": {},
    },
}
ENCODING = {
    "ids": {"style": "form", "explode": False},
    "piped": {"style": "pipeDelimited", "explode": False},
    "spaced": {"style": "spaceDelimited", "explode": False},
    "meta": {"contentType": "application/json"},
}


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> OpenAPIDocument:
    media = {"schema": SCHEMA, "encoding": ENCODING}
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "forms", "version": "1"},
        "paths": {
            "/forms": {
                "post": {
                    "requestBody": {
                        "content": {FORM: media, "multipart/form-data": media},
                    },
                    "responses": {"204": {"description": "ok"}},
                }
            }
        },
    }
    path = Path(tmp_path_factory.mktemp("forms")) / "forms.json"
    path.write_text(json.dumps(spec))
    return OpenAPIDocument.load(path)


def _form(doc: OpenAPIDocument, body: str) -> Any:
    return check(doc, "POST", "/forms", body=body.encode(), content_type=FORM).body


def _errors(doc: OpenAPIDocument, body: bytes, content_type: str) -> list[Any]:
    with pytest.raises(RequestError) as refused:
        check(doc, "POST", "/forms", body=body, content_type=content_type)
    assert refused.value.status == 422
    return refused.value.errors


def test_unexploded_arrays_split_on_their_style_delimiter(forms: OpenAPIDocument) -> None:
    assert _form(forms, "ids=1,2,3&piped=4|5&spaced=a%20b") == {
        "ids": [1, 2, 3],
        "piped": [4, 5],
        "spaced": ["a", "b"],
    }


def test_an_exploded_array_is_one_item_per_field(forms: OpenAPIDocument) -> None:
    assert _form(forms, "exploded=1&exploded=2") == {"exploded": [1, 2]}
    # Form style explodes by default: a comma is part of the one item, not a delimiter.
    assert _errors(forms, b"exploded=1,2", FORM) == [
        {
            "location": "body.exploded[0]",
            "message": "'1,2' is not of type 'integer'",
            "keyword": "type",
        }
    ]


def test_a_json_encoded_field_is_parsed(forms: OpenAPIDocument) -> None:
    assert _form(forms, 'meta={"a":%201}&count=7') == {"meta": {"a": 1}, "count": 7}
    assert _errors(forms, b"meta=not+json", FORM) == [
        {
            "location": "body.meta",
            "message": "'not json' is not of type 'object'",
            "keyword": "type",
        }
    ]


def test_undeclared_fields_keep_their_text(forms: OpenAPIDocument) -> None:
    assert _form(forms, "other=5") == {"other": "5"}
    assert _form(forms, "other=5&other=x") == {"other": ["5", "x"]}
    assert _form(forms, "free=5&free=x") == {"free": "x"}


def _part(name: str | None, value: bytes, headers: str = "") -> bytes:
    disposition = "form-data" + (f'; name="{name}"' if name is not None else "")
    head = f"--B\r\nContent-Disposition: {disposition}\r\n{headers}\r\n"
    return head.encode() + value + b"\r\n"


def test_a_multipart_part_without_a_name_is_skipped(forms: OpenAPIDocument) -> None:
    body = _part(None, b"lost") + _part("count", b"3") + _part("ids", b"1,2") + b"--B--\r\n"
    checked = check(
        forms, "POST", "/forms", body=body, content_type="multipart/form-data; boundary=B"
    )
    assert checked.body == {"count": 3, "ids": [1, 2]}


def test_a_multipart_body_with_defects_is_refused(forms: OpenAPIDocument) -> None:
    message = "not valid multipart/form-data: malformed multipart body (check the boundary)"
    expected = [{"location": "body", "message": message, "keyword": "parse"}]
    unclosed = _part("count", b"3")
    assert _errors(forms, unclosed, "multipart/form-data; boundary=B") == expected
    # A boundary Latin-1 cannot write (a Lambda event's header is any text) is no crash.
    whole = _part("count", b"3") + b"--B--\r\n"
    assert _errors(forms, whole, "multipart/form-data; boundary=\u20ac") == expected
