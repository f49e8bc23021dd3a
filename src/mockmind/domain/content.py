"""Content from a language model, made safe to serve: extracted, validated, repaired once, and
otherwise replaced by a fallback the caller fills from the offline generator.

``LlmContent.generate`` never raises for a provider's failure or a bad answer; it returns a
``ContentResult`` whose ``source`` says whether the body came from the model or the caller must
fall back, and ``reason`` says why (for the log and the ``fallback`` source header).

Concurrent calls with the same key share one provider call (single flight): a burst of identical
requests while the model is slow costs one answer, not N. A daily budget, once spent, stops
calls before they are made. A key whose answer fell back is not asked again for
``negative_ttl_seconds`` (the negative cache): a schema-breaking answer is paid for once, not on
every repeat. An answer still invalid after its repair is reported to the breaker
(``AnswerBreaker``), so a model that keeps breaking the schema is stopped like one that is down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol

from mockmind.domain.costs import CostTracker, format_usd
from mockmind.domain.json_extraction import JsonExtractionError, extract_json
from mockmind.domain.outcome import ContentUsage
from mockmind.lean_dataclass import dataclass
from mockmind.ports.clock import Clock
from mockmind.ports.llm import ChatProvider, ChatRequest, ChatResult, ProviderError

if TYPE_CHECKING:
    # Prompts are built by the engine's content source, which imports them when it writes one.
    from mockmind.domain.prompts import Prompt

logger = logging.getLogger("mockmind.content")

Validator = Callable[[Any], list[str]]
"""The errors that make a value unacceptable (an empty list accepts it)."""

_MAX_ERRORS_SHOWN = 10
_MAX_ERROR_CHARS = 300
_MAX_REASON_ERRORS = 3


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
    # The prompt variant the request's session is in (domain/prompt_experiment.py), if any.
    variant: str | None = None
    # From the first call to the result, repairs included (0 when no call was made).
    latency_ms: float = 0.0


class ContentObserver(Protocol):
    """Told about every result (metrics, logs); must not raise."""

    def observe(self, result: ContentResult) -> None: ...


class AnswerBreaker(Protocol):
    """The chat provider's circuit breaker, told whether the answers it let through were usable."""

    def is_open(self) -> bool: ...

    def record_valid(self) -> None: ...

    def record_invalid(self) -> None: ...


@dataclass(frozen=True)
class ContentSettings:
    max_tokens: int = 1024
    temperature: float = 0.7
    # How much of a rejected answer is echoed back in the repair prompt.
    repair_echo_chars: int = 6000
    # How long a key that fell back is answered by the fallback without asking (0: never).
    negative_ttl_seconds: float = 60.0
    # Keys the negative cache holds at most; the oldest go first.
    negative_max_keys: int = 10_000


@dataclass
class _Run:
    prompt: Prompt
    validate: Validator
    session_id: str | None
    deadline: float | None
    json_schema: Mapping[str, Any] | None
    variant: str | None = None
    usage: ContentUsage = field(default_factory=ContentUsage)


class LlmContent:
    def __init__(
        self,
        provider: ChatProvider,
        costs: CostTracker,
        *,
        settings: ContentSettings | None = None,
        observers: Sequence[ContentObserver] = (),
        breaker: AnswerBreaker | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.provider = provider
        self.costs = costs
        self._settings = settings or ContentSettings()
        self._observers = tuple(observers)
        self._breaker = breaker
        self._clock = clock or costs.clock
        self._inflight: dict[str, asyncio.Future[ContentResult]] = {}
        # key -> (until when, the reason it fell back)
        self._fell_back: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def refusal(self, key: str) -> str | None:
        """Why ``generate`` would fall back for ``key`` without calling the model (None: it
        would call). Lets a caller skip work only a call needs (the recall's embedding)."""
        if self.costs.budget_exhausted():
            return self._budget_reason()
        remembered = self._fell_back.get(key)
        if remembered is not None:
            until, reason = remembered
            if self._clock.now() < until:
                return f"this request fell back recently, not asked again yet: {reason}"
            del self._fell_back[key]
        return None

    def will_call(self, key: str) -> bool:
        """Whether ``generate`` for ``key`` would reach the provider now."""
        if self.refusal(key) is not None:
            return False
        return self._breaker is None or not self._breaker.is_open()

    def _budget_reason(self) -> str:
        budget = self.costs.daily_budget_usd or 0.0
        return f"the daily LLM budget of {format_usd(budget)} is spent"

    async def generate(
        self,
        prompt: Prompt,
        validate: Validator,
        key: str,
        *,
        session_id: str | None = None,
        deadline: float | None = None,
        json_schema: Mapping[str, Any] | None = None,
        variant: str | None = None,
    ) -> ContentResult:
        """The content for ``prompt``; callers with the same ``key`` at once share one call.

        ``deadline`` is monotonic seconds (``time.monotonic()`` plus the Lambda invocation's
        remaining time) and bounds the provider's retries.
        """
        loop = asyncio.get_running_loop()
        shared = self._inflight.get(key)
        # A future left by a loop that has since closed (tests, a recycled worker) is dead.
        joined = shared is not None and shared.get_loop() is loop
        if shared is None or not joined:
            run = _Run(prompt, validate, session_id, deadline, json_schema, variant)
            shared = loop.create_task(self._produce(run, key))
            self._inflight[key] = shared
            shared.add_done_callback(lambda done: self._forget(key, done))
        # Shielded: one waiter giving up (a client disconnect) must not cancel the others' call.
        result = await asyncio.shield(shared)
        # The call was paid for once, by the caller that made it: one that joined it spent
        # nothing (its request's outcome, domain/outcome.py, must not count the call again).
        return replace(result, usage=ContentUsage()) if joined else result

    def _forget(self, key: str, done: asyncio.Future[ContentResult]) -> None:
        if self._inflight.get(key) is done:
            del self._inflight[key]

    async def _produce(self, run: _Run, key: str) -> ContentResult:
        refused = self.refusal(key)
        started = time.perf_counter()
        result = self._fallback(run, refused) if refused else await self._attempts(run)
        if result.usage.calls:
            result = replace(result, latency_ms=(time.perf_counter() - started) * 1000)
        # An open breaker already stops every key's calls; what is remembered per key is an
        # answer this request got.
        breaker_open = self._breaker is not None and self._breaker.is_open()
        if result.source == "fallback" and not refused and not breaker_open:
            self._remember_fallback(key, result.reason or "")
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

    def _remember_fallback(self, key: str, reason: str) -> None:
        ttl = self._settings.negative_ttl_seconds
        if ttl <= 0:
            return
        self._fell_back[key] = (self._clock.now() + ttl, reason)
        self._fell_back.move_to_end(key)
        while len(self._fell_back) > self._settings.negative_max_keys:
            self._fell_back.popitem(last=False)

    async def _attempts(self, run: _Run) -> ContentResult:
        first = await self._call(run, run.prompt.user)
        if isinstance(first, ProviderError):
            return self._fallback(run, f"the provider failed: {first.reason}")
        value, errors = self._check(first.text, run.validate)
        if not errors:
            self._verdict(valid=True)
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
            self._verdict(valid=True)
            return self._success(run, value, repaired=True)
        self._verdict(valid=False)
        return self._fallback(run, f"answer still invalid after one repair: {_summary(errors)}")

    def _verdict(self, *, valid: bool) -> None:
        if self._breaker is None:
            return
        if valid:
            self._breaker.record_valid()
        else:
            self._breaker.record_invalid()

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
            variant=run.variant,
        )

    def _fallback(self, run: _Run, reason: str) -> ContentResult:
        return ContentResult(
            body=None,
            source="fallback",
            reason=reason,
            usage=run.usage,
            provider=self.provider.name,
            model=self.provider.model,
            variant=run.variant,
        )


def _summary(errors: list[str]) -> str:
    shown = "; ".join(e[:_MAX_ERROR_CHARS] for e in errors[:_MAX_REASON_ERRORS])
    more = len(errors) - _MAX_REASON_ERRORS
    return f"{shown}; and {more} more" if more > 0 else shown
