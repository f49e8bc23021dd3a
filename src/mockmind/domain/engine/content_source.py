"""Where a generated answer's content comes from: the spec's example, the response cache, the
LLM when one is configured, and the offline generator (always, and when the LLM fails, with
the reason in ``X-Mockmind-Fallback-Reason``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from mockmind.domain.cache_keys import (
    canonical_body,
    canonical_query,
    response_cache_key,
)
from mockmind.domain.content import LlmContent
from mockmind.domain.engine.answers import Answers, header_safe, short_digest, trimmed
from mockmind.domain.engine.exchange import Exchange
from mockmind.domain.engine.settings import EngineSettings, PromptSettings
from mockmind.domain.errors import StoreError
from mockmind.domain.http import MockResponse, Source
from mockmind.domain.memory import SemanticMemory
from mockmind.domain.prefer import parse_prefer
from mockmind.domain.prompts import PromptInput, build_prompt, inline_schema
from mockmind.domain.redaction import redacted
from mockmind.domain.resources import ResourceAction, ResourceService
from mockmind.ports.api_description import ApiDescription, ResponsePlan
from mockmind.ports.clock import Clock
from mockmind.ports.response_cache import CachedResponse, ResponseCache

logger = logging.getLogger("mockmind.engine")

# Says that the document's example broke its schema and what was served is its repair.
REPAIRED_EXAMPLE_HEADER = "X-Mockmind-Example-Repaired"


class ContentSource:
    def __init__(
        self,
        *,
        api: ApiDescription,
        answers: Answers,
        cache: ResponseCache,
        clock: Clock,
        settings: EngineSettings,
        resources: ResourceService,
        llm: LlmContent | None,
        memory: SemanticMemory | None,
        prompting: PromptSettings,
    ) -> None:
        self._api = api
        self._answers = answers
        self._cache = cache
        self._clock = clock
        self._settings = settings
        self._resources = resources
        self._llm = llm
        self._memory = memory
        self._prompting = prompting

    @property
    def has_model(self) -> bool:
        return self._llm is not None

    async def respond(self, ex: Exchange, plan: ResponsePlan) -> MockResponse:
        """A generated answer: example, cached, the model's, or the offline generator's."""
        request = ex.request
        answers = self._answers
        if plan.has_example and not parse_prefer(request.headers.get("prefer")).dynamic:
            if plan.example_error is None or not self._settings.repair_examples:
                return answers.finish(plan, plan.example, "example")
            repaired = answers.repaired(plan, plan.example)
            response = answers.finish(plan, repaired, "example")
            response.headers[REPAIRED_EXAMPLE_HEADER] = header_safe(plan.example_error)
            return response
        if plan.schema is None:
            return answers.finish(plan, None, "offline")
        key = self._cache_key(ex, plan)
        use_cache = self._settings.caches_responses
        if use_cache:
            cached = self._cache.get(key, now=self._clock.now())
            if cached is not None:
                response = answers.finish(plan, cached.body, "cache")
                response.headers.update(cached.headers)
                if response.body_kind == "json":
                    response.encoded_body = cached.encoded
                return response
        body, source, reason = await self._content(ex, plan, key)
        response = answers.finish(plan, body, source)
        if reason:
            response.headers["X-Mockmind-Fallback-Reason"] = header_safe(reason)
        if use_cache and source != "fallback":
            self._store(key, plan, body, response, ex.session.id if ex.session else None)
        return response

    async def entity_content(self, ex: Exchange, action: ResourceAction) -> dict[str, Any] | None:
        """The model's content for a new entity; None leaves it to the offline generator."""
        spec = action.spec
        if self._llm is None or spec.schema is None:
            return None
        plan = ResponsePlan(200, schema=spec.schema, schema_key=f"entity:{spec.name}")
        key = short_digest([ex.ctx.scope, spec.name, action.kind, action.entity_id, ex.routed.body])
        body, source, _ = await self._content(ex, plan, key)
        return dict(body) if source == "llm" and isinstance(body, Mapping) else None

    async def _content(
        self, ex: Exchange, plan: ResponsePlan, key: str
    ) -> tuple[Any, Source, str | None]:
        """The body, where it came from, and why the model's answer was not used (if not)."""
        if self._llm is None or plan.schema is None:
            return self._answers.generate(plan, key), "offline", None
        request = ex.request
        session = ex.session
        schema = inline_schema(plan.schema, self._api.resolve_ref)
        history = session.history if session else ()
        relevant: list[str] = []
        if self._memory is not None and session is not None:
            query = f"{request.method} {request.path} {trimmed(request.body) or ''}"
            relevant = await self._memory.recall(session.id, query, history)
        # As stored now: a rule's transition may have moved it since the request came in.
        touched = ex.touched
        entity = (
            self._resources.peek(ex.ctx, touched.spec, touched.entity_id)
            if touched is not None and touched.entity_id is not None
            else None
        )
        prompt = build_prompt(
            PromptInput(
                system_prompt=self._prompting.system_prompt,
                method=request.method,
                path=request.path,
                status=plan.status,
                schema=schema,
                query=ex.routed.query,
                body=redacted(ex.routed.body),
                entities=(redacted(entity),) if entity is not None else (),
                state=session.state if session else {},
                history=history,
                relevant=relevant,
                rules=self._prompting.rules,
                token_budget=self._prompting.token_budget,
            )
        )
        result = await self._llm.generate(
            prompt,
            lambda value: self._api.response_errors(plan, value),
            key,
            session_id=session.id if session else None,
            deadline=request.deadline,
            json_schema=schema if isinstance(schema, Mapping) else None,
        )
        if result.source == "llm":
            return result.body, "llm", None
        reason = result.reason or "the model's answer was unusable"
        logger.warning("falling back to the offline generator: %s", reason)
        return self._answers.generate(plan, key), "fallback", reason

    def _store(
        self,
        key: str,
        plan: ResponsePlan,
        body: Any,
        response: MockResponse,
        session_id: str | None,
    ) -> None:
        expires_at = self._clock.now() + self._settings.cache_ttl_seconds
        entry = CachedResponse(
            plan.status,
            body,
            plan.media_type or "",
            dict(response.headers),
            response.encoded() if response.body_kind == "json" else None,
        )
        try:
            self._cache.put(key, entry, expires_at=expires_at, session_id=session_id)
        except StoreError as exc:
            # An answer too big for the store is still an answer; it is just not cached.
            logger.warning("response not cached: %s", exc)

    def _cache_key(self, ex: Exchange, plan: ResponsePlan) -> str:
        request = ex.request
        session = ex.session
        state = (
            {k: v.value for k, v in session.state.items()} | {"@auth": session.authenticated}
            if session
            else {}
        )
        return response_cache_key(
            session.id if session else "",
            state,
            request.method,
            request.path,
            canonical_query(request.query),
            canonical_body(request.body, request.content_type, self._settings.limits),
            plan.status,
            plan.media_type,
        )
