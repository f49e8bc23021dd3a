"""Scalar parameter errors are remembered; callers still get their own, fresh error dicts."""

from __future__ import annotations

import pytest

from mockmind.domain.client_input import DEFAULT_LIMITS
from mockmind.domain.errors import RequestValidationFailed
from mockmind.domain.http import MockRequest
from mockmind.openapi import OpenAPIDocument, validate_request
from mockmind.openapi.requests import _validated
from tests.support.paths import EXAMPLES, FIXTURES


def _errors(doc: OpenAPIDocument, limit: str) -> list[dict[str, object]]:
    request = MockRequest("GET", "/products", query={"limit": [limit]})
    with pytest.raises(RequestValidationFailed) as info:
        validate_request(doc.match("GET", "/products"), request)
    return info.value.errors


def test_the_same_bad_value_gives_the_same_errors_each_time() -> None:
    doc = OpenAPIDocument.load(EXAMPLES / "shop" / "openapi.yaml")
    first = _errors(doc, "0")
    first[0]["message"] = "tampered by a caller"
    second = _errors(doc, "0")
    assert second[0]["message"] != "tampered by a caller"
    assert second[0]["location"] == "query.limit"
    assert _errors(doc, "101")[0]["keyword"] == "maximum"
    ok = MockRequest("GET", "/products", query={"limit": ["10"]})
    assert validate_request(doc.match("GET", "/products"), ok).query["limit"] == 10


def test_a_request_gets_its_own_checked_parameters() -> None:
    # Checked parameters of a bodiless request are remembered: what one request does to its
    # values must not reach the next one asking the same way.
    doc = OpenAPIDocument.load(FIXTURES / "openapi" / "petstore-3.0.yaml")
    request = MockRequest("GET", "/pets", query={"ids": ["1,2"], "limit": ["5"]})
    route = doc.match("GET", "/pets")
    first = validate_request(route, request)
    first.query["limit"] = 99
    first.query["ids"].append(3)
    second = validate_request(route, request)
    assert second.query == {"ids": [1, 2], "limit": 5}
    other = MockRequest("GET", "/pets", query={"ids": ["1,2"], "limit": ["6"]})
    assert validate_request(route, other).query["limit"] == 6


def test_declared_header_and_cookie_parameters_are_checked_each_time() -> None:
    doc = OpenAPIDocument.load(FIXTURES / "openapi" / "petstore-3.0.yaml")
    route = doc.match("GET", "/pets")

    def checked(headers: dict[str, str], cookies: dict[str, str]) -> object:
        request = MockRequest(
            "GET", "/pets", query={"limit": ["5"]}, headers=headers, cookies=cookies
        )
        try:
            return validate_request(route, request).headers.get("X-Flags")
        except RequestValidationFailed as exc:
            return [error["location"] for error in exc.errors]

    assert checked({"x-flags": "1,2"}, {"session": "abcd"}) == [1, 2]
    assert checked({"x-flags": "1,x"}, {"session": "abcd"}) == ["header.x-flags[1]"]
    assert checked({"x-flags": "3"}, {"session": "abcd"}) == [3]
    assert checked({"x-flags": "3"}, {"session": "ab"}) == ["cookie.session"]
    assert checked({"x-flags": "1,2"}, {"session": "abcd"}) == [1, 2]


def test_an_operation_without_parameters_passes_its_query_on_as_checking_it_does() -> None:
    # GET /admin/stats declares no parameter and no body: the query is handed on without the
    # walk, and what is handed on is what the walk makes (a body still takes the walk).
    doc = OpenAPIDocument.load(EXAMPLES / "shop" / "openapi.yaml")
    route = doc.match("GET", "/admin/stats")
    request = MockRequest("GET", "/admin/stats", query={"n": ["7"], "tag": ["a", "b"], "none": []})
    checked = validate_request(route, request)
    walked = _validated(route, request, DEFAULT_LIMITS)
    assert checked == walked
    assert checked.query == {"n": "7", "tag": ["a", "b"]}
    checked.query["n"] = "changed"
    assert validate_request(route, request).query["n"] == "7"
