"""Requests and upstream answers checked against a document: each mismatch, exactly."""

from __future__ import annotations

import pytest

from mockmind.domain.http import MockRequest
from mockmind.openapi.document import OpenAPIDocument
from mockmind.proxy.drift import DriftCheck, Mismatch
from tests.support.paths import FIXTURES

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def drift() -> DriftCheck:
    return DriftCheck(OpenAPIDocument.load(FIXTURES / "proxy" / "pets.yaml"))


def test_a_request_that_fits_reaches_its_operation(drift: DriftCheck) -> None:
    checked = drift.request(MockRequest("GET", "/pets/7", {"fields": ["all"]}))
    assert checked.mismatches == ()
    assert checked.operation is not None
    assert (checked.operation.method, checked.operation.path_template) == ("GET", "/pets/{petId}")


def test_request_mismatches(drift: DriftCheck) -> None:
    assert drift.request(MockRequest("GET", "/owners")).mismatches == (
        Mismatch("request", "path", "no operation matches GET /owners"),
    )
    assert drift.request(MockRequest("PUT", "/pets/1")).mismatches == (
        Mismatch("request", "method", "PUT is not defined for /pets/1 (it has DELETE, GET)"),
    )
    wrong = drift.request(MockRequest("GET", "/pets/rex", {"fields": ["everything"]}))
    assert wrong.mismatches == (
        Mismatch("request", "path.petId", "'rex' is not of type 'integer'"),
        Mismatch("request", "query.fields", "'everything' is not one of ['all', 'short']"),
    )
    body = drift.request(MockRequest("POST", "/pets", headers=JSON, body=b'{"tag": 3}'))
    assert body.mismatches == (
        Mismatch("request", "body.name", "'name' is a required property"),
        Mismatch("request", "body.tag", "3 is not of type 'string'"),
    )
    typed = drift.request(
        MockRequest("POST", "/pets", headers={"content-type": "text/plain"}, body=b"rex")
    )
    assert typed.mismatches == (
        Mismatch(
            "request",
            "header.content-type",
            "text/plain is not accepted here; send one of: application/json",
        ),
    )


def test_a_body_too_long_to_keep_is_not_checked(drift: DriftCheck) -> None:
    cut = MockRequest("POST", "/pets", headers=JSON, body=b'{"name": "re')
    assert drift.request(cut, body_known=False).mismatches == ()


def _operation(drift: DriftCheck, method: str, path: str):  # type: ignore[no-untyped-def]
    operation = drift.request(MockRequest(method, path)).operation
    assert operation is not None
    return operation


def test_answers_that_fit(drift: DriftCheck) -> None:
    get = _operation(drift, "GET", "/pets/1")
    assert drift.response(get, "GET", 200, JSON, b'{"id": 1, "name": "Rex"}') == ()
    problem = {"content-type": "application/problem+json"}
    assert drift.response(get, "GET", 404, problem, b"{}") == ()
    assert drift.response(get, "HEAD", 200, JSON, b"") == ()
    assert drift.response(_operation(drift, "DELETE", "/pets/1"), "DELETE", 204, {}, b"") == ()


def test_answer_mismatches(drift: DriftCheck) -> None:
    get = _operation(drift, "GET", "/pets/1")
    assert drift.response(get, "GET", 200, JSON, b'{"id": "1", "name": 7}') == (
        Mismatch("response", "body.name", "7 is not of type 'string'"),
        Mismatch("response", "body.id", "'1' is not of type 'integer'"),
    )
    assert drift.response(get, "GET", 418, JSON, b"{}") == (
        Mismatch(
            "response", "status", "418 is not documented for GET /pets/{petId} (it has 200, 404)"
        ),
    )
    assert drift.response(get, "GET", 200, {"content-type": "text/html"}, b"<p>") == (
        Mismatch(
            "response",
            "header.content-type",
            "text/html is not documented; the document gives application/json",
        ),
    )
    assert drift.response(get, "GET", 200, JSON, b"{not json") == (
        Mismatch(
            "response",
            "body",
            "not readable JSON: Expecting property name enclosed in double "
            "quotes: line 1 column 2 (char 1)",
        ),
    )
    assert drift.response(get, "GET", 200, JSON, b'{"name": "Rex"}') == (
        Mismatch("response", "body.id", "'id' is a required property"),
    )
    # Too long to keep: the status and headers are still checked, the body is not.
    assert drift.response(get, "GET", 200, JSON, None) == ()
    post = _operation(drift, "POST", "/pets")
    assert drift.response(post, "POST", 201, JSON, b'{"id": 2, "name": "Rex"}') == (
        Mismatch("response", "header.location", "required header is missing"),
    )
    delete = _operation(drift, "DELETE", "/pets/1")
    assert drift.response(delete, "DELETE", 200, JSON, b"{}") == (
        Mismatch(
            "response",
            "status",
            "200 is not documented for DELETE /pets/{petId} (it has 204)",
        ),
    )


def test_an_answer_not_read_is_still_checked_by_its_head(drift: DriftCheck) -> None:
    get = _operation(drift, "GET", "/pets/1")
    html = {"content-type": "text/html"}
    assert drift.response(get, "GET", 200, html, None) == (
        Mismatch(
            "response",
            "header.content-type",
            "text/html is not documented; the document gives application/json",
        ),
    )
    delete = _operation(drift, "DELETE", "/pets/1")
    assert drift.response(delete, "DELETE", 204, {"content-length": "0"}, None) == ()
    assert drift.response(get, "GET", 200, {"content-length": "0"}, None) == ()
    assert drift.response(get, "GET", 200, {"content-length": "12"}, None) == (
        Mismatch(
            "response",
            "header.content-type",
            "no Content-Type is not documented; the document gives application/json",
        ),
    )
