"""Runtime expressions, on the OpenAPI specification's own example exchange."""

from __future__ import annotations

import pytest

from mockmind.domain.callbacks.runtime_expressions import (
    ExchangeFacts,
    ExpressionError,
    evaluate,
    expand,
    request_url,
)

# "Examples" of the Callback Object (OpenAPI 3.0.3 and 3.1.0): the request
# POST /subscribe/myevent?queryUrl=http://clientdomain.com/stillrunning, its JSON body, and a
# 201 answer with a Location header.
SPEC_BODY = {
    "failedUrl": "http://clientdomain.com/failed",
    "successUrls": [
        "http://clientdomain.com/fast",
        "http://clientdomain.com/medium",
        "http://clientdomain.com/slow",
    ],
}
QUERY = {"queryUrl": ["http://clientdomain.com/stillrunning"]}
SPEC = ExchangeFacts(
    url=request_url("example.org", "/subscribe/myevent", QUERY),
    method="POST",
    status_code=201,
    path_params={"eventType": "myevent"},
    query=QUERY,
    request_headers={"content-type": "application/json", "host": "example.org"},
    request_body=SPEC_BODY,
    response_headers={"location": "http://example.org/subscription/1"},
    response_body={"id": 1, "tags": {"a/b": "slash", "m~n": "tilde"}},
)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        (
            "$url",
            "http://example.org/subscribe/myevent?queryUrl=http://clientdomain.com/stillrunning",
        ),
        ("$method", "POST"),
        ("$request.path.eventType", "myevent"),
        ("$request.query.queryUrl", "http://clientdomain.com/stillrunning"),
        ("$request.header.content-Type", "application/json"),
        ("$request.body#/failedUrl", "http://clientdomain.com/failed"),
        # The specification's table says "medium" here, but RFC 6901 counts from 0.
        ("$request.body#/successUrls/2", "http://clientdomain.com/slow"),
        ("$request.body#/successUrls/1", "http://clientdomain.com/medium"),
        ("$response.header.Location", "http://example.org/subscription/1"),
        ("$statusCode", 201),
        ("$response.body#/id", 1),
        ("$response.body#/tags/a~1b", "slash"),
        ("$response.body#/tags/m~0n", "tilde"),
        ("$request.body", SPEC_BODY),
    ],
)
def test_the_specifications_examples(expression: str, value: object) -> None:
    assert evaluate(expression, SPEC) == value


@pytest.mark.parametrize(
    ("template", "url"),
    [
        ("{$request.query.queryUrl}", "http://clientdomain.com/stillrunning"),
        ("{$request.body#/failedUrl}", "http://clientdomain.com/failed"),
        ("$request.body#/failedUrl", "http://clientdomain.com/failed"),
        (
            "http://notificationServer.com?transactionId={$response.body#/id}&email={$method}",
            "http://notificationServer.com?transactionId=1&email=POST",
        ),
        ("{$request.query.queryUrl}/data", "http://clientdomain.com/stillrunning/data"),
        ("{ $request.path.eventType }/x", "myevent/x"),
        ("http://fixed.example/hook", "http://fixed.example/hook"),
    ],
)
def test_templates_embed_expressions_in_braces(template: str, url: str) -> None:
    assert expand(template, SPEC) == url


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "$request.query.missing",
            "$request.query.missing: the request has no query parameter 'missing'",
        ),
        ("$request.path.other", "$request.path.other: the request has no path parameter 'other'"),
        ("$request.header.X-Nope", "$request.header.X-Nope: the request has no header 'X-Nope'"),
        (
            "$request.body#/successUrls/3",
            "$request.body#/successUrls/3: index 3 is past the end of a list of 3",
        ),
        ("$request.body#/nothing", "$request.body#/nothing: the body has nothing at 'nothing'"),
        ("$request.body#failedUrl", "$request.body#failedUrl: a JSON pointer starts with '/'"),
        (
            "$response.query.x",
            "'$response.query.x': expected header.<name>, query.<name>, path.<name> "
            "or body#<pointer> after $response.",
        ),
        (
            "$host",
            "'$host' is not a runtime expression "
            "($url, $method, $statusCode, $request.… or $response.…)",
        ),
    ],
)
def test_an_expression_naming_nothing_is_an_error_that_says_so(
    expression: str, message: str
) -> None:
    with pytest.raises(ExpressionError) as raised:
        evaluate(expression, SPEC)
    assert str(raised.value) == message


def test_a_body_reference_without_a_body_is_an_error() -> None:
    bare = ExchangeFacts(url="http://h/", method="GET")
    with pytest.raises(ExpressionError, match=r"^\$request.body#/x: the request has no JSON body$"):
        evaluate("$request.body#/x", bare)


def test_a_leading_zero_is_no_array_index() -> None:
    with pytest.raises(ExpressionError, match="nothing at '01'"):
        evaluate("$request.body#/successUrls/01", SPEC)


def test_the_request_url_keeps_every_query_value_and_defaults_its_host() -> None:
    assert request_url(None, "/p", {"a": ["1", "2"], "b": ["x y"]}, "https") == (
        "https://localhost/p?a=1&a=2&b=x+y"
    )
