from __future__ import annotations

import json

from mockmind.domain.memory import describe
from mockmind.domain.prompts import PromptInput, build_prompt, inline_schema
from mockmind.domain.sessions import Interaction, StateValue
from mockmind.domain.tokens import estimate_tokens

SCHEMA = {"type": "object", "properties": {"id": {"type": "string"}}}


def _input(**overrides: object) -> PromptInput:
    values: dict[str, object] = {
        "system_prompt": "You are a shop API.",
        "method": "GET",
        "path": "/orders/o-1",
        "status": 200,
        "schema": SCHEMA,
    }
    values.update(overrides)
    return PromptInput(**values)  # type: ignore[arg-type]


def test_asks_for_json_only_and_gives_the_schema() -> None:
    prompt = build_prompt(_input())
    assert prompt.system.startswith("You are a shop API.")
    assert "JSON value only" in prompt.system
    assert "Request: GET /orders/o-1" in prompt.user
    assert "HTTP status 200" in prompt.user
    assert json.dumps(SCHEMA, separators=(",", ":"), sort_keys=True) in prompt.user
    # The schema comes last, closest to where the model starts writing.
    assert prompt.user.rstrip().endswith(json.dumps(SCHEMA, separators=(",", ":"), sort_keys=True))


def test_rules_entities_state_and_history_are_included() -> None:
    prompt = build_prompt(
        _input(
            rules=["an order cannot ship before it is paid"],
            entities=[{"id": "o-1", "status": "paid"}],
            state={"username": StateValue("ada", 1.0)},
            history=[Interaction(1.0, "POST", "/orders", 201, None, {"id": "o-1"})],
            relevant=["GET /products/p-1 -> 200 mug"],
            query={"expand": "items"},
            body=None,
        )
    )
    assert "- an order cannot ship before it is paid" in prompt.system
    assert '{"id":"o-1","status":"paid"}' in prompt.user
    assert '- username = "ada"' in prompt.user
    assert "- POST /orders -> 201" in prompt.user
    assert "- GET /products/p-1 -> 200 mug" in prompt.user
    assert 'Query: {"expand":"items"}' in prompt.user


def test_budget_drops_the_oldest_history_first() -> None:
    history = [
        Interaction(float(i), "GET", f"/items/{i}", 200, None, {"pad": "x" * 200})
        for i in range(50)
    ]
    prompt = build_prompt(_input(history=history, token_budget=800))
    assert "/items/49" in prompt.user
    assert "/items/0 " not in prompt.user
    assert prompt.estimated_tokens <= 800


def test_required_parts_survive_a_tiny_budget() -> None:
    prompt = build_prompt(_input(entities=[{"id": "o-1"}], token_budget=10))
    assert "Request: GET /orders/o-1" in prompt.user
    assert "Entities" not in prompt.user


def test_same_input_same_prompt() -> None:
    assert build_prompt(_input()) == build_prompt(_input())


def test_estimate_tokens() -> None:
    assert estimate_tokens("") == 1
    assert estimate_tokens("x" * 400) == 101


def test_inline_schema_follows_refs_to_a_depth_and_stays_finite() -> None:
    defs = {
        "#/components/schemas/Node": {
            "type": "object",
            "properties": {"child": {"$ref": "#/components/schemas/Node"}},
            "example": {"big": "example"},
        }
    }
    inlined = inline_schema({"$ref": "#/components/schemas/Node"}, defs.__getitem__, depth=2)
    assert inlined["properties"]["child"]["properties"]["child"] == {}
    assert "example" not in inlined


def test_history_lines_keep_the_query_string() -> None:
    history = [Interaction(1.0, "GET", "/products", 200, None, [], query="limit=2&offset=4")]
    prompt = build_prompt(_input(history=history))
    assert "- GET /products?limit=2&offset=4 -> 200 []" in prompt.user


def test_related_interactions_already_shown_as_recent_are_not_repeated() -> None:
    recent = Interaction(2.0, "POST", "/orders", 201, {"qty": 1}, {"id": "o-1"})
    older = Interaction(1.0, "GET", "/products/p-1", 200, None, {"id": "p-1"}, query="full=1")
    prompt = build_prompt(
        _input(history=[older, recent], relevant=[describe(recent), describe(older), "other"])
    )
    # Both are recent history: of the recalled texts only the one not in it is added.
    assert prompt.user.count("POST /orders") == 1
    assert prompt.user.count("/products/p-1") == 1
    assert "Related earlier interactions:\n- other" in prompt.user


def test_related_interactions_are_kept_when_recent_history_does_not_fit() -> None:
    shown = Interaction(3.0, "GET", "/a", 200, None, {"pad": "x" * 8})
    dropped = Interaction(1.0, "GET", "/b", 200, None, {"pad": "y" * 240})
    bare = build_prompt(_input())
    # Half of what is left goes to history: room for its newest line only; then the older
    # one fits as recalled.
    lines = estimate_tokens(describe(shown)) + estimate_tokens(describe(dropped))
    budget = estimate_tokens(bare.system) + estimate_tokens(bare.user) + lines + 30
    prompt = build_prompt(
        _input(history=[dropped, shown], relevant=[describe(dropped)], token_budget=budget)
    )
    assert "- GET /a -> 200" in prompt.user
    assert "Recent interactions in this session (oldest first):\n- GET /a" in prompt.user
    assert f"Related earlier interactions:\n- {describe(dropped)}" in prompt.user
