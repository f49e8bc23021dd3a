"""Each adapter against a loopback server speaking its provider's protocol: the request's path,
headers and body fields, and how the answer is read."""

from __future__ import annotations

import base64
import struct

import pytest

from mockmind.adapters.llm.anthropic import AnthropicChat
from mockmind.adapters.llm.ollama import OllamaChat, OllamaEmbeddings
from mockmind.adapters.llm.openai import OpenAIChat, OpenAIEmbeddings
from mockmind.adapters.llm.secret import Secret
from mockmind.ports.llm import ChatRequest, ProviderError
from tests.integration.llm.helpers import KEY, arun, http
from tests.support.fake_provider import (
    FakeProvider,
    Reply,
    anthropic_message,
    ollama_chat,
    openai_chat,
)

REQUEST = ChatRequest(
    system="You are an API.", user="GET /users/1", max_tokens=256, temperature=0.2
)


def test_openai_chat_request_shape_and_usage(fake: FakeProvider) -> None:
    fake.queue(Reply(body=openai_chat('{"id": "u1"}')))

    async def run() -> None:
        chat = OpenAIChat(http(fake.url), "gpt-4o-mini", api_key=Secret(KEY))
        result = await chat.complete(REQUEST)
        assert result.text == '{"id": "u1"}'
        assert (result.prompt_tokens, result.completion_tokens) == (120, 30)
        assert result.estimated_usage is False
        assert (result.provider, result.model) == ("openai", "gpt-4o-mini")

    arun(run())
    [seen] = fake.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.headers["content-type"] == "application/json"
    assert seen.body["model"] == "gpt-4o-mini"
    assert seen.body["messages"] == [
        {"role": "system", "content": "You are an API."},
        {"role": "user", "content": "GET /users/1"},
    ]
    assert seen.body["response_format"] == {"type": "json_object"}
    assert (seen.body["max_tokens"], seen.body["temperature"]) == (256, 0.2)


def test_openai_compatible_without_key_and_missing_usage_is_estimated(fake: FakeProvider) -> None:
    fake.queue(Reply(body=openai_chat('{"ok": true}', usage=False, model="local-llama")))

    async def run() -> None:
        chat = OpenAIChat(
            http(fake.url, provider="openai_compatible"),
            "local-llama",
            api_key=None,
            name="openai_compatible",
        )
        result = await chat.complete(REQUEST)
        assert result.estimated_usage is True
        # len/4 + 1 per text: the system and user prompts, then the answer.
        assert result.prompt_tokens == (15 // 4 + 1) + (12 // 4 + 1)
        assert result.completion_tokens == len('{"ok": true}') // 4 + 1

    arun(run())
    assert "authorization" not in fake.requests[0].headers


def test_openai_refusal_is_a_provider_error(fake: FakeProvider) -> None:
    body = openai_chat("x")
    body["choices"][0]["message"] = {"role": "assistant", "content": None, "refusal": "I can't"}
    fake.queue(Reply(body=body))

    async def run() -> None:
        with pytest.raises(ProviderError, match="no content in the answer \\(I can't\\)"):
            await OpenAIChat(http(fake.url), "gpt-4o-mini", api_key=Secret(KEY)).complete(REQUEST)

    arun(run())


def test_anthropic_request_shape(fake: FakeProvider) -> None:
    answer = anthropic_message('{"id": 7}')
    answer["content"].insert(0, {"type": "thinking", "thinking": "hmm"})
    fake.queue(Reply(body=answer))

    async def run() -> None:
        chat = AnthropicChat(
            http(fake.url, provider="anthropic"), "claude-3-5-haiku-latest", api_key=Secret(KEY)
        )
        result = await chat.complete(REQUEST)
        assert result.text == '{"id": 7}'
        assert (result.prompt_tokens, result.completion_tokens) == (200, 40)
        assert result.provider == "anthropic"

    arun(run())
    [seen] = fake.requests
    assert seen.path == "/v1/messages"
    assert seen.headers["x-api-key"] == KEY
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in seen.headers
    assert seen.body["system"] == "You are an API."
    assert seen.body["messages"] == [{"role": "user", "content": "GET /users/1"}]
    assert seen.body["max_tokens"] == 256


def test_anthropic_without_text_blocks_fails(fake: FakeProvider) -> None:
    answer = anthropic_message("")
    answer["content"] = []
    answer["stop_reason"] = "max_tokens"
    fake.queue(Reply(body=answer))

    async def run() -> None:
        chat = AnthropicChat(http(fake.url, provider="anthropic"), "c", api_key=Secret(KEY))
        with pytest.raises(ProviderError, match="stop_reason max_tokens"):
            await chat.complete(REQUEST)

    arun(run())


def test_ollama_request_shape(fake: FakeProvider) -> None:
    fake.queue(Reply(body=ollama_chat('{"a": 1}')), Reply(body=ollama_chat("{}", counts=False)))

    async def run() -> None:
        chat = OllamaChat(http(fake.url, provider="ollama"), "llama3.2")
        first = await chat.complete(REQUEST)
        assert (first.prompt_tokens, first.completion_tokens, first.estimated_usage) == (
            50,
            12,
            False,
        )
        second = await chat.complete(REQUEST)
        assert second.estimated_usage is True

    arun(run())
    seen = fake.requests[0]
    assert seen.path == "/api/chat"
    assert seen.body["format"] == "json"
    assert seen.body["stream"] is False
    assert seen.body["messages"][0] == {"role": "system", "content": "You are an API."}
    assert seen.body["options"] == {"temperature": 0.2, "num_predict": 256}
    assert "authorization" not in seen.headers


def test_openai_embeddings_are_batched_and_ordered_by_index(fake: FakeProvider) -> None:
    def answer(seen: object) -> Reply:
        inputs = fake.requests[-1].body["input"]
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(text)), float(i)]}
            for i, text in enumerate(inputs)
        ]
        return Reply(body={"object": "list", "data": list(reversed(data)), "model": "m"})

    fake.default = answer
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]

    async def run() -> list[list[float]]:
        embedder = OpenAIEmbeddings(
            http(fake.url), "text-embedding-3-small", api_key=Secret(KEY), batch_size=2
        )
        assert embedder.dimensions == 1536
        vectors = await embedder.embed(texts)
        assert embedder.dimensions == 2
        return vectors

    vectors = arun(run())
    assert [v[0] for v in vectors] == [1, 2, 3, 4, 5]
    assert [r.body["input"] for r in fake.requests] == [["a", "bb"], ["ccc", "dddd"], ["eeeee"]]
    assert {r.path for r in fake.requests} == {"/v1/embeddings"}
    assert fake.requests[0].body["model"] == "text-embedding-3-small"
    assert fake.requests[0].headers["authorization"] == f"Bearer {KEY}"
    # Asked in base64; a server that ignores that and answers numbers is read as well.
    assert {r.body["encoding_format"] for r in fake.requests} == {"base64"}


def _b64(values: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


def test_openai_embeddings_in_base64_and_a_server_that_refuses_it(fake: FakeProvider) -> None:
    fake.queue(
        Reply(
            body={
                "data": [{"index": 0, "embedding": _b64([0.5, -0.25])}],
                "usage": {"prompt_tokens": 3, "total_tokens": 3},
            }
        ),
        Reply(400, {"error": {"message": "Unknown field encoding_format"}}),
        Reply(body={"data": [{"index": 0, "embedding": [0.75, 0.0]}]}),
        Reply(body={"data": [{"index": 0, "embedding": [0.0, 1.0]}]}),
        Reply(body={"data": [{"index": 0, "embedding": "not base64!"}]}),
    )

    async def run() -> list[object]:
        embedder = OpenAIEmbeddings(http(fake.url), "bge-small", api_key=None)
        first = await embedder.embed(["a"])
        second = await embedder.embed(["b"])
        third = await embedder.embed(["c"])
        try:
            await embedder.embed(["d"])
        except ProviderError as exc:
            tokens = [getattr(first, "tokens", "?"), getattr(second, "tokens", "?")]
            return [first, tokens[0], second, tokens[1], third, exc.reason]
        return []

    first, tokens, second, no_tokens, third, reason = arun(run())
    assert (first, tokens) == ([[0.5, -0.25]], 3)
    assert (second, no_tokens, third) == ([[0.75, 0.0]], None, [[0.0, 1.0]])
    assert [r.body.get("encoding_format") for r in fake.requests] == [
        "base64",
        "base64",
        None,
        None,
        None,
    ]
    assert reason == (
        "an embedding is not base64 float32: Invalid base64-encoded string: number of data "
        "characters (9) cannot be 1 more than a multiple of 4"
    )


def test_ollama_embed(fake: FakeProvider) -> None:
    fake.queue(Reply(body={"model": "nomic-embed-text", "embeddings": [[0.1, 0.2, 0.3]] * 2}))

    async def run() -> None:
        embedder = OllamaEmbeddings(http(fake.url, provider="ollama"), "nomic-embed-text")
        assert await embedder.embed(["x", "y"]) == [[0.1, 0.2, 0.3]] * 2
        assert embedder.dimensions == 3

    arun(run())
    assert fake.requests[0].path == "/api/embed"
    assert fake.requests[0].body == {"model": "nomic-embed-text", "input": ["x", "y"]}


def test_embedding_count_mismatch_is_an_error(fake: FakeProvider) -> None:
    fake.queue(Reply(body={"embeddings": [[0.1]]}))

    async def run() -> None:
        embedder = OllamaEmbeddings(http(fake.url, provider="ollama"), "m")
        with pytest.raises(ProviderError, match="asked for 2 embeddings, got 1"):
            await embedder.embed(["x", "y"])

    arun(run())


def test_unexpected_shape_names_the_field_not_the_values(fake: FakeProvider) -> None:
    fake.queue(Reply(body={"choices": [{"message": {"content": 42}}], "secret": KEY}))

    async def run() -> None:
        chat = OpenAIChat(http(fake.url), "gpt-4o-mini", api_key=Secret(KEY))
        with pytest.raises(ProviderError) as caught:
            await chat.complete(REQUEST)
        assert "choices.0.message.content" in caught.value.reason
        assert KEY not in str(caught.value)

    arun(run())
