"""Document defects the conformance harness reads itself: response schemas no finite value
satisfies (bottomless.py) and links schemathesis refuses (links.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from bench.conformance.bottomless import (
    bottomless_responses,
    documented_key,
    schema_is_finite,
)
from bench.conformance.classify import BOTTOMLESS, Answer, Failure, classify
from bench.conformance.links import without_broken_links
from bench.conformance.run import LEFT_OUT, Outcome, _bottomless, _verdict

CORPUS = Path(__file__).parents[2] / "fixtures" / "openapi" / "corpus"


def _document(schemas: dict[str, Any]) -> dict[str, Any]:
    return {"openapi": "3.0.3", "paths": {}, "components": {"schemas": schemas}}


def _node(parent: dict[str, Any], *, required: tuple[str, ...] = ("parent",)) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": {"parent": parent}}


NODE = {"$ref": "#/components/schemas/Node"}


def test_only_the_tree_whose_required_parent_never_ends_is_bottomless_in_the_corpus_document() -> (
    None
):
    document = json.loads((CORPUS / "circular-request-bodies-3.0.json").read_text())
    # TreeNode requires `parent: TreeNode`; Person -> Company -> Person, LinkedNode's prev/next
    # and Expression's oneOf all end (optional properties, a string branch).
    assert bottomless_responses(document) == {("POST", "/direct"): frozenset({"200"})}


@pytest.mark.parametrize(
    ("node", "finite"),
    [
        (_node(NODE), False),
        # Something ends the recursion: the property optional, a null, a base branch.
        (_node(NODE, required=()), True),
        (_node({"allOf": [NODE], "nullable": True}), True),
        (_node({"oneOf": [NODE, {"type": "string"}]}), True),
        (_node({"anyOf": [NODE, {"type": "null"}]}), True),
        ({**_node(NODE), "type": ["object", "null"]}, True),
        (_node({"type": "array", "items": NODE}), True),
        (_node(NODE, required=("other",)), True),
        # The recursion through every branch, or through an array that needs an item.
        (_node({"oneOf": [NODE, {"allOf": [NODE]}]}), False),
        (_node({"type": "array", "items": NODE, "minItems": 1}), False),
        (_node({"allOf": [{"type": "object"}, NODE]}), False),
        # No type: a string satisfies it, whatever `required` says of objects.
        ({"required": ["parent"], "properties": {"parent": NODE}}, True),
    ],
)
def test_a_schema_is_bottomless_only_when_every_value_would_be_infinite(
    node: dict[str, Any], finite: bool
) -> None:
    document = _document({"Node": node})
    assert schema_is_finite(NODE, document) is finite


def test_a_mutual_recursion_with_no_way_out_is_bottomless_and_one_way_out_ends_it() -> None:
    a = {"$ref": "#/components/schemas/A"}
    b = {"$ref": "#/components/schemas/B"}
    closed = _document({"A": _node(b), "B": _node(a)})
    assert (schema_is_finite(a, closed), schema_is_finite(b, closed)) == (False, False)
    opened = _document({"A": _node(b), "B": _node(a, required=())})
    assert (schema_is_finite(a, opened), schema_is_finite(b, opened)) == (True, True)


def test_bottomless_responses_read_media_types_referenced_responses_and_swagger_2() -> None:
    document = _document({"Node": _node(NODE)})
    document["components"]["responses"] = {
        "Tree": {"description": "t", "content": {"application/json": {"schema": NODE}}}
    }
    document["paths"] = {
        "/t": {
            "get": {
                "responses": {
                    "200": {"$ref": "#/components/responses/Tree"},
                    # One media type a finite value satisfies: the server can answer that one.
                    "201": {
                        "description": "c",
                        "content": {
                            "application/json": {"schema": NODE},
                            "text/plain": {"schema": {"type": "string"}},
                        },
                    },
                    "default": {"description": "d", "content": {"*/*": {"schema": NODE}}},
                    "204": {"description": "none"},
                }
            },
            "parameters": [],
        }
    }
    assert bottomless_responses(document) == {("GET", "/t"): frozenset({"200", "default"})}
    node = {"$ref": "#/definitions/Node"}
    swagger = {
        "swagger": "2.0",
        "definitions": {"Node": _node(node)},
        "paths": {"/t": {"get": {"responses": {"200": {"schema": node}}}}},
    }
    assert bottomless_responses(swagger) == {("GET", "/t"): frozenset({"200"})}


@pytest.mark.parametrize(
    ("status", "documented", "expected"),
    [
        (200, ("200", "2XX", "default"), "200"),
        (201, ("200", "2XX", "default"), "2XX"),
        (404, ("200", "2xx", "default"), "default"),
        (404, ("200",), None),
    ],
)
def test_an_answer_falls_under_its_code_then_its_range_then_default(
    status: int, documented: tuple[str, ...], expected: str | None
) -> None:
    assert documented_key(status, documented) == expected


def test_only_an_answer_under_a_bottomless_response_is_excused() -> None:
    bottomless = {("POST", "/t"): frozenset({"2XX"})}
    case = {"value": {"method": "POST", "path": "/t"}}
    documented = ("200", "2XX")
    # 200 has its own (finite) response; 201 falls under the bottomless range.
    assert _bottomless(case, Answer(200, {}, "{}"), bottomless, documented) is False
    assert _bottomless(case, Answer(201, {}, "{}"), bottomless, documented) is True
    other = {"value": {"method": "GET", "path": "/t"}}
    assert _bottomless(other, Answer(201, {}, "{}"), bottomless, documented) is False


def test_a_schema_failure_under_a_bottomless_response_is_x_and_alone_leaves_a_pass() -> None:
    answer = Answer(200, {"x-mockmind-source": "offline"}, '{"parent": null}')
    message = 'null is not of type "object"'
    failure = Failure("response_schema_conformance", "", "", message, "POST /direct", answer)
    assert classify(failure) == ("5", 'null is not of type "object"')
    excused = Failure(
        "response_schema_conformance", "", "", message, "POST /direct", answer, bottomless=True
    )
    assert classify(excused) == ("X", BOTTOMLESS)
    outcome = Outcome("circular-request-bodies-3.0", "mockmind", "error")
    outcome.add("X", BOTTOMLESS, None)
    outcome.add("X", BOTTOMLESS, None)
    _verdict(outcome, 1, "")
    assert (outcome.verdict, outcome.note) == (
        "pass",
        "2 answer(s) under a response schema no finite value satisfies",
    )


def _linked(links: dict[str, Any], **components: Any) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "paths": {
            "/podcasts": {
                "parameters": [{"$ref": "#/components/parameters/Page"}],
                "post": {
                    "operationId": "batch",
                    "parameters": [{"name": "sort", "in": "query"}],
                    "responses": {"200": {"description": "ok", "links": links}},
                },
            },
            "/podcasts/{id}": {
                "get": {
                    "operationId": "one",
                    "parameters": [{"name": "id", "in": "path", "required": True}],
                    "responses": {"200": {"$ref": "#/components/responses/One"}},
                }
            },
        },
        "components": {
            "parameters": {"Page": {"name": "page", "in": "query"}},
            "responses": {"One": {"description": "one", "links": {"self": {"operationId": "one"}}}},
            **components,
        },
    }


def test_links_schemathesis_refuses_are_left_out_of_a_copy_and_the_document_stays_whole() -> None:
    links = {
        # A form field named as a parameter (listennotes, peertube).
        "paginate": {"operationId": "batch", "parameters": {"next_date": "$response.body#/d"}},
        "page": {"operationId": "batch", "parameters": {"page": "$response.body#/next"}},
        "located": {"operationId": "one", "parameters": {"path.id": "$response.body#/id"}},
        "nowhere": {"operationId": "missing"},
        "source": {"operationId": "one", "parameters": {"id": "$request.query.absent"}},
        "sorted": {"operationId": "one", "parameters": {"id": "{$request.query.sort}"}},
        "by_ref": {"operationRef": "#/paths/~1podcasts~1{id}/get"},
    }
    document = _linked(links)
    before = copy.deepcopy(document)
    tested, dropped = without_broken_links(document)
    assert document == before
    assert dropped == [
        "POST /podcasts 200 paginate -> batch: no parameter next_date",
        "POST /podcasts 200 nowhere -> missing: no such operation",
        "POST /podcasts 200 source -> one: the source has no query parameter absent",
    ]
    kept = tested["paths"]["/podcasts"]["post"]["responses"]["200"]["links"]
    assert list(kept) == ["page", "located", "sorted", "by_ref"]
    assert tested["paths"]["/podcasts/{id}"] is document["paths"]["/podcasts/{id}"]


def test_a_document_whose_links_all_hold_is_given_to_schemathesis_as_it_is() -> None:
    document = _linked({"page": {"operationId": "batch", "parameters": {"page": "$url"}}})
    tested, dropped = without_broken_links(document)
    assert (tested is document, dropped) == (True, [])


def test_a_shared_response_with_a_broken_link_is_copied_inline_and_the_shared_one_kept() -> None:
    broken = {"description": "one", "links": {"bad": {"operationId": "gone"}}}
    document = _linked({}, responses={"One": broken})
    tested, dropped = without_broken_links(document)
    assert dropped == ["GET /podcasts/{id} 200 bad -> gone: no such operation"]
    assert tested["paths"]["/podcasts/{id}"]["get"]["responses"]["200"] == {
        "description": "one",
        "links": {},
    }
    assert document["components"]["responses"]["One"]["links"] == {"bad": {"operationId": "gone"}}


def test_a_cell_says_how_many_links_were_left_out_whatever_the_verdict() -> None:
    passed = Outcome("listennotes", "mockmind", "pass", left_out=["POST /podcasts 200 x -> y"])
    assert passed.summary() == f"pass (1 {LEFT_OUT})"
    failed = Outcome("peertube", "mockmind", "fail", left_out=["a", "b"])
    failed.add("5", "'id' is a required property", None)
    assert failed.summary() == f"**fail**: 5: 'id' is a required property; 2 {LEFT_OUT}"
