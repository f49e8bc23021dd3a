"""The Lambda handler: Mangum around the app, behind a check of the event.

``LambdaEntry(app)(event, context)`` does what ``Mangum(app, lifespan="off")`` did, in its
steps: take a reader for the event's format, read the ASGI scope and the body, run the app, and
put its response in the format's shape. Only the reading can fail on the client's input, and it
is the part done here under a check (``lambda_events``): an event that is not a well-formed
request gets a 400 problem document, in the shape its source expects, and a warning in the log,
where it used to raise out of the handler (API Gateway answered 500). The app's own failures
stay Mangum's: it logs them and answers 500. One more event is the function's own: the
callbacks a request triggered, handed to an asynchronous invocation (``app/deliveries``), which
is delivered here rather than read as a request.

Two readings differ from Mangum's. A base64 body must be valid base64 (Mangum skips what is
not). And in a 1.0 event, ``Cookie`` values that came as several header fields (HTTP/2 splits
them) are joined with ``; `` as RFC 6265 writes them; Mangum joins every repeated header with
``, ``, which made the session cookie part of another cookie's value and lost the session.

Three steps do Mangum's work with less of it: a 2.0 event's scope is read once (Mangum's reader
reads it again to shape the answer: a quarter of a bare Mangum call), and when the event is
plainly one the shape check accepts, without the check and answered without Mangum's helpers
(``lambda_http_api``); and the app runs
in a cycle (``_Cycle``) that answers and collects as Mangum's ``HTTPCycle`` does without a
queue, a buffer and a logger lookup per request (bench/RESULTS.md, row 1).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from asyncio import events as asyncio_events
from collections.abc import Callable, Coroutine, Sized
from functools import cached_property, partial
from typing import Any

from mangum import Mangum
from mangum.exceptions import UnexpectedMessage
from mangum.handlers import APIGateway, HTTPGateway
from mangum.types import ASGI, LambdaContext, LambdaHandler, Message, Response, Scope

from mockmind.app import lambda_http_api
from mockmind.app.admin_prefix import is_admin_path
from mockmind.app.deliveries import Deliveries, deliver_event
from mockmind.app.lambda_events import (
    KIND_NAMES,
    EventKind,
    check,
    recognise,
    request_body,
    unreadable,
)
from mockmind.app.lambda_telemetry import Invocation, LambdaTelemetry, TelemetrySettings
from mockmind.app.mock_asgi import OUTCOME_SCOPE_KEY, ROUTED_PATH_SCOPE_KEY
from mockmind.domain import json_codec
from mockmind.domain.callbacks.deliveries import is_delivery_event
from mockmind.domain.error_answers import PROBLEM_MEDIA_TYPE
from mockmind.domain.errors import RequestError
from mockmind.lean_dataclass import built

logger = logging.getLogger("mockmind.lambda")
# Where Mangum's HTTP cycle logs each answer and the app's failures: _Cycle logs there too.
_cycle_logger = logging.getLogger("mangum.http")


class _HTTPGatewayReadOnce(HTTPGateway):
    """Mangum's 2.0 reader with its scope built once: ``HTTPGateway`` builds it anew on each
    read, and reads it again to shape the answer (only to see the event's version there)."""

    @cached_property
    def scope(self) -> Scope:
        return super().scope


# Mangum's readers by format; "other" events go through its inference (ALB, Lambda@Edge).
_READERS: dict[EventKind, type[LambdaHandler]] = {
    "api-gateway-v1": APIGateway,
    "api-gateway-v2": _HTTPGatewayReadOnce,
    "function-url": _HTTPGatewayReadOnce,
}

# Puts the app's response in the shape the event's source reads (a Mangum reader does).
_Shape = Callable[[Response], dict[str, Any]]

# The payload 2.0 kinds, which lambda_http_api reads in one pass when they are plain.
_HTTP_API_KINDS = frozenset(("api-gateway-v2", "function-url"))

# What Mangum's readers raise on an event that is not what they expect (UnicodeEncodeError and
# binascii.Error are ValueErrors; RuntimeError is Mangum.infer finding no reader).
_READING_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError, RuntimeError)


class LambdaEntry:
    """``handler(event, context)`` for Lambda: every event answered, none raised.

    With ``telemetry`` settings, each request is logged as one JSON line and counted in EMF
    metrics (``app/lambda_telemetry``), which is built on the first invocation; with a
    ``tracer`` too (``start_tracer``), each request is an X-Ray subsegment.
    ``tenant_deliveries``: a tenant's deliveries by its name, for the delivery events of a
    function serving tenants (each names the tenant that sent it).
    """

    def __init__(
        self,
        app: ASGI,
        deliveries: Deliveries | None = None,
        telemetry: TelemetrySettings | None = None,
        tracer: Any = None,
        tenant_deliveries: Callable[[str], Deliveries | None] | None = None,
    ) -> None:
        self.app = app
        self._mangum = Mangum(app, lifespan="off")
        self._base_path = self._mangum.config["api_gateway_base_path"]
        self._shape_v2: _Shape = partial(
            lambda_http_api.answer, self._mangum.config["text_mime_types"]
        )
        # Carries out the callbacks an earlier request handed to an asynchronous invocation.
        self._deliveries = deliveries
        self._tenant_deliveries = tenant_deliveries
        self._telemetry_settings = telemetry
        self._telemetry: LambdaTelemetry | None = None
        self._tracer = tracer

    def __call__(self, event: Any, context: LambdaContext) -> dict[str, Any]:
        if is_delivery_event(event):
            deliveries = self._deliveries_of(event)
            if deliveries is not None:
                return deliver_event(deliveries.courier, event)
        telemetry = self.telemetry()
        if telemetry is None:
            # The answer alone: the outcome and the request's names are for telemetry only.
            return self._served(event, context)[0]
        return telemetry.invoke(event, context, lambda: self._answer(event, context))

    def _deliveries_of(self, event: Any) -> Deliveries | None:
        tenant = event.get("tenant")
        if isinstance(tenant, str) and self._tenant_deliveries is not None:
            return self._tenant_deliveries(tenant)
        return self._deliveries

    def telemetry(self) -> LambdaTelemetry | None:
        """The handler's logger and metrics, built on first use (None: none configured)."""
        if self._telemetry is None and self._telemetry_settings is not None:
            self._telemetry = LambdaTelemetry(self._telemetry_settings, tracer=self._tracer)
        return self._telemetry

    def _served(self, event: Any, context: LambdaContext) -> tuple[dict[str, Any], Scope | None]:
        """The answer to the event, and the scope the app served it with (None: refused)."""
        kind: EventKind = "other"
        try:
            kind = recognise(event)
            shape, scope, body = self._read(event, context, kind)
        except RequestError as problem:
            return _refusal(problem, kind), None
        answer: dict[str, Any] = shape(_Cycle(scope, body)(self.app))
        return answer, scope

    def _answer(self, event: Any, context: LambdaContext) -> Invocation:
        answer, scope = self._served(event, context)
        if scope is None:
            method, named = _named_request(event)
            return Invocation(answer, None, method, named, "refused")
        result = scope.get(OUTCOME_SCOPE_KEY)
        outcome = None if result is None else result.outcome()
        path: str = scope["path"]
        routed: str = scope.get(ROUTED_PATH_SCOPE_KEY, path)
        other = "admin" if outcome is None and is_admin_path(routed) else "error"
        return built(
            Invocation,
            answer=answer,
            outcome=outcome,
            method=scope["method"],
            path=path,
            other_source=other,
        )

    def _read(
        self, event: dict[str, Any], context: LambdaContext, kind: EventKind
    ) -> tuple[_Shape, Scope, bytes]:
        """How to shape the answer for the event's source, the scope, and the body."""
        if kind in _HTTP_API_KINDS:
            read = self._read_plain(event, context, kind)
            if read is not None:
                return read
        check(event, kind)
        reader_type = _READERS.get(kind)
        body = b"" if reader_type is None else request_body(event, kind)
        try:
            if reader_type is None:
                reader = self._mangum.infer(event, context)
                body = reader.body
            else:
                reader = reader_type(event, context, self._mangum.config)
            scope = reader.scope
        except _READING_ERRORS as exc:
            raise unreadable(event, kind, exc) from None
        if kind == "api-gateway-v1":
            _join_cookie_fields(event, scope)
        return reader, scope, body

    def _read_plain(
        self, event: dict[str, Any], context: LambdaContext, kind: EventKind
    ) -> tuple[_Shape, Scope, bytes] | None:
        """A payload 2.0 event read without the shape check, when it is plainly one the check
        accepts (``lambda_http_api``); None: read it the long way, which says what is wrong if
        anything is."""
        try:
            scope = lambda_http_api.scope(event, context, self._base_path)
        except _READING_ERRORS:
            return None
        if scope is None:
            return None
        return self._shape_v2, scope, request_body(event, kind)


def _refusal(problem: RequestError, kind: EventKind) -> dict[str, Any]:
    """The 400 answer, in the shape the event's source reads: 2.0's (an unknown source is
    answered so too), with 1.0's ``multiValueHeaders`` beside the headers as Mangum writes
    them."""
    listed = "; ".join(f"{e['location']}: {e['message']}" for e in problem.errors)
    logger.warning("%s event refused (400): %s", KIND_NAMES[kind], listed or problem.detail)
    answer: dict[str, Any] = {
        "statusCode": problem.status,
        "headers": {"content-type": PROBLEM_MEDIA_TYPE},
        "body": json_codec.compact(problem.body()).decode(),
        "isBase64Encoded": False,
    }
    if kind == "api-gateway-v1":
        answer["multiValueHeaders"] = {}
    return answer


def _named_request(event: Any) -> tuple[str, str]:
    """The method and path a refused event names, as far as they can be read, for its log
    line ("-" for what cannot)."""
    if not isinstance(event, dict):
        return "-", "-"
    http = event.get("requestContext", {})
    http = http.get("http", {}) if isinstance(http, dict) else {}
    http = http if isinstance(http, dict) else {}
    method = event.get("httpMethod") or http.get("method")
    path = event.get("rawPath") or event.get("path") or http.get("path")
    return (
        method if isinstance(method, str) and method else "-",
        path if isinstance(path, str) and path else "-",
    )


def _join_cookie_fields(event: dict[str, Any], scope: Scope) -> None:
    multi = event.get("multiValueHeaders")
    if not multi:
        return
    for name, values in multi.items():
        if len(values) > 1 and name.lower() == "cookie":
            joined = "; ".join(values).encode()
            scope["headers"] = [
                [key, joined if key == b"cookie" else value] for key, value in scope["headers"]
            ]
            return


class _Cycle:
    """One request through the app, as Mangum's ``HTTPCycle`` runs it: on the current event
    loop, the body handed to the first ``receive``, a disconnect to a ``receive`` once the
    answer is complete (waiting for it until then), the messages checked in the same order,
    the app's failure logged and answered 500, each answer logged at INFO on ``mangum.http``.

    What differs is what a request costs: no queue, buffer or logger lookup is made for each
    one, only a future when the app waits for the disconnect before its answer is complete;
    and an app that answers without waiting on anything runs without a turn of the loop
    (``run_eagerly``).
    """

    __slots__ = ("_chunks", "_complete", "_request", "_state", "headers", "scope", "status")

    def __init__(self, scope: Scope, body: bytes) -> None:
        self.scope = scope
        self.status = 500
        self.headers: list[Any] = []
        self._request: Message | None = {"type": "http.request", "body": body, "more_body": False}
        self._chunks: list[bytes] = []
        # "request" until the answer starts, "response" until its body ends, then "complete".
        self._state = "request"
        self._complete: asyncio.Future[None] | None = None

    def __call__(self, app: ASGI) -> Response:
        run_eagerly(asyncio.get_event_loop(), self._run(app))
        return {"status": self.status, "headers": self.headers, "body": b"".join(self._chunks)}

    async def _run(self, app: ASGI) -> None:
        try:
            await app(self.scope, self.receive, self.send)
            if self._state == "request":
                # Mangum's cycle raised AttributeError out of the handler here (no status).
                raise RuntimeError("the application returned without starting an answer")
        except BaseException:
            _cycle_logger.exception("An error occurred running the application.")
            if self._state == "request":
                await self.send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [[b"content-type", b"text/plain; charset=utf-8"]],
                    }
                )
                await self.send({"type": "http.response.body", "body": b"Internal Server Error"})
            elif self._state != "complete":
                self.status = 500
                self._chunks = [b"Internal Server Error"]
                self.headers = [[b"content-type", b"text/plain; charset=utf-8"]]

    async def receive(self) -> Message:
        request = self._request
        if request is not None:
            self._request = None
            return request
        if self._state != "complete":
            if self._complete is None:
                self._complete = asyncio.get_running_loop().create_future()
            await self._complete
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if self._state == "request" and kind == "http.response.start":
            self.status = message["status"]
            self.headers = message.get("headers", [])
            self._state = "response"
        elif self._state == "response" and kind == "http.response.body":
            self._chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self._state = "complete"
                if self._complete is not None and not self._complete.done():
                    self._complete.set_result(None)
                # Asked first: the call and its arguments cost more than the answer's other
                # steps here, for a line that is off unless the log level is INFO.
                if _cycle_logger.isEnabledFor(logging.INFO):
                    _cycle_logger.info(
                        "%s %s %s", self.scope["method"], self.scope["path"], self.status
                    )
        else:
            raise UnexpectedMessage(f"Unexpected {kind}")


def run_eagerly(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, None]) -> None:
    """Run ``coroutine`` to its end on ``loop``, as ``loop.run_until_complete`` of a task of it
    does, starting it as an eager task (Python 3.12's ``eager_start``): its first step runs
    now, in a task of the loop seen as running, with the loop's async-generator hooks
    installed, so the asyncio calls it makes work as inside the loop (``get_running_loop``,
    ``current_task``, timeouts, tasks it starts, async generators the loop closes when they
    are dropped unfinished). Only if it waits on something does the loop run, until it ends.

    A cached answer never waits: the loop's turns (a task scheduled, two passes over the
    ready queue, two ``epoll`` calls, the running-loop bookkeeping) were a tenth of its time
    (bench/RESULTS.md, row 1). An asyncio task needs a running loop to start eagerly; between
    invocations the handler's loop is not running, so it is seen so for that one step.

    After an eager end the loop is turned once, as ``run_until_complete`` turned it once more
    after its task ended, only when that turn has work: tasks other than this one alive on
    the loop (a write-behind, an in-process delivery), callbacks the step scheduled (an
    async generator's ``aclose``), or more than ``_CANCELLED_TIMERS`` cancelled timers (an
    ``asyncio.timeout`` leaves one per answer) making up most of the scheduled heap, which
    the turn drops. Otherwise the loop is not turned: callbacks scheduled before the step,
    and timers that fall due, wait for the next turn.
    """
    if loop.is_running() or asyncio_events._get_running_loop() is not None:
        # Not reachable from Lambda (the runtime calls the handler outside any loop); kept to
        # fail as run_until_complete would, not to run two loops at once.
        loop.run_until_complete(coroutine)
        return
    if not isinstance(loop, asyncio.BaseEventLoop):
        # The ready queue, timer heap and hooks read below are BaseEventLoop's.
        loop.run_until_complete(coroutine)
        return
    try:
        loop.is_running = _running  # type: ignore[method-assign]
    except AttributeError:
        # A loop without an instance dict (uvloop's) cannot be seen so: it runs the task.
        loop.run_until_complete(coroutine)
        return
    base: Any = loop
    ready: Sized = base._ready
    waiting = len(ready)
    hooks = sys.get_asyncgen_hooks()
    asyncio_events._set_running_loop(loop)
    # (firstiter, finalizer) by position: the keywords cost a third of the swap.
    sys.set_asyncgen_hooks(base._asyncgen_firstiter_hook, base._asyncgen_finalizer_hook)
    try:
        task = asyncio.Task(coroutine, loop=loop, eager_start=True)
    finally:
        sys.set_asyncgen_hooks(*hooks)
        del loop.is_running
        asyncio_events._set_running_loop(None)
    if not task.done():
        loop.run_until_complete(task)
        return
    try:
        task.result()
    finally:
        cancelled = base._timer_cancelled_count
        if (
            len(ready) > waiting
            or _tasks_alive(loop)
            or (cancelled > _CANCELLED_TIMERS and 2 * cancelled > len(base._scheduled))
        ):
            loop.call_soon(loop.stop)
            loop.run_forever()


# Past this many cancelled timers, when they are more than half the heap, a turn of the loop
# rebuilds the heap without them (BaseEventLoop._run_once: past 100 handles and half of them
# cancelled). A smaller share is left: the heap is then at most twice the live timers, and a
# turn would not drop them, so each answer would turn the loop for nothing.
_CANCELLED_TIMERS = 128


# The set every task not started eagerly (or that waited) is registered in, in CPython 3.12
# (asyncio.tasks): empty, no task is alive on any loop. ``asyncio.all_tasks`` reads it too,
# but copies it through a WeakSet iterator first, a few µs on every answer. Its references
# (``WeakSet.data``, never replaced) are read rather than its ``len()``, which is Python
# code; a dead reference not yet dropped only sends the answer to ``all_tasks``.
_REGISTERED_TASKS: Sized | None = getattr(
    getattr(asyncio.tasks, "_scheduled_tasks", None), "data", None
)


def _tasks_alive(loop: asyncio.AbstractEventLoop) -> bool:
    if _REGISTERED_TASKS is not None and not _REGISTERED_TASKS:
        return False
    return bool(asyncio.all_tasks(loop))


def _running() -> bool:
    return True
