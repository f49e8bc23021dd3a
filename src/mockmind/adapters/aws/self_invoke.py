"""``DeliveryLauncher`` for Lambda: the batch goes to an asynchronous invocation of this
function (``InvocationType=Event``), which delivers it while this one answers.

A Lambda environment is frozen once its answer is returned, so a task left running would
stall until the next request; the asynchronous invocation runs on its own, with its own
timeout, and Lambda retries it if the function fails. The handler recognises the event by
its ``mockmind`` key (``domain/callbacks/deliveries``). The function needs ``lambda:InvokeFunction``
on itself (template.yaml grants it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from mockmind.domain import json_codec
from mockmind.domain.callbacks.deliveries import DeliveryBatch, delivery_event

logger = logging.getLogger("mockmind.callbacks")


class LambdaInvoker(Protocol):
    """The one call of boto3's Lambda client used here."""

    def invoke(self, **kwargs: Any) -> Any: ...


class LambdaSelfInvoke:
    def __init__(
        self,
        client: Callable[[], LambdaInvoker],
        function_name: str,
        qualifier: str | None,
        tenant: str | None = None,
    ) -> None:
        # Built on the first launch: a function that never sends a callback never loads it.
        self._make_client = client
        self._client: LambdaInvoker | None = None
        self._function_name = function_name
        # The running version ("$LATEST", or the published one behind the live alias).
        self._qualifier = qualifier
        # The tenant whose world sends the batch: the invocation hands it back to that world.
        self._tenant = tenant

    async def launch(self, batch: DeliveryBatch) -> None:
        payload = json_codec.compact(delivery_event(batch, self._tenant))
        arguments: dict[str, Any] = {
            "FunctionName": self._function_name,
            "InvocationType": "Event",
            "Payload": payload,
        }
        if self._qualifier:
            arguments["Qualifier"] = self._qualifier
        try:
            if self._client is None:
                self._client = self._make_client()
            await asyncio.to_thread(self._client.invoke, **arguments)
        except Exception:
            # botocore's errors have no common base worth naming; the answer is already sent.
            logger.exception(
                "could not start the delivery of %d callback(s) for session %s",
                len(batch.deliveries) + len(batch.refusals),
                batch.session_id,
            )
