"""The request flow, in the order that guarantees consistency:

session → route and validate → consistency rules → login/logout → state machine transitions →
resource store → response cache → generate → validate the answer → cache → remember.

Rules run before the cache and the store, so no stored or cached answer ever skips a rule.
The engine is pure: stores, the API description and the generator come in through ports.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mockmind.domain.auth import TokenIssuer, bearer_token
from mockmind.domain.cache_keys import (
    canonical_body,
    canonical_query,
    digest,
    normalise_path,
    response_cache_key,
)
from mockmind.domain.content import LlmContent
from mockmind.domain.errors import PayloadTooLarge, RequestError, StoreError, VersionConflict
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.http import REASON_PHRASES, MockRequest, MockResponse, Source
from mockmind.domain.json_schema import deref
from mockmind.domain.memo import BoundedMemo
from mockmind.domain.memory import SemanticMemory
from mockmind.domain.prefer import parse_prefer
from mockmind.domain.prompts import PromptInput, build_prompt, inline_schema
from mockmind.domain.redaction import redacted, redacted_answer, redacted_json_bytes
from mockmind.domain.resources import (
    ResourceAction,
    ResourceContext,
    ResourceService,
    ResourceSpec,
)
from mockmind.domain.rules.actions import RuleOutcome, error_response
from mockmind.domain.rules.book import RuleBook, RuleInput
from mockmind.domain.sessions import (
    Interaction,
    Session,
    SessionTracking,
    new_session_id,
    session_id_from,
)
from mockmind.domain.state_machines import StateMachine, Transition
from mockmind.ports.api_description import ApiDescription, ResponsePlan, RoutedRequest
from mockmind.ports.clock import Clock
from mockmind.ports.response_cache import CachedResponse, ResponseCache
from mockmind.ports.session_store import SessionStore

logger = logging.getLogger("mockmind.engine")

_SAVE_ATTEMPTS = 5
# Method and template pairs whose triggered state machines are remembered.
_TRIGGER_MEMO_SIZE = 4096


@dataclass(frozen=True)
class EngineSettings:
    tracking: SessionTracking = field(default_factory=SessionTracking)
    cache_ttl_seconds: int = 300
    enable_response_cache: bool = True
    max_history_length: int = 50
    session_timeout_seconds: int = 3600
    max_body_bytes: int = 1_048_576


@dataclass(frozen=True)
class EngineResult:
    response: MockResponse
    session_id: str | None
    new_session: bool


@dataclass(frozen=True)
class PromptSettings:
    system_prompt: str = "You are simulating a realistic API."
    # What the model must respect, in words (state machines, computed fields).
    rules: tuple[str, ...] = ()
    token_budget: int = 3000


@dataclass
class _Changes:
    """What a request does to its session, applied (and re-applied on a race) at the end."""

    state: dict[str, Any] = field(default_factory=dict)
    authenticated: bool | None = None


@dataclass
class World:
    """The consistency machinery compiled from config: resources, rules, machines, auth."""

    resources: ResourceService
    rules: RuleBook = field(default_factory=lambda: RuleBook([]))
    machines: Mapping[str, StateMachine] = field(default_factory=dict)
    auth: TokenIssuer | None = None

    def describe(self) -> tuple[str, ...]:
        """The guarantees in words, for the model's prompt: what it must not contradict."""
        lines: list[str] = []
        for machine in self.machines.values():
            moves = "; ".join(
                f"{'/'.join(sorted(t.from_states))} -> {t.to} on {t.trigger}"
                for t in machine.transitions
            )
            lines.append(
                f"{machine.resource}.{machine.field} starts as {machine.initial!r} and changes "
                f"only by these transitions: {moves}"
            )
        for spec in self.resources.specs.values():
            for name, expression in spec.computed.items():
                lines.append(f"{spec.name}.{name} is always {expression.text}")
        return tuple(lines)

    def machine_for(self, resource: str) -> StateMachine | None:
        return next((m for m in self.machines.values() if m.resource == resource), None)


class MockEngine:
    def __init__(
        self,
        *,
        api: ApiDescription,
        generator: OfflineGenerator,
        sessions: SessionStore,
        cache: ResponseCache,
        clock: Clock,
        settings: EngineSettings,
        world: World,
        llm: LlmContent | None = None,
        memory: SemanticMemory | None = None,
        prompting: PromptSettings | None = None,
    ) -> None:
        self._llm = llm
        self._memory = memory
        self._prompting = prompting or PromptSettings()
        self.api = api
        self._generator = generator
        self._sessions = sessions
        self._cache = cache
        self._clock = clock
        self.settings = settings
        self.world = world
        world.resources.on_write.append(self._initial_state)
        self._triggers: BoundedMemo[
            tuple[str, str], list[tuple[StateMachine, list[Transition], ResourceSpec, str]]
        ] = BoundedMemo(_TRIGGER_MEMO_SIZE)

    async def handle(self, request: MockRequest) -> EngineResult:
        now = self._clock.now()
        session, is_new = self._open_session(request, now)
        changes = _Changes()
        try:
            response = await self._respond(request, session, changes, now)
        except RequestError as exc:
            response = error_response(exc)
        if session is not None:
            interaction = self._remember(session, is_new, request, response, changes, now)
            if self._memory is not None:
                item_id = _digest([session.id, now, request.method, request.path])
                await self._memory.remember(session.id, item_id, interaction)
        return EngineResult(response, session.id if session else None, is_new)

    # -- sessions

    def _open_session(self, request: MockRequest, now: float) -> tuple[Session | None, bool]:
        tracking = self.settings.tracking
        lookup = session_id_from(request, tracking)
        session_id = lookup.session_id
        if session_id is None and self.world.auth is not None:
            # A bearer token this mock issued names its session, for clients without cookies.
            session_id = self.world.auth.session_of(bearer_token(request.headers), now)
        if session_id is not None:
            existing = self._sessions.get(session_id, now=now)
            if existing is not None:
                return existing, False
            # A well-formed id we have not seen: the client names a new, empty session.
            return self._blank(session_id, now), True
        if not tracking.auto_create:
            return None, False
        return self._blank(new_session_id(), now), True

    def _blank(self, session_id: str, now: float) -> Session:
        timeout = self.settings.session_timeout_seconds
        return Session(id=session_id, created_at=now, last_seen=now, expires_at=now + timeout)

    # -- the flow

    async def _respond(
        self, request: MockRequest, session: Session | None, changes: _Changes, now: float
    ) -> MockResponse:
        if len(request.body) > self.settings.max_body_bytes:
            raise PayloadTooLarge(len(request.body), self.settings.max_body_bytes)
        routed = self.api.route(request)
        scope = session.id if session else "__anonymous__"
        state = {k: v.value for k, v in session.state.items()} if session else {}
        ctx = ResourceContext(self.world.resources, scope, now, state, routed.body)
        resources = self.world.resources
        method, template = request.method, routed.path_template
        direct = resources.classify(method, template, routed.path_params)
        # A sub-path such as /orders/{orderId}/pay touches the order without being a CRUD call.
        touched = direct or resources.item_action(template, routed.path_params)

        outcome = self._run_rules(routed, session, ctx, touched, now)
        changes.state.update(outcome.state_updates)
        # What a rule set is visible to the rest of this request (guards, expressions).
        ctx.state = {**ctx.state, **outcome.state_updates}
        if outcome.delay_seconds > 0:
            await self._clock.sleep(outcome.delay_seconds)
        if outcome.response is not None:
            return _with_fault(outcome.response, outcome.fault)
        response = await self._serve(routed, session, changes, ctx, direct, touched, outcome)
        return _with_fault(response, outcome.fault)

    def _run_rules(
        self,
        routed: RoutedRequest,
        session: Session | None,
        ctx: ResourceContext,
        touched: ResourceAction | None,
        now: float,
    ) -> RuleOutcome:
        book = self.world.rules
        if not len(book):
            return RuleOutcome()
        request = routed.request
        entity = None
        if touched is not None and touched.entity_id is not None:
            entity = self.world.resources.peek(ctx, touched.spec, touched.entity_id)
        rule_input = RuleInput(
            method=request.method,
            path=request.path,
            headers=request.headers,
            query=routed.query,
            body=routed.body,
            state=ctx.state,
            entity=entity,
            authenticated=self._authenticated(request, session, now),
        )
        return book.run(rule_input, rule_input)

    def _authenticated(self, request: MockRequest, session: Session | None, now: float) -> bool:
        if session is not None and session.authenticated:
            return True
        auth = self.world.auth
        return auth is not None and auth.session_of(bearer_token(request.headers), now) is not None

    async def _serve(
        self,
        routed: RoutedRequest,
        session: Session | None,
        changes: _Changes,
        ctx: ResourceContext,
        direct: ResourceAction | None,
        touched: ResourceAction | None,
        outcome: RuleOutcome,
    ) -> MockResponse:
        request = routed.request
        plan = self.api.plan_response(routed)
        auth = self.world.auth
        if auth is not None and session is not None:
            if auth.is_login(request.method, routed.path_template):
                return self._login(auth, routed, plan, session, changes, ctx)
            if auth.is_logout(request.method, routed.path_template):
                auth.revoke(bearer_token(request.headers))
                changes.authenticated = False
                return self._finish(plan, self._body_for(plan, {}), "rule")
        explicit = parse_prefer(request.headers.get("prefer"))
        if explicit.code is not None or explicit.example is not None:
            # The client asked for a particular response of the spec: no store semantics.
            return await self._generated(routed, plan, session, ctx)

        for machine_name, target in outcome.transitions:
            self._rule_transition(machine_name, target, ctx, touched)
        transitioned = self._triggered_transition(routed, ctx)
        if direct is not None:
            return await self._resource(routed, plan, session, ctx, direct)
        if transitioned is not None:
            return self._finish(plan, self._body_for(plan, transitioned), "store")
        return await self._generated(routed, plan, session, ctx)

    # -- login

    def _login(
        self,
        auth: TokenIssuer,
        routed: RoutedRequest,
        plan: ResponsePlan,
        session: Session,
        changes: _Changes,
        ctx: ResourceContext,
    ) -> MockResponse:
        username = auth.check_credentials(routed.body)
        token = auth.issue(session.id, username, ctx.now())
        changes.authenticated = True
        changes.state["username"] = username
        body = self._generate_body(plan, f"{session.id}:login") if plan.schema else {}
        if not isinstance(body, dict):
            body = {}
        body[auth.settings.token_field] = token
        return self._finish(plan, body, "rule")

    # -- state machines

    def _triggered_transition(
        self, routed: RoutedRequest, ctx: ResourceContext
    ) -> dict[str, Any] | None:
        """Apply the transition this request triggers, if any; 409 when it is out of order.

        The entity is the machine's resource named in the path: ``/orders/{orderId}/pay``
        moves the order, and ``POST /applications/{applicationId}/documents`` (a nested
        create) moves the application before the document is stored.
        """
        key = (routed.request.method, routed.path_template)
        candidates = self._triggers.get(key)
        if candidates is None:
            candidates = self._triggering(*key)
            self._triggers.put(key, candidates)
        for machine, transitions, spec, id_param in candidates:
            if id_param in routed.path_params:
                entity_id = routed.path_params[id_param]
                parent_id = routed.path_params.get(spec.parent_param or "")
                action = ResourceAction(spec, "read", entity_id, parent_id)
                return self._transition(machine, transitions, routed, ctx, action)
        return None

    def _triggering(
        self, method: str, template: str
    ) -> list[tuple[StateMachine, list[Transition], ResourceSpec, str]]:
        """The machines a method and path template trigger, with their resource's id param:
        the same for every request of that pair, so worked out once (most trigger none)."""
        found = []
        for machine in self.world.machines.values():
            transitions = machine.triggered_by(method, template)
            spec = self.world.resources.by_name(machine.resource)
            if transitions and spec is not None and spec.id_param:
                found.append((machine, transitions, spec, spec.id_param))
        return found

    def _transition(
        self,
        machine: StateMachine,
        transitions: list[Transition],
        routed: RoutedRequest,
        ctx: ResourceContext,
        touched: ResourceAction,
    ) -> dict[str, Any]:
        resources = self.world.resources
        entity = resources.read(ctx, touched.spec, touched.entity_id, touched.parent_id)
        current = entity.get(machine.field)
        for transition in transitions:
            if current not in transition.from_states:
                continue
            if transition.guard is not None and not transition.guard.matches(
                RuleInput(
                    method=routed.request.method,
                    path=routed.request.path,
                    headers=routed.request.headers,
                    query=routed.query,
                    body=routed.body,
                    state=ctx.state,
                    entity=entity,
                    authenticated=False,
                )
            ):
                continue
            updated = dict(entity)
            updated[machine.field] = transition.to
            for name, expression in transition.set_fields.items():
                updated[name] = expression.evaluate(updated, ctx)
            return resources.save(ctx, touched.spec, updated, touched.parent_id)
        wanted = transitions[0].to
        raise machine.refusal(touched.entity_id, current, wanted)

    def _rule_transition(
        self, machine_name: str, target: str, ctx: ResourceContext, touched: ResourceAction | None
    ) -> None:
        machine = self.world.machines.get(machine_name)
        if machine is None or touched is None or touched.spec.name != machine.resource:
            return
        resources = self.world.resources
        entity = resources.read(ctx, touched.spec, touched.entity_id, touched.parent_id)
        current = entity.get(machine.field)
        if not machine.allows(current, target):
            raise machine.refusal(touched.entity_id, current, target)
        resources.save(ctx, touched.spec, {**entity, machine.field: target}, touched.parent_id)

    def _initial_state(self, ctx: ResourceContext, spec: Any, entity: dict[str, Any]) -> None:
        machine = self.world.machine_for(spec.name)
        if machine is not None and entity.get(machine.field) not in machine.states:
            entity[machine.field] = machine.initial

    def _unset_transition_fields(
        self,
        ctx: ResourceContext,
        action: ResourceAction,
        machine: StateMachine,
        body: Any,
        entity: dict[str, Any],
    ) -> dict[str, Any]:
        """A new order has no ``paid_at``: fields a transition sets wait for that transition.

        The generator fills every property; these would claim events that never happened.
        """
        given = set(body) if isinstance(body, Mapping) else set()
        later = {f for t in machine.transitions for f in t.set_fields} - given
        if not later & set(entity):
            return entity
        trimmed = {k: v for k, v in entity.items() if k not in later}
        return self.world.resources.save(ctx, action.spec, trimmed, action.parent_id)

    def _check_state_change(
        self, ctx: ResourceContext, action: ResourceAction, new_state: Any
    ) -> None:
        machine = self.world.machine_for(action.spec.name)
        if machine is None or new_state is None:
            return
        current = self.world.resources.read(ctx, action.spec, action.entity_id, action.parent_id)
        if not machine.allows(current.get(machine.field), str(new_state)):
            raise machine.refusal(action.entity_id, current.get(machine.field), str(new_state))

    # -- resources

    async def _resource(
        self,
        routed: RoutedRequest,
        plan: ResponsePlan,
        session: Session | None,
        ctx: ResourceContext,
        action: ResourceAction,
    ) -> MockResponse:
        resources = self.world.resources
        machine = self.world.machine_for(action.spec.name)
        if action.kind == "list":
            entities, total = resources.list(ctx, action, routed.query)
            response = self._finish(plan, self._list_body(plan, entities, total), "store")
            response.headers["X-Total-Count"] = str(total)
            return response
        if action.kind == "create":
            if machine is not None and isinstance(routed.body, Mapping):
                state = routed.body.get(machine.field)
                if state is not None and state != machine.initial:
                    raise machine.refusal("(new)", None, str(state))
            initial = {machine.field: machine.initial} if machine else None
            written = await self._entity_content(routed, session, ctx, action)
            entity = resources.create(ctx, action, routed.body, initial, generated=written)
            if machine is not None:
                entity = self._unset_transition_fields(ctx, action, machine, routed.body, entity)
        elif action.kind == "read":
            written = None
            # Only a model needs to know beforehand whether the entity exists: the offline
            # path lets ``read`` generate it, without a second store lookup per read.
            if self._llm is not None and resources.peek(ctx, action.spec, action.entity_id) is None:
                written = await self._entity_content(routed, session, ctx, action)
            entity = resources.read(
                ctx, action.spec, action.entity_id, action.parent_id, generated=written
            )
        elif action.kind in ("replace", "merge"):
            if machine is not None and isinstance(routed.body, Mapping):
                self._check_state_change(ctx, action, routed.body.get(machine.field))
            entity = resources.write(ctx, action, routed.body, merge=action.kind == "merge")
        else:
            entity = resources.delete(ctx, action)
            if plan.schema is None:
                return self._finish(plan, None, "store")
        return self._finish(plan, self._body_for(plan, entity), "store")

    def _list_body(self, plan: ResponsePlan, entities: list[dict[str, Any]], total: int) -> Any:
        schema = deref(plan.schema, self.api.resolve_ref)
        if not isinstance(schema, Mapping) or schema.get("type") == "array" or "items" in schema:
            return entities
        # A paging envelope ({"data": [...], "total": n}): fill its list and its counters.
        wrapper = self._generate_body(plan, "envelope")
        if not isinstance(wrapper, dict):
            return entities
        props = schema.get("properties", {})
        for name, raw in props.items():
            prop = deref(raw, self.api.resolve_ref)
            if isinstance(prop, Mapping) and prop.get("type") == "array":
                wrapper[name] = entities
                break
        for name in ("total", "count", "total_count", "totalCount", "total_items"):
            if name in props:
                wrapper[name] = total
        return wrapper

    def _body_for(self, plan: ResponsePlan, entity: Any) -> Any:
        """The entity as the response, or generated content when the response is not the entity.

        An action endpoint may answer with something else (a receipt, a message): then the
        schema decides, and fields it shares with the entity come from the entity.
        """
        if plan.schema is None:
            return None
        if not self.api.response_errors(plan, entity):
            return entity
        generated = self._generate_body(plan, _digest(entity))
        if isinstance(generated, dict) and isinstance(entity, Mapping):
            merged = {**generated, **{k: v for k, v in entity.items() if k in generated}}
            if not self.api.response_errors(plan, merged):
                return merged
        return generated

    # -- generation with the response cache

    async def _generated(
        self,
        routed: RoutedRequest,
        plan: ResponsePlan,
        session: Session | None,
        ctx: ResourceContext,
    ) -> MockResponse:
        request = routed.request
        if plan.has_example and not parse_prefer(request.headers.get("prefer")).dynamic:
            return self._finish(plan, plan.example, "example")
        if plan.schema is None:
            return self._finish(plan, None, "offline")
        key = self._cache_key(routed, plan, session)
        settings = self.settings
        use_cache = settings.enable_response_cache and settings.cache_ttl_seconds > 0
        if use_cache:
            cached = self._cache.get(key, now=self._clock.now())
            if cached is not None:
                response = self._finish(plan, cached.body, "cache")
                response.headers.update(cached.headers)
                if response.raw is None:
                    response.encoded_body = cached.encoded
                return response
        body, source, reason = await self._content(routed, plan, session, ctx, key)
        response = self._finish(plan, body, source)
        if reason:
            response.headers["X-Mockmind-Fallback-Reason"] = _header_safe(reason)
        if use_cache and source != "fallback":
            expires_at = self._clock.now() + settings.cache_ttl_seconds
            entry = CachedResponse(
                plan.status,
                body,
                plan.media_type or "",
                dict(response.headers),
                response.encoded() if response.raw is None else None,
            )
            try:
                self._cache.put(key, entry, expires_at=expires_at)
            except StoreError as exc:
                # An answer too big for the store is still an answer; it is just not cached.
                logger.warning("response not cached: %s", exc)
        return response

    # -- content: the LLM when one is configured, else (or when it fails) the offline generator

    async def _content(
        self,
        routed: RoutedRequest,
        plan: ResponsePlan,
        session: Session | None,
        ctx: ResourceContext,
        key: str,
        entities: tuple[Mapping[str, Any], ...] = (),
    ) -> tuple[Any, Source, str | None]:
        """The body, where it came from, and why the model's answer was not used (if not)."""
        if self._llm is None or plan.schema is None:
            return self._generate_body(plan, key), "offline", None
        request = routed.request
        schema = inline_schema(plan.schema, self.api.resolve_ref)
        history = session.history if session else ()
        relevant: list[str] = []
        if self._memory is not None and session is not None:
            query = f"{request.method} {request.path} {_trimmed(request.body) or ''}"
            relevant = await self._memory.recall(session.id, query, history)
        prompt = build_prompt(
            PromptInput(
                system_prompt=self._prompting.system_prompt,
                method=request.method,
                path=request.path,
                status=plan.status,
                schema=schema,
                query=routed.query,
                body=redacted(routed.body),
                entities=entities,
                state=session.state if session else {},
                history=history,
                relevant=relevant,
                rules=self._prompting.rules,
                token_budget=self._prompting.token_budget,
            )
        )
        result = await self._llm.generate(
            prompt,
            lambda value: self.api.response_errors(plan, value),
            key,
            session_id=session.id if session else None,
            deadline=request.deadline,
            json_schema=schema if isinstance(schema, Mapping) else None,
        )
        if result.source == "llm":
            return result.body, "llm", None
        reason = result.reason or "the model's answer was unusable"
        logger.warning("falling back to the offline generator: %s", reason)
        return self._generate_body(plan, key), "fallback", reason

    async def _entity_content(
        self,
        routed: RoutedRequest,
        session: Session | None,
        ctx: ResourceContext,
        action: ResourceAction,
    ) -> dict[str, Any] | None:
        """The model's content for a new entity; None leaves it to the offline generator."""
        spec = action.spec
        if self._llm is None or spec.schema is None:
            return None
        plan = ResponsePlan(200, schema=spec.schema, schema_key=f"entity:{spec.name}")
        key = _digest([ctx.scope, spec.name, action.kind, action.entity_id, routed.body])
        body, source, _ = await self._content(routed, plan, session, ctx, key)
        return dict(body) if source == "llm" and isinstance(body, Mapping) else None

    def _generate_body(self, plan: ResponsePlan, seed: str) -> Any:
        if plan.schema is None:
            return None
        body = self._generator.generate(plan.schema, seed=seed)
        if plan.status >= 400 and isinstance(body, dict):
            body = self._error_realism(plan, body)
        errors = self.api.response_errors(plan, body)
        if errors:
            # The generator is meant to be correct by construction; say loudly when it is not.
            logger.error("generated body breaks its schema %s: %s", plan.schema_key, errors[:3])
        return body

    def _error_realism(self, plan: ResponsePlan, body: dict[str, Any]) -> dict[str, Any]:
        """An error body says the status it is sent with, and a reason that fits it."""
        reason = REASON_PHRASES.get(plan.status, "Error")
        fixes: dict[str, Any] = {}
        for key, value in body.items():
            lowered = key.lower().replace("_", "")
            if lowered in ("status", "code", "statuscode", "httpstatus") and isinstance(value, int):
                fixes[key] = plan.status
            elif lowered in ("title", "error", "reason") and isinstance(value, str):
                fixes[key] = reason
        fixed = {**body, **fixes}
        return fixed if not self.api.response_errors(plan, fixed) else body

    def _finish(self, plan: ResponsePlan, body: Any, source: Source) -> MockResponse:
        headers = {
            name: _header_text(self._generator.generate(schema, seed=f"{name}:{plan.status}"))
            for name, schema in plan.header_schemas.items()
        }
        media = plan.media_type or "application/json"
        if plan.media_type is None or plan.status in (204, 304):
            return MockResponse(plan.status, None, headers, media, source, raw=b"")
        if source == "store" and logger.isEnabledFor(logging.DEBUG):
            # Stored entities were checked when written; re-validating every read cost 78% of
            # a list request (bench/RESULTS.md, profile), so it is a debugging aid only.
            errors = self.api.response_errors(plan, body)
            if errors:
                logger.debug("stored entity breaks the response schema: %s", errors[:3])
        if not _is_json(media):
            text = body if isinstance(body, str) else _json_text(body)
            return MockResponse(plan.status, body, headers, media, source, raw=text.encode())
        return MockResponse(plan.status, body, headers, media, source)

    def _cache_key(self, routed: RoutedRequest, plan: ResponsePlan, session: Session | None) -> str:
        request = routed.request
        state = (
            {k: v.value for k, v in session.state.items()} | {"@auth": session.authenticated}
            if session
            else {}
        )
        return response_cache_key(
            session.id if session else "",
            state,
            request.method,
            normalise_path(request.path),
            canonical_query(request.query),
            canonical_body(request.body, request.content_type),
            plan.status,
            plan.media_type,
        )

    # -- memory

    def _remember(
        self,
        session: Session,
        is_new: bool,
        request: MockRequest,
        response: MockResponse,
        changes: _Changes,
        now: float,
    ) -> Interaction:
        settings = self.settings
        interaction = Interaction(
            at=now,
            method=request.method,
            path=request.path,
            status=response.status,
            request_body=_trimmed(redacted_json_bytes(request.body)),
            response_body=(
                redacted_answer(response.body, response.encoded()) if response.raw is None else None
            ),
            source=response.source,
        )

        def update(current: Session) -> Session:
            return current.after_request(
                interaction,
                timeout_seconds=settings.session_timeout_seconds,
                max_history=settings.max_history_length,
                state=changes.state,
                authenticated=changes.authenticated,
            )

        _save_with_retry(self._sessions, session, is_new, update, now)
        return interaction


def _save_with_retry(
    store: SessionStore,
    session: Session,
    is_new: bool,
    update: Callable[[Session], Session],
    now: float,
) -> Session:
    """Optimistic locking: on a lost race, re-read and re-apply the change."""
    current: Session = session
    expected: int | None = None if is_new else session.version
    for _ in range(_SAVE_ATTEMPTS):
        try:
            return store.put(update(current), expected_version=expected)
        except VersionConflict:
            fresh = store.get(session.id, now=now)
            current, expected = (fresh, fresh.version) if fresh else (session, None)
    raise VersionConflict(
        f"session {session.id}: gave up after {_SAVE_ATTEMPTS} conflicting writes"
    )


def _with_fault(response: MockResponse, fault: Literal["drop", "truncate"] | None) -> MockResponse:
    if fault is not None:
        response.fault = fault
    return response


def _digest(value: Any) -> str:
    return digest(value)[:16]


def _trimmed(body: bytes, limit: int = 4096) -> str | None:
    if not body:
        return None
    text = body[:limit].decode("utf-8", errors="replace")
    return text if len(body) <= limit else text + "…"


def _is_json(media_type: str) -> bool:
    return media_type.endswith("/json") or media_type.endswith("+json")


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _header_safe(text: str, limit: int = 200) -> str:
    """A header value: one line of printable ASCII."""
    cleaned = "".join(c if 32 <= ord(c) < 127 else " " for c in text)
    return cleaned[:limit]


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if not isinstance(value, dict | list) else _json_text(value)
