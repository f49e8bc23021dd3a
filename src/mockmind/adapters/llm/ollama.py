"""Ollama's native API: ``/api/chat`` in JSON format without streaming, and ``/api/embed``."""

from __future__ import annotations

from collections.abc import Sequence

from mockmind.adapters.llm._wire import ProviderAdapter, Wire, parse_wire
from mockmind.adapters.llm.http import ResilientHttp
from mockmind.ports.llm import ChatRequest, ChatResult, Embeddings, ProviderError


class _Message(Wire):
    content: str


class _ChatResponse(Wire):
    message: _Message
    model: str | None = None
    done: bool = True
    prompt_eval_count: int | None = None
    eval_count: int | None = None


class _EmbedResponse(Wire):
    embeddings: list[list[float]]
    prompt_eval_count: int | None = None


class OllamaChat(ProviderAdapter):
    def __init__(self, http: ResilientHttp, model: str, *, name: str = "ollama") -> None:
        super().__init__(http, model, name)

    async def complete(self, request: ChatRequest, *, deadline: float | None = None) -> ChatResult:
        body = {
            "model": self._model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.user},
            ],
            "format": "json",
            "stream": False,
            "options": {"temperature": request.temperature, "num_predict": request.max_tokens},
        }
        data = await self._http.post_json("/api/chat", body, deadline=deadline)
        reply = parse_wire(_ChatResponse, data, self._name)
        text = reply.message.content
        if not text:
            raise ProviderError(self._name, "empty answer")
        # Ollama leaves prompt_eval_count out when the prompt came from its cache.
        return self._result(request, text, reply.model, reply.prompt_eval_count, reply.eval_count)


class OllamaEmbeddings(ProviderAdapter):
    def __init__(
        self, http: ResilientHttp, model: str, *, name: str = "ollama", dimensions: int = 0
    ) -> None:
        super().__init__(http, model, name)
        self._dimensions = dimensions

    @property
    def dimensions(self) -> int:
        """Learned from the first answer (0 before): it depends on the model pulled."""
        return self._dimensions

    async def embed(
        self, texts: Sequence[str], *, deadline: float | None = None
    ) -> list[list[float]]:
        if not texts:
            return Embeddings(tokens=0)
        data = await self._http.post_json(
            "/api/embed", {"model": self._model, "input": list(texts)}, deadline=deadline
        )
        reply = parse_wire(_EmbedResponse, data, self._name)
        if len(reply.embeddings) != len(texts):
            raise ProviderError(
                self._name, f"asked for {len(texts)} embeddings, got {len(reply.embeddings)}"
            )
        self._dimensions = len(reply.embeddings[0])
        return Embeddings(reply.embeddings, reply.prompt_eval_count)
