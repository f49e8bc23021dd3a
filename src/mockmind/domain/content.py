"""Content from a language model, made safe to serve: extracted, validated, repaired once, and
otherwise replaced by a fallback the caller fills from the offline generator.

``LlmContent.generate`` never raises for a provider's failure or a bad answer; it returns a
``ContentResult`` whose ``source`` says whether the body came from the model or the caller must
fall back, and ``reason`` says why (for the log and the ``fallback`` source header).

Concurrent calls with the same key share one provider call (single flight): a burst of identical
requests while the model is slow costs one answer, not N. A daily budget, once spent, stops
calls before they are made.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from mockmind.domain.costs import CostTracker
from mockmind.domain.json_extraction import JsonExtractionError, extract_json
from mockmind.domain.prompts import Prompt
from mockmind.ports.llm import ChatProvider, ChatRequest, ChatResult, ProviderError

logger = logging.getLogger("mockmind.content")

Validator = Callable[[Any], list[str]]
"""The errors that make a value unacceptable (an empty list accepts it)."""

_MAX_ERRORS_SHOWN = 10
_MAX_ERROR_CHARS = 300
_MAX_REASON_ERRORS = 3


@dataclass(frozen=True)
class ContentUsage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    # True when any call's token counts were estimated (the provider reported none).
    estimated: bool = False

    def plus(self, result: ChatResult, cost: float) -> ContentUsage:
        return ContentUsage(
            calls=self.calls + 1,
            prompt_tokens=self.prompt_tokens + result.prompt_tokens,
            completion_tokens=self.completion_tokens + result.completion_tokens,
            cost_usd=self.cost_usd + cost,
            estimated=self.estimated or result.estimated_usage,
        )


@dataclass(frozen=True)
class ContentResult:
    # The validated value when ``source`` is "llm"; None on fallback.
    body: Any
    source: Literal["llm", "fallback"]
    reason: str | None
    usage: ContentUsage
    provider: str
    model: str
    repaired: bool = False


class ContentObserver(Protocol):
    """Told about every result (metrics, logs); must not raise."""

    def observe(self, result: ContentResult) -> None: ...


@dataclass(frozen=True)
class ContentSettings:
    max_tokens: int = 1024
    temperature: float = 0.7
    # How much of a rejected answer is echoed back in the repair prompt.
    repair_echo_chars: int = 6000


@dataclass
class _Run:
    prompt: Prompt
    validate: Validator
    session_id: str | None
    deadline: float | None
    json_schema: Mapping[str, Any] | None
    usage: ContentUsage = field(default_factory=ContentUsage)


class LlmContent:
    def __init__(
        self,
        provider: ChatProvider,
        costs: CostTracker,
        *,
        settings: ContentSettings | None = None,
        observers: Sequence[ContentObserver] = (),
    ) -> None:
        self.provider = provider
        self.costs = costs
        self._settings = settings or ContentSettings()
        self._observers = tuple(observers)
        self._inflight: dict[str, asyncio.Future[ContentResult]] = {}

    async def generate(
        self,
        prompt: Prompt,
        validate: Validator,
        key: str,
        *,
        session_id: str | None = None,
        deadline: float | None = None,
        json_schema: Mapping[str, Any] | None = None,
    ) -> ContentResult:
        """The content for ``prompt``; callers with the same ``key`` at once share one call.

        ``deadline`` is monotonic seconds (``time.monotonic()`` plus the Lambda invocation's
        remaining time) and bounds the provider's retries.
        """
        loop = asyncio.get_running_loop()
        shared = self._inflight.get(key)
        # A future left by a loop that has since closed (tests, a recycled worker) is dead.
        if shared is None or shared.get_loop() is not loop:
            run = _Run(prompt, validate, session_id, deadline, json_schema)
            shared = loop.create_task(self._produce(run))
            self._inflight[key] = shared
            shared.add_done_callback(lambda done: self._forget(key, done))
        # Shielded: one waiter giving up (a client disconnect) must not cancel the others' call.
        return await asyncio.shield(shared)

    def _forget(self, key: str, done: asyncio.Future[ContentResult]) -> None:
        if self._inflight.get(key) is done:
            del self._inflight[key]

    async def _produce(self, run: _Run) -> ContentResult:
        result = await self._attempts(run)
        if result.source == "fallback":
            self.costs.record_fallback(run.session_id)
            logger.warning(
                "LLM content from %s fell back to the offline generator: %s",
                result.provider,
                result.reason,
            )
        for observer in self._observers:
            observer.observe(result)
        return result

    async def _attempts(self, run: _Run) -> ContentResult:
        if self.costs.budget_exhausted():
            return self._fallback(
                run, f"the daily LLM budget of ${self.costs.daily_budget_usd:.2f} is spent"
            )
        first = await self._call(run, run.prompt.user)
        if isinstance(first, ProviderError):
            return self._fallback(run, f"the provider failed: {first.reason}")
        value, errors = self._check(first.text, run.validate)
        if not errors:
            return self._success(run, value, repaired=False)
        summary = _summary(errors)
        if self.costs.budget_exhausted():
            return self._fallback(
                run, f"invalid answer ({summary}); no repair, the budget is spent"
            )
        second = await self._call(run, self._repair_prompt(run.prompt.user, first.text, errors))
        if isinstance(second, ProviderError):
            return self._fallback(
                run, f"invalid answer ({summary}); the repair call failed: {second.reason}"
            )
        value, errors = self._check(second.text, run.validate)
        if not errors:
            return self._success(run, value, repaired=True)
        return self._fallback(run, f"answer still invalid after one repair: {_summary(errors)}")

    async def _call(self, run: _Run, user: str) -> ChatResult | ProviderError:
        request = ChatRequest(
            system=run.prompt.system,
            user=user,
            max_tokens=self._settings.max_tokens,
            temperature=self._settings.temperature,
            json_schema=run.json_schema,
        )
        try:
            result = await self.provider.complete(request, deadline=run.deadline)
        except ProviderError as exc:
            return exc
        cost = self.costs.record(
            provider=result.provider,
            model=result.model,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            session_id=run.session_id,
            estimated=result.estimated_usage,
        )
        run.usage = run.usage.plus(result, cost)
        return result

    @staticmethod
    def _check(text: str, validate: Validator) -> tuple[Any, list[str]]:
        try:
            value = extract_json(text)
        except JsonExtractionError as exc:
            return None, [f"not usable JSON: {exc.reason}"]
        return value, validate(value)

    def _repair_prompt(self, user: str, answer: str, errors: list[str]) -> str:
        limit = self._settings.repair_echo_chars
        echoed = answer if len(answer) <= limit else answer[:limit] + "…(cut)"
        listed = "\n".join(f"- {e[:_MAX_ERROR_CHARS]}" for e in errors[:_MAX_ERRORS_SHOWN])
        return (
            f"{user}\n\nYour previous answer was:\n{echoed}\n\n"
            f"It was rejected for these reasons:\n{listed}\n\n"
            "Answer again with one corrected JSON value only, valid against the schema."
        )

    def _success(self, run: _Run, value: Any, *, repaired: bool) -> ContentResult:
        return ContentResult(
            body=value,
            source="llm",
            reason="repaired after one invalid answer" if repaired else None,
            usage=run.usage,
            provider=self.provider.name,
            model=self.provider.model,
            repaired=repaired,
        )

    def _fallback(self, run: _Run, reason: str) -> ContentResult:
        return ContentResult(
            body=None,
            source="fallback",
            reason=reason,
            usage=run.usage,
            provider=self.provider.name,
            model=self.provider.model,
        )


def _summary(errors: list[str]) -> str:
    shown = "; ".join(e[:_MAX_ERROR_CHARS] for e in errors[:_MAX_REASON_ERRORS])
    more = len(errors) - _MAX_REASON_ERRORS
    return f"{shown}; and {more} more" if more > 0 else shown
