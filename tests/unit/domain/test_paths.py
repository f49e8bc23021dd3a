"""Request paths: split first, decode each segment after; the canonical form the engine uses."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockmind.domain.engine.answers import Answers
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.domain.paths import ascii_path, canonical_path, decoded_segments, join_segments
from mockmind.ports.api_description import ResponsePlan


@pytest.mark.parametrize(
    ("sent", "segments"),
    [
        ("/orders/%3Fabc", ("orders", "?abc")),
        ("/orders/%3Fabc/pay", ("orders", "?abc", "pay")),
        ("/orders/a%2Fb", ("orders", "a/b")),
        ("/orders/a%2fb", ("orders", "a/b")),
        ("/orders/%23frag", ("orders", "#frag")),
        # Decoded once: %2541 is the three characters %41, never A.
        ("/orders/%2541", ("orders", "%41")),
        ("/orders/100%25", ("orders", "100%")),
        ("/a%20b/%C3%A9", ("a b", "é")),
        ("//orders//42/", ("orders", "42")),
        ("/products?limit=2", ("products",)),
        ("/", ()),
        ("", ()),
    ],
)
def test_a_path_is_split_before_its_segments_are_decoded(
    sent: str, segments: tuple[str, ...]
) -> None:
    assert decoded_segments(sent) == segments


@pytest.mark.parametrize(
    ("sent", "canonical"),
    [
        ("/orders/42", "/orders/42"),
        ("/orders/%3Fabc/pay", "/orders/%3Fabc/pay"),
        ("/orders/a%2fb", "/orders/a%2Fb"),
        ("/orders/%23x", "/orders/%23x"),
        ("/orders/%2541", "/orders/%2541"),
        ("/orders/%7Bid%7D", "/orders/%7Bid%7D"),
        ("/orders/a%0D%0Ab", "/orders/a%0D%0Ab"),
        ("/orders/%00", "/orders/%00"),
        ("/orders/%C2%85", "/orders/%C2%85"),  # NEL, a C1 control
        # What needs no encoding reads as itself; doubled and final slashes go.
        ("/%61dmin/stats", "/admin/stats"),
        ("//admin//stats/", "/admin/stats"),
        ("/a%20b/%C3%A9", "/a b/é"),
        ("/", "/"),
        ("", "/"),
    ],
)
def test_canonical_paths(sent: str, canonical: str) -> None:
    assert canonical_path(sent) == canonical
    assert canonical_path(canonical) == canonical


_SEGMENTS = st.lists(st.text(min_size=1, max_size=12), max_size=5)


@given(_SEGMENTS)
def test_canonical_paths_keep_every_segment_apart(segments: list[str]) -> None:
    joined = join_segments(segments)
    assert decoded_segments(joined) == tuple(segments)
    assert canonical_path(joined) == joined
    assert decoded_segments(ascii_path(joined)) == tuple(segments)


@given(_SEGMENTS, _SEGMENTS)
def test_different_segments_never_share_a_canonical_path(a: list[str], b: list[str]) -> None:
    assert (join_segments(a) == join_segments(b)) == (a == b)


@pytest.mark.parametrize(
    ("path", "more", "expected"),
    [
        ("/things/a%0D%0Ab", (), "/things/a%0D%0Ab"),
        ("/things", ("x\r\nSet-Cookie: y=1",), "/things/x%0D%0ASet-Cookie:%20y=1"),
        ("/things", ("é€\x00",), "/things/%C3%A9%E2%82%AC%00"),
        ("/things", ("a/b?c#d",), "/things/a%2Fb%3Fc%23d"),
        ("/things", ("p-1_x.y~z:@!$&'()*+,;=",), "/things/p-1_x.y~z:@!$&'()*+,;="),
    ],
)
def test_ascii_paths_are_printable_ascii(path: str, more: tuple[str, ...], expected: str) -> None:
    assert ascii_path(path, *more) == expected


def test_a_request_keeps_its_path_canonical_and_knows_its_segments() -> None:
    request = MockRequest("GET", "//orders/a%2fb/")
    assert request.path == "/orders/a%2Fb"
    assert request.segments == ("orders", "a/b")
    assert MockRequest("GET", "/orders/%3Fabc/pay").segments == ("orders", "?abc", "pay")


@given(
    path=st.sampled_from(
        ["/products", "//orders//42/", "/orders/a%2fb", "/caf%C3%A9", "", "/a b/%41", "/x?y"]
    )
    | st.text(max_size=20),
    deadline=st.none() | st.floats(allow_nan=False),
)
def test_a_received_request_is_the_one_the_constructor_makes(
    path: str, deadline: float | None
) -> None:
    fields = {
        "method": "GET",
        "path": path,
        "query": {"a": ["1", ""]},
        "headers": {"accept": "application/json"},
        "cookies": {"s": "1"},
        "body": b"{}",
        "deadline": deadline,
    }
    received = MockRequest.received(**fields)  # type: ignore[arg-type]
    made = MockRequest(**fields)  # type: ignore[arg-type]
    assert vars(received) == vars(made)
    assert received == made
    assert received.segments == made.segments


@pytest.mark.parametrize(
    ("plan", "body", "expected"),
    [
        (
            ResponsePlan(200, "application/json", {"type": "object"}),
            {"id": 1},
            MockResponse(200, {"id": 1}, {}, "application/json", "cache"),
        ),
        (
            ResponsePlan(200, "text/plain", {"type": "string"}),
            "plain",
            MockResponse(200, "plain", {}, "text/plain", "cache", "text", b"plain"),
        ),
        (
            ResponsePlan(204, "application/json", {"type": "object"}),
            {"id": 1},
            MockResponse(
                204,
                None,
                {"Content-Type": "application/json"},
                "application/json",
                "cache",
                "empty",
            ),
        ),
        (
            ResponsePlan(200, "application/json", None),
            None,
            MockResponse(
                200,
                None,
                {"Content-Type": "application/json"},
                "application/json",
                "cache",
                "empty",
            ),
        ),
        (
            ResponsePlan(200, None, None),
            None,
            MockResponse(200, None, {}, "application/json", "cache", "empty"),
        ),
    ],
)
def test_a_finished_answer_is_the_one_the_constructor_makes(
    plan: ResponsePlan, body: object, expected: MockResponse
) -> None:
    answers = Answers(cast(Any, None), cast(Any, None))
    for _ in range(2):  # made, then from the plan's remembered form
        made = answers.finish(plan, body, "cache")
        # Every field, those Answers.finish leaves to the class's defaults included.
        assert {f.name: getattr(made, f.name) for f in fields(MockResponse)} == {
            f.name: getattr(expected, f.name) for f in fields(MockResponse)
        }
