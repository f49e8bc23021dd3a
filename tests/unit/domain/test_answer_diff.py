"""Where two answers differ, and the paths a replay is told to ignore (domain/answer_diff.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mockmind.domain.answer_diff import (
    PATH_PATTERN,
    Difference,
    IgnoredPath,
    differences,
    parse_path,
    path_text,
)
from mockmind.domain.errors import RequestError


def ignoring(*texts: str) -> list[IgnoredPath]:
    return [parse_path(text) for text in texts]


def test_equal_answers_have_no_difference() -> None:
    body = {"id": 1, "items": [{"n": 1}, {"n": 2}], "ok": True, "none": None}
    assert differences(body, body) == ([], 0)


def test_each_difference_is_at_the_deepest_path_where_the_answers_part() -> None:
    recorded = {"id": "a", "items": [{"n": 1}, {"n": 2}], "gone": 1, "odd key": 1}
    now = {"id": "b", "items": [{"n": 1}, {"n": 3}, {"n": 4}], "new": 2, "odd key": 2}
    assert differences(recorded, now) == (
        [
            Difference("$.id", "a", "b"),
            Difference("$.items[1].n", 2, 3),
            Difference("$.items[2]", None, {"n": 4}, "added"),
            Difference("$.gone", 1, None, "removed"),
            Difference("$['odd key']", 1, 2),
            Difference("$.new", None, 2, "added"),
        ],
        0,
    )


def test_types_count_where_json_tells_them_apart() -> None:
    assert differences({"a": 1}, {"a": 1.0}) == ([], 0)
    assert differences({"a": 1}, {"a": True})[0] == [Difference("$.a", 1, True)]
    assert differences([1], {"0": 1})[0] == [Difference("$", [1], {"0": 1})]
    assert differences("text", "text") == ([], 0)


@pytest.mark.parametrize(
    ("pattern", "ignored"),
    [
        ("$.id", ["$.id"]),
        ("$..id", ["$.id", "$.items[0].id", "$.items[1].id"]),
        ("$.items[*].id", ["$.items[0].id", "$.items[1].id"]),
        ("$.items[1]", ["$.items[1].id", "$.items[1].at"]),
        ("$..at", ["$.items[1].at"]),
        ("$['id']", ["$.id"]),
        ("$.*", ["$.id", "$.items[0].id", "$.items[1].id", "$.items[1].at"]),
        ("$", ["$.id", "$.items[0].id", "$.items[1].id", "$.items[1].at"]),
    ],
)
def test_an_ignored_path_leaves_out_what_it_matches_and_all_under_it(
    pattern: str, ignored: list[str]
) -> None:
    recorded = {"id": 1, "items": [{"id": 1}, {"id": 2, "at": "then"}]}
    now = {"id": 2, "items": [{"id": 3}, {"id": 4, "at": "now"}]}
    every, _ = differences(recorded, now)
    left, _ = differences(recorded, now, ignoring(pattern))
    assert [d.path for d in left] == [d.path for d in every if d.path not in ignored]


def test_the_differences_listed_are_capped_and_the_rest_counted() -> None:
    found, more = differences(list(range(10)), list(range(1, 11)), limit=3)
    assert [d.path for d in found] == ["$[0]", "$[1]", "$[2]"]
    assert more == 7


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("id", "it must start with $"),
        ("$.", "unexpected '.' at character 2"),
        ("$[x]", "unexpected '[x]' at character 2"),
        ("$.a b", "unexpected ' b' at character 4"),
    ],
)
def test_a_path_that_is_not_one_is_refused_with_why(text: str, why: str) -> None:
    with pytest.raises(RequestError) as refused:
        parse_path(text)
    assert refused.value.status == 400
    assert refused.value.detail.startswith(f"{text!r} is not a path to ignore: {why}")


@given(st.from_regex(PATH_PATTERN))
def test_every_path_the_document_allows_is_read(text: str) -> None:
    assert parse_path(text).text == text


@given(st.text(max_size=12))
def test_a_path_the_document_refuses_is_refused(text: str) -> None:
    if re.search(PATH_PATTERN, text) is None:
        with pytest.raises(RequestError):
            parse_path(text)
    else:
        parse_path(text)


@given(st.lists(st.one_of(st.integers(0, 9), st.text(max_size=6)), max_size=4))
def test_a_reported_path_reads_back_as_itself(steps: list[int | str]) -> None:
    # A name holding both quotes has no path naming it alone; "*" reads as any member.
    assume(all(not isinstance(s, str) or not ("'" in s and '"' in s) for s in steps))
    assume("*" not in steps)
    assert parse_path(path_text(steps)).parts == tuple(("child", step) for step in steps)
