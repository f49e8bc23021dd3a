"""N virtual users, each in its own session, running a flow at once on asyncio and httpx.

Each user has its own client (its own cookies: a session cookie the server sets stays with
that user) over its own connection, both closed when the user ends, and sends its session id
in the flow's session header. A request whose status is not the one expected, or a capture
that finds nothing, ends that user's iteration (what follows would only fail for that
reason); a failed check is counted and the iteration goes on.

With ``choose: llm`` the flow's steps open each iteration and a ``StepChooser``
(next_step.py) then picks up to ``max_steps`` requests; a 5xx answer to one is a failure (a
4xx is an answer the persona may well have earned), and so is a step the model could not give.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import field
from typing import Any

import httpx

from mockmind.domain.errors import FlowError
from mockmind.lean_dataclass import dataclass
from mockmind.simulation.flow import Flow, Step
from mockmind.simulation.next_step import (
    ANSWER_CHARS,
    HISTORY_STEPS,
    ChosenRequest,
    NextStepRefused,
    Seen,
    StepChooser,
)
from mockmind.simulation.results import TRANSPORT, Failure, Results
from mockmind.simulation.values import Answer, UnknownVariable, check_failure, evaluate, fill

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Settings:
    users: int = 1
    # None: each user runs the flow ``iterations`` times; else users repeat it until then.
    duration_seconds: float | None = None
    iterations: int | None = None
    think_scale: float = 1.0
    timeout_seconds: float = 30.0
    seed: str = "mockmind"
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))


class _EndIteration(FlowError):
    """A user's iteration cannot go on (its failure is already counted)."""


# How the report names a step the model could not give.
NEXT_STEP = "next step (LLM)"


@dataclass
class _User:
    number: int
    session_id: str
    client: httpx.AsyncClient
    rng: random.Random
    known: dict[str, Any]
    iteration: int = 0
    # What the model is shown of this user (choose: llm only): its last requests and answers,
    # across iterations, as the session the server keeps spans them too.
    history: deque[Seen] = field(default_factory=lambda: deque(maxlen=HISTORY_STEPS))


class _Shared(httpx.AsyncBaseTransport):
    """A transport the caller gave (an app in process, in tests), lent to each user's client:
    closing the client (each is closed when its user ends) leaves it open for the others and
    to its owner."""

    def __init__(self, pool: httpx.AsyncBaseTransport) -> None:
        self._pool = pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._pool.handle_async_request(request)

    async def aclose(self) -> None:
        return None


class Simulation:
    def __init__(
        self,
        flow: Flow,
        base_url: str,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        progress: Progress | None = None,
        chooser: StepChooser | None = None,
    ) -> None:
        if flow.choose == "llm" and chooser is None:
            raise ValueError("a flow with choose: llm needs a StepChooser")
        self._flow = flow
        self._chooser = chooser
        self._base_url = base_url.rstrip("/")
        self._settings = settings
        self._transport = transport
        self._progress = progress
        self._deadline: float | None = None
        self._tls: ssl.SSLContext | None = None
        self.results = Results(flow.name, settings.users)
        if chooser is not None:
            self.results.llm = chooser.usage

    def session_id(self, user: int) -> str:
        return f"sim-{self._settings.run_id}-{user:04d}"

    async def run(self) -> Results:
        settings = self._settings
        started = time.perf_counter()
        if settings.duration_seconds is not None:
            self._deadline = started + settings.duration_seconds
        # A task group: should a user fail in a way the flow does not count, the others are
        # cancelled, and each has closed its client, before the run ends.
        async with asyncio.TaskGroup() as users:
            for number in range(settings.users):
                users.create_task(self._user(number))
        self.results.wall_seconds = time.perf_counter() - started
        return self.results

    def _user_transport(self) -> httpx.AsyncBaseTransport:
        """A user's own connection (one: its requests go one after another). Not one pool for
        all: httpcore's pool walks every connection and every waiting request on each request,
        work that grows with the users (bench/RESULTS.md, row 18)."""
        if self._transport is not None:
            return _Shared(self._transport)
        if self._tls is None:
            # Loading the CA bundle takes tens of ms of CPU: once per run, not once per user.
            self._tls = httpx.create_ssl_context()
        return httpx.AsyncHTTPTransport(verify=self._tls, limits=httpx.Limits(max_connections=1))

    def _iterations(self) -> int | None:
        if self._settings.iterations is not None:
            return self._settings.iterations
        return None if self._deadline is not None else 1

    def _over(self) -> bool:
        return self._deadline is not None and time.perf_counter() >= self._deadline

    async def _user(self, number: int) -> None:
        session_id = self.session_id(number)
        async with httpx.AsyncClient(
            transport=self._user_transport(),
            base_url=self._base_url,
            timeout=self._settings.timeout_seconds,
            headers={self._flow.session_header: session_id},
        ) as client:
            user = _User(
                number,
                session_id,
                client,
                random.Random(f"{self._settings.seed}:{number}"),
                {},
            )
            limit = self._iterations()
            while (limit is None or user.iteration < limit) and not self._over():
                user.known = {
                    **self._flow.variables,
                    "user": number,
                    "session": session_id,
                    "iteration": user.iteration,
                }
                with contextlib.suppress(_EndIteration):
                    await self._steps(self._flow.steps, user)
                    await self._chosen_steps(user)
                user.iteration += 1
                self.results.iterations += 1

    async def _steps(self, steps: list[Step], user: _User) -> None:
        for step in steps:
            if self._over():
                return
            if step.think is not None:
                low, high = step.think if isinstance(step.think, tuple) else (step.think,) * 2
                pause = user.rng.uniform(low, high) * self._settings.think_scale
                if pause > 0:
                    await asyncio.sleep(pause)
            elif step.choice is not None:
                weights = [branch.weight for branch in step.choice]
                branch = user.rng.choices(step.choice, weights=weights)[0]
                await self._steps(branch.steps, user)
            elif step.repeat is not None:
                for _ in range(step.repeat.times):
                    await self._steps(step.repeat.steps, user)
            else:
                await self._request(step, user)

    def _fail(self, user: _User, label: str, check: str, message: str) -> None:
        self.results.failed(
            Failure(user.number, user.session_id, user.iteration, label, check, message)
        )

    async def _request(self, step: Step, user: _User) -> None:
        label = step.label()
        try:
            path = fill(step.path, user.known)
            headers = {k: str(fill(v, user.known)) for k, v in step.headers.items()}
            params = {k: str(fill(v, user.known)) for k, v in step.query.items()}
            content: bytes | None = None
            if step.json_body is not None:
                content = json.dumps(fill(step.json_body, user.known)).encode()
                headers.setdefault("Content-Type", "application/json")
            elif step.body is not None:
                content = str(fill(step.body, user.known)).encode()
        except UnknownVariable as exc:
            self._fail(user, label, "variables", f"no value named {exc.name!r} yet")
            raise _EndIteration from None
        method = (step.method or "get").upper()
        answer = await self._send(user, label, method, path, headers, params, content)
        self._judge(step, user, answer)

    async def _chosen_steps(self, user: _User) -> None:
        if self._chooser is None:
            return
        for _ in range(self._flow.llm_steps):
            if self._over():
                return
            try:
                chosen = await self._chooser.next(user.history)
            except NextStepRefused as exc:
                self._fail(user, NEXT_STEP, "llm", str(exc))
                raise _EndIteration from None
            if chosen is None:  # the persona is done
                return
            await self._send_chosen(chosen, user)

    async def _send_chosen(self, chosen: ChosenRequest, user: _User) -> None:
        headers = {"Content-Type": "application/json"} if chosen.body is not None else {}
        answer = await self._send(
            user, chosen.operation, chosen.method, chosen.path, headers, chosen.query, chosen.body
        )
        if answer.status >= 500:
            self._fail(user, chosen.operation, "status", f"status {answer.status}, a server error")
        else:
            self.results.passed()

    async def _send(
        self,
        user: _User,
        label: str,
        method: str,
        path: str,
        headers: dict[str, str],
        params: dict[str, str],
        content: bytes | None,
    ) -> Answer:
        """The answer; a transport error is counted and ends the iteration."""
        started = time.perf_counter()
        try:
            response = await user.client.request(
                method, path, headers=headers, params=params or None, content=content
            )
            raw = await response.aread()
        except httpx.HTTPError as exc:
            latency = (time.perf_counter() - started) * 1000
            self.results.request(label, "error", latency)
            self._report_progress()
            message = f"{type(exc).__name__}: {exc}"
            self._remember(user, method, path, params, None, message.encode())
            self._fail(user, label, TRANSPORT, message)
            raise _EndIteration from None
        latency = (time.perf_counter() - started) * 1000
        self.results.request(label, str(response.status_code), latency)
        self._report_progress()
        self._remember(user, method, path, params, response.status_code, raw)
        return Answer(response.status_code, response.headers, _body(response, raw))

    def _remember(
        self,
        user: _User,
        method: str,
        path: str,
        params: dict[str, str],
        status: int | None,
        answer: bytes,
    ) -> None:
        """Keep the step for the model to see (only when one chooses)."""
        if self._chooser is None:
            return
        target = f"{path}?{httpx.QueryParams(params)}" if params else path
        text = answer[: 4 * ANSWER_CHARS].decode("utf-8", "replace")
        user.history.append(Seen(method, target, status, text))

    def _judge(self, step: Step, user: _User, answer: Answer) -> None:
        expected = step.expected
        fits = answer.status in expected if expected else 200 <= answer.status < 400
        if not fits:
            wanted = " or ".join(map(str, expected)) if expected else "2xx or 3xx"
            self._fail(user, step.label(), "status", f"status {answer.status}, expected {wanted}")
            raise _EndIteration
        self.results.passed()
        scope = answer.scope(user.known)
        for name, text in step.capture.items():
            value = evaluate(text, scope)
            if value is None:
                self._fail(user, step.label(), f"capture {name}", f"{text} found nothing")
                raise _EndIteration
            user.known[name] = value
        for check in step.checks:
            failure = check_failure(check, scope)
            if failure is None:
                self.results.passed()
            else:
                self._fail(user, step.label(), check.label(), failure)

    def _report_progress(self) -> None:
        if self._progress is not None:
            self._progress(1)


def _body(response: httpx.Response, raw: bytes) -> Any:
    if not raw:
        return None
    if "json" in response.headers.get("content-type", ""):
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace")
    return raw.decode("utf-8", "replace")
