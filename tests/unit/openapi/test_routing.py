from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockmind.domain.errors import MethodNotAllowed, RouteNotFound
from mockmind.openapi import OpenAPIDocument, routing
from mockmind.openapi.routing import NoRoute, RouteEntry, Router, server_base_paths


def op_id(doc: OpenAPIDocument, method: str, path: str) -> str | None:
    return doc.match(method, path).operation.operation_id


def test_literal_segment_wins_over_template(petstore: OpenAPIDocument) -> None:
    assert op_id(petstore, "GET", "/pets/mine") == "myPets"
    matched = petstore.match("GET", "/pets/42")
    assert matched.operation.operation_id == "getPet"
    assert matched.path_params == {"petId": "42"}


def test_template_is_tried_when_the_literal_path_lacks_the_method(
    petstore: OpenAPIDocument,
) -> None:
    matched = petstore.match("DELETE", "/pets/mine")
    assert matched.operation.operation_id == "deletePet"
    assert matched.path_params == {"petId": "mine"}


@pytest.mark.parametrize("path", ["/pets/", "/pets//", "/v1/pets/", "/pets?limit=3"])
def test_trailing_slash_and_query_are_tolerated(petstore: OpenAPIDocument, path: str) -> None:
    assert op_id(petstore, "GET", path) == "listPets"


def test_method_is_case_insensitive(petstore: OpenAPIDocument) -> None:
    assert op_id(petstore, "get", "/pets") == "listPets"


def test_mixed_segment_templates(petstore: OpenAPIDocument) -> None:
    matched = petstore.match("GET", "/pets/7/photo.png")
    assert matched.operation.operation_id == "getPhoto"
    assert matched.path_params == {"petId": "7", "format": "png"}


def test_path_values_are_percent_decoded(petstore: OpenAPIDocument) -> None:
    assert petstore.match("DELETE", "/pets/a%20b").path_params == {"petId": "a b"}


@pytest.mark.parametrize(
    "path",
    [
        "/v1/pets",  # https://api.example.com/v1
        "/beta/pets",  # {scheme}://staging.example.com/{basePath} with basePath's default
        "/gamma/pets",  # ... and any other value: basePath has no enum
        "/pets",  # without any base path
    ],
)
def test_document_server_base_paths(petstore: OpenAPIDocument, path: str) -> None:
    assert op_id(petstore, "GET", path) == "listPets"


def test_every_level_of_servers_mounts_the_operation(petstore: OpenAPIDocument) -> None:
    # The path level's server, the document's (which the path level overrides for a client
    # that follows the spec to the letter) and none at all: each is a base path clients use.
    assert op_id(petstore, "GET", "/internal/admin/reports") == "reports"
    assert op_id(petstore, "GET", "/v1/admin/reports") == "reports"
    assert op_id(petstore, "GET", "/admin/reports") == "reports"
    with pytest.raises(RouteNotFound):
        petstore.match("GET", "/internal/v1/admin/reports")


def test_a_server_variable_prefix_is_no_path_parameter(petstore: OpenAPIDocument) -> None:
    matched = petstore.match("GET", "/anything/pets/7")
    assert (matched.operation.operation_id, matched.path_params) == ("getPet", {"petId": "7"})


def test_operation_level_servers_mount_that_operation(petstore: OpenAPIDocument) -> None:
    assert op_id(petstore, "DELETE", "/legacy/pets/3") == "deletePet"
    assert op_id(petstore, "GET", "/v1/pets/3") == "getPet"
    # GET reaches /legacy/pets/3 only as one more value of the document's {basePath}.
    matched = petstore.match("GET", "/legacy/pets/3")
    assert (matched.operation.operation_id, matched.path_params) == ("getPet", {"petId": "3"})
    with pytest.raises(MethodNotAllowed) as exc:
        petstore.match("PATCH", "/legacy/pets/3")
    assert exc.value.headers == {"Allow": "DELETE, GET"}


VARIABLE_SERVERS = {
    "openapi": "3.0.3",
    "info": {"title": "servers", "version": "1"},
    "servers": [{"url": "https://api.test/v1"}],
    "paths": {
        "/a": {
            "servers": [
                {
                    "url": "https://{region}.test/{stage}/api",
                    "variables": {
                        "region": {"default": "eu"},
                        "stage": {"default": "prod", "enum": ["prod", "dev"]},
                    },
                }
            ],
            "get": {"responses": {"200": {"description": "ok"}}},
            "post": {
                "servers": [
                    {
                        "url": "/{tenant}/ops",
                        "variables": {"tenant": {"default": "t1", "enum": ["t1", "t2"]}},
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            },
        }
    },
}


@pytest.mark.parametrize(
    ("method", "path", "found"),
    [
        # The path level's server at each value of its enum, and never outside it.
        ("GET", "/prod/api/a", True),
        ("GET", "/dev/api/a", True),
        ("GET", "/qa/api/a", False),
        # The operation level's, likewise.
        ("POST", "/t1/ops/a", True),
        ("POST", "/t2/ops/a", True),
        ("POST", "/t3/ops/a", False),
        # The levels above, and no base path at all.
        ("POST", "/prod/api/a", True),
        ("GET", "/v1/a", True),
        ("GET", "/a", True),
        ("POST", "/a", True),
    ],
)
def test_path_and_operation_servers_mount_at_each_value_of_their_variables(
    tmp_path: Path, method: str, path: str, found: bool
) -> None:
    document = tmp_path / "servers.json"
    document.write_text(json.dumps(VARIABLE_SERVERS))
    doc = OpenAPIDocument.load(document)
    if found:
        assert doc.match(method, path).operation.pointer == f"#/paths/~1a/{method.lower()}"
    else:
        with pytest.raises(RouteNotFound):
            doc.match(method, path)


def test_unknown_path_is_404(petstore: OpenAPIDocument) -> None:
    with pytest.raises(RouteNotFound) as exc:
        petstore.match("GET", "/owners/1")
    assert exc.value.status == 404
    assert "GET /owners/1" in exc.value.detail


def test_wrong_method_is_405_with_allow(petstore: OpenAPIDocument) -> None:
    with pytest.raises(MethodNotAllowed) as exc:
        petstore.match("PATCH", "/pets/3")
    assert exc.value.status == 405
    assert exc.value.headers == {"Allow": "DELETE, GET"}
    with pytest.raises(MethodNotAllowed) as exc:
        petstore.match("PUT", "/pets")
    assert exc.value.headers == {"Allow": "GET, POST"}


_SHOP = [
    RouteEntry("/orders", "GET"),
    RouteEntry("/orders", "POST"),
    RouteEntry("/orders/{orderId}", "GET"),
    RouteEntry("/orders/{orderId}/pay", "POST"),
    RouteEntry("/files/{name}.{ext}", "GET"),
]


@pytest.mark.parametrize(
    ("method", "path", "template", "params"),
    [
        # An encoded ? is part of the id, not the start of a query: never the list.
        ("GET", "/orders/%3Fabc", "/orders/{orderId}", {"orderId": "?abc"}),
        ("POST", "/orders/%3Fabc/pay", "/orders/{orderId}/pay", {"orderId": "?abc"}),
        # An encoded / is part of the id, not a separator: never a longer route.
        ("GET", "/orders/a%2Fb", "/orders/{orderId}", {"orderId": "a/b"}),
        ("POST", "/orders/a%2Fb/pay", "/orders/{orderId}/pay", {"orderId": "a/b"}),
        ("GET", "/orders/%23x", "/orders/{orderId}", {"orderId": "#x"}),
        # Each value is decoded once.
        ("GET", "/orders/%2541", "/orders/{orderId}", {"orderId": "%41"}),
        ("GET", "/files/my%20cv.txt", "/files/{name}.{ext}", {"name": "my cv", "ext": "txt"}),
        ("GET", "/files/a%2Fb.txt", "/files/{name}.{ext}", {"name": "a/b", "ext": "txt"}),
        # Literal segments match decoded.
        ("GET", "/or%64ers", "/orders", {}),
    ],
)
def test_segments_are_decoded_after_the_split(
    method: str, path: str, template: str, params: dict[str, str]
) -> None:
    matched = Router(_SHOP).match(method, path)
    assert (matched.template, matched.path_params) == (template, params)


@pytest.mark.parametrize("path", ["/orders%2F42", "/orders%3F", "/%2Forders"])
def test_an_encoded_separator_never_reaches_a_shorter_route(path: str) -> None:
    with pytest.raises(NoRoute) as exc:
        Router(_SHOP).match("GET", path)
    assert exc.value.allowed == ()


def test_an_undocumented_method_on_a_known_path_is_405_with_the_documents_methods() -> None:
    router = Router(_SHOP)
    for method in ("TRACE", "DELETE", "FOO"):
        with pytest.raises(NoRoute) as exc:
            router.match(method, "/orders")
        assert exc.value.allowed == ("GET", "POST")
    with pytest.raises(NoRoute) as exc:
        router.match("TRACE", "/orders/%3Fabc")
    assert exc.value.allowed == ("GET",)


def test_the_document_answers_trace_with_405_and_allow(petstore: OpenAPIDocument) -> None:
    with pytest.raises(MethodNotAllowed) as exc:
        petstore.match("TRACE", "/pets")
    assert exc.value.status == 405
    assert exc.value.headers == {"Allow": "GET, POST"}


def test_root_path() -> None:
    router = Router([RouteEntry("/", "GET")])
    assert router.match("GET", "/").template == "/"
    assert router.match("GET", "").template == "/"


def test_declared_path_keeps_precedence_over_a_prefixed_copy() -> None:
    router = Router(
        [
            RouteEntry("/pets", "GET", ("/v1",)),
            RouteEntry("/v1/pets", "GET"),
        ]
    )
    assert router.match("GET", "/v1/pets").template == "/v1/pets"
    assert router.match("GET", "/pets").template == "/pets"


def test_same_shape_templates_keep_their_own_names() -> None:
    router = Router([RouteEntry("/a/{x}", "GET"), RouteEntry("/a/{y}", "POST")])
    assert router.match("GET", "/a/1").path_params == {"x": "1"}
    assert router.match("POST", "/a/1").path_params == {"y": "1"}


def test_backtracking_through_templates() -> None:
    router = Router(
        [
            RouteEntry("/a/b/c", "GET"),
            RouteEntry("/a/{x}/d", "GET"),
            RouteEntry("/{p}/{q}/{r}", "GET"),
        ]
    )
    assert router.match("GET", "/a/b/d").template == "/a/{x}/d"
    assert router.match("GET", "/a/b/c").template == "/a/b/c"
    assert router.match("GET", "/z/b/c").path_params == {"p": "z", "q": "b", "r": "c"}
    with pytest.raises(NoRoute) as exc:
        router.match("GET", "/a/b")
    assert exc.value.allowed == ()


@pytest.mark.parametrize(
    ("servers", "expected"),
    [
        (None, ()),
        ([{"url": "/"}], ("/",)),
        ([{"url": "http://127.0.0.1:3000"}], ("/",)),
        ([{"url": "https://x.com/api/v1/"}], ("/api/v1",)),
        ([{"url": "/relative/base"}], ("/relative/base",)),
        (
            [
                {
                    "url": "https://x.com/{version}",
                    "variables": {"version": {"default": "v2", "enum": ["v1", "v2"]}},
                }
            ],
            ("/v2", "/v1"),
        ),
        ([{"url": "https://{host}/api"}], ("/api",)),
        # Without an enum, a variable is any value; so is one the server does not declare.
        (
            [{"url": "https://{host}/{base}/v{major}", "variables": {"base": {"default": "x"}}}],
            ("/{base}/v{major}",),
        ),
        (
            [{"url": "/{tenant}", "variables": {"tenant": {"default": "a", "enum": []}}}],
            ("/{tenant}",),
        ),
        ([{"nourl": 1}, "junk"], ()),
    ],
)
def test_server_base_paths(servers: object, expected: tuple[str, ...]) -> None:
    assert server_base_paths(servers) == expected


def test_a_remembered_match_hands_out_its_own_params() -> None:
    router = Router([RouteEntry("/pets/{petId}", "GET")])
    first = router.match("GET", "/pets/7")
    first.path_params["petId"] = "changed by a caller"
    again = router.match("GET", "/pets/7")
    assert again.template == "/pets/{petId}"
    assert again.path_params == {"petId": "7"}


def test_remembered_matches_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routing, "_MATCH_MEMO_SIZE", 8)
    router = Router([RouteEntry("/pets/{petId}", "GET")])
    for n in range(100):
        assert router.match("GET", f"/pets/{n}").path_params == {"petId": str(n)}
    assert len(router._matched) == 8
    assert router.match("GET", "/pets/3").path_params == {"petId": "3"}


def test_an_unmatched_path_is_not_remembered_as_a_match() -> None:
    router = Router([RouteEntry("/pets", "GET")])
    for _ in range(2):
        with pytest.raises(NoRoute) as caught:
            router.match("POST", "/pets")
        assert caught.value.allowed == ("GET",)


def test_a_template_with_a_query_suffix_is_chosen_by_the_query() -> None:
    # azure-datalake-store: `/webhdfs/v1/{path}#op=OPEN` beside `/webhdfs/v1/{path}`.
    router = Router(
        [
            RouteEntry("/files/{path}", "GET"),
            RouteEntry("/files/{path}#op=OPEN", "GET"),
            RouteEntry("/files/{path}?op=LIST", "GET"),
            RouteEntry("/files/{path}#op=CREATE", "PUT"),
        ]
    )
    opened = router.match("GET", "/files/a", {"op": ["OPEN"], "length": ["1"]})
    assert (opened.template, opened.path_params) == ("/files/{path}#op=OPEN", {"path": "a"})
    assert router.match("GET", "/files/a?op=LIST").template == "/files/{path}?op=LIST"
    assert router.match("GET", "/files/a", {"op": ["OTHER"]}).template == "/files/{path}"
    # The only PUT is a variant: it answers whatever the query.
    assert router.match("PUT", "/files/a", {}).template == "/files/{path}#op=CREATE"
    with pytest.raises(NoRoute) as refused:
        router.match("DELETE", "/files/a", {})
    assert refused.value.allowed == ("GET", "PUT")


def test_a_template_without_a_query_suffix_is_kept_whole() -> None:
    assert routing.split_query_suffix("/a/{b}") == ("/a/{b}", ())
    assert routing.split_query_suffix("/a/{b}#op=X&y=1") == ("/a/{b}", (("op", "X"), ("y", "1")))
    assert routing.split_query_suffix("/a/#") == ("/a/#", ())
