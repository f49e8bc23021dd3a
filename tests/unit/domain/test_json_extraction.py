"""Extraction of the JSON value from real-world shapes of LLM output."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockmind.domain.json_extraction import JsonExtractionError, extract_json

USER = {"id": "u1", "name": "Ada", "tags": ["a", "b"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"id": "u1", "name": "Ada", "tags": ["a", "b"]}', USER),
        ('  \n{"id": "u1", "name": "Ada", "tags": ["a", "b"]}\n\n', USER),
        ("[1, 2, 3]", [1, 2, 3]),
        ("42", 42),
        ("null", None),
        # Markdown fences, with and without a language, with prose around them.
        ('```json\n{"id": "u1", "name": "Ada", "tags": ["a", "b"]}\n```', USER),
        ('```\n{"id": "u1", "name": "Ada", "tags": ["a", "b"]}\n```', USER),
        (
            "Here is the user you asked for:\n\n```JSON\n"
            '{"id": "u1", "name": "Ada", "tags": ["a", "b"]}\n```\n\nLet me know if you need more!',
            USER,
        ),
        # Several blocks: the first that parses wins (a shell example before the answer).
        (
            '```bash\ncurl /users/u1\n```\nResponse:\n```json\n{"id": "u1", "name": "Ada", '
            '"tags": ["a", "b"]}\n```\n```json\n{"id": "u2"}\n```',
            USER,
        ),
        # Leading prose and trailing commentary, no fences.
        (
            'Sure! {"id": "u1", "name": "Ada", "tags": ["a", "b"]} This user has two tags.',
            USER,
        ),
        # Braces and brackets inside strings do not end the value.
        (
            'Result: {"note": "use } and ] freely", "x": "{"} done',
            {"note": "use } and ] freely", "x": "{"},
        ),
        ('{"quote": "she said \\"}\\" twice"} trailing', {"quote": 'she said "}" twice'}),
        # Prose with braces that are not JSON, before the real value.
        ('The {user} object (see [docs]) is: {"id": "u1"}', {"id": "u1"}),
        ("Items: [see {note] then [1, 2]", [1, 2]),
        # An array first in the prose.
        ('Two users: [{"id": "a"}, {"id": "b"}] as requested.', [{"id": "a"}, {"id": "b"}]),
        # A JSON string holding JSON (a model that "escaped" its answer).
        (json.dumps(json.dumps(USER)), USER),
        ('"```json\\n{\\"id\\": \\"u1\\"}\\n```"', {"id": "u1"}),
        # A byte-order mark from a proxy.
        ('\ufeff{"id": "u1"}', {"id": "u1"}),
        # A balanced object that is not JSON (trailing comma) must not yield its inner object.
        ('{"user": {"id": "u9"}, } and then {"id": "u1"}', {"id": "u1"}),
    ],
)
def test_shapes(text: str, expected: Any) -> None:
    assert extract_json(text) == expected


def test_a_plain_string_value_is_kept() -> None:
    assert extract_json('"hello"') == "hello"
    assert extract_json('"{not json"') == "{not json"


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "u1", "name": "Ad',
        'Here you go:\n```json\n{"items": [{"id": 1}, {"id": 2}, {"id"',
        '[{"id": "a"}, {"id": "b"}, {"id": "c',
        "[1, 2",
        "[true, fa",
        "Here it is: {",
    ],
)
def test_truncated_output_is_reported_as_such(text: str) -> None:
    with pytest.raises(JsonExtractionError, match="truncated output"):
        extract_json(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "the answer is empty"),
        ("   \n ", "the answer is empty"),
        ("I'm sorry, I can't help with that.", "no JSON object or array found"),
        ("{this is not json}", "no JSON object or array found"),
    ],
)
def test_failures_say_why(text: str, reason: str) -> None:
    with pytest.raises(JsonExtractionError, match=reason):
        extract_json(text)


@pytest.mark.parametrize(
    "text",
    [
        "Sure, a few ideas (say [books, games) for the shop.",
        "Here is a product {name: Mug",
        "I think {maybe} it works [sometimes",
        "See [the docs",
        "```\nI cannot answer that [yet\n```",
    ],
)
def test_prose_with_a_bracket_it_never_closes_is_prose_not_a_cut(text: str) -> None:
    with pytest.raises(JsonExtractionError) as raised:
        extract_json(text)
    assert raised.value.reason == "no JSON object or array found in the answer"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@given(
    value=st.dictionaries(st.text(max_size=6), json_values, max_size=5),
    before=st.text(alphabet=st.characters(blacklist_characters='{[]}"`'), max_size=30),
    after=st.text(max_size=30),
)
def test_any_object_survives_prose_around_it(
    value: dict[str, Any], before: str, after: str
) -> None:
    text = f"{before} {json.dumps(value)} {after}"
    assert extract_json(text) == value
