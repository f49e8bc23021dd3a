"""Helpers every adapter uses to read a provider's answer into our types."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from mockmind.domain.tokens import estimate_tokens
from mockmind.ports.llm import ChatRequest, ChatResult, ProviderError

if TYPE_CHECKING:
    from mockmind.adapters.llm.http import ResilientHttp


class Wire(BaseModel):
    """A provider's JSON: fields we read are typed, anything else they add is ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def parse_wire[W: Wire](shape: type[W], data: Any, provider: str) -> W:
    try:
        return shape.model_validate(data)
    except ValidationError as exc:
        # Only locations and messages: pydantic's default text quotes the input values.
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "(root)"
        raise ProviderError(
            provider, f"unexpected response shape at {where}: {first['msg']}"
        ) from None


def usage(
    request: ChatRequest, text: str, prompt_tokens: int | None, completion_tokens: int | None
) -> tuple[int, int, bool]:
    """The provider's token counts, or len/4 estimates flagged as such when it gave none."""
    if prompt_tokens is not None and completion_tokens is not None:
        return prompt_tokens, completion_tokens, False
    estimated_prompt = estimate_tokens(request.system) + estimate_tokens(request.user)
    return (
        prompt_tokens if prompt_tokens is not None else estimated_prompt,
        completion_tokens if completion_tokens is not None else estimate_tokens(text),
        True,
    )


class ProviderAdapter:
    """What every provider adapter has: its HTTP layer, its model and the name it reports."""

    def __init__(self, http: ResilientHttp, model: str, name: str) -> None:
        self._http = http
        self._model = model
        self._name = name

    def __repr__(self) -> str:
        # Never the key: only what identifies the adapter in a log line.
        return f"{type(self).__name__}({self._name!r}, {self._model!r}, {self._http.base_url!r})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def model(self) -> str:
        return self._model

    @property
    def http(self) -> ResilientHttp:
        return self._http

    def _result(
        self,
        request: ChatRequest,
        text: str,
        model: str | None,
        prompt_tokens: int | None,
        completion_tokens: int | None,
    ) -> ChatResult:
        prompt, completion, estimated = usage(request, text, prompt_tokens, completion_tokens)
        return ChatResult(
            text=text,
            provider=self._name,
            model=model or self._model,
            prompt_tokens=prompt,
            completion_tokens=completion,
            estimated_usage=estimated,
        )
