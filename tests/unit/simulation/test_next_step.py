"""The LLM's turn in a simulation: what it is shown, which answers become a request, and what a
garbage answer or a silent provider costs (one more try, then a failed step, never a crash)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from mockmind.domain.client_input import InputLimits
from mockmind.openapi import OpenAPIDescription
from mockmind.ports.llm import ChatRequest, ChatResult, ProviderError
from mockmind.simulation.next_step import (
    ChosenRequest,
    NextStepRefused,
    Seen,
    StepChooser,
    describe_operations,
)

SHOP_DOCUMENT = Path(__file__).resolve().parents[3] / "examples" / "shop" / "openapi.yaml"
PERSONA = "A careful shopper who buys one mug."


class ScriptedChat:
    """A chat provider that answers from a list, and keeps what it was asked."""

    def __init__(self, *answers: str | ProviderError) -> None:
        self._answers = list(answers)
        self.asked: list[ChatRequest] = []

    @property
    def name(self) -> str:
        return "scripted"

    @property
    def model(self) -> str:
        return "scripted-1"

    async def complete(self, request: ChatRequest, *, deadline: float | None = None) -> ChatResult:
        self.asked.append(request)
        answer = self._answers.pop(0)
        if isinstance(answer, ProviderError):
            raise answer
        return ChatResult(answer, "scripted", "scripted-1", 100, 20)


@pytest.fixture(scope="module")
def shop() -> OpenAPIDescription:
    return OpenAPIDescription.load(SHOP_DOCUMENT, InputLimits())


def _next(
    shop: OpenAPIDescription, chat: ScriptedChat, history: Sequence[Seen] = ()
) -> tuple[ChosenRequest | None, StepChooser]:
    chooser = StepChooser(chat, shop, PERSONA)
    return asyncio.run(chooser.next(history)), chooser


def test_an_answer_becomes_the_request_the_operation_names(shop: OpenAPIDescription) -> None:
    chat = ScriptedChat(
        json.dumps(
            {"method": "post", "path": "/cart/items", "json": {"product_id": "p-1", "quantity": 2}}
        )
    )
    chosen, chooser = _next(shop, chat)
    assert chosen == ChosenRequest(
        "POST", "/cart/items", {}, b'{"product_id": "p-1", "quantity": 2}', "POST /cart/items"
    )
    assert chooser.usage.to_dict() == {
        "calls": 1,
        "refused_answers": 0,
        "prompt_tokens": 100,
        "completion_tokens": 20,
    }


def test_a_path_with_an_id_is_named_by_its_template(shop: OpenAPIDescription) -> None:
    chat = ScriptedChat('```json\n{"method": "GET", "path": "/products/product_1a2b?x=1"}\n```')
    chosen, _ = _next(shop, chat)
    assert chosen is not None
    assert (chosen.method, chosen.path, chosen.query, chosen.body, chosen.operation) == (
        "GET",
        "/products/product_1a2b",
        {"x": "1"},
        None,
        "GET /products/{productId}",
    )


def test_query_values_are_sent_as_text(shop: OpenAPIDescription) -> None:
    chat = ScriptedChat('{"method": "GET", "path": "/products", "query": {"limit": 3}}')
    chosen, _ = _next(shop, chat)
    assert chosen is not None
    assert (chosen.query, chosen.operation) == ({"limit": "3"}, "GET /products")


def test_done_ends_the_persona_s_iteration(shop: OpenAPIDescription) -> None:
    chosen, _ = _next(shop, ScriptedChat('{"done": true}'))
    assert chosen is None


def test_a_garbage_answer_is_asked_again_with_the_reason(shop: OpenAPIDescription) -> None:
    chat = ScriptedChat("I think the user would browse.", '{"method": "GET", "path": "/cart"}')
    chosen, chooser = _next(shop, chat)
    assert chosen is not None
    assert chosen.operation == "GET /cart"
    assert chooser.usage.calls == 2
    assert chooser.usage.refused == 1
    retry = chat.asked[1].user
    assert "Your answer was refused: no JSON object or array found in the answer" in retry
    assert "It was: I think the user would browse." in retry


def test_a_second_refusal_is_a_failed_step_that_says_why(shop: OpenAPIDescription) -> None:
    chat = ScriptedChat(
        '{"method": "GET", "path": "/basket"}',
        '{"method": "DELETE", "path": "/products"}',
    )
    with pytest.raises(NextStepRefused) as refused:
        _next(shop, chat)
    assert str(refused.value) == (
        "the LLM's next step was refused twice: 405 Method Not Allowed: "
        "DELETE is not defined for /products (allowed: GET, POST) "
        '(its answer: {"method": "DELETE", "path": "/products"})'
    )
    assert "404 Not Found: no operation matches GET /basket" in chat.asked[1].user


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("[1, 2]", "the answer is a JSON list, not an object"),
        ('{"method": "GET"}', '"method" and "path" are required (or "done": true)'),
        ('{"method": "FETCH", "path": "/cart"}', "'FETCH' is not an HTTP method"),
        ('{"method": "GET", "path": "cart"}', "the path 'cart' does not start with /"),
        ('{"method": "GET", "path": "/cart", "headers": {}}', "headers: unknown key"),
        ('{"method": "GET", "path": "/cart", "query": []}', "query: Input should be a valid"),
        (
            '{"method": "PATCH", "path": "/cart/items/i-1", "json": {"quantity": 0}}',
            "422 Unprocessable Entity: the request does not match the API description "
            "(body.quantity: 0 is less than the minimum of 1)",
        ),
        (
            '{"method": "POST", "path": "/cart/items"}',
            "422 Unprocessable Entity: the request does not match the API description "
            "(body: a request body is required)",
        ),
    ],
)
def test_what_is_refused(shop: OpenAPIDescription, answer: str, reason: str) -> None:
    chat = ScriptedChat(answer, answer)
    with pytest.raises(NextStepRefused) as refused:
        _next(shop, chat)
    assert str(refused.value).startswith(f"the LLM's next step was refused twice: {reason}")


def test_a_provider_that_does_not_answer_is_a_failed_step(shop: OpenAPIDescription) -> None:
    chat = ScriptedChat(ProviderError("openai", "HTTP 503 after 3 attempts"))
    with pytest.raises(NextStepRefused) as refused:
        _next(shop, chat)
    assert str(refused.value) == "the LLM did not answer: openai: HTTP 503 after 3 attempts"


def test_the_model_sees_persona_operations_and_the_last_steps(shop: OpenAPIDescription) -> None:
    chat = ScriptedChat('{"done": true}')
    history = [
        Seen("GET", f"/products/p-{n}", 200, json.dumps({"id": f"p-{n}", "pad": "x" * 2000}))
        for n in range(10)
    ]
    history.append(Seen("POST", "/orders", None, "ReadTimeout: "))
    _next(shop, chat, history)
    asked = chat.asked[0]
    assert f"Persona: {PERSONA}" in asked.system
    assert (
        "- POST /cart/items (addCartItem); json: {product_id: string, quantity: integer 1..99}"
        in (asked.system)
    )
    assert "- GET /products (listProducts); query: limit, offset, category" in asked.system
    lines = asked.user.splitlines()
    # The last eight steps, oldest first, each answer cut short.
    assert lines[0] == "The user's last requests, oldest first:"
    assert lines[1].startswith('1. GET /products/p-3 -> 200 {"id": "p-3", "pad": "xxx')
    assert len(lines[1]) < 1050
    assert lines[-2] == "8. POST /orders -> no answer ReadTimeout:"
    assert lines[-1] == "Their next request?"


def test_the_first_step_has_no_history(shop: OpenAPIDescription) -> None:
    chat = ScriptedChat('{"done": true}')
    _next(shop, chat)
    assert chat.asked[0].user == "The user has sent no request yet. Their first request?"


def test_every_operation_is_described_once(shop: OpenAPIDescription) -> None:
    lines = describe_operations(shop).splitlines()
    assert len(lines) == len(shop.operations()) == 17
    assert lines[0] == "- POST /login (login); json: {username: string, password: string}"
