"""OpenAI and OpenAI-compatible endpoints: chat completions in JSON mode, and embeddings.

An OpenAI-compatible server (vLLM, LM Studio, LiteLLM, a corporate gateway) is the same adapter
with another base URL and, often, no key.
"""

from __future__ import annotations

import base64
import sys
from array import array
from collections.abc import Sequence

from pydantic import Field

from mockmind.adapters.llm._wire import ProviderAdapter, Wire, parse_wire
from mockmind.adapters.llm.http import ResilientHttp
from mockmind.adapters.llm.secret import Secret
from mockmind.ports.llm import ChatRequest, ChatResult, Embeddings, ProviderError

# Inputs per embeddings request: well under OpenAI's 2048, so one request stays small and fast.
EMBEDDING_BATCH = 256

_KNOWN_DIMENSIONS = {
    "text-embedding-ada-002": 1536,
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
}


class _Message(Wire):
    content: str | None = None
    refusal: str | None = None


class _Choice(Wire):
    message: _Message
    finish_reason: str | None = None


class _Usage(Wire):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class _ChatResponse(Wire):
    choices: list[_Choice] = Field(min_length=1)
    model: str | None = None
    usage: _Usage | None = None


class _Embedding(Wire):
    index: int
    # Base64 of little-endian float32 when asked for (``encoding_format``), else numbers.
    embedding: list[float] | str


class _EmbeddingUsage(Wire):
    prompt_tokens: int | None = None


class _EmbeddingResponse(Wire):
    data: list[_Embedding]
    usage: _EmbeddingUsage | None = None


def _headers(api_key: Secret | None) -> dict[str, str]:
    if api_key:
        return {"Authorization": f"Bearer {api_key.reveal()}"}
    return {}


class OpenAIChat(ProviderAdapter):
    def __init__(
        self,
        http: ResilientHttp,
        model: str,
        *,
        api_key: Secret | None,
        name: str = "openai",
        json_mode: bool = True,
    ) -> None:
        super().__init__(http, model, name)
        self._api_key = api_key
        self._json_mode = json_mode

    async def complete(self, request: ChatRequest, *, deadline: float | None = None) -> ChatResult:
        body: dict[str, object] = {
            "model": self._model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.user},
            ],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if self._json_mode:
            # JSON mode guarantees syntax, not the schema; the prompt carries the schema and the
            # caller validates. (Structured outputs would reject many of our schemas' keywords.)
            body["response_format"] = {"type": "json_object"}
        data = await self._http.post_json(
            "/v1/chat/completions", body, headers=_headers(self._api_key), deadline=deadline
        )
        reply = parse_wire(_ChatResponse, data, self._name)
        choice = reply.choices[0]
        if choice.message.content is None:
            why = choice.message.refusal or f"finish_reason {choice.finish_reason}"
            raise ProviderError(self._name, f"no content in the answer ({why[:200]})")
        text = choice.message.content
        counts = reply.usage or _Usage()
        return self._result(
            request, text, reply.model, counts.prompt_tokens, counts.completion_tokens
        )


class OpenAIEmbeddings(ProviderAdapter):
    def __init__(
        self,
        http: ResilientHttp,
        model: str,
        *,
        api_key: Secret | None,
        name: str = "openai",
        dimensions: int | None = None,
        batch_size: int = EMBEDDING_BATCH,
    ) -> None:
        super().__init__(http, model, name)
        self._api_key = api_key
        self._dimensions = dimensions or _KNOWN_DIMENSIONS.get(model, 0)
        self._batch = max(1, batch_size)
        self._base64 = True

    @property
    def dimensions(self) -> int:
        """Known for OpenAI's models; learned from the first answer for other servers (0 before)."""
        return self._dimensions

    async def embed(
        self, texts: Sequence[str], *, deadline: float | None = None
    ) -> list[list[float]]:
        vectors = Embeddings()
        counted: int | None = 0
        for start in range(0, len(texts), self._batch):
            batch = list(texts[start : start + self._batch])
            reply = await self._ask(batch, deadline)
            if len(reply.data) != len(batch):
                raise ProviderError(
                    self._name, f"asked for {len(batch)} embeddings, got {len(reply.data)}"
                )
            # The API may answer out of order; ``index`` is the contract.
            ordered = sorted(reply.data, key=lambda e: e.index)
            try:
                vectors.extend(_floats(item.embedding) for item in ordered)
            except ValueError as exc:  # binascii.Error is one
                raise ProviderError(
                    self._name, f"an embedding is not base64 float32: {exc}"
                ) from None
            tokens = reply.usage.prompt_tokens if reply.usage else None
            counted = None if counted is None or tokens is None else counted + tokens
        vectors.tokens = counted if texts else 0
        if vectors:
            self._dimensions = len(vectors[0])
        return vectors

    async def _ask(self, batch: list[str], deadline: float | None) -> _EmbeddingResponse:
        """One embeddings request, in base64 while the server takes it.

        1,536 numbers as JSON text take about a millisecond of CPU to parse per text, on the
        event loop that serves requests; as base64 they decode in microseconds (OpenAI's own
        clients ask so). A compatible server that ignores the field answers numbers, which
        are read as well; one that refuses it (400, 422) is asked in numbers from then on.
        """
        body: dict[str, object] = {"model": self._model, "input": batch}
        if self._base64:
            body["encoding_format"] = "base64"
        headers = _headers(self._api_key)
        try:
            data = await self._http.post_json(
                "/v1/embeddings", body, headers=headers, deadline=deadline
            )
        except ProviderError as exc:
            if not self._base64 or not exc.reason.startswith(("HTTP 400", "HTTP 422")):
                raise
            self._base64 = False
            del body["encoding_format"]
            data = await self._http.post_json(
                "/v1/embeddings", body, headers=headers, deadline=deadline
            )
        return parse_wire(_EmbeddingResponse, data, self._name)


def _floats(embedding: list[float] | str) -> list[float]:
    if isinstance(embedding, list):
        return embedding
    values = array("f", base64.b64decode(embedding))
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()
