"""Anthropic's Messages API: the system prompt is its own field, the text comes in blocks."""

from __future__ import annotations

from mockmind.adapters.llm._wire import ProviderAdapter, Wire, parse_wire
from mockmind.adapters.llm.http import ResilientHttp
from mockmind.adapters.llm.secret import Secret
from mockmind.ports.llm import ChatRequest, ChatResult, ProviderError

ANTHROPIC_VERSION = "2023-06-01"


class _Block(Wire):
    type: str
    text: str | None = None


class _Usage(Wire):
    input_tokens: int | None = None
    output_tokens: int | None = None


class _MessageResponse(Wire):
    content: list[_Block]
    model: str | None = None
    stop_reason: str | None = None
    usage: _Usage | None = None


class AnthropicChat(ProviderAdapter):
    def __init__(
        self, http: ResilientHttp, model: str, *, api_key: Secret, name: str = "anthropic"
    ) -> None:
        super().__init__(http, model, name)
        self._api_key = api_key

    async def complete(self, request: ChatRequest, *, deadline: float | None = None) -> ChatResult:
        body = {
            "model": self._model,
            "system": request.system,
            "messages": [{"role": "user", "content": request.user}],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        headers = {"x-api-key": self._api_key.reveal(), "anthropic-version": ANTHROPIC_VERSION}
        data = await self._http.post_json("/v1/messages", body, headers=headers, deadline=deadline)
        reply = parse_wire(_MessageResponse, data, self._name)
        text = "".join(block.text or "" for block in reply.content if block.type == "text")
        if not text:
            raise ProviderError(
                self._name, f"no text in the answer (stop_reason {reply.stop_reason})"
            )
        counts = reply.usage or _Usage()
        return self._result(request, text, reply.model, counts.input_tokens, counts.output_tokens)
