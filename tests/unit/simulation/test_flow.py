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


def test_the_llm_chooses_after_the_steps_as_a_persona_would(tmp_path: Path) -> None:
    flow = load_flow(
        _flow(
            tmp_path,
            "choose: llm\n"
            "persona: A shopper who buys one mug.\n"
            "max_steps: 4\n"
            "steps:\n"
            "  - post: /login\n"
            "    json: {username: ada, password: lovelace}\n",
        )
    )
    assert (flow.choose, flow.persona, flow.llm_steps) == ("llm", "A shopper who buys one mug.", 4)
    assert [s.label() for s in flow.steps] == ["POST /login"]
    bare = load_flow(_flow(tmp_path, "choose: llm\npersona: Anyone.\n"))
    assert (bare.steps, bare.llm_steps) == ([], 10)
    assert load_flow(SHOP_BUYER).llm_steps == 0


def test_choose_llm_needs_a_persona(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "choose: llm\npersona: '  '\n")
    assert problems == [
        f"{tmp_path / 'flow.yaml'}: Value error, choose: llm needs a persona: who the user is "
        "and what they want"
    ]


def test_a_persona_without_choose_llm_is_refused(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "persona: Anyone.\nmax_steps: 3\nsteps:\n  - get: /cart\n")
    assert problems[0].endswith("Value error, persona and max_steps belong to choose: llm")


def test_who_chooses_is_steps_or_llm_only(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "choose: random\nsteps:\n  - get: /cart\n")
    assert problems == [
        f"{tmp_path / 'flow.yaml'}:1:9: choose: Input should be 'steps' or 'llm' (got 'random')"
    ]
    assert _problems(tmp_path, "name: empty\n")[0].endswith(
        "Value error, steps: at least one step (or choose: llm with a persona)"
    )
    assert _problems(tmp_path, "choose: llm\npersona: A.\nmax_steps: 0\n")[0].endswith(
        "max_steps: Input should be greater than or equal to 1 (got 0)"
    )
