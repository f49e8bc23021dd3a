"""N virtual users, each in its own session, running a flow at once on asyncio and httpx.

Each user has its own client (its own cookies: a session cookie the server sets stays with
that user) over one shared connection pool, and sends its session id in the flow's session
header. A request whose status is not the one expected, or a capture that finds nothing, ends
that user's iteration (what follows would only fail for that reason); a failed check is
counted and the iteration goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import field
from typing import Any

import httpx

from mockmind.domain.errors import FlowError
from mockmind.lean_dataclass import dataclass
from mockmind.simulation.flow import Flow, Step
from mockmind.simulation.results import Failure, Results
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


@dataclass
class _User:
    number: int
    session_id: str
    client: httpx.AsyncClient
    rng: random.Random
    known: dict[str, Any]
    iteration: int = 0


class Simulation:
    def __init__(
        self,
        flow: Flow,
        base_url: str,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        progress: Progress | None = None,
    ) -> None:
        self._flow = flow
        self._base_url = base_url.rstrip("/")
        self._settings = settings
        self._transport = transport
        self._progress = progress
        self._deadline: float | None = None
        self.results = Results(flow.name, settings.users)

    def session_id(self, user: int) -> str:
        return f"sim-{self._settings.run_id}-{user:04d}"

    async def run(self) -> Results:
        settings = self._settings
        transport = self._transport or httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=max(settings.users, 10))
        )
        started = time.perf_counter()
        if settings.duration_seconds is not None:
            self._deadline = started + settings.duration_seconds
        try:
            await asyncio.gather(
                *(self._user(number, transport) for number in range(settings.users))
            )
        finally:
            if self._transport is None:
                await transport.aclose()
        self.results.wall_seconds = time.perf_counter() - started
        return self.results

    def _iterations(self) -> int | None:
        if self._settings.iterations is not None:
            return self._settings.iterations
        return None if self._deadline is not None else 1

    def _over(self) -> bool:
        return self._deadline is not None and time.perf_counter() >= self._deadline

    async def _user(self, number: int, transport: httpx.AsyncBaseTransport) -> None:
        session_id = self.session_id(number)
        client = httpx.AsyncClient(
            transport=transport,
            base_url=self._base_url,
            timeout=self._settings.timeout_seconds,
            headers={self._flow.session_header: session_id},
        )
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
            user.iteration += 1
            self.results.iterations += 1
        # The shared transport is closed once, by run(): closing the client would close it.

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

    def _fail(self, user: _User, step: Step, check: str, message: str) -> None:
        self.results.failed(
            Failure(user.number, user.session_id, user.iteration, step.label(), check, message)
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
            self._fail(user, step, "variables", f"no value named {exc.name!r} yet")
            raise _EndIteration from None
        method = (step.method or "get").upper()
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
            self._fail(user, step, "transport", f"{type(exc).__name__}: {exc}")
            raise _EndIteration from None
        latency = (time.perf_counter() - started) * 1000
        self.results.request(label, str(response.status_code), latency)
        self._report_progress()
        answer = Answer(response.status_code, response.headers, _body(response, raw))
        self._judge(step, user, answer)

    def _judge(self, step: Step, user: _User, answer: Answer) -> None:
        expected = step.expected
        fits = answer.status in expected if expected else 200 <= answer.status < 400
        if not fits:
            wanted = " or ".join(map(str, expected)) if expected else "2xx or 3xx"
            self._fail(user, step, "status", f"status {answer.status}, expected {wanted}")
            raise _EndIteration
        self.results.passed()
        scope = answer.scope(user.known)
        for name, text in step.capture.items():
            value = evaluate(text, scope)
            if value is None:
                self._fail(user, step, f"capture {name}", f"{text} found nothing")
                raise _EndIteration
            user.known[name] = value
        for check in step.checks:
            failure = check_failure(check, scope)
            if failure is None:
                self.results.passed()
            else:
                self._fail(user, step, check.label(), failure)

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
