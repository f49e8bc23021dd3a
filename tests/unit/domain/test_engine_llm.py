"""The engine with a language model: what it asks, what it serves, and how it falls back."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mockmind.adapters.llm.hashed_embedder import LocalHashedEmbedder
from mockmind.adapters.vectors.memory import MemoryVectorMemory
from mockmind.app.bootstrap import Container, build
from mockmind.config import LoadedConfig, load_config, parse_config
from mockmind.domain.content import ContentUsage, LlmContent
from mockmind.domain.costs import CostTracker, PriceTable
from mockmind.domain.engine import MockEngine, PromptSettings
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.domain.memory import SemanticMemory
from mockmind.domain.outcome import RequestOutcome
from mockmind.ports.clock import SystemClock
from mockmind.ports.llm import ChatRequest, ChatResult

CONFIG = """
intelligent_behavior:
  session_tracking: {method: header}
  behavior_model:
    rules:
      schemas:
        Book:
          type: object
          required: [id, title, pages]
          properties:
            id: {type: string}
            title: {type: string}
            pages: {type: integer, minimum: 1}
      resources:
        books:
          computed: {pages_doubled: "pages * 2"}
"""


REPORT = (
    '{"id": "5f0c6e8e-3b1a-4c1e-9a57-2f4a1d9b8c01", "name": "Weekly", '
    '"created_at": "2026-11-25T10:00:00Z"}'
)


@dataclass
class FakeModel:
    """A ChatProvider that answers from a script and records what it was asked."""

    answers: list[str]
    asked: list[ChatRequest] = field(default_factory=list)
    name: str = "fake"
    model: str = "fake-1"

    async def complete(self, request: ChatRequest, *, deadline: float | None = None) -> ChatResult:
        self.asked.append(request)
        text = self.answers.pop(0) if self.answers else "{}"
        return ChatResult(text, self.name, self.model, 10, 5)


def _engine(
    model: FakeModel, config: LoadedConfig | None = None, memory: SemanticMemory | None = None
) -> Container:
    container = build(config or parse_config(CONFIG, env={}), env={})
    old = container.engine
    container.engine = MockEngine(
        api=old.api,
        generator=old.generator,
        sessions=container.sessions,
        cache=container.cache,
        clock=old._clock,
        settings=old.settings,
        world=old.world,
        llm=LlmContent(model, CostTracker(PriceTable(), SystemClock())),
        memory=memory,
        prompting=PromptSettings("You are a library API.", old.world.describe()),
    )
    return container


def call(app: Container, method: str, path: str, body: Any = None) -> MockResponse:
    request = MockRequest(
        method=method,
        path=path,
        headers={"x-session-id": "s-1", "content-type": "application/json"},
        body=json.dumps(body).encode() if body is not None else b"",
    )
    return asyncio.run(app.engine.handle(request)).response


def test_generated_answers_come_from_the_model_and_are_cached() -> None:
    model = FakeModel([f"Sure! ```json\n{REPORT}\n```"])
    app = _engine(model)
    first = call(app, "GET", "/reports/r1/summary")
    assert first.source == "llm"
    assert first.body == json.loads(REPORT)
    second = call(app, "GET", "/reports/r1/summary")
    assert second.source == "cache"
    assert len(model.asked) == 1


def test_the_prompt_carries_the_rules_the_request_and_json_only() -> None:
    model = FakeModel([REPORT])
    app = _engine(model)
    call(app, "GET", "/reports/x1/summary")
    (asked,) = model.asked
    assert "You are a library API." in asked.system
    assert "books.pages_doubled is always pages * 2" in asked.system
    assert "JSON value only" in asked.system
    assert "Request: GET /reports/x1/summary" in asked.user


def test_a_new_entity_is_written_by_the_model_and_kept_by_the_store() -> None:
    model = FakeModel(['{"id": "ignored", "title": "Dune", "pages": 412}'])
    app = _engine(model)
    created = call(app, "POST", "/books", {"pages": 500})
    assert created.status == 201
    assert created.body["title"] == "Dune"  # the model's content
    assert created.body["pages"] == 500  # the request body wins over it
    assert created.body["pages_doubled"] == 1000  # the engine's computed field wins over both
    assert created.body["id"] != "ignored"  # the engine names ids
    fetched = call(app, "GET", f"/books/{created.body['id']}")
    assert fetched.body == created.body
    assert len(model.asked) == 1  # the GET is served by the store


def test_the_prompt_shows_the_stored_entity_a_sub_path_is_about() -> None:
    book_json = '{"id": "x", "title": "Dune", "pages": 412}'
    model = FakeModel([book_json, book_json])
    app = _engine(model)
    created = call(app, "POST", "/books", {})
    book = created.body["id"]
    call(app, "GET", f"/books/{book}/summary")
    assert len(model.asked) == 2
    user = model.asked[1].user
    assert "Entities this request touches" in user
    assert f'"id":"{book}"' in user.replace(" ", "")
    assert '"title":"Dune"' in user.replace(" ", "")


def test_a_request_about_no_stored_entity_sends_no_entities_section() -> None:
    model = FakeModel([REPORT])
    app = _engine(model)
    call(app, "GET", "/reports/x1/summary")
    assert "Entities this request touches" not in model.asked[0].user


def test_an_answer_that_breaks_the_schema_is_repaired_once() -> None:
    model = FakeModel(['{"id": "r", "name": "Weekly"}', REPORT])
    app = _engine(model)
    response = call(app, "GET", "/reports/r1/summary")
    assert response.source == "llm"
    assert response.body == json.loads(REPORT)
    assert len(model.asked) == 2
    assert "created_at" in model.asked[1].user  # the repair prompt names the error


def test_garbage_twice_falls_back_to_the_offline_generator() -> None:
    model = FakeModel(["I cannot help with that.", "Still no JSON, sorry."])
    app = _engine(model)
    response = call(app, "GET", "/reports/r1/summary")
    assert response.source == "fallback"
    assert response.status == 200
    assert response.headers["X-Mockmind-Fallback-Reason"] == (
        "answer still invalid after one repair: not usable JSON: "
        "no JSON object or array found in the answer"
    )
    # The fallback is not cached as an answer; the same request is not paid for again while
    # it is in the negative cache, and says so.
    model.answers.append(REPORT)
    again = call(app, "GET", "/reports/r1/summary")
    assert again.source == "fallback"
    assert again.headers["X-Mockmind-Fallback-Reason"] == (
        "this request fell back recently, not asked again yet: answer still invalid after one "
        "repair: not usable JSON: no JSON object or array found in the answer"
    )
    assert len(model.asked) == 2
    # Another request asks the model.
    assert call(app, "GET", "/reports/r2/summary").source == "llm"


@pytest.mark.parametrize("answer", ["[1, 2", '{"id": 5}', "null"])
def test_unusable_answers_never_reach_the_client(answer: str) -> None:
    app = _engine(FakeModel([answer, answer]))
    response = call(app, "GET", "/reports/r1/summary")
    assert response.source == "fallback"
    routed = app.api.route(MockRequest("GET", "/reports/r1/summary"))
    assert not app.api.response_errors(app.api.plan_response(routed), response.body)


def test_a_create_prompt_asks_for_the_status_it_answers() -> None:
    model = FakeModel(['{"id": "x", "title": "Dune", "pages": 412}'])
    app = _engine(model)
    assert call(app, "POST", "/books", {"pages": 500}).status == 201
    (asked,) = model.asked
    assert "Respond with HTTP status 201." in asked.user


def test_the_prompt_shows_the_stored_entities_a_body_names_by_id() -> None:
    book_json = '{"id": "x", "title": "Dune", "pages": 412}'
    model = FakeModel([book_json, REPORT])
    app = _engine(model)
    book = call(app, "POST", "/books", {}).body
    call(app, "POST", "/reviews", {"book_id": book["id"], "stars": 5})
    user = model.asked[1].user
    section = user.split("Entities this request touches (exact, do not change them):\n")[1]
    assert section.split("\n")[0] == json.dumps(book, separators=(",", ":"), sort_keys=True)


def test_a_path_no_schema_names_is_a_resource_with_the_model_too() -> None:
    model = FakeModel([REPORT, REPORT])
    app = _engine(model)
    created = call(app, "POST", "/widgets", {"name": "Sprocket"})
    assert created.status == 201
    assert created.body["name"] == "Sprocket"  # the request's fields win over the model's
    assert created.body["created_at"] == "2026-11-25T10:00:00Z"  # the model's content
    assert call(app, "GET", f"/widgets/{created.body['id']}").body == created.body
    seven = call(app, "GET", "/widgets/7")
    assert seven.body == {**json.loads(REPORT), "id": "7"}
    assert call(app, "GET", "/widgets/7").body == seven.body
    assert len(model.asked) == 2  # the create and the first read of widget 7


SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop" / "mockmind.yaml"


def _shop_call(app: Container, session: str, method: str, path: str, body: Any = None) -> Any:
    request = MockRequest(
        method=method,
        path=path,
        headers={"content-type": "application/json"},
        cookies={"mockforge_session": session},
        body=json.dumps(body).encode() if body is not None else b"",
    )
    response = asyncio.run(app.engine.handle(request)).response
    assert 200 <= response.status < 300, response.body
    return response.body


def test_an_entity_whose_every_field_the_engine_decides_costs_no_model_call() -> None:
    model = FakeModel([])
    app = _engine(model, load_config(SHOP, env={}))
    product = _shop_call(app, "s-1", "GET", "/products")[0]
    item = _shop_call(
        app, "s-1", "POST", "/cart/items", {"product_id": product["id"], "quantity": 2}
    )
    # id, product_id and quantity (the body), name and price (on_create): nothing to write.
    assert model.asked == []
    assert (item["name"], item["price"], item["quantity"]) == (
        product["name"],
        product["price"],
        2,
    )


def test_a_singleton_s_first_content_is_written_once_for_every_session() -> None:
    model = FakeModel(['{"items": [], "total": 0, "currency": "GBP"}'])
    app = _engine(model, load_config(SHOP, env={}))
    product = _shop_call(app, "s-1", "GET", "/products")[0]
    _shop_call(app, "s-1", "POST", "/cart/items", {"product_id": product["id"], "quantity": 1})
    first = _shop_call(app, "s-1", "GET", "/cart")
    second = _shop_call(app, "s-2", "GET", "/cart")
    assert len(model.asked) == 1
    # Shared content, no session's past: the prompt shows no history of s-1.
    assert "Recent interactions" not in model.asked[0].user
    assert (first["currency"], second["currency"]) == ("GBP", "GBP")
    # Each session's cart is its own: its items and total.
    assert [i["product_id"] for i in first["items"]] == [product["id"]]
    assert (second["items"], second["total"]) == ([], 0)


BOOK = '{"id": "x", "title": "Dune", "pages": 412}'


def _history(app: Container) -> list[tuple[str, str, str]]:
    session = app.sessions.get("s-1", now=time.time())
    assert session is not None
    return [(i.method, i.path, i.source) for i in session.history]


def test_an_entity_the_model_made_says_llm_and_store_once_stored() -> None:
    app = _engine(FakeModel([BOOK, BOOK]))
    created = call(app, "POST", "/books", {})
    assert (created.status, created.source) == (201, "llm")
    assert "X-Mockmind-Fallback-Reason" not in created.headers
    book = f"/books/{created.body['id']}"
    assert call(app, "GET", book).source == "store"
    assert call(app, "GET", "/books/777").source == "llm"  # read through: made now
    assert call(app, "GET", "/books/777").source == "store"
    assert _history(app) == [
        ("POST", "/books", "llm"),
        ("GET", book, "store"),
        ("GET", "/books/777", "llm"),
        ("GET", "/books/777", "store"),
    ]


def test_an_entity_made_after_the_model_failed_says_fallback_and_why() -> None:
    app = _engine(FakeModel(["no", "still no", "[]", "[]"]))
    created = call(app, "POST", "/books", {"title": "Emma"})
    assert (created.status, created.source) == (201, "fallback")
    assert created.body["title"] == "Emma"
    assert created.headers["X-Mockmind-Fallback-Reason"] == (
        "answer still invalid after one repair: not usable JSON: "
        "no JSON object or array found in the answer"
    )
    read = call(app, "GET", "/books/9")
    assert read.source == "fallback"
    assert read.headers["X-Mockmind-Fallback-Reason"].startswith(
        "answer still invalid after one repair: "
    )
    assert call(app, "GET", "/books/9").source == "store"
    assert _history(app) == [
        ("POST", "/books", "fallback"),
        ("GET", "/books/9", "fallback"),
        ("GET", "/books/9", "store"),
    ]


def test_without_a_model_made_entities_say_offline() -> None:
    app = build(parse_config(CONFIG, env={}), env={})
    created = call(app, "POST", "/books", {})
    assert (created.status, created.source) == (201, "offline")
    assert "X-Mockmind-Fallback-Reason" not in created.headers
    assert call(app, "GET", f"/books/{created.body['id']}").source == "store"
    assert call(app, "GET", "/books/5").source == "offline"
    assert call(app, "GET", "/books/5").source == "store"


class _Embedder:
    """The hashed embedder, counting the texts of each call."""

    def __init__(self) -> None:
        self._inner = LocalHashedEmbedder(16)
        self.calls: list[int] = []
        self.name = "local"
        self.model = "hashed-16"
        self.dimensions = 16

    async def embed(
        self, texts: Sequence[str], *, deadline: float | None = None
    ) -> list[list[float]]:
        self.calls.append(len(texts))
        return self._inner.embed_sync(texts)


def test_requests_only_queue_their_memory_and_only_a_model_call_embeds_a_query() -> None:
    embedder = _Embedder()
    memory = SemanticMemory(embedder, MemoryVectorMemory())
    app = _engine(FakeModel([BOOK, REPORT]), memory=memory)
    created = call(app, "POST", "/books", {})
    assert embedder.calls == [1], "the model was called: one query embedding for recall"
    call(app, "GET", f"/books/{created.body['id']}")
    call(app, "GET", "/books")
    assert embedder.calls == [1], "store reads embed nothing while they are answered"
    call(app, "GET", "/reports/r1/summary")
    call(app, "GET", "/reports/r1/summary")  # a cache hit
    assert embedder.calls == [1, 1]
    assert memory.pending == 5
    asyncio.run(memory.flush())
    assert embedder.calls == [1, 1, 5], "the five interactions in one call"
    assert memory.vectors.count("interactions") == 5


def test_each_request_reports_its_outcome_and_what_its_own_model_calls_cost() -> None:
    model = FakeModel([REPORT], name="openai", model="gpt-4o-mini")
    app = _engine(model)

    def outcome(path: str) -> RequestOutcome:
        request = MockRequest(method="GET", path=path, headers={"x-session-id": "s-1"})
        return asyncio.run(app.engine.handle(request)).outcome()

    # 10 prompt and 5 completion tokens at $0.00015 and $0.0006 per 1,000.
    call_cost = (10 * 0.00015 + 5 * 0.0006) / 1000
    first = outcome("/reports/r1/summary")
    assert (first.status, first.source, first.session_id, first.new_session) == (
        200,
        "llm",
        "s-1",
        True,
    )
    assert (first.usage.calls, first.usage.prompt_tokens, first.usage.completion_tokens) == (
        1,
        10,
        5,
    )
    assert first.usage.cost_usd == pytest.approx(call_cost)
    assert (first.cache_hit, first.fell_back, first.fallback_reason) == (False, False, None)
    cached = outcome("/reports/r1/summary")
    assert (cached.source, cached.new_session, cached.usage) == ("cache", False, ContentUsage())
    assert (cached.cache_hit, cached.fell_back) == (True, False)
    model.answers = ["no JSON", "still none"]
    fell_back = outcome("/reports/r2/summary")
    assert (fell_back.source, fell_back.fell_back, fell_back.usage.calls) == ("fallback", True, 2)
    assert fell_back.usage.cost_usd == pytest.approx(2 * call_cost)
    assert fell_back.fallback_reason == (
        "answer still invalid after one repair: not usable JSON: "
        "no JSON object or array found in the answer"
    )
    # A new entity's content is the request's spending too.
    model.answers = ['{"id": "x", "title": "Dune", "pages": 412}']
    request = MockRequest(
        method="POST",
        path="/books",
        headers={"x-session-id": "s-1", "content-type": "application/json"},
        body=b"{}",
    )
    created = asyncio.run(app.engine.handle(request)).outcome()
    assert (created.status, created.source, created.usage.calls) == (201, "llm", 1)
