"""Where a generated answer's content comes from: the spec's example, the response cache, the
LLM when one is configured, and the offline generator (always, and when the LLM fails or the
day's LLM budget quota is spent, with the reason in ``X-Mockmind-Fallback-Reason``).

A new entity costs a model call only for what the engine cannot write itself, and only once
for what every session may share:

- no call when every property of its schema is decided by the engine (the id, the parent,
  the request body, ``on_create``, ``computed``, the state machine's fields): a cart item
  whose name and price come from its product;
- a singleton's first content (a fresh cart) is the same for every session: written once,
  without any session's history, and kept in the response cache for all of them (each
  session then keeps and changes its own copy in the entity store).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from mockmind.domain.cache_keys import (
    canonical_body,
    canonical_query,
    response_cache_key,
)
from mockmind.domain.engine.answers import Answers, header_safe, short_digest, trimmed
from mockmind.domain.engine.exchange import Exchange
from mockmind.domain.engine.settings import EngineSettings, PromptSettings
from mockmind.domain.errors import StoreError
from mockmind.domain.generation.flattening import flatten
from mockmind.domain.http import MockResponse, Source
from mockmind.domain.prefer import parse_prefer
from mockmind.domain.prompt_experiment import variant_for
from mockmind.domain.redaction import redacted
from mockmind.domain.resources import ResourceAction, ResourceService, ResourceSpec
from mockmind.domain.words import plural
from mockmind.lean_dataclass import built, dataclass
from mockmind.ports.api_description import ApiDescription, ResponsePlan
from mockmind.ports.clock import Clock
from mockmind.ports.response_cache import CachedResponse, ResponseCache

if TYPE_CHECKING:
    # The LLM's side: only a config with a provider builds it (app/providers.py).
    from mockmind.domain.content import LlmContent
    from mockmind.domain.memory import SemanticMemory

logger = logging.getLogger("mockmind.engine")

# Says that the document's example broke its schema and what was served is its repair.
REPAIRED_EXAMPLE_HEADER = "X-Mockmind-Example-Repaired"


@dataclass(frozen=True)
class EntityContent:
    """A new entity's content (None: the offline generator makes it), where it came from, and
    why the model's was not used when it fell back."""

    body: dict[str, Any] | None
    source: Source
    reason: str | None


_OFFLINE = EntityContent(None, "offline", None)
# A bound, not a working-set size: a client without cookies gets a new session on every
# request, and each would otherwise stay in the memo (``ContentSource._seed_and_key``) for
# the process's life. Far more sessions than a warm instance serves at once, so polling
# sessions keep theirs; one pushed out only pays the seed's digest and the key again.
_KEPT_KEYS = 4096
# Entries whose session's timeout has passed since they were set, dropped per new entry, at
# most: more than the one it adds. A session that ended never asks again (a new one has a new
# id), and under churn (bench row 9: cookieless clients, 5 s timeout) the bound alone kept
# 4,096 ended sessions' entries, about 700 bytes each with their ids, paths and digests,
# scattered among the live sessions' objects; the served process's RSS kept rising while the
# memo filled (tracemalloc: 1,650 of its entries held ended sessions' ids 25 s in).
_SWEEP_PER_KEY = 2
# Bodies up to this size are kept as they are in the memo, a bigger one as its SHA-256: a
# client without cookies posting max_body_bytes (1 MiB by default) on every request would
# otherwise hold up to 4 GiB of bodies there; this keeps each entry's body under 1 KiB.
_KEPT_BODY_BYTES = 1024


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
        # The settings are frozen: asked once, not on every answer.
        self._caches_responses = settings.caches_responses
        # Each session's last seed and cache key, kept with what they were made of so that a
        # session asking the same again (polling) skips the digest and the key, and anything
        # else it asks is seen to differ and gets its own. Last: when the session expires unless a
        # request renews it; the dict is in that order (an entry set again moves to its end).
        self._last_keys: dict[str, tuple[Mapping[str, Any], tuple[Any, ...], str, str, float]] = {}

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
        own_seed, key = self._seed_and_key(ex, plan)
        use_cache = self._caches_responses
        if use_cache:
            cached = self._cache.get(key, now=self._clock.now())
            if cached is not None:
                response = answers.finish(plan, cached.body, "cache")
                response.headers.update(cached.headers)
                if response.body_kind == "json":
                    response.encoded_body = cached.encoded
                return response
        seed = own_seed if ex.ctx.seeds == ex.ctx.scope else self._seed(ex, plan, ex.ctx.seeds)
        body, source, reason = await self._content(ex, plan, key, seed=seed)
        response = answers.finish(plan, body, source)
        if reason:
            response.headers["X-Mockmind-Fallback-Reason"] = header_safe(reason)
        if use_cache and source != "fallback":
            self._store(key, plan, body, response, ex.session.id if ex.session else None)
        return response

    async def entity_content(
        self, ex: Exchange, action: ResourceAction, status: int, decided: Collection[str] = ()
    ) -> EntityContent:
        """The content for a new entity, answered with ``status`` (201 for a create): the
        model's, or None with where it will come from instead (the offline generator:
        ``offline`` without a model or with nothing left for it to write, ``fallback`` and why
        when the model's answer was not used). ``decided`` names fields the engine sets
        besides the spec's own (a state machine's)."""
        spec = action.spec
        if self._llm is None or spec.schema is None:
            return _OFFLINE
        if not self._left_to_write(action, ex.routed.body, decided):
            return _OFFLINE
        plan = ResponsePlan(status, schema=spec.schema, schema_key=f"entity:{spec.name}")
        if spec.singleton:
            return await self._shared_entity_content(ex, plan, spec)
        key = short_digest([ex.ctx.seeds, spec.name, action.kind, action.entity_id, ex.routed.body])
        body, source, reason = await self._content(ex, plan, key)
        if source == "llm" and isinstance(body, Mapping):
            return EntityContent(dict(body), "llm", None)
        if source == "llm":
            reason = "the model's answer is not an object"
        return EntityContent(None, "fallback", reason)

    def _left_to_write(self, action: ResourceAction, body: Any, decided: Collection[str]) -> bool:
        """Whether the entity's schema declares a property the engine does not decide."""
        spec = action.spec
        if spec.schema is None:
            return True
        flat = flatten(self._api.resolve_ref, spec.schema)
        if flat.choices or not flat.properties:
            # oneOf/anyOf branches, or a free-form object: what to write is the model's call.
            return True
        engine = {spec.id_field, *spec.on_create, *spec.computed, *decided}
        if spec.parent_field:
            engine.add(spec.parent_field)
        if isinstance(body, Mapping):
            engine.update(str(k) for k in body)
        return any(name not in engine for name in flat.properties)

    async def _shared_entity_content(
        self, ex: Exchange, plan: ResponsePlan, spec: ResourceSpec
    ) -> EntityContent:
        """A singleton's first content: one model call for every session, cached for all."""
        key = short_digest(["shared entity", spec.name, plan.status])
        use_cache = self._settings.caches_responses
        if use_cache:
            cached = self._cache.get(key, now=self._clock.now())
            if cached is not None and isinstance(cached.body, Mapping):
                # The model wrote it, for an earlier session.
                return EntityContent(dict(cached.body), "llm", None)
        body, source, reason = await self._content(ex, plan, key, shared=True)
        if source != "llm" or not isinstance(body, Mapping):
            return EntityContent(None, "fallback", reason or "the model's answer is not an object")
        if use_cache:
            entry = CachedResponse(plan.status, dict(body))
            expires_at = self._clock.now() + self._settings.cache_ttl_seconds
            try:
                self._cache.put(key, entry, expires_at=expires_at, session_id=None)
            except StoreError as exc:
                logger.warning("shared content not cached: %s", exc)
        return EntityContent(dict(body), "llm", None)

    async def _content(
        self,
        ex: Exchange,
        plan: ResponsePlan,
        key: str,
        *,
        shared: bool = False,
        seed: str | None = None,
    ) -> tuple[Any, Source, str | None]:
        """The body, where it came from, and why the model's answer was not used (if not).

        ``shared`` content is for every session: the prompt shows no session's past. The
        offline generator's seed is ``key`` unless ``seed`` says otherwise (a replay's).
        """
        if self._llm is None or plan.schema is None:
            return self._answers.generate(plan, seed or key), "offline", None
        if ex.llm_barred is not None:
            # The day's budget is spent: no prompt, no recall, the offline generator's answer.
            return self._answers.generate(plan, seed or key), "fallback", ex.llm_barred
        # Imported here: a mock-only app (no provider) never writes a prompt.
        from mockmind.domain.prompts import PromptInput, build_prompt, inline_schema  # noqa: PLC0415

        request = ex.request
        session = None if shared else ex.session
        schema = inline_schema(plan.schema, self._api.resolve_ref)
        history = session.history if session else ()
        relevant: list[str] = []
        # The recall's embedding is only worth its wait when the model will read the prompt.
        if self._memory is not None and session is not None and self._llm.will_call(key):
            query = f"{request.method} {request.path} {trimmed(request.body) or ''}"
            relevant = await self._memory.recall(
                session.id, query, history, deadline=request.deadline
            )
        variant = (
            variant_for(session.id, self._prompting.variants)
            if session is not None and self._prompting.variants
            else None
        )
        prompt = build_prompt(
            PromptInput(
                system_prompt=(
                    variant.system_prompt if variant is not None else self._prompting.system_prompt
                ),
                method=request.method,
                path=request.path,
                status=plan.status,
                schema=schema,
                query=ex.routed.query,
                body=redacted(ex.routed.body),
                entities=[] if shared else [redacted(e) for e in self._touched_entities(ex)],
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
            variant=variant.name if variant is not None else None,
        )
        ex.spending.add(result.usage)
        if result.source == "llm":
            return result.body, "llm", None
        reason = result.reason or "the model's answer was unusable"
        logger.warning("falling back to the offline generator: %s", reason)
        return self._answers.generate(plan, seed or key), "fallback", reason

    def _touched_entities(self, ex: Exchange) -> list[dict[str, Any]]:
        """The stored entities the request is about: the one its path names, that one's parent,
        and those its body names by id (``{"product_id": "p-1"}`` names product ``p-1``).

        As stored now: a rule's transition may have moved one since the request came in.
        """
        resources, ctx = self._resources, ex.ctx
        named: list[tuple[ResourceSpec, Any]] = []
        touched = ex.touched
        if touched is not None:
            if touched.entity_id is not None:
                named.append((touched.spec, touched.entity_id))
            parent = resources.by_name(touched.spec.parent) if touched.spec.parent else None
            if parent is not None and touched.parent_id is not None:
                named.append((parent, touched.parent_id))
        body = ex.routed.body
        if isinstance(body, Mapping):
            for field, value in body.items():
                spec = self._named_by(str(field))
                if spec is not None and isinstance(value, str | int) and not spec.singleton:
                    named.append((spec, value))
        found: list[dict[str, Any]] = []
        for spec, entity_id in named:
            entity = resources.peek(ctx, spec, entity_id)
            if entity is not None and entity not in found:
                found.append(entity)
        return found

    def _named_by(self, field: str) -> ResourceSpec | None:
        """The resource a body field names by id: ``product_id`` or ``productId``."""
        for suffix in ("_id", "Id"):
            if field.endswith(suffix) and len(field) > len(suffix):
                base = field[: -len(suffix)]
                return self._resources.by_name(plural(base)) or self._resources.by_name(base)
        return None

    def _store(
        self,
        key: str,
        plan: ResponsePlan,
        body: Any,
        response: MockResponse,
        session_id: str | None,
    ) -> None:
        expires_at = self._clock.now() + self._settings.cache_ttl_seconds
        # Every field given, so without the frozen ``__init__`` (one per generated answer).
        entry = built(
            CachedResponse,
            status=plan.status,
            body=body,
            media_type=plan.media_type or "",
            headers=dict(response.headers),
            encoded=response.encoded() if response.body_kind == "json" else None,
        )
        try:
            self._cache.put(key, entry, expires_at=expires_at, session_id=session_id)
        except StoreError as exc:
            # An answer too big for the store is still an answer; it is just not cached.
            logger.warning("response not cached: %s", exc)

    def _seed_and_key(self, ex: Exchange, plan: ResponsePlan) -> tuple[str, str]:
        """The answer's own seed and cache key, as ``_seed`` and ``_cache_key`` make them,
        taken from the session's last answer when nothing they hold has changed since.

        Two SHA-256 digests of canonical JSON, with the state's copy before them, were a
        tenth of a cached answer's time in the engine (bench/RESULTS.md, row 1), and a
        session asking the same again (polling, the cache's very use) holds the same parts.
        What they hold is compared, not trusted: the session's id and start, its state (the
        same mapping: sessions are immutable, and a save that sets state makes a new one),
        its login, and the request's method, path, query, body (a big one by its SHA-256,
        ``_kept_body``) and content type, the plan's status and media type.
        """
        session = ex.session
        if session is None:
            seed = self._seed(ex, plan)
            return seed, self._cache_key(ex, plan, seed)
        request = ex.request
        body = request.body
        parts = (
            session.created_at,
            session.authenticated,
            request.method,
            request.path,
            request.query,
            # _kept_body's test inline: a call on every answer, for the usual small body.
            body if len(body) <= _KEPT_BODY_BYTES else _kept_body(body),
            request.content_type,
            plan.status,
            plan.media_type,
        )
        kept = self._last_keys.get(session.id)
        if kept is not None and kept[0] is session.state and kept[1] == parts:
            return kept[2], kept[3]
        seed = self._seed(ex, plan)
        key = self._cache_key(ex, plan, seed)
        self._keep_keys(session.id, (session.state, parts, seed, key))
        return seed, key

    def _keep_keys(
        self, session_id: str, entry: tuple[Mapping[str, Any], tuple[Any, ...], str, str]
    ) -> None:
        """Keep a session's entry, last; drop a few whose session has expired, then the
        oldest past the bound. An entry dropped too soon (its session renewed by requests
        that did not come here) only costs the digest and the key again."""
        keys = self._last_keys
        now = self._clock.now()
        keys.pop(session_id, None)
        for _ in range(_SWEEP_PER_KEY):
            oldest = next(iter(keys), None)
            if oldest is None or keys[oldest][4] > now:
                break
            del keys[oldest]
        if len(keys) >= _KEPT_KEYS:
            keys.pop(next(iter(keys)))
        keys[session_id] = (*entry, now + self._settings.session_timeout_seconds)

    def _cache_key(self, ex: Exchange, plan: ResponsePlan, seed: str) -> str:
        """The answer's cache key: its seed with when the session began. A session reset to
        empty begins again under its id and finds none of the answers cached for it before
        (in every store, also those that cannot find a session's entries to drop them), while
        its generated content stays what its id seeds.

        The start is joined as its exact hex text, not hashed with the seed: the seed is
        already a digest of fixed length, so the pair stays one to one, and a second SHA-256
        of canonical JSON (which writes the float by its shortest repr) cost ~11k
        instructions on every answer not found, against ~3k for this."""
        session = ex.session
        return f"{seed}@{float(session.created_at).hex()}" if session else seed

    def _seed(self, ex: Exchange, plan: ResponsePlan, session_id: str | None = None) -> str:
        """What the offline generator is seeded with for this answer (the cache key holds it
        too); ``session_id`` seeds it as if another session had asked (a replay: the recorded
        session's). What it reads of the exchange, ``_seed_and_key`` compares before reusing
        a session's last seed: an input added here goes into its ``parts`` too, or a changed
        request would be answered with the last one's key."""
        request = ex.request
        session = ex.session
        state: dict[str, Any] = {}
        if session:
            state = {k: v.value for k, v in session.state.items()}
            state["@auth"] = session.authenticated
        body = request.body
        # A bodiless request's body is "" without asking its content type.
        return response_cache_key(
            session_id if session_id is not None else session.id if session else "",
            state,
            request.method,
            request.path,
            canonical_query(request.query),
            canonical_body(body, request.content_type, self._settings.limits) if body else "",
            plan.status,
            plan.media_type,
        )


def _kept_body(body: bytes) -> bytes | str:
    """What the memo keeps of a request's body to tell it from another: the bytes when
    small, else their SHA-256 (a str, never equal to a kept body's bytes)."""
    if len(body) <= _KEPT_BODY_BYTES:
        return body
    return hashlib.sha256(body).hexdigest()
