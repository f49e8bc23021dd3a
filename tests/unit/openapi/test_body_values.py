"""Form, multipart and text bodies field by field (openapi/requests.py: _body, _field,
_multipart), each expected value written by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mockmind.domain.errors import UnreadableInput
from mockmind.openapi import OpenAPIDocument

from .conftest import check

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=B"


def _post(content: dict[str, Any]) -> dict[str, Any]:
    return {
        "post": {
            "requestBody": {"content": content},
            "responses": {"204": {"description": "ok"}},
        }
    }


FIELDS = {
    "type": "object",
    "properties": {
        "ids": {"type": "array", "items": {"type": "integer"}},
        "meta": {},
        "tags": {"type": "array", "items": {}},
        "obj": {"type": "object", "properties": {"n": {"type": ["integer", "string"]}}},
        "note": {"type": "string"},
    },
}
ENCODING = {
    "ids": {"style": "spaceDelimited"},
    "meta": {"contentType": "application/json"},
    "tags": {"style": "pipeDelimited", "explode": False},
}

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "bodies", "version": "1"},
    "paths": {
        "/bare": _post({FORM: {}}),
        "/form": _post({FORM: {"schema": FIELDS, "encoding": ENCODING}}),
        "/multi": _post({"multipart/form-data": {"schema": FIELDS, "encoding": ENCODING}}),
        "/text": _post({"text/plain": {"schema": {"type": "string"}}}),
        "/json": _post({"application/json": {"schema": {}}}),
    },
}


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> OpenAPIDocument:
    path = Path(tmp_path_factory.mktemp("bodies")) / "bodies.json"
    path.write_text(json.dumps(SPEC))
    return OpenAPIDocument.load(path)


def part(name: str, data: bytes, content_type: str | None = None) -> bytes:
    head = f'Content-Disposition: form-data; name="{name}"\r\n'
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n"
    return b"--B\r\n" + head.encode() + b"\r\n" + data + b"\r\n"


def multipart(*parts: bytes) -> bytes:
    return b"".join(parts) + b"--B--\r\n"


def test_a_form_without_a_schema_keeps_its_strings(doc: OpenAPIDocument) -> None:
    assert check(doc, "POST", "/bare", body=b"a=1&b=x", content_type=FORM).body == {
        "a": "1",
        "b": "x",
    }


def test_form_fields_by_their_encoding(doc: OpenAPIDocument) -> None:
    # spaceDelimited without explode: one value split at spaces (explode defaults to false for
    # every style but form); a contentType of JSON: the field is parsed.
    checked = check(doc, "POST", "/form", body=b"ids=1+2&meta=%7B%22a%22%3A1%7D", content_type=FORM)
    assert checked.body == {"ids": [1, 2], "meta": {"a": 1}}


def test_a_form_is_decoded_with_its_charset(doc: OpenAPIDocument) -> None:
    latin = check(
        doc, "POST", "/form", body=b"note=\xe9", content_type=f"{FORM}; charset=iso-8859-1"
    )
    assert latin.body == {"note": "é"}
    # Bytes that are no UTF-8 are replaced, not refused.
    assert check(doc, "POST", "/form", body=b"note=\xff", content_type=FORM).body == {
        "note": "\ufffd"
    }


def test_a_json_field_too_deep_is_refused_where_it_is(doc: OpenAPIDocument) -> None:
    deep = "%5B" * 100 + "%5D" * 100
    with pytest.raises(UnreadableInput) as caught:
        check(doc, "POST", "/form", body=f"meta={deep}".encode(), content_type=FORM)
    assert caught.value.errors[0]["location"] == "body.meta"


def test_multipart_fields_by_their_part_and_encoding(doc: OpenAPIDocument) -> None:
    body = multipart(
        part("meta", b'{"a": 1}'),
        part("tags", b"[1, 2]", "application/json"),
        part("obj", b'{"n": "5"}', "application/json"),
        part("note", b"hi"),
    )
    checked = check(doc, "POST", "/multi", body=body, content_type=MULTIPART)
    # meta: text parsed as its encoding says; tags: a JSON part is one value, not split;
    # obj: a JSON part's strings stay strings.
    assert checked.body == {"meta": {"a": 1}, "tags": [[1, 2]], "obj": {"n": "5"}, "note": "hi"}


def test_a_json_part_without_a_schema_is_parsed(doc: OpenAPIDocument) -> None:
    body = multipart(part("other", b"[1]", "application/json"))
    assert check(doc, "POST", "/multi", body=body, content_type=MULTIPART).body == {"other": [1]}


def test_a_part_that_is_itself_multipart_reads_as_empty(doc: OpenAPIDocument) -> None:
    inner = b'--C\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--C--\r\n'
    body = multipart(part("note", inner, "multipart/mixed; boundary=C"))
    assert check(doc, "POST", "/multi", body=body, content_type=MULTIPART).body == {"note": ""}


@pytest.mark.parametrize(
    ("path", "body", "content_type", "where"),
    [
        ("/text", b"+2AA-", "text/plain; charset=utf-7", "body"),
        ("/json", b'"+2AA-"', "application/json; charset=utf-7", "body"),
        (
            "/multi",
            multipart(part("note", b"+2AA-", "text/plain; charset=utf-7")),
            MULTIPART,
            "body.note",
        ),
        (
            "/multi",
            multipart(part("meta", b'"+2AA-"', "application/json; charset=utf-7")),
            MULTIPART,
            "body.meta",
        ),
    ],
)
def test_a_charset_spelling_a_surrogate_is_refused_where_it_is(
    doc: OpenAPIDocument, path: str, body: bytes, content_type: str, where: str
) -> None:
    with pytest.raises(UnreadableInput) as caught:
        check(doc, "POST", path, body=body, content_type=content_type)
    assert caught.value.errors == [
        {
            "location": where,
            "message": "holds the lone surrogate \\ud800, which is not valid Unicode",
            "keyword": "unicode",
        }
    ]
