"""One request on its way through the engine's steps, and what it changes in its session."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any

from mockmind.domain.engine.route_plan import RoutePlan
from mockmind.domain.http import MockRequest
from mockmind.domain.outcome import Spending
from mockmind.domain.resources import ResourceAction, ResourceContext, ResourceService
from mockmind.domain.rules.book import RuleInput
from mockmind.domain.sessions import Session
from mockmind.lean_dataclass import dataclass
from mockmind.ports.api_description import RoutedRequest

_UNREAD: Any = object()


@dataclass(slots=True)
class SessionChanges:
    """What a request does to its session, applied (and re-applied on a race) at the end."""

    state: dict[str, Any] = field(default_factory=dict)
    authenticated: bool | None = None


@dataclass(slots=True)
class Exchange:
    routed: RoutedRequest
    route: RoutePlan
    session: Session | None
    ctx: ResourceContext
    changes: SessionChanges
    # The CRUD action of the request, if it is one.
    direct: ResourceAction | None
    # The entity the request is about: the CRUD target, or a sub-path's entity.
    touched: ResourceAction | None
    # Whether the client is logged in: asked at most once, and only for a request that runs
    # rules or a guarded transition (a bearer token costs a store read).
    check_authenticated: Callable[[], bool]
    # The model calls this request's steps make.
    spending: Spending = field(default_factory=Spending)
    # Why the model must not be asked for this request (the day's LLM budget is spent,
    # domain/quotas.py): the fallback reason of what it would have written. None: it may be.
    llm_barred: str | None = None
    _entity: Any = field(default=_UNREAD, repr=False)
    _authenticated: bool | None = field(default=None, repr=False)

    @property
    def authenticated(self) -> bool:
        if self._authenticated is None:
            self._authenticated = self.check_authenticated()
        return self._authenticated

    @property
    def request(self) -> MockRequest:
        return self.routed.request

    def touched_entity(self, resources: ResourceService) -> dict[str, Any] | None:
        """The stored entity the request is about, as it was when the request came in."""
        if self._entity is _UNREAD:
            touched = self.touched
            self._entity = None
            if touched is not None and touched.entity_id is not None:
                self._entity = resources.peek(self.ctx, touched.spec, touched.entity_id)
        entity: dict[str, Any] | None = self._entity
        return entity

    def rule_input(self, entity: dict[str, Any] | None) -> RuleInput:
        """The request as conditions see it, with the session state as it is now."""
        request = self.routed.request
        return rule_input(
            request.method,
            request.path,
            request.headers,
            self.routed.query,
            self.routed.body,
            self.ctx.state,
            entity,
            self.authenticated,
        )


class RuleView:
    """The request as the rules see it (``RuleInput``'s fields), the login check made only
    when a condition or an action asks for it.

    A request's rules mostly look at one or two things (``query.category``), and most
    requests fire none: building every field first, the login check included, was most of
    the rules' cost on bench row 4's store read (GET /products runs one rule's query test).
    What a field reads does not change while the rules run (the state they set is applied
    after them), so it is what ``RuleInput`` would have held.
    """

    # The method and path are read by every run (they pick the route's rules to evaluate);
    # the headers, query, body and state are where they are, and a property's call to read
    # one cost more than its copy here.
    __slots__ = ("_ex", "body", "entity", "headers", "method", "path", "query", "state")

    def __init__(self, ex: Exchange, entity: Mapping[str, Any] | None) -> None:
        self._ex = ex
        self.entity = entity
        routed = ex.routed
        request = routed.request
        self.method = request.method
        self.path = request.path
        self.headers: Mapping[str, str] = request.headers
        self.query: Mapping[str, Any] = routed.query
        self.body: Any = routed.body
        self.state: Mapping[str, Any] = ex.ctx.state

    @property
    def authenticated(self) -> bool:
        return self._ex.authenticated


def exchange(
    routed: RoutedRequest,
    route: RoutePlan,
    session: Session | None,
    ctx: ResourceContext,
    changes: SessionChanges,
    direct: ResourceAction | None,
    touched: ResourceAction | None,
    check_authenticated: Callable[[], bool],
    spending: Spending,
    llm_barred: str | None,
) -> Exchange:
    """``Exchange(...)`` of these fields without the class call (``type.__call__`` and the
    dataclass ``__init__``, its ten arguments packed for it: ~1.4k instructions more): the
    engine makes one for every request."""
    made = object.__new__(Exchange)
    made.routed = routed
    made.route = route
    made.session = session
    made.ctx = ctx
    made.changes = changes
    made.direct = direct
    made.touched = touched
    made.check_authenticated = check_authenticated
    made.spending = spending
    made.llm_barred = llm_barred
    made._entity = _UNREAD
    made._authenticated = None
    return made


def rule_input(
    method: str,
    path: str,
    headers: Mapping[str, str],
    query: Mapping[str, Any],
    body: Any,
    state: Mapping[str, Any],
    entity: Mapping[str, Any] | None,
    authenticated: bool,
) -> RuleInput:
    """``RuleInput(...)`` by position, without the frozen ``__init__`` and without
    ``built``'s check of the names (these parameters are the fields): every request that
    runs rules makes one."""
    made = object.__new__(RuleInput)
    object.__setattr__(
        made,
        "__dict__",
        {
            "method": method,
            "path": path,
            "headers": headers,
            "query": query,
            "body": body,
            "state": state,
            "entity": entity,
            "authenticated": authenticated,
        },
    )
    return made
