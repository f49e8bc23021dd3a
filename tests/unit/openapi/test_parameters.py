from __future__ import annotations

from typing import Any

import pytest

from mockmind.domain.errors import RequestValidationFailed, UnreadableInput
from mockmind.openapi import OpenAPIDocument
from mockmind.openapi.parameters import (
    StyleError,
    split_label,
    split_matrix,
    split_query,
    split_simple,
)

from .conftest import check


def query_of(doc: OpenAPIDocument, **query: list[str]) -> dict[str, Any]:
    return check(doc, "GET", "/pets", query=query).query


def failure(doc: OpenAPIDocument, method: str, path: str, **kwargs: Any) -> list[dict[str, Any]]:
    with pytest.raises(RequestValidationFailed) as exc:
        check(doc, method, path, **kwargs)
    assert exc.value.status == 400
    return exc.value.errors


# -- query ------------------------------------------------------------------------------------


def test_form_exploded_array(petstore: OpenAPIDocument) -> None:
    assert query_of(petstore, tags=["a", "b"])["tags"] == ["a", "b"]


def test_form_array_not_exploded(petstore: OpenAPIDocument) -> None:
    assert query_of(petstore, ids=["1,2,3"])["ids"] == [1, 2, 3]


def test_form_object_not_exploded(petstore: OpenAPIDocument) -> None:
    assert query_of(petstore, coords=["lat,1.5,lng,-2"])["coords"] == {"lat": 1.5, "lng": -2}


def test_space_and_pipe_delimited(petstore: OpenAPIDocument) -> None:
    query = query_of(petstore, colors=["red green"], sizes=["1|2|3"])
    assert query["colors"] == ["red", "green"]
    assert query["sizes"] == [1, 2, 3]


def test_deep_object(petstore: OpenAPIDocument) -> None:
    query = query_of(petstore, **{"filter[kind]": ["cat"], "filter[minAge]": ["2"]})
    assert query["filter"] == {"kind": "cat", "minAge": 2}
    assert "filter[kind]" not in query


def test_scalars_are_coerced(petstore: OpenAPIDocument) -> None:
    query = query_of(petstore, limit=["5"], debug=["false"])
    assert query["limit"] == 5
    assert query["debug"] is False


def test_content_parameter_is_json(petstore: OpenAPIDocument) -> None:
    assert query_of(petstore, where=['{"age": 3}'])["where"] == {"age": 3}


def test_defaults_fill_missing_optional_parameters(petstore: OpenAPIDocument) -> None:
    assert query_of(petstore)["limit"] == 20


def test_undeclared_query_parameters_pass_through(petstore: OpenAPIDocument) -> None:
    query = query_of(petstore, color=["red"], size=["S", "M"])
    assert query["color"] == "red"
    assert query["size"] == ["S", "M"]


def test_query_errors_are_all_listed(petstore: OpenAPIDocument) -> None:
    errors = failure(
        petstore,
        "GET",
        "/pets",
        query={"limit": ["0"], "sizes": ["1|11"], "debug": ["maybe"], "where": ["{"]},
    )
    assert errors == [
        {
            "location": "query.limit",
            "message": "0 is less than the minimum of 1",
            "keyword": "minimum",
        },
        {
            "location": "query.sizes[1]",
            "message": "11 is greater than the maximum of 10",
            "keyword": "maximum",
        },
        {
            "location": "query.debug",
            "message": "'maybe' is not of type 'boolean'",
            "keyword": "type",
        },
        {
            "location": "query.where",
            "message": "not valid JSON: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
            "keyword": "json",
        },
    ]


def test_an_odd_object_list_ends_with_an_empty_value(petstore: OpenAPIDocument) -> None:
    # Ambiguous, so read rather than refused; the schema then says what it thinks of ``lng=''``.
    assert failure(petstore, "GET", "/pets", query={"coords": ["lat,1,lng"]}) == [
        {"location": "query.coords.lng", "message": "'' is not of type 'number'", "keyword": "type"}
    ]


# -- headers and cookies ----------------------------------------------------------------------


def test_headers_are_typed_and_case_insensitive(petstore: OpenAPIDocument) -> None:
    checked = check(
        petstore,
        "GET",
        "/pets",
        headers={"x-request-id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "x-flags": "1, 2"},
    )
    assert checked.headers == {
        "X-Request-Id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "X-Flags": [1, 2],
    }


def test_header_errors_use_lower_case_names(petstore: OpenAPIDocument) -> None:
    errors = failure(petstore, "GET", "/pets", headers={"x-request-id": "nope"})
    assert errors == [
        {
            "location": "header.x-request-id",
            "message": "'nope' is not a 'uuid'",
            "keyword": "format",
        }
    ]


def test_ignored_headers_are_not_required(petstore: OpenAPIDocument) -> None:
    # The spec declares a required Accept header parameter; the rules say to ignore it.
    assert check(petstore, "GET", "/pets").headers == {}


def test_cookies(petstore: OpenAPIDocument) -> None:
    assert check(petstore, "GET", "/pets", cookies={"session": "abc"}).cookies == {"session": "abc"}
    assert failure(petstore, "GET", "/pets", cookies={"session": "a"}) == [
        {"location": "cookie.session", "message": "'a' is too short", "keyword": "minLength"}
    ]


# -- path -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/pets/12", {"petId": 12}),
        ("/labels/.1.2.3", {"ids": [1, 2, 3]}),
        ("/label-point/.x,1,y,2", {"point": {"x": 1, "y": 2}}),
        ("/matrix/;coords=lat,1.5,lng,2", {"coords": {"lat": 1.5, "lng": 2}}),
        ("/matrix-list/;ids=1;ids=2", {"ids": [1, 2]}),
        ("/matrix-one/;id=5", {"id": 5}),
        ("/simple/x=1,y=2", {"point": {"x": 1, "y": 2}}),
        ("/pets/3/photo.jpg", {"petId": 3, "format": "jpg"}),
    ],
)
def test_path_styles(petstore: OpenAPIDocument, path: str, expected: dict[str, Any]) -> None:
    assert check(petstore, "GET", path).path_params == expected


@pytest.mark.parametrize(
    ("path", "location", "keyword"),
    [
        ("/pets/0", "path.petId", "minimum"),
        ("/pets/abc", "path.petId", "type"),
        ("/labels/1.2", "path.ids", "style"),
        ("/matrix-one/5", "path.id", "style"),
        ("/matrix-one/;other=5", "path.id", "style"),
        ("/matrix-list/;ids=1;ids=x", "path.ids[1]", "type"),
        ("/pets/3/photo.gif", "path.format", "enum"),
    ],
)
def test_path_errors(petstore: OpenAPIDocument, path: str, location: str, keyword: str) -> None:
    (error,) = failure(petstore, "GET", path)
    assert (error["location"], error["keyword"]) == (location, keyword)


# -- the splitting functions themselves -------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "text", "kind", "explode", "expected"),
    [
        ("simple", "5", "primitive", False, "5"),
        ("simple", "3,4,5", "array", False, ["3", "4", "5"]),
        ("simple", "", "array", False, []),
        ("simple", "role,admin,name,Alex", "object", False, {"role": "admin", "name": "Alex"}),
        ("simple", "role=admin,name=Alex", "object", True, {"role": "admin", "name": "Alex"}),
        ("label", ".5", "primitive", False, "5"),
        ("label", ".3,4,5", "array", False, ["3", "4", "5"]),
        ("label", ".3.4.5", "array", True, ["3", "4", "5"]),
        ("label", ".role,admin", "object", False, {"role": "admin"}),
        ("label", ".role=admin.name=Alex", "object", True, {"role": "admin", "name": "Alex"}),
        ("matrix", ";id=5", "primitive", False, "5"),
        ("matrix", ";id=3,4,5", "array", False, ["3", "4", "5"]),
        ("matrix", ";id=3;id=4;id=5", "array", True, ["3", "4", "5"]),
        ("matrix", ";id=role,admin,name,Alex", "object", False, {"role": "admin", "name": "Alex"}),
        ("matrix", ";role=admin;name=Alex", "object", True, {"role": "admin", "name": "Alex"}),
        ("matrix", ";id", "primitive", False, ""),
    ],
)
def test_path_style_table(style: str, text: str, kind: str, explode: bool, expected: Any) -> None:
    split = {
        "simple": split_simple,
        "label": split_label,
        "matrix": lambda text, kind, explode: split_matrix(text, "id", kind, explode),
    }[style]
    assert split(text, kind, explode) == expected


@pytest.mark.parametrize(
    ("query", "style", "explode", "kind", "expected"),
    [
        ({"id": ["5"]}, "form", True, "primitive", (True, "5")),
        ({"id": ["3", "4"]}, "form", True, "array", (True, ["3", "4"])),
        ({"id": ["3,4"]}, "form", False, "array", (True, ["3", "4"])),
        ({"id": [""]}, "form", False, "array", (True, [])),
        ({"id": ["3 4"]}, "spaceDelimited", False, "array", (True, ["3", "4"])),
        ({"id": ["3|4"]}, "pipeDelimited", False, "array", (True, ["3", "4"])),
        ({"id": ["a,1,b,2"]}, "form", False, "object", (True, {"a": "1", "b": "2"})),
        (
            {"a": ["1"], "b": ["2"], "c": ["3"]},
            "form",
            True,
            "object",
            (True, {"a": "1", "b": "2"}),
        ),
        (
            {"id[a]": ["1"], "id[b][c]": ["2"]},
            "deepObject",
            True,
            "object",
            (True, {"a": "1", "b": {"c": "2"}}),
        ),
        (
            {"id[tags][]": ["x", "y"], "id[one]": ["1", "2"]},
            "deepObject",
            True,
            "object",
            (True, {"tags": ["x", "y"], "one": ["1", "2"]}),
        ),
        ({"id[": ["1"], "idx[a]": ["1"]}, "deepObject", True, "object", (False, {})),
        # Keys that are not the parameter's, or not well formed, are skipped, not the end.
        ({"other": ["1"], "id[a]": ["1"]}, "deepObject", True, "object", (True, {"a": "1"})),
        ({"id[a]x": ["1"], "id[b]": ["2"]}, "deepObject", True, "object", (True, {"b": "2"})),
        ({"id[]": ["1"], "id[b]": ["2"]}, "deepObject", True, "object", (True, {"b": "2"})),
        (
            {"id[a][b][]": ["1", "2"]},
            "deepObject",
            True,
            "object",
            (True, {"a": {"b": ["1", "2"]}}),
        ),
        # A key already holding a value is not made an object by a deeper key.
        (
            {"id[a]": ["1"], "id[a][b][c]": ["2"]},
            "deepObject",
            True,
            "object",
            (True, {"a": "1"}),
        ),
        ({"id": ["a|1|b|2"]}, "pipeDelimited", False, "object", (True, {"a": "1", "b": "2"})),
        ({"id": ["a 1", "b 2"]}, "spaceDelimited", True, "object", (True, {"a": "1", "b": "2"})),
        # A style that names no query delimiter splits at commas.
        ({"id": ["3,4"]}, "simple", False, "array", (True, ["3", "4"])),
        ({"id": ["a,1,b,2"]}, "simple", False, "object", (True, {"a": "1", "b": "2"})),
        ({}, "form", True, "primitive", (False, None)),
    ],
)
def test_query_style_table(
    query: dict[str, list[str]], style: str, explode: bool, kind: str, expected: Any
) -> None:
    found = split_query(
        "id",
        query=query,
        style=style,
        explode=explode,
        kind=kind,
        object_keys=["a", "b"],
        max_depth=64,
    )
    assert found == expected


@pytest.mark.parametrize(
    ("call", "args", "message"),
    [
        (split_label, ("5", "primitive", False), "label style values start with '.'"),
        (split_matrix, ("id=5", "id", "primitive", False), "matrix style values look like ';id=…'"),
        (
            split_matrix,
            (";other=5", "id", "primitive", False),
            "matrix style values look like ';id=…'",
        ),
    ],
)
def test_style_errors(call: Any, args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(StyleError) as exc:
        call(*args)
    assert str(exc.value) == message


def test_a_style_error_is_reported_with_its_message(petstore: OpenAPIDocument) -> None:
    assert failure(petstore, "GET", "/labels/1.2") == [
        {"location": "path.ids", "message": "label style values start with '.'", "keyword": "style"}
    ]


@pytest.mark.parametrize(
    ("text", "explode", "expected"),
    [
        # An odd count: the last name has an empty value.
        ("a,b,c", False, {"a": "b", "c": ""}),
        # Exploded pairs split at their first "="; items without one carry on the value.
        ("a,b", True, {"a": "", "b": ""}),
        (
            "SRKz=[-1.0e+127, 63913015, -2285],name=",
            True,
            {"SRKz": "[-1.0e+127, 63913015, -2285]", "name": ""},
        ),
        ("expr=a=b,name=x", True, {"expr": "a=b", "name": "x"}),
    ],
)
def test_ambiguous_objects_are_read_not_refused(
    text: str, explode: bool, expected: dict[str, str]
) -> None:
    assert split_simple(text, "object", explode) == expected


def test_a_deep_list_counts_its_final_brackets_as_one_level() -> None:
    """``id[tags][]=x&id[tags][]=y`` is two levels deep; a repeated ``id[tags]`` is too."""

    def deep(query: dict[str, list[str]], max_depth: int) -> Any:
        return split_query(
            "id",
            query=query,
            style="deepObject",
            explode=True,
            kind="object",
            object_keys=[],
            max_depth=max_depth,
        )

    assert deep({"id[tags][]": ["x", "y"]}, 2) == (True, {"tags": ["x", "y"]})
    assert deep({"id[tags]": ["x", "y"]}, 2) == (True, {"tags": ["x", "y"]})
    with pytest.raises(UnreadableInput):
        deep({"id[tags]": ["x", "y"]}, 1)
    with pytest.raises(UnreadableInput):
        deep({"id[a][tags][]": ["x", "y"]}, 2)
