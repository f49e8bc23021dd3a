"""Placeholders, checks and the numbers a simulation reports."""

from __future__ import annotations

import pytest

from mockmind.domain.percentiles import nearest_rank as percentile
from mockmind.simulation.flow import Check
from mockmind.simulation.results import MAX_FAILURES_KEPT, Failure, Results
from mockmind.simulation.values import Answer, UnknownVariable, check_failure, fill, same

KNOWN = {"id": 7, "name": "mug", "flag": True, "nothing": None}


def test_a_whole_placeholder_keeps_its_value_and_a_part_becomes_text() -> None:
    assert fill("{{id}}", KNOWN) == 7
    assert fill("{{ id }}", KNOWN) == 7
    assert fill("/orders/{{id}}/pay", KNOWN) == "/orders/7/pay"
    assert fill("{{flag}}-{{nothing}}", KNOWN) == "true-"
    assert fill({"a": ["{{name}}", 1, {"b": "x{{id}}"}]}, KNOWN) == {"a": ["mug", 1, {"b": "x7"}]}
    assert fill("{{not closed", KNOWN) == "{{not closed"


def test_an_unknown_placeholder_names_itself() -> None:
    with pytest.raises(UnknownVariable) as caught:
        fill("/orders/{{order}}", KNOWN)
    assert caught.value.name == "order"


CART = {
    "items": [{"price": 12.5, "quantity": 2}, {"price": 0.1, "quantity": 3}],
    "total": 25.3,
}


def _scope(body: object, status: int = 200) -> dict[str, object]:
    return Answer(status, {"x-a": "1"}, body).scope({"expected": 2})


def test_an_equality_check_compares_numbers_as_numbers() -> None:
    check = Check(
        that="body.total", equals="round(sum(body.items[].price * body.items[].quantity), 2)"
    )
    assert check_failure(check, _scope(CART)) is None
    wrong = {**CART, "total": 25.4}
    assert check_failure(check, _scope(wrong)) == (
        "body.total is 25.4, round(sum(body.items[].price * body.items[].quantity), 2) is 25.3"
    )
    assert check_failure(Check(that="count(body.items)", equals="expected"), _scope(CART)) is None
    assert check_failure(Check(that="status", equals="200"), _scope(CART)) is None


def test_a_check_without_equals_wants_a_truthy_value() -> None:
    assert check_failure(Check(that="count(body.items)"), _scope(CART)) is None
    assert check_failure(Check(that="count(body.items)"), _scope({"items": []})) == (
        "count(body.items) is 0"
    )
    assert check_failure(Check(that="body.missing"), _scope(CART)) == "body.missing is None"
    assert check_failure(Check(that="body.name"), _scope({"name": ""})) == "body.name is ''"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (1, 1.0, True),
        (0.1 + 0.2, 0.3, True),
        (1, 2, False),
        (True, 1, False),
        (True, True, True),
        ("1", 1, False),
        ([1, 2], [1, 2], True),
        (None, None, True),
    ],
)
def test_same(a: object, b: object, expected: bool) -> None:
    assert same(a, b) is expected


def test_check_labels() -> None:
    assert Check(that="a", equals="b").label() == "a == b"
    assert Check(that="a").label() == "a"
    assert Check(that="a", name="named").label() == "named"


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (
        50.0,
        95.0,
        99.0,
    )
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) is None
    assert percentile([1.0, 2.0], 50) == 1.0


def test_results_count_every_failure_and_keep_a_bounded_list() -> None:
    results = Results("f", users=1)
    for n in range(MAX_FAILURES_KEPT + 5):
        results.failed(Failure(0, "s", n, "GET /", "status", "500"))
    results.request("GET /", "200", 2.0)
    results.request("GET /", "500", 4.0)
    report = results.to_dict()
    assert report["checks"] == {"passed": 0, "failed": MAX_FAILURES_KEPT + 5}
    assert len(report["failures"]) == MAX_FAILURES_KEPT
    assert report["failures_not_listed"] == 5
    assert report["steps"] == [
        {
            "step": "GET /",
            "requests": 2,
            "statuses": {"200": 1, "500": 1},
            "failures": MAX_FAILURES_KEPT + 5,
            "latency_ms": {"p50": 2.0, "p95": 4.0, "p99": 4.0, "max": 4.0, "mean": 3.0},
        }
    ]
    assert not results.ok
