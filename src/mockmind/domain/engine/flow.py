"""The request flow, in the order that guarantees consistency:

quotas → session → route and validate → route plan → consistency rules → login/logout → state
machine transitions → resource responder → content source (example, cache, LLM, offline) →
remember.

Rules run before the cache and the store, so no stored or cached answer ever skips a rule.
Each step is a named part of this package; this module only sequences them. The engine is
pure: stores, the API description and the generator come in through ports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from mockmind.domain.callbacks.deliveries import DeliveryBatch
from mockmind.domain.callbacks.planning import CallbackPlanner
from mockmind.domain.client_input import require_unicode
from mockmind.domain.engine.answers import Answers, short_digest
from mockmind.domain.engine.content_source import ContentSource
from mockmind.domain.engine.error_bodies import ErrorBodies
from mockmind.domain.engine.exchange import Exchange, RuleView, SessionChanges, exchange
from mockmind.domain.engine.journaling import FALLBACK_REASON_HEADER, JournalKeeper, RequestTrace
from mockmind.domain.engine.login import Login
from mockmind.domain.engine.resource_responder import ResourceResponder
from mockmind.domain.engine.route_plan import RoutePlan, RoutePlanner
from mockmind.domain.engine.session_keeping import SessionKeeper, session_busy
from mockmind.domain.engine.settings import EngineSettings, PromptSettings
from mockmind.domain.engine.transitions import Transitions
from mockmind.domain.engine.world import World
from mockmind.domain.errors import PayloadTooLarge, RequestError, VersionConflict
from mockmind.domain.generation import OfflineGenerator
from mockmind.domain.http import MockRequest, MockResponse
from mockmind.domain.outcome import NO_USAGE, ContentUsage, RequestOutcome, Spending
from mockmind.domain.prefer import parse_prefer
from mockmind.domain.quotas import Admission, Quotas
from mockmind.domain.resources.context import UnknownIds
from mockmind.domain.rules.actions import RuleOutcome, error_response
from mockmind.domain.rules.book import decide
from mockmind.domain.sessions import ANONYMOUS_SCOPE, Session
from mockmind.domain.stats import RequestStats, Spent
from mockmind.lean_dataclass import built, dataclass
from mockmind.ports.api_description import ApiDescription
from mockmind.ports.clock import Clock
from mockmind.ports.journal import Journal
from mockmind.ports.response_cache import ResponseCache
from mockmind.ports.session_store import SessionStore

if TYPE_CHECKING:
    # The LLM's side: only a config with a provider builds it (app/providers.py).
    from mockmind.domain.content import LlmContent
    from mockmind.domain.memory import SemanticMemory


@dataclass(frozen=True)
class EngineResult:
    response: MockResponse
    session_id: str | None
    new_session: bool
    # What the answer triggers (an operation's callbacks): sent after it, never before.
    deliveries: DeliveryBatch | None = None
    # What the request's own model calls cost.
    usage: ContentUsage = NO_USAGE

    def outcome(self) -> RequestOutcome:
        """What the request came to, for the entry point's log line and metrics."""
        response = self.response
        return built(
            RequestOutcome,
            status=response.status,
            source=response.source,
            session_id=self.session_id,
            new_session=self.new_session,
            fallback_reason=response.headers.get(FALLBACK_REASON_HEADER),
            usage=self.usage,
        )


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
        callbacks: CallbackPlanner | None = None,
        journal: Journal | None = None,
        journal_grace_seconds: float = 0.0,
        stats: RequestStats | None = None,
        quotas: Quotas | None = None,
    ) -> None:
        self.api = api
        self.generator = generator
        self.settings = settings
        # How long a journal outlives its session's expiry (admin copies of a journal too).
        self.journal_grace_seconds = journal_grace_seconds
        self.world = world
        self._clock = clock
        self._memory = memory
        # Lost races of this process's writes: entities' and, counted on the same tally,
        # sessions' saves.
        self.races = world.resources.races
        self._sessions = SessionKeeper(sessions, settings, world.auth, self.races)
        # Without an OpenAPI document, collections a client makes up become resources too: the
        # description that can say so (SchemaRoutes) has ``resource_operations``. Asked by name,
        # not by class, so that serving a document never imports the schema routes (and their
        # JSON Schema validator) at a cold start.
        discover = getattr(api, "resource_operations", None)
        self._routes = RoutePlanner(world, discover, api.resolve_ref)
        answers = Answers(api, generator)
        self._content = ContentSource(
            api=api,
            answers=answers,
            cache=cache,
            clock=clock,
            settings=settings,
            resources=world.resources,
            llm=llm,
            memory=memory,
            prompting=prompting or PromptSettings(),
        )
        self._transitions = Transitions(world)
        self._resources = ResourceResponder(world, api, answers, self._content, self._transitions)
        self._login = Login(world.auth, answers) if world.auth is not None else None
        self._answers = answers
        self._errors = ErrorBodies(api, answers)
        # Each saved request of a session recorded, with what it changed (None: not kept).
        self._journal = (
            JournalKeeper(
                journal,
                world,
                grace_seconds=journal_grace_seconds,
                limits=settings.limits,
                costs=llm.costs if llm is not None else None,
                kept_by_sessions=(
                    self._sessions.keeping is not None
                    and self._sessions.keeping.keeps_events_of(journal)
                ),
            )
            if journal is not None
            else None
        )
        self._callbacks = callbacks
        # Each answered request counted in its hour (None: stats are off).
        self.stats = stats
        # The day's quotas (None: none configured, and no counter call is made for them).
        self.quotas = quotas
        self._costs = llm.costs if llm is not None else None

    async def handle(self, request: MockRequest, *, replaying: str | None = None) -> EngineResult:
        """Answer ``request``. ``replaying``: the session whose recorded request this one
        replays (``domain/session_replay``): the request's new ids and generated content follow
        that session's seeds instead of its own, and delay rules are not waited (a replay
        compares answers, not timing)."""
        now = self._clock.now()
        admission = None
        if self.quotas is not None and replaying is None:
            admission = self.quotas.admit(now)
            if admission.refused is not None:
                # Before the session: a refused request opens, changes and records nothing.
                refused = error_response(admission.refused)
                refused.source = "quota"
                self._count(refused, now, NO_USAGE, None)
                return EngineResult(refused, None, False)
        session, is_new = self._sessions.open(request, now)
        changes = SessionChanges()
        journal = self._journal if session is not None else None
        trace = RequestTrace() if journal is not None else None
        costs = self._costs
        spent = costs.session(session.id) if costs is not None and session is not None else None
        triggered: list[DeliveryBatch] = []
        spending = Spending()
        try:
            response = await self._respond(
                request,
                session,
                changes,
                now,
                triggered,
                spending,
                trace,
                replaying,
                admission.llm_barred if admission is not None else None,
            )
        except RequestError as exc:
            response = self._refused(request, exc)
            triggered.clear()
        if session is not None:
            pending = (
                journal.at_save(
                    request=request,
                    response=response,
                    state=changes.state,
                    trace=trace,
                    at=now,
                    clock=self._clock.now,
                    spent_before=spent,
                )
                if journal is not None and trace is not None and journal.kept_by_sessions
                else None
            )
            try:
                remembered, base, saved = self._sessions.remember(
                    session, is_new, request, response, changes, now, pending
                )
            except VersionConflict:
                # Never a silent loss: the client hears that its session missed this request.
                busy = self._refused(request, session_busy(session.id))
                self._count(busy, now, spending.usage, admission)
                return EngineResult(busy, session.id, is_new, usage=spending.usage)
            if journal is not None and trace is not None:
                journal.record(
                    base,
                    saved,
                    request,
                    response,
                    remembered,
                    changes.state,
                    trace,
                    now,
                    (self._clock.now() - now) * 1000.0,
                    spent,
                    pending,
                )
            if self._memory is not None:
                # Queued only: the app starts the writer once the response is sent.
                item_id = short_digest([session.id, now, request.method, request.path])
                self._memory.note(session.id, item_id, remembered)
        self._count(response, now, spending.usage, admission)
        return _result(
            response,
            session.id if session else None,
            is_new,
            triggered[0] if triggered else None,
            spending.usage,
        )

    def _count(
        self,
        response: MockResponse,
        now: float,
        usage: ContentUsage,
        admission: Admission | None,
    ) -> None:
        """The request in its hour's stats, with what its own model calls cost (a request
        that joined another's call in flight spent nothing: the hours add up to the bill);
        that cost added to its day's budget quota, and the quotas' headers on its answer."""
        if admission is not None and self.quotas is not None:
            if admission.headers:
                # A new dict: a rule's or an error's answer may share its headers.
                response.headers = {**response.headers, **admission.headers}
            if usage.cost_usd:
                self.quotas.spent(admission.day, usage.cost_usd)
        if self.stats is None:
            return
        used = (
            Spent(
                llm_calls=usage.calls,
                tokens=usage.prompt_tokens + usage.completion_tokens,
                cost_usd=usage.cost_usd,
            )
            if usage.calls
            else None
        )
        self.stats.count(now, response.source, response.status, used)

    async def _respond(
        self,
        request: MockRequest,
        session: Session | None,
        changes: SessionChanges,
        now: float,
        triggered: list[DeliveryBatch],
        spending: Spending,
        trace: RequestTrace | None = None,
        replaying: str | None = None,
        llm_barred: str | None = None,
    ) -> MockResponse:
        if len(request.body) > self.settings.max_body_bytes:
            raise PayloadTooLarge(len(request.body), self.settings.max_body_bytes)
        if not request.path.isascii():
            # HTTP servers decode a path leniently, but a Lambda event's is any JSON string:
            # ids and seeds come from it, and stores and digests encode it as UTF-8.
            require_unicode(request.path, "path")
        routed = self.api.route(request)
        route = self._routes.plan(request.method, routed.path_template)
        state = {k: v.value for k, v in session.state.items()} if session else {}
        scope = session.id if session else ANONYMOUS_SCOPE
        direct = route.action(routed.path_params)
        unknown_ids = route.unknown_ids
        if unknown_ids is None:
            unknown_ids = route.unknown_ids = self._unknown_ids(request, route)
        ctx = self.world.resources.context(scope, now, state, routed.body, unknown_ids, replaying)
        if trace is not None:
            ctx.changes = trace.changes
            # The plan's method and template are the request's (the planner's key).
            trace.trigger = route.line
        ex = exchange(
            routed,
            route,
            session,
            ctx,
            changes,
            direct,
            route.touched(direct, routed.path_params),
            lambda: self._sessions.is_authenticated(request, session, now),
            spending,
            llm_barred,
        )
        outcome = self._run_rules(ex)
        if outcome is None:
            # No rule matched (most requests): nothing to apply, wait for or inject.
            response = await self._serve(ex, None)
        else:
            response = await self._ruled(request, ex, outcome, trace, replaying)
            if outcome.error is not None:
                # A refused request triggers no callbacks.
                return response
        if self._callbacks is not None and response.fault is None:
            batch = self._callbacks.plan(routed, response, session.id if session else None, now)
            if batch:
                triggered.append(batch)
        return response

    async def _ruled(
        self,
        request: MockRequest,
        ex: Exchange,
        outcome: RuleOutcome,
        trace: RequestTrace | None,
        replaying: str | None,
    ) -> MockResponse:
        """The answer of a request some rule matched: what the rules decided applied."""
        if trace is not None:
            trace.rules = outcome.fired
        if outcome.state_updates:
            ex.changes.state.update(outcome.state_updates)
            # What a rule set is visible to the rest of this request (guards, expressions).
            ex.ctx.state = {**ex.ctx.state, **outcome.state_updates}
        if outcome.delay_seconds > 0 and replaying is None:
            await self._clock.sleep(outcome.delay_seconds)
        if outcome.error is not None:
            return _with_fault(self._refused(request, outcome.error), outcome.fault)
        if outcome.response is not None:
            return _with_fault(outcome.response, outcome.fault)
        return _with_fault(await self._serve(ex, outcome), outcome.fault)

    def _refused(self, request: MockRequest, error: RequestError) -> MockResponse:
        """An error answered as the request's operation documents its status, if it does."""
        return self._errors.respond(error, self.api.error_plan(request, None, error.status))

    def _unknown_ids(self, request: MockRequest, route: RoutePlan) -> UnknownIds:
        if not self.api.documents_errors:
            return "generated_on_read"
        # A 404 is an answer only where the operation documents one (or a 4XX, a default).
        return "not_found" if route.documents(self.api, request, 404) else "generated"

    def _run_rules(self, ex: Exchange) -> RuleOutcome | None:
        """What the rules decided, or None when none matched."""
        rules = ex.route.rules
        if not rules.rules:
            return None
        request = ex.routed.request
        candidates = rules.checks(request.method, request.path)
        if not candidates:
            # No rule's path check holds of this path (a route's requests mostly): no view.
            return None
        entity = ex.touched_entity(self.world.resources) if ex.touched is not None else None
        return decide(RuleView(ex, entity), candidates)

    async def _serve(self, ex: Exchange, outcome: RuleOutcome | None) -> MockResponse:
        route = ex.route
        plan = route.response(self.api, ex.routed)
        if self._login is not None and route.login_role is not None:
            answered = self._login.respond(ex, plan)
            if answered is not None:
                return answered
        explicit = parse_prefer(ex.routed.request.headers.get("prefer"))
        if explicit.code is not None or explicit.example is not None:
            # The client asked for a particular response of the spec: no store semantics.
            return await self._content.respond(ex, plan)
        if outcome is not None and outcome.transitions:
            self._transitions.apply_rule_moves(ex, outcome.transitions)
        transitioned = self._transitions.triggered(ex) if route.triggers else None
        if ex.direct is not None:
            return await self._resources.respond(ex, plan, ex.direct)
        if transitioned is not None:
            return self._answers.finish(plan, self._answers.body_for(plan, transitioned), "store")
        return await self._content.respond(ex, plan)


def _result(
    response: MockResponse,
    session_id: str | None,
    new_session: bool,
    deliveries: DeliveryBatch | None,
    usage: ContentUsage,
) -> EngineResult:
    """``EngineResult(...)`` without the frozen ``__init__`` (and without ``built``'s check
    of the names, which this function's parameters make): one for every request."""
    result = object.__new__(EngineResult)
    # Filled in place, as MockRequest.received's: cheaper than replacing the __dict__.
    fields = result.__dict__
    fields["response"] = response
    fields["session_id"] = session_id
    fields["new_session"] = new_session
    fields["deliveries"] = deliveries
    fields["usage"] = usage
    return result


def _with_fault(response: MockResponse, fault: Literal["drop", "truncate"] | None) -> MockResponse:
    if fault is not None:
        response.fault = fault
    return response
