"""The flow format of `mockmind simulate`: its simplest form, what it refuses, and where."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockmind.domain.errors import ConfigError
from mockmind.simulation.flow import load_flow

SHOP_BUYER = Path(__file__).resolve().parents[3] / "examples" / "shop" / "flows" / "buyer.yaml"


def _flow(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text(text)
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_flow(_flow(tmp_path, text))
    return [str(issue) for issue in caught.value.issues]


def test_the_simplest_flow_is_a_list_of_requests(tmp_path: Path) -> None:
    flow = load_flow(
        _flow(
            tmp_path,
            "steps:\n"
            "  - get: /products?limit=2\n"
            "  - post: /cart/items\n"
            "    json: {product_id: p-1, quantity: 2}\n",
        )
    )
    assert [(s.method, s.path, s.json_body) for s in flow.steps] == [
        ("get", "/products?limit=2", None),
        ("post", "/cart/items", {"product_id": "p-1", "quantity": 2}),
    ]
    assert [s.label() for s in flow.steps] == ["GET /products?limit=2", "POST /cart/items"]
    assert (flow.name, flow.session_header) == ("flow", "X-Session-ID")


def test_the_example_buyer_flow_loads() -> None:
    flow = load_flow(SHOP_BUYER)
    assert flow.name == "buyer"
    assert [s.label() for s in flow.steps][:3] == [
        "GET /products?limit=5",
        " ",
        "POST /cart/items",
    ]


def test_an_unknown_key_is_named_with_its_line_and_a_suggestion(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "steps:\n  - get: /cart\n    chekcs: []\n")
    assert problems == [
        f"{tmp_path / 'flow.yaml'}:3:5: steps[0].chekcs: unknown key 'chekcs'; "
        "did you mean 'checks'?"
    ]


def test_a_step_is_exactly_one_thing(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "steps:\n  - get: /cart\n    post: /cart\n")
    assert problems == [
        f"{tmp_path / 'flow.yaml'}:2:5: steps[0]: Value error, a step is exactly one of get, "
        "post, put, patch, delete, head, options, think, choice, repeat (found: get, post)"
    ]
    problems = _problems(tmp_path, "steps:\n  - name: nothing\n")
    assert problems[0].endswith("(found: none)")


def test_request_keys_on_a_pause_are_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "steps:\n  - think: 1\n    status: 200\n")
    assert problems[0].endswith("steps[0]: Value error, status belong to a request step, not think")


def test_think_ranges_are_ordered(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "steps:\n  - think: [2, 1]\n")
    assert problems[0].endswith("think: [low, high] with 0 <= low <= high")


def test_a_check_that_does_not_parse_is_refused_at_load_with_its_line(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        "steps:\n"
        "  - choice:\n"
        "      - steps:\n"
        "          - get: /cart\n"
        "            checks:\n"
        "              - {that: 'sum(body.items[].price', equals: '2'}\n",
    )
    assert problems == [
        f"{tmp_path / 'flow.yaml'}:6:24: steps[0].choice[0].steps[0].checks[0].that: check: "
        "column 23: unexpected input"
    ]


def test_an_unknown_function_in_a_capture_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "steps:\n  - get: /cart\n    capture: {n: 'size(body)'}\n")
    assert len(problems) == 1
    assert "steps[0].capture.n: capture n: " in problems[0]
    assert "size" in problems[0]


def test_broken_yaml_is_named(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "steps: [\n")
    assert problems[0].startswith(f"{tmp_path / 'flow.yaml'}:2:1: invalid YAML")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_flow(tmp_path / "none.yaml")
    assert str(caught.value) == (
        f"{tmp_path / 'none.yaml'}: cannot read flow file: No such file or directory"
    )
