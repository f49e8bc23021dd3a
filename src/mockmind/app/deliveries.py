"""Deliveries wired up: what sends them (httpx), and how they run after the answer.

Under uvicorn a batch runs as a task on the server's event loop, started once the answer is
written. In Lambda (``AWS_LAMBDA_FUNCTION_NAME`` set) the environment freezes when the answer
is returned, so the batch goes to an asynchronous invocation of the function itself
(``adapters/aws/self_invoke``), which ``LambdaEntry`` recognises and delivers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import field
from typing import Any, Literal

from mockmind.app.environment import Environment
from mockmind.config.models import CallbacksConfig
from mockmind.domain.callbacks.courier import Courier, DeliveryRecord
from mockmind.domain.callbacks.deliveries import (
    DeliveryBatch,
    DeliveryPolicy,
    batch_from_dict,
)
from mockmind.domain.callbacks.planning import CallbackPlanner
from mockmind.lean_dataclass import dataclass
from mockmind.ports.callbacks import CallbackSender, DeliveryLauncher, SentAnswer

logger = logging.getLogger("mockmind.callbacks")

LauncherKind = Literal["in_process", "lambda"]


def choose_launcher(env: Environment) -> LauncherKind:
    """In Lambda an asynchronous self-invocation; anywhere else a task after the answer."""
    return "lambda" if env.in_lambda else "in_process"


def delivery_policy(config: CallbacksConfig) -> DeliveryPolicy:
    return DeliveryPolicy(
        delay_seconds=config.delay_seconds,
        retries=config.retries,
        backoff_seconds=config.backoff_seconds,
        max_backoff_seconds=config.max_backoff_seconds,
        timeout_seconds=config.timeout_seconds,
        allowed_hosts=tuple(config.allowed_hosts) if config.allowed_hosts is not None else None,
    )


class BackgroundDeliveries:
    """Each batch a task of the running event loop; ``drain`` waits for those in flight."""

    def __init__(self, courier: Courier) -> None:
        self._courier = courier
        # Held until done: the loop keeps only weak references to its tasks.
        self._tasks: set[asyncio.Task[list[DeliveryRecord]]] = set()

    async def launch(self, batch: DeliveryBatch) -> None:
        task = asyncio.get_running_loop().create_task(self._courier.deliver(batch))
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[list[DeliveryRecord]]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("a delivery batch failed", exc_info=task.exception())

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


@dataclass
class Deliveries:
    """The app's side of callbacks and webhooks."""

    courier: Courier
    launcher: DeliveryLauncher
    # None when the API declares no callbacks or webhooks (config schemas) or they are off.
    planner: CallbackPlanner | None
    webhook_targets: Mapping[str, list[str]] = field(default_factory=dict)

    async def launch(self, batch: DeliveryBatch) -> None:
        await self.launcher.launch(batch)

    async def drain(self) -> None:
        """Wait for in-process deliveries (tests, shutdown); nothing to wait for in Lambda."""
        if isinstance(self.launcher, BackgroundDeliveries):
            await self.launcher.drain()


class _SelfInvokeOnFirstUse:
    """The Lambda launcher, imported (with boto3) when the first batch goes out: a function
    that serves mocks without callbacks never loads the AWS SDK for them."""

    def __init__(self, env: Environment, invoker: Any, tenant: str | None = None) -> None:
        self._env = env
        self._invoker = invoker
        self._tenant = tenant
        self._launcher: DeliveryLauncher | None = None

    async def launch(self, batch: DeliveryBatch) -> None:
        if self._launcher is None:
            from mockmind.adapters.aws.self_invoke import LambdaSelfInvoke  # noqa: PLC0415

            env = self._env
            name = env.get("AWS_LAMBDA_FUNCTION_NAME")
            assert name is not None  # chosen only in Lambda
            endpoint = env.get("AWS_ENDPOINT_URL_LAMBDA") or env.endpoint_url
            invoker = self._invoker

            def client() -> Any:
                if invoker is not None:
                    return invoker
                from mockmind.app.aws import lambda_client  # noqa: PLC0415

                return lambda_client(env.region, endpoint)

            self._launcher = LambdaSelfInvoke(
                client, name, env.get("AWS_LAMBDA_FUNCTION_VERSION"), self._tenant
            )
        await self._launcher.launch(batch)


def build_launcher(
    kind: LauncherKind,
    courier: Courier,
    env: Environment,
    invoker: Any = None,
    tenant: str | None = None,
) -> DeliveryLauncher:
    if kind == "in_process":
        return BackgroundDeliveries(courier)
    return _SelfInvokeOnFirstUse(env, invoker, tenant)


class _HttpSenderOnFirstUse:
    """httpx's sender, imported when the first delivery goes out: most mocks send none, and
    importing httpx costs an offline cold start tens of milliseconds."""

    def __init__(self) -> None:
        self._sender: CallbackSender | None = None

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        timeout: float,
    ) -> SentAnswer:
        if self._sender is None:
            from mockmind.adapters.callbacks.http_sender import (  # noqa: PLC0415
                HttpCallbackSender,
            )

            self._sender = HttpCallbackSender()
        return await self._sender.send(method, url, headers, body, timeout=timeout)


def default_sender() -> CallbackSender:
    return _HttpSenderOnFirstUse()


def deliver_event(courier: Courier, event: Mapping[str, Any]) -> dict[str, Any]:
    """Carry out a delivery event in this invocation; the summary is its result.

    Run on a loop of its own, never set as the thread's: Mangum's requests in this process
    ask for the thread's loop, which ``asyncio.run`` would leave unset.
    """
    try:
        batch = batch_from_dict(event["batch"])
    except (KeyError, TypeError, ValueError) as exc:
        logger.error("malformed delivery event left undelivered: %r", exc)
        return {"delivered": 0, "failed": 0, "error": f"malformed delivery event: {exc!r}"}
    loop = asyncio.new_event_loop()
    try:
        records = loop.run_until_complete(courier.deliver(batch))
    finally:
        loop.close()
    delivered = sum(1 for r in records if r.delivered)
    return {"delivered": delivered, "failed": len(records) - delivered}
